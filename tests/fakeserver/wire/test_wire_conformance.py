"""The conformance cases of the semantics file (section 6), on the wire: raw ``requests`` calls through
``FakeOrchestration``, asserting status, ``Content-Type`` and the exact JSON bodies.

Target version: mid-2023 (``send.amount`` optional, ``GET /_info`` answers ``{"version": ...}``).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
import requests

from fakeserver.responses_adapter import FakeOrchestration

API = "http://localhost/api/orchestration"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")
NO_ROWS = "sql: no rows in result set"
SEND = {
    "send": {
        "source": {"account": {"id": "world", "ledger": "default"}},
        "destination": {"account": {"id": "bank", "ledger": "default"}},
        "amount": {"amount": 100, "asset": "EUR/2"},
    }
}
WAIT_GO = {"wait_event": {"event": "go"}}
WAIT_VALIDATION = "Key: 'WaitEvent.Event' Error:Field validation for 'Event' failed on the 'required' tag"


@pytest.fixture(autouse=True)
def fake(orchestration_fake: FakeOrchestration) -> FakeOrchestration:
    """Every test here talks to a fresh fake at http://localhost/api/orchestration."""
    return orchestration_fake


def call(method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, API + path, **kwargs)


def json_of(response: requests.Response, status: int) -> Any:
    """The parsed body of a JSON answer with ``status`` (Go's encoder: trailing newline)."""
    assert response.status_code == status, response.content
    assert response.headers["Content-Type"] == "application/json"
    assert response.content.endswith(b"\n")
    return json.loads(response.content)


def data_of(response: requests.Response, status: int = 200) -> Any:
    body = json_of(response, status)
    assert list(body) == ["data"]
    return body["data"]


def assert_error(response: requests.Response, status: int, code: str, message: str | None) -> None:
    body = json_of(response, status)
    if message is None:
        assert body["errorCode"] == code
        assert set(body) <= {"errorCode", "errorMessage"}
    else:
        assert body == {"errorCode": code, "errorMessage": message}


def assert_empty(response: requests.Response, status: int) -> None:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == b""


def create(*stages: dict[str, Any], name: str | None = None) -> str:
    config: dict[str, Any] = {"stages": list(stages)}
    if name is not None:
        config["name"] = name
    return str(data_of(call("POST", "/workflows", json=config), 201)["id"])


def run(workflow_id: str, query: str = "", **kwargs: Any) -> Any:
    return data_of(call("POST", f"/workflows/{workflow_id}/instances{query}", **kwargs), 201)


def get_instance(instance_id: str) -> Any:
    return data_of(call("GET", f"/instances/{instance_id}"))


def poll(instance_id: str) -> Any:
    """GET the instance until it is terminated (the fake runs stages inside the calls: a few GETs)."""
    for _ in range(20):
        instance = get_instance(instance_id)
        if instance["terminated"]:
            return instance
    raise AssertionError(f"instance {instance_id} did not terminate")


def test_case_01_empty_store_lists_no_workflow() -> None:
    response = call("GET", "/workflows")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == b'{"data":[]}\n'


def test_case_02_empty_stages() -> None:
    data = data_of(call("POST", "/workflows", json={"stages": []}), 201)
    assert UUID4.match(data["id"])
    assert data["config"] == {"name": "", "stages": []}
    assert data["createdAt"] == data["updatedAt"]
    assert TIMESTAMP.match(data["createdAt"])
    assert list(data) == ["id", "config", "createdAt", "updatedAt"]
    assert list(data["config"]) == ["name", "stages"]


def test_case_03_named_send_workflow() -> None:
    data = data_of(call("POST", "/workflows", json={"name": "send", "stages": [SEND]}), 201)
    assert data["id"]
    assert data["config"] == {"name": "send", "stages": [SEND]}


def test_case_04_no_stages_key_stores_null() -> None:
    data = data_of(call("POST", "/workflows", json={}), 201)
    assert data["config"] == {"name": "", "stages": None}


def test_case_05_empty_body() -> None:
    response = call("POST", "/workflows")
    assert_error(response, 400, "VALIDATION", "unmarshalling json body: EOF")


