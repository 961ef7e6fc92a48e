"""Debug logging on the ``formance_orchestration`` logger: what is logged, and what never is."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pytest
import requests
import responses

from formance_orchestration._client import OrchestrationClient

ROOT = "http://orch.test/api/orchestration"
MakeClient = Callable[..., OrchestrationClient]


def test_one_line_per_exchange(
    client: OrchestrationClient, rsps: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="formance_orchestration")
    rsps.add(responses.GET, ROOT + "/instances", json={"data": []})
    client.list_instances(running=True)
    records = [r for r in caplog.records if r.name == "formance_orchestration"]
    assert len(records) == 1
    assert records[0].levelno == logging.DEBUG
    assert re.fullmatch(
        r"listInstances GET http://orch\.test/api/orchestration/instances\?running=true -> 200 in \d+\.\d ms",
        records[0].getMessage(),
    )


def test_retries_and_failures_are_logged(
    client: OrchestrationClient, rsps: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="formance_orchestration")
    rsps.add(responses.GET, ROOT + "/workflows", status=503, body="")
    rsps.add(responses.GET, ROOT + "/workflows", body=requests.ConnectionError("boom"))
    rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
    client.list_workflows()
    messages = [r.getMessage() for r in caplog.records if r.name == "formance_orchestration"]
    assert messages[0].startswith("listWorkflows GET http://orch.test/api/orchestration/workflows -> 503 in ")
    assert messages[1] == (
        "listWorkflows GET http://orch.test/api/orchestration/workflows: 503, "
        "retrying in 0.50 s (attempt 2 of 3)"
    )
    assert messages[2].startswith(
        "listWorkflows GET http://orch.test/api/orchestration/workflows -> ConnectionError"
    )
    assert messages[3].endswith(": ConnectionError, retrying in 1.00 s (attempt 3 of 3)")
    assert " -> 200 in " in messages[4]


def test_nothing_logged_above_debug(
    client: OrchestrationClient, rsps: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="formance_orchestration")
    rsps.add(responses.GET, ROOT + "/workflows", status=503, body="")
    rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
    client.list_workflows()
    assert [r for r in caplog.records if r.name == "formance_orchestration"] == []


def test_no_headers_tokens_or_url_credentials(
    make_client: MakeClient, rsps: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, requests/urllib3 included
    client = make_client(base_url="http://bob:pa55word@orch.test", token="tok-VERY-SECRET")
    rsps.add(responses.GET, "http://bob:pa55word@orch.test/api/orchestration/workflows", json={"data": []})
    client.list_workflows()
    assert rsps.calls[0].request.headers["Authorization"] == "Bearer tok-VERY-SECRET"  # not basic auth
    assert "listWorkflows GET http://***@orch.test/api/orchestration/workflows -> 200" in caplog.text
    for secret in ("tok-VERY-SECRET", "pa55word", "Authorization", "Bearer"):
        assert secret not in caplog.text
