"""Every non-2xx answer, transport failure and undecodable body becomes the right error."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
import responses
from urllib3.exceptions import ReadTimeoutError as Urllib3ReadTimeout

from formance_orchestration import _exceptions as exc_mod
from formance_orchestration._client import OrchestrationClient
from formance_orchestration._exceptions import (
    ApiError,
    AuthenticationError,
    ConnectionFailed,
    ConnectTimeout,
    DecodeError,
    NotFoundError,
    NotFoundServerError,
    OrchestrationError,
    RateLimitError,
    ReadTimeout,
    RequestTimeout,
    ServerError,
    TransportError,
    ValidationError,
    WaitTimeoutError,
)

ROOT = "http://orch.test/api/orchestration"
WF_ID = "6e1c2d0a-3f6b-4a5e-9a2b-0c8d7e6f5a41"
INST_ID = "0b9f8e7d-6c5b-4a39-8827-16e5d4c3b2a1"
MakeClient = Callable[..., OrchestrationClient]


def wire(data: Any) -> str:
    return json.dumps(data) + "\n"


ENVELOPE_CT = "application/json"


def envelope(code: str, message: str) -> str:
    return wire({"errorCode": code, "errorMessage": message})


class TestTree:
    def test_everything_is_an_orchestration_error(self) -> None:
        for name in exc_mod.__all__:
            cls = getattr(exc_mod, name)
            assert issubclass(cls, OrchestrationError), name

    def test_api_error_subclasses(self) -> None:
        for cls in (ValidationError, AuthenticationError, NotFoundError, RateLimitError, ServerError):
            assert issubclass(cls, ApiError)
        assert not issubclass(NotFoundError, ServerError)

    def test_not_found_500_is_both(self) -> None:
        assert issubclass(NotFoundServerError, NotFoundError)
        assert issubclass(NotFoundServerError, ServerError)

    def test_transport_tree_and_builtins(self) -> None:
        assert issubclass(ConnectionFailed, TransportError)
        assert issubclass(ConnectionFailed, ConnectionError)
        assert issubclass(RequestTimeout, TimeoutError)
        assert issubclass(ConnectTimeout, ConnectionFailed)
        assert issubclass(ConnectTimeout, RequestTimeout)
        assert issubclass(ReadTimeout, RequestTimeout)
        assert not issubclass(ReadTimeout, ConnectionFailed)
        assert issubclass(WaitTimeoutError, TimeoutError)
        assert not issubclass(DecodeError, ApiError)
        assert not issubclass(TransportError, ApiError)

    def test_tree_is_drawn_in_the_module_docstring(self) -> None:
        doc = exc_mod.__doc__ or ""
        for name in exc_mod.__all__:
            assert name in doc, name


def _get_workflow_error(client: OrchestrationClient, rsps: responses.RequestsMock, **kwargs: Any) -> ApiError:
    rsps.add(responses.GET, ROOT + "/workflows/" + WF_ID, **kwargs)
    with pytest.raises(ApiError) as info:
        client.get_workflow(WF_ID)
    return info.value


# (status, body, content type, class, errorCode, errorMessage)
CASES: list[tuple[int, str, str, type[ApiError], str | None, str | None]] = [
    (400, envelope("VALIDATION", "unmarshalling json body: EOF"), ENVELOPE_CT, ValidationError,
     "VALIDATION", "unmarshalling json body: EOF"),
    (401, "", ENVELOPE_CT, AuthenticationError, None, None),
    (403, "", "text/plain", AuthenticationError, None, None),
    (404, envelope("NOT_FOUND", "resource not found"), ENVELOPE_CT, NotFoundError,
     "NOT_FOUND", "resource not found"),
    (404, "404 page not found\n", "text/plain; charset=utf-8", NotFoundError, None, None),
    (404, "", ENVELOPE_CT, NotFoundError, None, None),
    (405, "", ENVELOPE_CT, ApiError, None, None),
    (429, envelope("RATE_LIMITED", "slow down"), ENVELOPE_CT, RateLimitError, "RATE_LIMITED", "slow down"),
    (500, envelope("INTERNAL_ERROR", "sql: no rows in result set"), ENVELOPE_CT, NotFoundServerError,
     "INTERNAL_ERROR", "sql: no rows in result set"),
    (500, envelope("INTERNAL_ERROR", "retrieving workflow: sql: no rows in result set"), ENVELOPE_CT,
     NotFoundServerError, "INTERNAL_ERROR", "retrieving workflow: sql: no rows in result set"),
    (500, envelope("INTERNAL_ERROR", "Instance not found"), ENVELOPE_CT, NotFoundServerError,
     "INTERNAL_ERROR", "Instance not found"),
    (500, envelope("INTERNAL", "sql: no rows in result set"), ENVELOPE_CT, NotFoundServerError,
     "INTERNAL", "sql: no rows in result set"),
    (500, envelope("INTERNAL_ERROR", "sending signal to server: workflow execution already completed"),
     ENVELOPE_CT, ServerError, "INTERNAL_ERROR",
     "sending signal to server: workflow execution already completed"),
    (500, envelope("INTERNAL_ERROR", "creating workflow: unable to resolve schema foo"), ENVELOPE_CT,
     ServerError, "INTERNAL_ERROR", "creating workflow: unable to resolve schema foo"),
    (500, "", ENVELOPE_CT, ServerError, None, None),
    (502, "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body>\n</html>\n", "text/html",
     ServerError, None, None),
    (503, "upstream connect error", "text/plain", ServerError, None, None),
    (504, "", "", ServerError, None, None),
    (418, "{}", ENVELOPE_CT, ApiError, None, None),
    (409, "[1, 2]", ENVELOPE_CT, ApiError, None, None),
]  # fmt: skip


@pytest.mark.parametrize(("status", "body", "ctype", "cls", "code", "message"), CASES)
def test_status_and_body_mapping(
    make_client: MakeClient,
    rsps: responses.RequestsMock,
    status: int,
    body: str,
    ctype: str,
    cls: type[ApiError],
    code: str | None,
    message: str | None,
) -> None:
    client = make_client(retry=None)
    err = _get_workflow_error(client, rsps, status=status, body=body, content_type=ctype)
    assert type(err) is cls
    assert err.status_code == status
    assert err.error_code == code
    assert err.error_message == message
    assert err.body == body
    assert err.response is not None and err.response.status_code == status
    assert err.operation == "getWorkflow"
    assert err.method == "GET"
    assert err.url == ROOT + "/workflows/" + WF_ID
    text = str(err)
    assert "\n" not in text
    assert text.startswith("getWorkflow: ")
    assert str(status) in text
    if code:
        assert code in text
    if message:
        assert message in text
    assert f"GET /api/orchestration/workflows/{WF_ID}" in text


def test_envelope_message_in_str(make_client: MakeClient, rsps: responses.RequestsMock) -> None:
    err = _get_workflow_error(
        make_client(),
        rsps,
        status=500,
        json={"errorCode": "INTERNAL_ERROR", "errorMessage": "Instance not found"},
    )
    assert str(err) == (
        f"getWorkflow: 500 INTERNAL_ERROR: Instance not found (GET /api/orchestration/workflows/{WF_ID})"
    )


def test_non_envelope_str_is_one_line_excerpt(make_client: MakeClient, rsps: responses.RequestsMock) -> None:
    html = "<html>\n<body>\n" + "x" * 1000 + "\n</body></html>"
    err = _get_workflow_error(make_client(retry=None), rsps, status=502, body=html, content_type="text/html")
    text = str(err)
    assert "\n" not in text
    assert "502" in text and "non-envelope body" in text and "<html> <body>" in text
    assert len(text) < 300
    assert err.body == html  # the raw body is kept whole


def test_empty_body_str(make_client: MakeClient, rsps: responses.RequestsMock) -> None:
    err = _get_workflow_error(make_client(token="t"), rsps, status=401, body="")
    assert str(err) == f"getWorkflow: 401 Unauthorized, empty body (GET /api/orchestration/workflows/{WF_ID})"


def test_multiline_message_is_flattened(make_client: MakeClient, rsps: responses.RequestsMock) -> None:
    body = {"errorCode": "VALIDATION", "errorMessage": "line one\nline two"}
    err = _get_workflow_error(make_client(), rsps, status=400, json=body)
    assert err.error_message == "line one\nline two"
    assert "line one line two" in str(err)


def test_validation_code_wins_on_other_status(make_client: MakeClient, rsps: responses.RequestsMock) -> None:
    err = _get_workflow_error(
        make_client(), rsps, status=422, json={"errorCode": "VALIDATION", "errorMessage": "x"}
    )
    assert type(err) is ValidationError


def test_not_found_message_on_non_500_is_not_rewritten(
    make_client: MakeClient, rsps: responses.RequestsMock
) -> None:
    body = {"errorCode": "X", "errorMessage": "sql: no rows in result set"}
    err = _get_workflow_error(make_client(retry=None), rsps, status=503, json=body)
    assert type(err) is ServerError


def test_stage_history_empty_404(client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
    rsps.add(responses.GET, f"{ROOT}/instances/{INST_ID}/stages/7/history", status=404, body="")
    with pytest.raises(NotFoundError) as info:
        client.get_instance_stage_history(INST_ID, 7)
    assert info.value.body == ""
    assert info.value.error_code is None
    assert info.value.operation == "getInstanceStageHistory"


def test_unknown_instance_on_each_operation(
    client: OrchestrationClient, rsps: responses.RequestsMock
) -> None:
    """The real service's texts for unknown ids all raise NotFoundError (and ServerError)."""
    rsps.add(
        responses.GET,
        f"{ROOT}/instances/{INST_ID}",
        status=500,
        json={"errorCode": "INTERNAL_ERROR", "errorMessage": "Instance not found"},
    )
    rsps.add(
        responses.POST,
        f"{ROOT}/instances/{INST_ID}/events",
        status=500,
        json={
            "errorCode": "INTERNAL_ERROR",
            "errorMessage": "retrieving workflow: sql: no rows in result set",
        },
    )
    rsps.add(
        responses.PUT,
        f"{ROOT}/instances/{INST_ID}/abort",
        status=500,
        json={
            "errorCode": "INTERNAL_ERROR",
            "errorMessage": "retrieving workflow execution: sql: no rows in result set",
        },
    )
    rsps.add(responses.POST, f"{ROOT}/workflows/{WF_ID}/instances", status=500,
             json={"errorCode": "INTERNAL_ERROR", "errorMessage": "sql: no rows in result set"})  # fmt: skip
    calls: list[Any] = [
        lambda: client.get_instance(INST_ID),
        lambda: client.send_event(INST_ID, "go"),
        lambda: client.cancel_event(INST_ID),
        lambda: client.run_workflow(WF_ID),
    ]
    for call in calls:
        with pytest.raises(NotFoundError) as info:
            call()
        assert isinstance(info.value, ServerError)
        assert info.value.status_code == 500
    assert len(rsps.calls) == 4  # a 500 is never retried