@pytest.mark.parametrize(
    ("stages", "reason"),
    [
        ([{"foo": {}}], "unable to resolve schema foo"),  # case 6
        ([{}], "empty specification"),  # case 7
        ([{"delay": {"duration": "1s"}, "noop": {}}], "a specification should have only one name"),  # case 8
        (  # case 10
            [{"send": {"destination": {"account": {"id": "bank"}}, "amount": {"amount": 1, "asset": "X"}}}],
            "resolving field 'Source': expected map but was <nil>",
        ),
        (  # case 11
            [{"delay": {"duration": "abc"}}],
            "resolving field 'Duration': unable to resolve field 'Duration' to duration value",
        ),
        ([{"delay": {"until": "${d}"}}], "resolving field 'Until': expected date as rfc3339 format"),  # 12
    ],
)
def test_cases_06_to_12_resolution_failures_are_500(stages: list[Any], reason: str) -> None:
    response = call("POST", "/workflows", json={"stages": stages})
    assert_error(response, 500, "INTERNAL_ERROR", f"creating workflow: {reason}")


def test_case_09_stage_value_not_an_object() -> None:
    response = call("POST", "/workflows", json={"stages": [{"delay": "10s"}]})
    assert_error(
        response,
        400,
        "VALIDATION",
        "unmarshalling json body: json: cannot unmarshal string into Go struct field Config.stages"
        " of type map[string]interface {}",
    )


def test_case_13_no_validation_at_creation() -> None:
    data = data_of(call("POST", "/workflows", json={"stages": [{"wait_event": {}}]}), 201)
    assert data["config"]["stages"] == [{"wait_event": {}}]


def test_case_14_get_workflow_equals_creation() -> None:
    created = data_of(call("POST", "/workflows", json={"name": "n", "stages": [SEND, {"noop": {}}]}), 201)
    assert data_of(call("GET", f"/workflows/{created['id']}")) == created


def test_case_15_unknown_workflow() -> None:
    response = call("GET", f"/workflows/{uuid.uuid4()}")
    assert_error(response, 500, "INTERNAL_ERROR", NO_ROWS)


def test_case_16_list_two_workflows() -> None:
    first, second = create(name="a"), create(name="b")
    listed = data_of(call("GET", "/workflows"))
    assert sorted(item["id"] for item in listed) == sorted([first, second])


def test_case_17_run_without_body() -> None:
    instance = run(create())
    assert instance["terminated"] is False
    assert instance["error"] == ""
    assert "status" not in instance
    assert "terminatedAt" not in instance
    assert list(instance) == ["workflowID", "id", "createdAt", "updatedAt", "terminated", "error"]


def test_case_18_run_and_wait_noop() -> None:
    workflow_id = create({"noop": {}})
    instance = run(workflow_id, "?wait=true")
    assert instance["terminated"] is True
    assert TIMESTAMP.match(instance["terminatedAt"])
    assert len(instance["status"]) == 1
    assert instance["status"][0]["stage"] == 0
    assert instance["status"][0]["error"] == ""
    assert "error" not in instance
    assert instance["workflowID"] == workflow_id


def test_case_19_run_unknown_workflow() -> None:
    response = call("POST", f"/workflows/{uuid.uuid4()}/instances")
    assert_error(response, 500, "INTERNAL_ERROR", NO_ROWS)


@pytest.mark.parametrize("known", [True, False])
def test_case_20_non_string_variable(known: bool) -> None:
    workflow_id = create() if known else str(uuid.uuid4())
    response = call("POST", f"/workflows/{workflow_id}/instances", data=b'{"a":1}')
    assert_error(response, 400, "VALIDATION", "json: cannot unmarshal number into Go value of type string")


@pytest.mark.parametrize("query", ["?wait=garbage", "?wait=false", "?wait=0", "?wait=", "?wait=yes", ""])
def test_case_21_wait_values_that_do_not_wait(query: str) -> None:
    instance = run(create({"noop": {}}), query)
    assert instance["terminated"] is False
    assert "status" not in instance


