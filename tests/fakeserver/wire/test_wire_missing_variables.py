"""A run missing a ``${variable}`` (issue 15, item 6): replaced by "" as the real service does."""

from __future__ import annotations

import requests

from fakeserver import FakeOrchestration

API = "http://vars.test/api/orchestration"


def test_a_missing_variable_is_an_empty_string_and_a_missing_amount_fails_the_send() -> None:
    send = {
        "source": {"account": {"id": "users:1"}},
        "destination": {"account": {"id": "users:${user}"}},
        "amount": {"asset": "USD/2", "amount": "${amount}"},
    }
    with FakeOrchestration(base_url="http://vars.test") as fake:
        fake.bank.fund("users:1", "USD/2", 100)
        workflow = requests.post(API + "/workflows", json={"stages": [{"send": send}]}).json()["data"]
        run = requests.post(f"{API}/workflows/{workflow['id']}/instances", json={}).json()["data"]
        [item] = requests.get(f"{API}/instances/{run['id']}/history").json()["data"]
    assert item["input"]["destination"]["account"]["id"] == "users:"
    assert item["input"]["amount"]["amount"] is None
    assert (item["error"], item["terminated"]) == ("activity error", True)
    assert fake.bank.balance("users:1", "USD/2") == 100