def test_retry_after_is_exposed(make_client: MakeClient, rsps: responses.RequestsMock) -> None:
    err = _get_workflow_error(
        make_client(retry=None), rsps, status=429, body="", headers={"Retry-After": "7"}
    )
    assert isinstance(err, RateLimitError)
    assert err.retry_after == 7.0


def test_repr_of_api_error(make_client: MakeClient, rsps: responses.RequestsMock) -> None:
    err = _get_workflow_error(
        make_client(), rsps, status=400, json={"errorCode": "VALIDATION", "errorMessage": "EOF"}
    )
    assert repr(err) == (
        "ValidationError(operation='getWorkflow', status_code=400, "
        "error_code='VALIDATION', error_message='EOF')"
    )


class TestTransportErrors:
    def _raise(
        self, make_client: MakeClient, rsps: responses.RequestsMock, error: Exception
    ) -> TransportError:
        rsps.add(responses.GET, ROOT + "/workflows", body=error)
        with pytest.raises(TransportError) as info:
            make_client(retry=None).list_workflows()
        return info.value

    def test_connection_error(self, make_client: MakeClient, rsps: responses.RequestsMock) -> None:
        cause = requests.ConnectionError("Connection aborted: reset by peer")
        err = self._raise(make_client, rsps, cause)
        assert type(err) is ConnectionFailed
        assert err.__cause__ is cause
        assert err.operation == "listWorkflows" and err.method == "GET" and err.url == ROOT + "/workflows"
        assert str(err).startswith("listWorkflows: GET http://orch.test/api/orchestration/workflows failed")
        assert "reset by peer" in str(err)

    def test_connect_timeout(self, make_client: MakeClient, rsps: responses.RequestsMock) -> None:
        cause = requests.ConnectTimeout("timed out")
        err = self._raise(make_client, rsps, cause)
        assert type(err) is ConnectTimeout
        assert isinstance(err, TimeoutError) and isinstance(err, ConnectionError)
        assert err.__cause__ is cause
        assert "within 5.0 s" in str(err)

    def test_read_timeout(self, make_client: MakeClient, rsps: responses.RequestsMock) -> None:
        cause = requests.ReadTimeout("read timed out")
        err = self._raise(make_client, rsps, cause)
        assert type(err) is ReadTimeout
        assert err.__cause__ is cause
        assert "no answer within 30.0 s" in str(err)

    def test_read_timeout_while_reading_the_body(
        self, make_client: MakeClient, rsps: responses.RequestsMock
    ) -> None:
        cause = requests.ConnectionError(Urllib3ReadTimeout(None, "/x", "Read timed out."))  # type: ignore[arg-type]
        err = self._raise(make_client, rsps, cause)
        assert type(err) is ReadTimeout

    def test_chunked_encoding_error(self, make_client: MakeClient, rsps: responses.RequestsMock) -> None:
        err = self._raise(make_client, rsps, requests.exceptions.ChunkedEncodingError("broken"))
        assert type(err) is ConnectionFailed

    def test_other_request_exception(self, make_client: MakeClient, rsps: responses.RequestsMock) -> None:
        err = self._raise(make_client, rsps, requests.exceptions.InvalidHeader("bad header"))
        assert type(err) is TransportError
        assert isinstance(err.__cause__, requests.exceptions.InvalidHeader)

    def test_wait_read_timeout_hint(self, make_client: MakeClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.POST, f"{ROOT}/workflows/{WF_ID}/instances?wait=true",
                 body=requests.ReadTimeout("read timed out"))  # fmt: skip
        with pytest.raises(ReadTimeout) as info:
            make_client().run_workflow(WF_ID, wait=True)
        assert "no answer within 300.0 s" in str(info.value)
        assert "wait_read" in str(info.value)

    def test_credentials_in_url_are_not_shown(
        self, make_client: MakeClient, rsps: responses.RequestsMock
    ) -> None:
        rsps.add(responses.GET, "http://orch.test/api/orchestration/workflows",
                 body=requests.ConnectionError("refused"))  # fmt: skip
        client = make_client(base_url="http://alice:hunter2@orch.test", retry=None)
        with pytest.raises(ConnectionFailed) as info:
            client.list_workflows()
        assert "hunter2" not in str(info.value)
        assert "hunter2" not in info.value.url
        assert "hunter2" not in repr(client)