@pytest.mark.parametrize("query", ["?wait=TRUE", "?wait=True", "?wait=1", "?other=x&wait=true"])
def test_case_21_wait_values_that_wait(query: str) -> None:
    instance = run(create({"noop": {}}), query)
    assert instance["terminated"] is True
    assert len(instance["status"]) == 1


def _ten_instances_four_terminated() -> tuple[str, list[str]]:
    workflow_id = create(WAIT_GO)
    ids = [run(workflow_id)["id"] for _ in range(10)]
    for instance_id in ids[:4]:
        assert call("POST", f"/instances/{instance_id}/events", json={"name": "go"}).status_code == 204
    return workflow_id, ids


def test_case_22_running_filter() -> None:
    _, ids = _ten_instances_four_terminated()
    assert len(data_of(call("GET", "/instances"))) == 10
    running = data_of(call("GET", "/instances?running=true"))
    assert sorted(item["id"] for item in running) == sorted(ids[4:])


@pytest.mark.parametrize("value", ["garbage", "True", "1", "TRUE", ""])
def test_case_23_running_is_exactly_true(value: str) -> None:
    _ten_instances_four_terminated()
    assert len(data_of(call("GET", f"/instances?running={value}"))) == 10


def test_case_24_workflow_filter() -> None:
    first, second = create({"noop": {}}), create({"noop": {}})
    mine = [run(first)["id"] for _ in range(2)]
    run(second)
    listed = data_of(call("GET", f"/instances?workflowID={first}"))
    assert sorted(item["id"] for item in listed) == sorted(mine)
    assert data_of(call("GET", f"/instances?workflowID={uuid.uuid4()}")) == []
    assert len(data_of(call("GET", "/instances?workflowID="))) == 3


def test_case_25_list_items_have_no_status() -> None:
    waiting = run(create({"noop": {}}, WAIT_GO))["id"]
    assert len(get_instance(waiting)["status"]) == 2
    run(create({"noop": {}}), "?wait=true")
    listed = data_of(call("GET", "/instances"))
    assert len(listed) == 2
    for item in listed:
        assert "status" not in item
        assert list(item)[:5] == ["workflowID", "id", "createdAt", "updatedAt", "terminated"]
        assert list(item)[-1] == "error"


def test_case_26_ten_stage_rows() -> None:
    instance_id = run(create(*[{"noop": {}}] * 10))["id"]
    instance = poll(instance_id)
    assert [row["stage"] for row in instance["status"]] == list(range(10))


def test_case_27_unknown_instance() -> None:
    assert_error(call("GET", f"/instances/{uuid.uuid4()}"), 500, "INTERNAL_ERROR", "Instance not found")


def test_cases_28_to_30_single_send() -> None:
    instance_id = run(create(SEND, name="send"))["id"]
    instance = poll(instance_id)  # case 28
    assert instance["error"] == ""
    assert len(instance["status"]) == 1
    assert TIMESTAMP.match(instance["terminatedAt"])

    history = data_of(call("GET", f"/instances/{instance_id}/history"))  # case 29
    assert len(history) == 1
    item = history[0]
    assert list(item) == ["name", "input", "terminated", "startedAt", "terminatedAt"]
    assert item["name"] == "RunSend"
    assert item["terminated"] is True
    assert item["input"] == {
        "amount": {"amount": 100, "asset": "EUR/2"},
        "destination": {"account": {"id": "bank", "ledger": "default"}},
        "source": {"account": {"id": "world", "ledger": "default"}},
    }

    activities = data_of(call("GET", f"/instances/{instance_id}/stages/0/history"))  # case 30
    assert len(activities) == 1
    activity = activities[0]
    assert list(activity) == ["name", "input", "output", "terminated", "startedAt", "terminatedAt", "attempt"]
    posting = {"amount": 100, "asset": "EUR/2", "destination": "bank", "source": "world"}
    assert activity["name"] == "CreateTransaction"
    assert activity["input"] == {
        "CreateTransaction": {"data": {"metadata": {}, "postings": [posting]}, "ledger": "default"}
    }
    transaction = activity["output"]["CreateTransaction"]["data"]
    assert transaction["postings"] == [posting]
    assert transaction["metadata"] == {}
    assert transaction["reference"] == ""
    assert TIMESTAMP.match(transaction["timestamp"])
    assert isinstance(transaction["txid"], int)
    assert activity["attempt"] == 1
    assert activity["terminated"] is True


