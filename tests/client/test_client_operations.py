"""Each operation: the exact request on the wire and the decoding of realistic answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import responses

from formance_orchestration._client import OrchestrationClient
from formance_orchestration._config import DEFAULT_USER_AGENT
from formance_orchestration.models import (
    ActivityCreateTransaction,
    ActivityCreateTransactionOutput,
    SendEventRequest,
    StageDelay,
    StageNoOp,
    StageSend,
    StageWaitEvent,
    WorkflowConfig,
)

BASE = "http://orch.test"
ROOT = BASE + "/api/orchestration"
MakeClient = Callable[..., OrchestrationClient]
UTC = UTC


def wire(data: Any) -> str:
    """Encode a body the way the Go service does (JSON + trailing newline)."""
    return json.dumps(data) + "\n"


WF_ID = "6e1c2d0a-3f6b-4a5e-9a2b-0c8d7e6f5a41"
INST_ID = "0b9f8e7d-6c5b-4a39-8827-16e5d4c3b2a1"

SEND_STAGE: dict[str, Any] = {
    "send": {
        "amount": {"amount": 100, "asset": "EUR/2"},
        "destination": {"account": {"id": "bank", "ledger": "default"}},
        "source": {"account": {"id": "world", "ledger": "default"}},
    }
}

# GET /workflows/{id} (read back from Postgres: microseconds, Z)
WORKFLOW: dict[str, Any] = {
    "id": WF_ID,
    "config": {"name": "payout", "stages": [SEND_STAGE]},
    "createdAt": "2023-04-13T08:39:07.123456Z",
    "updatedAt": "2023-04-13T08:39:07.123456Z",
}

# POST /workflows answer (in-memory: nanoseconds)
CREATED_WORKFLOW: dict[str, Any] = {
    "id": WF_ID,
    "config": {"name": "", "stages": []},
    "createdAt": "2023-04-13T08:39:07.123456789Z",
    "updatedAt": "2023-04-13T08:39:07.123456789Z",
}

# POST /workflows/{id}/instances without wait: no status, no terminatedAt, error ""
RUN_NO_WAIT: dict[str, Any] = {
    "workflowID": WF_ID,
    "id": INST_ID,
    "createdAt": "2023-04-13T08:40:00.987654321Z",
    "updatedAt": "2023-04-13T08:40:00.987654321Z",
    "terminated": False,
    "error": "",
}

# POST ...?wait=true, success: status present, NO error key at the top level
RUN_WAITED: dict[str, Any] = {
    "workflowID": WF_ID,
    "id": INST_ID,
    "createdAt": "2023-04-13T08:40:00.987654Z",
    "updatedAt": "2023-04-13T08:40:00.987654Z",
    "status": [
        {
            "stage": 0,
            "instanceID": INST_ID,
            "startedAt": "2023-04-13T08:40:00.99Z",
            "terminatedAt": "2023-04-13T08:40:01Z",
            "error": "",
        }
    ],
    "terminated": True,
    "terminatedAt": "2023-04-13T08:40:01.000001Z",
}

# GET /instances/{id}
INSTANCE: dict[str, Any] = {**RUN_WAITED, "error": ""}

RUNNING_INSTANCE: dict[str, Any] = {
    "workflowID": WF_ID,
    "id": INST_ID,
    "createdAt": "2023-04-13T08:40:00.987654Z",
    "updatedAt": "2023-04-13T08:40:00.987654Z",
    "status": [{"stage": 0, "instanceID": INST_ID, "startedAt": "2023-04-13T08:40:00.99Z", "error": ""}],
    "terminated": False,
    "error": "",
}

INSTANCE_HISTORY: list[dict[str, Any]] = [
    {
        "name": "RunSend",
        "input": SEND_STAGE["send"],
        "terminated": True,
        "startedAt": "2023-04-13T08:40:00.990123456Z",
        "terminatedAt": "2023-04-13T08:40:01.000456789Z",
    }
]

POSTINGS = [{"amount": 100, "asset": "EUR/2", "destination": "bank", "source": "world"}]
STAGE_HISTORY: list[dict[str, Any]] = [
    {
        "name": "CreateTransaction",
        "input": {"CreateTransaction": {"ledger": "default", "data": {"postings": POSTINGS, "metadata": {}}}},
        "output": {
            "CreateTransaction": {
                "data": {
                    "postings": POSTINGS,
                    "reference": "",
                    "metadata": {},
                    "timestamp": "2023-04-13T08:40:00.995Z",
                    "txid": 12,
                }
            }
        },
        "terminated": True,
        "startedAt": "2023-04-13T08:40:00.991Z",
        "terminatedAt": "2023-04-13T08:40:00.999Z",
        "attempt": 1,
    }
]


def sent(rsps: responses.RequestsMock, index: int = -1) -> requests.PreparedRequest:
    """The request the client sent."""
    request = rsps.calls[index].request
    assert isinstance(request, requests.PreparedRequest)
    return request


def sent_json(rsps: responses.RequestsMock, index: int = -1) -> Any:
    """The JSON body the client sent."""
    body = sent(rsps, index).body
    assert isinstance(body, bytes)
    return json.loads(body)


def assert_common_headers(request: requests.PreparedRequest, *, json_body: bool) -> None:
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == DEFAULT_USER_AGENT
    assert "Authorization" not in request.headers
    if json_body:
        assert request.headers["Content-Type"] == "application/json"
    else:
        assert "Content-Type" not in request.headers


class TestGetServerInfo:
    def test_request_and_raw_body(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.GET, ROOT + "/_info", body=wire({"version": "develop"}))
        info = client.get_server_info()
        assert info.version == "develop"
        request = sent(rsps)
        assert request.method == "GET"
        assert request.url == ROOT + "/_info"
        assert request.body is None
        assert_common_headers(request, json_body=False)

    def test_data_wrapper_is_not_expected(
        self, client: OrchestrationClient, rsps: responses.RequestsMock
    ) -> None:
        rsps.add(responses.GET, ROOT + "/_info", json={"version": "v1.2.3", "extra": True})
        assert client.get_server_info().version == "v1.2.3"


class TestListWorkflows:
    def test_request_and_decoding(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.GET, ROOT + "/workflows", body=wire({"data": [WORKFLOW, CREATED_WORKFLOW]}))
        result = client.list_workflows()
        request = sent(rsps)
        assert (request.method, request.url, request.body) == ("GET", ROOT + "/workflows", None)
        assert_common_headers(request, json_body=False)
        assert [w.id for w in result.data] == [WF_ID, WF_ID]
        first = result.data[0]
        assert first.config.name == "payout"
        assert first.created_at == datetime(2023, 4, 13, 8, 39, 7, 123456, tzinfo=UTC)
        assert first.config.stages is not None and isinstance(first.config.stages[0], StageSend)

    def test_empty(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.GET, ROOT + "/workflows", body=wire({"data": []}))
        assert client.list_workflows().data == []

    def test_null_stages(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        workflow = {**WORKFLOW, "config": {"name": "", "stages": None}}
        rsps.add(responses.GET, ROOT + "/workflows", body=wire({"data": [workflow]}))
        assert client.list_workflows().data[0].config.stages is None


class TestCreateWorkflow:
    def test_typed_config(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.POST, ROOT + "/workflows", status=201, body=wire({"data": CREATED_WORKFLOW}))
        config = WorkflowConfig(
            name="flow", stages=[StageNoOp(), StageDelay(duration="10s"), StageWaitEvent(event="go")]
        )
        result = client.create_workflow(config)
        request = sent(rsps)
        assert (request.method, request.url) == ("POST", ROOT + "/workflows")
        assert_common_headers(request, json_body=True)
        assert request.body == (
            b'{"name":"flow","stages":[{"noop":{}},{"delay":{"duration":"10s"}},'
            b'{"wait_event":{"event":"go"}}]}'
        )
        assert result.data.id == WF_ID
        assert result.data.config.stages == []
        # nanosecond timestamps are truncated to microseconds, kept aware
        assert result.data.created_at == datetime(2023, 4, 13, 8, 39, 7, 123456, tzinfo=UTC)

    def test_dict_config_sent_as_given(
        self, client: OrchestrationClient, rsps: responses.RequestsMock
    ) -> None:
        rsps.add(responses.POST, ROOT + "/workflows", status=201, body=wire({"data": WORKFLOW}))
        config = {"name": "payout", "stages": [SEND_STAGE, {"custom_stage": {"x": 1}}], "unknown": "kept"}
        client.create_workflow(config)
        assert sent_json(rsps) == config

    def test_empty_config(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.POST, ROOT + "/workflows", status=201, body=wire({"data": CREATED_WORKFLOW}))
        client.create_workflow(WorkflowConfig(stages=[]))
        assert sent_json(rsps) == {"stages": []}

    def test_non_ascii_is_utf8(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.POST, ROOT + "/workflows", status=201, body=wire({"data": CREATED_WORKFLOW}))
        client.create_workflow({"name": "paiement €"})
        assert sent(rsps).body == '{"name":"paiement €"}'.encode()

    def test_rejects_other_types(self, client: OrchestrationClient) -> None:
        with pytest.raises(TypeError):
            client.create_workflow("stages")  # type: ignore[arg-type]


class TestGetWorkflow:
    def test_request_and_decoding(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.GET, ROOT + "/workflows/" + WF_ID, body=wire({"data": WORKFLOW}))
        result = client.get_workflow(WF_ID)
        request = sent(rsps)
        assert (request.method, request.url, request.body) == ("GET", ROOT + "/workflows/" + WF_ID, None)
        assert_common_headers(request, json_body=False)
        assert result.data.id == WF_ID
        assert result.data.updated_at == result.data.created_at

    def test_path_segment_is_percent_encoded(
        self, client: OrchestrationClient, rsps: responses.RequestsMock
    ) -> None:
        rsps.add(responses.GET, ROOT + "/workflows/a%2Fb%3Fc%23d%20e%25", body=wire({"data": WORKFLOW}))
        client.get_workflow("a/b?c#d e%")
        assert sent(rsps).path_url == "/api/orchestration/workflows/a%2Fb%3Fc%23d%20e%25"

    def test_empty_id_is_refused(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        with pytest.raises(ValueError):
            client.get_workflow("")
        assert len(rsps.calls) == 0


class TestRunWorkflow:
    URL = ROOT + "/workflows/" + WF_ID + "/instances"

    def test_no_variables_no_wait(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.POST, self.URL, status=201, body=wire({"data": RUN_NO_WAIT}))
        result = client.run_workflow(WF_ID)
        request = sent(rsps)
        assert (request.method, request.url) == ("POST", self.URL)
        assert not request.body
        assert_common_headers(request, json_body=False)
        instance = result.data
        assert instance.terminated is False
        assert instance.error == ""
        assert instance.status is None
        assert instance.terminated_at is None
        assert instance.created_at == datetime(2023, 4, 13, 8, 40, 0, 987654, tzinfo=UTC)

    def test_variables_body(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.POST, self.URL, status=201, body=wire({"data": RUN_NO_WAIT}))
        client.run_workflow(WF_ID, {"amount": "100", "dest": "users:001"})
        request = sent(rsps)
        assert request.body == b'{"amount":"100","dest":"users:001"}'
        assert_common_headers(request, json_body=True)

    def test_wait_true(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.POST, self.URL + "?wait=true", status=201, body=wire({"data": RUN_WAITED}))
        result = client.run_workflow(WF_ID, {"d": "10ms"}, wait=True)
        request = sent(rsps)
        assert request.url == self.URL + "?wait=true"
        assert sent_json(rsps) == {"d": "10ms"}
        instance = result.data
        assert instance.terminated is True
        assert instance.error is None  # the waited answer omits "error" on success
        assert instance.status is not None and [s.stage for s in instance.status] == [0]
        assert instance.status[0].error == ""
        assert instance.terminated_at == datetime(2023, 4, 13, 8, 40, 1, 1, tzinfo=UTC)

    def test_wait_failure_error_text(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        failed = {**RUN_WAITED, "error": "canceled"}
        rsps.add(responses.POST, self.URL + "?wait=true", status=201, body=wire({"data": failed}))
        assert client.run_workflow(WF_ID, wait=True).data.error == "canceled"

    @pytest.mark.parametrize("wait", [None, False])
    def test_wait_not_sent_unless_true(
        self, client: OrchestrationClient, rsps: responses.RequestsMock, wait: bool | None
    ) -> None:
        rsps.add(responses.POST, self.URL, status=201, body=wire({"data": RUN_NO_WAIT}))
        client.run_workflow(WF_ID, wait=wait)
        assert sent(rsps).url == self.URL

    def test_empty_variables_are_sent(
        self, client: OrchestrationClient, rsps: responses.RequestsMock
    ) -> None:
        rsps.add(responses.POST, self.URL, status=201, body=wire({"data": RUN_NO_WAIT}))
        client.run_workflow(WF_ID, {})
        assert sent(rsps).body == b"{}"


class TestListInstances:
    @pytest.mark.parametrize(
        ("kwargs", "query"),
        [
            ({}, ""),
            ({"running": True}, "?running=true"),
            ({"running": False}, ""),
            ({"running": None}, ""),
            ({"workflow_id": WF_ID}, "?workflowID=" + WF_ID),
            ({"workflow_id": WF_ID, "running": True}, "?workflowID=" + WF_ID + "&running=true"),
            ({"workflow_id": WF_ID, "running": False}, "?workflowID=" + WF_ID),
            ({"workflow_id": "a b&c=d"}, "?workflowID=a%20b%26c%3Dd"),
            ({"workflow_id": ""}, ""),
        ],
    )
    def test_query(
        self, client: OrchestrationClient, rsps: responses.RequestsMock, kwargs: dict[str, Any], query: str
    ) -> None:
        rsps.add(responses.GET, ROOT + "/instances", body=wire({"data": []}))
        assert client.list_instances(**kwargs).data == []
        request = sent(rsps)
        assert request.method == "GET"
        assert request.url == ROOT + "/instances" + query
        assert_common_headers(request, json_body=False)

    def test_items_without_status(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        item = {k: v for k, v in INSTANCE.items() if k != "status"}
        rsps.add(responses.GET, ROOT + "/instances", body=wire({"data": [item, RUN_NO_WAIT]}))
        result = client.list_instances(workflow_id=WF_ID)
        assert [i.terminated for i in result.data] == [True, False]
        assert all(i.status is None for i in result.data)
        assert [i.error for i in result.data] == ["", ""]


class TestGetInstance:
    def test_request_and_decoding(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.GET, ROOT + "/instances/" + INST_ID, body=wire({"data": RUNNING_INSTANCE}))
        instance = client.get_instance(INST_ID).data
        request = sent(rsps)
        assert (request.method, request.url, request.body) == ("GET", ROOT + "/instances/" + INST_ID, None)
        assert_common_headers(request, json_body=False)
        assert instance.id == INST_ID and instance.workflow_id == WF_ID
        assert instance.terminated is False and instance.terminated_at is None
        assert instance.status is not None
        assert instance.status[0].terminated_at is None
        assert instance.status[0].instance_id == INST_ID
        assert instance.error == ""

    def test_unknown_fields_ignored(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        body = {"data": {**INSTANCE, "futureField": {"x": 1}}, "cursor": None}
        rsps.add(responses.GET, ROOT + "/instances/" + INST_ID, body=wire(body))
        assert client.get_instance(INST_ID).data.terminated is True


class TestSendEvent:
    URL = ROOT + "/instances/" + INST_ID + "/events"

    def test_name(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.POST, self.URL, status=204, body="", content_type="application/json")
        client.send_event(INST_ID, "go")
        request = sent(rsps)
        assert (request.method, request.url, request.body) == ("POST", self.URL, b'{"name":"go"}')
        assert_common_headers(request, json_body=True)

    def test_request_object(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.POST, self.URL, status=204)
        client.send_event(INST_ID, SendEventRequest(name="approved"))
        assert sent(rsps).body == b'{"name":"approved"}'


class TestCancelEvent:
    URL = ROOT + "/instances/" + INST_ID + "/abort"

    def test_request(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.PUT, self.URL, status=204, body="", content_type="application/json")
        client.cancel_event(INST_ID)
        request = sent(rsps)
        assert (request.method, request.url) == ("PUT", self.URL)
        assert not request.body
        assert_common_headers(request, json_body=False)

    def test_body_of_2xx_is_ignored(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.PUT, self.URL, status=200, body="garbage")
        client.cancel_event(INST_ID)


class TestInstanceHistory:
    def test_request_and_decoding(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        url = ROOT + "/instances/" + INST_ID + "/history"
        rsps.add(responses.GET, url, body=wire({"data": INSTANCE_HISTORY}))
        history = client.get_instance_history(INST_ID).data
        request = sent(rsps)
        assert (request.method, request.url, request.body) == ("GET", url, None)
        assert_common_headers(request, json_body=False)
        assert len(history) == 1
        item = history[0]
        assert item.name == "RunSend"
        assert isinstance(item.input, StageSend)
        assert item.input.amount is not None and item.input.amount.amount == 100
        assert item.error is None
        assert item.started_at == datetime(2023, 4, 13, 8, 40, 0, 990123, tzinfo=UTC)

    def test_empty(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.GET, ROOT + "/instances/" + INST_ID + "/history", body=wire({"data": []}))
        assert client.get_instance_history(INST_ID).data == []


class TestStageHistory:
    def test_request_and_decoding(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        url = ROOT + "/instances/" + INST_ID + "/stages/0/history"
        rsps.add(responses.GET, url, body=wire({"data": STAGE_HISTORY}))
        activities = client.get_instance_stage_history(INST_ID, 0).data
        request = sent(rsps)
        assert (request.method, request.url, request.body) == ("GET", url, None)
        assert_common_headers(request, json_body=False)
        activity = activities[0]
        assert activity.name == "CreateTransaction"
        assert activity.attempt == 1
        assert isinstance(activity.input, ActivityCreateTransaction)
        assert isinstance(activity.output, ActivityCreateTransactionOutput)
        assert activity.output.data.txid == 12
        assert activity.last_failure is None and activity.next_execution is None

    def test_pending_activity(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        pending = {
            "name": "CreateTransaction",
            "input": STAGE_HISTORY[0]["input"],
            "terminated": False,
            "startedAt": "2023-04-13T08:40:00.991Z",
            "lastFailure": "account had insufficient funds",
            "attempt": 3,
            "nextExecution": "2023-04-13T08:40:07.5Z",
        }
        rsps.add(
            responses.GET,
            ROOT + "/instances/" + INST_ID + "/stages/2/history",
            body=wire({"data": [pending]}),
        )
        activity = client.get_instance_stage_history(INST_ID, 2).data[0]
        assert activity.output is None and activity.terminated is False
        assert activity.attempt == 3
        assert activity.last_failure == "account had insufficient funds"
        assert activity.next_execution == datetime(2023, 4, 13, 8, 40, 7, 500000, tzinfo=UTC)

    @pytest.mark.parametrize("number", ["0", 1.0, True])
    def test_number_must_be_int(self, client: OrchestrationClient, number: Any) -> None:
        with pytest.raises(TypeError):
            client.get_instance_stage_history(INST_ID, number)


class TestPrefixAndBaseUrl:
    def test_service_reached_directly(self, make_client: MakeClient, rsps: responses.RequestsMock) -> None:
        client = make_client(base_url="http://orchestration:8080", prefix="")
        rsps.add(responses.GET, "http://orchestration:8080/workflows", body=wire({"data": []}))
        rsps.add(responses.GET, "http://orchestration:8080/_info", body=wire({"version": "develop"}))
        client.list_workflows()
        client.get_server_info()
        assert [c.request.url for c in rsps.calls] == [
            "http://orchestration:8080/workflows",
            "http://orchestration:8080/_info",
        ]

    @pytest.mark.parametrize("prefix", ["/custom/orch", "custom/orch/", "/custom/orch/"])
    def test_custom_prefix_normalised(
        self, make_client: MakeClient, rsps: responses.RequestsMock, prefix: str
    ) -> None:
        client = make_client(base_url="https://stack.example.com/", prefix=prefix)
        assert client.prefix == "/custom/orch"
        assert client.base_url == "https://stack.example.com"
        rsps.add(
            responses.GET, "https://stack.example.com/custom/orch/instances/x", body=wire({"data": INSTANCE})
        )
        client.get_instance("x")
        assert len(rsps.calls) == 1

    @pytest.mark.parametrize("base_url", ["localhost:8080", "ftp://x", ""])
    def test_bad_base_url(self, make_client: MakeClient, base_url: str) -> None:
        with pytest.raises(ValueError):
            make_client(base_url=base_url)

    def test_custom_user_agent(self, make_client: MakeClient, rsps: responses.RequestsMock) -> None:
        client = make_client(user_agent="my-app/2.0")
        rsps.add(responses.GET, ROOT + "/workflows", body=wire({"data": []}))
        client.list_workflows()
        assert sent(rsps).headers["User-Agent"] == "my-app/2.0"


class CountingSession(requests.Session):
    """A session that counts `close` calls."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = 0

    def close(self) -> None:
        self.closed += 1
        super().close()