class TestDecodeErrors:
    @pytest.mark.parametrize(
        ("body", "fragment"),
        [
            ("not json", "not JSON"),
            ("", "not JSON"),
            ('{"data": [', "not JSON"),
            (json.dumps({"items": []}), 'no "data" member'),
            (json.dumps([]), 'no "data" member'),
            (json.dumps({"data": 5}), "does not decode as ListWorkflowsResponse"),
            (json.dumps({"data": {"id": 1}}), "does not decode as ListWorkflowsResponse"),
            (json.dumps({"data": [{"id": WF_ID}]}), "does not decode as ListWorkflowsResponse"),
            (json.dumps({"data": [{"id": WF_ID, "config": {}, "createdAt": "yesterday",
                                   "updatedAt": "2023-04-13T08:39:07Z"}]}),
             "does not decode as ListWorkflowsResponse"),
        ],
    )  # fmt: skip
    def test_list_workflows(
        self, client: OrchestrationClient, rsps: responses.RequestsMock, body: str, fragment: str
    ) -> None:
        rsps.add(responses.GET, ROOT + "/workflows", body=body, content_type=ENVELOPE_CT)
        with pytest.raises(DecodeError) as info:
            client.list_workflows()
        err = info.value
        assert err.operation == "listWorkflows"
        assert err.status_code == 200
        assert err.body == body
        assert err.response is not None
        assert str(err).startswith("listWorkflows: could not decode the 200 answer")
        assert fragment in str(err)
        assert "\n" not in str(err)
        assert err.__cause__ is not None or "data" in fragment

    def test_server_info_wrong_type(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.GET, ROOT + "/_info", json={"version": 3})
        with pytest.raises(DecodeError, match="getServerInfo"):
            client.get_server_info()

    def test_server_info_not_an_object(
        self, client: OrchestrationClient, rsps: responses.RequestsMock
    ) -> None:
        rsps.add(responses.GET, ROOT + "/_info", json=["develop"])
        with pytest.raises(DecodeError, match="getServerInfo"):
            client.get_server_info()

    def test_invalid_utf8(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.GET, f"{ROOT}/instances/{INST_ID}", body=b'{"data": "\xff\xfe"}')
        with pytest.raises(DecodeError, match="getInstance"):
            client.get_instance(INST_ID)

    def test_run_workflow_missing_required_field(
        self, client: OrchestrationClient, rsps: responses.RequestsMock
    ) -> None:
        rsps.add(responses.POST, f"{ROOT}/workflows/{WF_ID}/instances", status=201,
                 json={"data": {"workflowID": WF_ID, "id": INST_ID}})  # fmt: skip
        with pytest.raises(DecodeError, match="runWorkflow"):
            client.run_workflow(WF_ID)