def test_case_31_insufficient_funds_retries_for_ever(fake: FakeOrchestration) -> None:
    send = json.loads(json.dumps(SEND))
    send["send"]["source"]["account"]["id"] = "empty:account"
    instance_id = run(create(send))["id"]
    fake.advance(10)  # attempts at +0, +1, +3, +7 s
    assert get_instance(instance_id)["terminated"] is False
    activities = data_of(call("GET", f"/instances/{instance_id}/stages/0/history"))
    assert len(activities) == 1
    item = activities[0]
    assert item["name"] == "CreateTransaction"
    assert item["terminated"] is False
    assert item["attempt"] > 2
    assert item["lastFailure"] == "account had insufficient funds"
    assert TIMESTAMP.match(item["nextExecution"])
    assert "output" not in item
    assert "terminatedAt" not in item
    assert "error" not in item


@pytest.mark.parametrize("number", ["abc", "1.5", "", "99999999999999999999", "0x1"])
def test_case_32_stage_number_not_an_integer(number: str) -> None:
    instance_id = run(create(SEND))["id"]
    assert_empty(call("GET", f"/instances/{instance_id}/stages/{number}/history"), 404)


@pytest.mark.parametrize("number", ["99", "-1", "1"])
def test_case_33_stage_not_found(number: str) -> None:
    instance_id = run(create(SEND))["id"]
    response = call("GET", f"/instances/{instance_id}/stages/{number}/history")
    assert_error(response, 404, "NOT_FOUND", "resource not found")


def test_case_33_unknown_instance_stage() -> None:
    response = call("GET", f"/instances/{uuid.uuid4()}/stages/0/history")
    assert_error(response, 404, "NOT_FOUND", "resource not found")


def test_case_33_signed_and_padded_numbers_parse() -> None:
    instance_id = run(create(SEND))["id"]
    for number in ("+0", "00"):
        assert len(data_of(call("GET", f"/instances/{instance_id}/stages/{number}/history"))) == 1


def test_case_34_delay_only(fake: FakeOrchestration) -> None:
    instance_id = run(create({"delay": {"duration": "1m"}}))["id"]
    assert data_of(call("GET", f"/instances/{instance_id}/stages/0/history")) == []
    history = data_of(call("GET", f"/instances/{instance_id}/history"))
    assert [(item["name"], item["input"], item["terminated"]) for item in history] == [
        ("RunDelay", {"duration": "1m0s"}, False)
    ]
    assert "terminatedAt" not in history[0]
    fake.advance(60)
    history = data_of(call("GET", f"/instances/{instance_id}/history"))
    assert history[0]["terminated"] is True
    assert poll(instance_id)["error"] == ""


def test_case_35_events() -> None:
    instance_id = run(create(WAIT_GO))["id"]
    assert len(get_instance(instance_id)["status"]) == 1
    response = call("POST", f"/instances/{instance_id}/events", json={"name": "nope"})
    assert_empty(response, 204)
    assert get_instance(instance_id)["terminated"] is False
    assert_empty(call("POST", f"/instances/{instance_id}/events", json={"name": "go"}), 204)
    instance = poll(instance_id)
    assert instance["error"] == ""
    assert instance["status"][0]["error"] == ""


def test_case_36_event_with_empty_body() -> None:
    instance_id = run(create(WAIT_GO))["id"]
    assert_error(call("POST", f"/instances/{instance_id}/events"), 400, "VALIDATION", "EOF")


def test_case_36_event_name_not_a_string() -> None:
    instance_id = run(create(WAIT_GO))["id"]
    response = call("POST", f"/instances/{instance_id}/events", data=b'{"name":1}')
    assert_error(
        response,
        400,
        "VALIDATION",
        "json: cannot unmarshal number into Go struct field Event.name of type string",
    )


def test_case_37_event_to_unknown_instance() -> None:
    response = call("POST", f"/instances/{uuid.uuid4()}/events", json={"name": "x"})
    assert_error(response, 500, "INTERNAL_ERROR", "retrieving workflow: sql: no rows in result set")