class TestSessionOwnership:
    def test_context_manager_closes_own_session(self, rsps: responses.RequestsMock) -> None:
        with OrchestrationClient(BASE) as client:
            session = client.session
            closed: list[bool] = []
            original = session.close

            def close() -> None:
                closed.append(True)
                original()

            session.close = close  # type: ignore[method-assign]
        assert closed == [True]
        client.close()  # idempotent
        assert closed == [True]

    def test_caller_session_is_used_and_not_closed(self, rsps: responses.RequestsMock) -> None:
        counting_session = CountingSession()
        counting_session.headers["X-Caller"] = "kept"
        rsps.add(responses.GET, ROOT + "/workflows", body=wire({"data": []}))
        with OrchestrationClient(BASE, session=counting_session) as client:
            assert client.session is counting_session
            client.list_workflows()
        assert counting_session.closed == 0
        assert sent(rsps).headers["X-Caller"] == "kept"

    def test_caller_session_verify_is_respected(
        self, rsps: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)  # requests lets these override session.verify
        monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
        session = requests.Session()
        session.verify = "/path/to/ca.pem"
        captured: dict[str, Any] = {}
        original = session.send

        def send(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
            captured.update(kwargs)
            return original(request, **kwargs)

        session.send = send  # type: ignore[method-assign]
        rsps.add(responses.GET, ROOT + "/workflows", body=wire({"data": []}))
        OrchestrationClient(BASE, session=session).list_workflows()
        assert captured["verify"] == "/path/to/ca.pem"

    def test_verify_false_is_passed(self, rsps: responses.RequestsMock) -> None:
        session = requests.Session()
        captured: dict[str, Any] = {}
        original = session.send

        def send(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
            captured.update(kwargs)
            return original(request, **kwargs)

        session.send = send  # type: ignore[method-assign]
        rsps.add(responses.GET, ROOT + "/workflows", body=wire({"data": []}))
        OrchestrationClient(BASE, session=session, verify=False).list_workflows()
        assert captured["verify"] is False

    def test_tls_verification_on_by_default(self, rsps: responses.RequestsMock) -> None:
        client = OrchestrationClient(BASE)
        assert client.session.verify is True
        client.close()