def test_case_38_event_to_terminated_instance() -> None:
    instance_id = run(create({"noop": {}}), "?wait=true")["id"]
    response = call("POST", f"/instances/{instance_id}/events", json={"name": "x"})
    assert_error(
        response, 500, "INTERNAL_ERROR", "sending signal to server: workflow execution already completed"
    )


def test_case_39_events_before_the_wait_are_lost(fake: FakeOrchestration) -> None:
    instance_id = run(create({"delay": {"duration": "10s"}}, WAIT_GO))["id"]
    assert_empty(call("POST", f"/instances/{instance_id}/events", json={"name": "go"}), 204)
    fake.advance(10)
    instance = get_instance(instance_id)
    assert instance["terminated"] is False
    assert len(instance["status"]) == 2
    assert fake.waiting_event(instance_id) == "go"
    assert_empty(call("POST", f"/instances/{instance_id}/events", json={"name": "go"}), 204)
    assert poll(instance_id)["error"] == ""


def test_case_40_abort_a_waiting_instance() -> None:
    instance_id = run(create(WAIT_GO))["id"]
    assert_empty(call("PUT", f"/instances/{instance_id}/abort"), 204)
    instance = poll(instance_id)
    assert instance["error"] == "canceled"
    assert instance["status"][0]["error"] == "canceled"
    history = data_of(call("GET", f"/instances/{instance_id}/history"))
    assert history[0]["error"] == "canceled"
    assert history[0]["terminated"] is True
    assert list(history[0]) == ["name", "input", "error", "terminated", "startedAt", "terminatedAt"]


def test_case_41_abort_a_terminated_instance() -> None:
    instance_id = run(create({"noop": {}}), "?wait=true")["id"]
    assert_empty(call("PUT", f"/instances/{instance_id}/abort"), 204)
    assert_empty(call("PUT", f"/instances/{instance_id}/abort"), 204)
    assert poll(instance_id)["error"] == ""


def test_case_42_abort_unknown_instance() -> None:
    response = call("PUT", f"/instances/{uuid.uuid4()}/abort")
    assert_error(response, 500, "INTERNAL_ERROR", "retrieving workflow execution: sql: no rows in result set")


def test_case_43_validation_failure_at_run_time() -> None:
    instance = run(create({"wait_event": {}}), "?wait=true")
    assert instance["terminated"] is True
    assert instance["status"][0]["error"] == WAIT_VALIDATION
    assert instance["error"] == WAIT_VALIDATION + " (type: ValidationErrors, retryable: true)"
    assert get_instance(instance["id"])["error"] == WAIT_VALIDATION
    assert data_of(call("GET", f"/instances/{instance['id']}/history")) == []
    response = call("GET", f"/instances/{instance['id']}/stages/0/history")
    assert_error(response, 404, "NOT_FOUND", "resource not found")


def test_case_44_variables() -> None:
    workflow_id = create({"delay": {"duration": "${d}"}})
    instance = run(workflow_id, "?wait=true", json={"d": "10ms"})
    assert instance["terminated"] is True
    assert "error" not in instance
    history = data_of(call("GET", f"/instances/{instance['id']}/history"))
    assert history[0]["input"] == {"duration": "10ms"}


def test_case_45_second_stage_fails_validation() -> None:
    instance = run(create({"noop": {}}, {"wait_event": {}}), "?wait=true")
    assert [row["error"] for row in instance["status"]] == ["", WAIT_VALIDATION]
    history = data_of(call("GET", f"/instances/{instance['id']}/history"))
    assert [item["name"] for item in history] == ["RunNoOp"]


def test_case_46_history_of_unknown_instance() -> None:
    assert_error(call("GET", f"/instances/{uuid.uuid4()}/history"), 500, "INTERNAL_ERROR", None)


def test_case_47_server_info() -> None:
    response = call("GET", "/_info")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == b'{"version":"develop"}\n'


def test_case_48_unknown_route_and_wrong_method() -> None:
    response = call("GET", "/foo")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b"404 page not found\n"
    assert_empty(call("DELETE", f"/workflows/{create()}"), 405)
