"""The route table: each request to one engine call, each domain error to a status and envelope.

``ROUTES`` lists ``(method, path regex, operationId, handler)`` for the service-relative paths the
service registers (chi router, mid-2023); ``LATER_ROUTES`` the ones later stack versions add (soft
delete). ``dispatch`` matches a request against the table of the engine's stack version, decodes the
body and query as the Go handlers do (``_gojson``), calls the engine and renders the answer
(``_wire``, in that version's dialect). Status codes live here and nowhere else:

* success: 200 / 201 with ``{"data": ...}`` (``/_info`` and ``/_healthcheck`` unwrapped), 204 empty;
* ``InvalidRequest`` -> 400 ``VALIDATION``; ``NotFound`` -> 404 ``NOT_FOUND`` (its message;
  ``resource not found`` / ``Instance not found`` on the stage history, by version);
  ``ServiceError`` -> 500 with the version's internal code (``INTERNAL_ERROR`` in mid-2023,
  ``INTERNAL`` later); ``WaitTimeout`` -> 504 (the fake's own, see ``Engine.wait_timeout``); a Go
  panic -> 500 with an empty body;
* an unknown path -> 404 ``404 page not found`` as ``text/plain``; a known path with another method
  -> 405 with an empty body; a stage number that is not an integer -> 404 with an empty body.

Every answer but the unknown-path page carries ``Content-Type: application/json`` (chi sets it before
routing), 204 and 405 included. A trailing slash is accepted on every route.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import parse_qsl

from fakeserver._errors import FakeError, InvalidRequest, NotFound, ServiceError, WaitTimeout
from fakeserver._gojson import GoPanic, decode_event, decode_variables, decode_workflow_config
from fakeserver._types import FakeRequest, FakeResponse
from fakeserver._wire import (
    activity,
    data_body,
    error_body,
    instance,
    instance_list_body,
    json_bytes,
    run_outcome,
    stage_history,
    workflow,
)

if TYPE_CHECKING:
    from fakeserver._engine import Engine
    from fakeserver._stack_versions import StackVersion

__all__ = [
    "LATER_ROUTES",
    "NOT_FOUND_PAGE",
    "ROUTES",
    "Handler",
    "Route",
    "dispatch",
    "not_found_page",
    "operation_for",
]

#: What a handler returns: the status and the body bytes.
HandlerResult = tuple[int, bytes]
#: A handler: the engine, the request and the path parameters, in path order.
Handler = Callable[["Engine", FakeRequest, tuple[str, ...]], HandlerResult]


class Route(NamedTuple):
    """One row of the route table.

    :param method: the HTTP method.
    :param path: the service-relative path as a regex; each ``([^/]+)`` group is one parameter.
    :param operation: the operationId (``None`` for routes outside the API spec).
    :param handler: the function answering it.
    """

    method: str
    path: str
    operation: str
    handler: Handler


#: Body of the router's own 404 (Go's ``http.NotFound``).
NOT_FOUND_PAGE = b"404 page not found\n"

_JSON = "application/json"
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_STAGE_NUMBER = re.compile(r"[+-]?[0-9]+\Z")
_HEALTHCHECK_BODY = json_bytes({"default": "OK"})
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_UUID_TAG_ERROR = "Key: '' Error:Field validation for '' failed on the 'uuid' tag"


class _EmptyNotFound(Exception):
    """The handler answers 404 with no body (a stage number that is not an integer)."""


def _query_value(query: str, name: str) -> str | None:
    """The first value of ``name`` in a raw query string, as Go's ``URL.Query().Get`` (``None``: absent)."""
    if not query or name not in query:
        return None
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == name:
            return value
    return None


def _has_body(request: FakeRequest) -> bool:
    """Go reads the run body only when ``Content-Length`` is positive (not for chunked bodies)."""
    length = request.headers.get("content-length")
    if length is None:
        return "transfer-encoding" not in request.headers and len(request.body) > 0
    try:
        return int(length) > 0
    except ValueError:
        return False


# -- handlers, one per operation -----------------------------------------------------------------


def _get_server_info(engine: Engine, request: FakeRequest, params: tuple[str, ...]) -> HandlerResult:
    return 200, json_bytes({"version": engine.get_server_info()})


def _healthcheck(engine: Engine, request: FakeRequest, params: tuple[str, ...]) -> HandlerResult:
    return 200, _HEALTHCHECK_BODY


def _list_workflows(engine: Engine, request: FakeRequest, params: tuple[str, ...]) -> HandlerResult:
    stack = engine.stack
    return 200, data_body([workflow(view, stack) for view in engine.list_workflows()])


def _create_workflow(engine: Engine, request: FakeRequest, params: tuple[str, ...]) -> HandlerResult:
    config = decode_workflow_config(request.body, request.headers.get("content-type"))
    return 201, data_body(workflow(engine.create_workflow(config), engine.stack))


def _get_workflow(engine: Engine, request: FakeRequest, params: tuple[str, ...]) -> HandlerResult:
    return 200, data_body(workflow(engine.get_workflow(params[0]), engine.stack))


def _delete_workflow(engine: Engine, request: FakeRequest, params: tuple[str, ...]) -> HandlerResult:
    if _UUID.match(params[0]) is None:  # validator's "required,uuid" on the path parameter
        raise InvalidRequest(_UUID_TAG_ERROR)
    engine.delete_workflow(params[0])
    return 204, b""


def _run_workflow(engine: Engine, request: FakeRequest, params: tuple[str, ...]) -> HandlerResult:
    variables = decode_variables(request.body) if _has_body(request) else None
    wait = _query_value(request.query, "wait")
    waiting = wait is not None and wait.lower() in ("true", "1")
    outcome = engine.run_workflow(params[0], variables, wait=waiting)
    return 201, data_body(run_outcome(outcome, engine.stack))


def _list_instances(engine: Engine, request: FakeRequest, params: tuple[str, ...]) -> HandlerResult:
    query = request.query
    workflow_id = _query_value(query, "workflowID") or None
    running_text = _query_value(query, "running")
    if engine.stack.running_any_case:
        running = (running_text or "").lower() in ("1", "true")
    else:
        running = running_text == "true"
    views = engine.list_instances(workflow_id, running)
    return 200, instance_list_body(views, engine.stack)


def _get_instance(engine: Engine, request: FakeRequest, params: tuple[str, ...]) -> HandlerResult:
    return 200, data_body(instance(engine.get_instance(params[0]), engine.stack))


def _send_event(engine: Engine, request: FakeRequest, params: tuple[str, ...]) -> HandlerResult:
    engine.send_event(params[0], decode_event(request.body))
    return 204, b""


def _cancel_event(engine: Engine, request: FakeRequest, params: tuple[str, ...]) -> HandlerResult:
    engine.cancel_event(params[0])
    return 204, b""


def _get_instance_history(engine: Engine, request: FakeRequest, params: tuple[str, ...]) -> HandlerResult:
    return 200, data_body([stage_history(view) for view in engine.get_instance_history(params[0])])


def _get_instance_stage_history(
    engine: Engine, request: FakeRequest, params: tuple[str, ...]
) -> HandlerResult:
    instance_id, text = params
    if _STAGE_NUMBER.match(text) is None:
        raise _EmptyNotFound
    number = int(text)
    if not _INT64_MIN <= number <= _INT64_MAX:
        raise _EmptyNotFound
    if number < 0:
        raise NotFound(engine.stack.stage_history_not_found)
    stack = engine.stack
    try:
        views = engine.get_instance_stage_history(instance_id, number)
    except NotFound:
        raise NotFound(stack.stage_history_not_found) from None
    return 200, data_body([activity(view, stack) for view in views])


_ID = "([^/]+)"

#: The route table (service-relative paths; ``dispatch`` also accepts a trailing slash).
ROUTES: tuple[Route, ...] = (
    Route("GET", "/_info", "getServerInfo", _get_server_info),
    Route("GET", "/_healthcheck", "healthcheck", _healthcheck),
    Route("GET", "/workflows", "listWorkflows", _list_workflows),
    Route("POST", "/workflows", "createWorkflow", _create_workflow),
    Route("GET", f"/workflows/{_ID}", "getWorkflow", _get_workflow),
    Route("POST", f"/workflows/{_ID}/instances", "runWorkflow", _run_workflow),
    Route("GET", "/instances", "listInstances", _list_instances),
    Route("GET", f"/instances/{_ID}", "getInstance", _get_instance),
    Route("POST", f"/instances/{_ID}/events", "sendEvent", _send_event),
    Route("PUT", f"/instances/{_ID}/abort", "cancelEvent", _cancel_event),
    Route("GET", f"/instances/{_ID}/history", "getInstanceHistory", _get_instance_history),
    Route(
        "GET",
        f"/instances/{_ID}/stages/([^/]*)/history",
        "getInstanceStageHistory",
        _get_instance_stage_history,
    ),
)

#: The routes later stack versions add (those with ``StackVersion.soft_delete``).
LATER_ROUTES: tuple[Route, ...] = (Route("DELETE", f"/workflows/{_ID}", "deleteWorkflow", _delete_workflow),)


class _PathEntry(NamedTuple):
    methods: dict[str, Route]
    first_param: int  # index in match.groups() of the first parameter
    end_param: int


def _compile(routes: tuple[Route, ...]) -> tuple[re.Pattern[str], dict[int, _PathEntry]]:
    """One regex for all paths: each distinct path is an outer group, found back by ``lastindex``."""
    paths: dict[str, dict[str, Route]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method] = route
    alternatives: list[str] = []
    entries: dict[int, _PathEntry] = {}
    group = 0
    for path, methods in paths.items():
        group += 1
        outer = group
        inner = re.compile(path).groups
        entries[outer] = _PathEntry(methods, outer, outer + inner)
        group += inner
        alternatives.append(f"({path})")
    return re.compile("(?:" + "|".join(alternatives) + ")/?"), entries


_Table = tuple[re.Pattern[str], dict[int, _PathEntry]]
_TABLES: dict[bool, _Table] = {False: _compile(ROUTES), True: _compile(ROUTES + LATER_ROUTES)}


def _table(stack: StackVersion | None) -> _Table:
    return _TABLES[stack is not None and stack.soft_delete]


def not_found_page() -> FakeResponse:
    """The router's 404 for an unknown path: ``404 page not found`` as plain text."""
    return FakeResponse(
        status=404,
        headers={"content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff"},
        body=NOT_FOUND_PAGE,
    )


def operation_for(method: str, path: str, stack: StackVersion | None = None) -> str | None:
    """The operationId serving ``method path`` (service-relative), ``None`` if nothing does.

    :param method: the upper-case HTTP method.
    :param path: the service-relative, percent-decoded path.
    :param stack: the stack version whose routes count (default: the mid-2023 routes).
    """
    paths, entries = _table(stack)
    match = paths.fullmatch(path)
    if match is None:
        return None
    route = entries[match.lastindex or 0].methods.get(method)
    return None if route is None else route.operation


def dispatch(engine: Engine, request: FakeRequest, *, path: str | None = None) -> FakeResponse:
    """Answer one request with the engine.

    :param engine: the fake's engine.
    :param request: the request; its ``path`` is service-relative unless ``path`` is given.
    :param path: the service-relative path to route on, when the caller already stripped a prefix.
    """
    stack = engine.stack
    paths, entries = _table(stack)
    match = paths.fullmatch(request.path if path is None else path)
    if match is None:
        return not_found_page()
    entry = entries[match.lastindex or 0]
    route = entry.methods.get(request.method)
    if route is None:
        return FakeResponse(status=405, headers={"content-type": _JSON})
    params = match.groups()[entry.first_param : entry.end_param]
    try:
        status, body = route.handler(engine, request, params)
    except InvalidRequest as exc:
        status, body = 400, error_body("VALIDATION", exc.message)
    except NotFound as exc:
        status, body = 404, error_body("NOT_FOUND", exc.message)
    except ServiceError as exc:
        status, body = 500, error_body(stack.internal_error_code, exc.message)
    except WaitTimeout as exc:
        status, body = 504, error_body(exc.error_code, exc.message)
    except FakeError as exc:
        status, body = 500, error_body(exc.error_code, exc.message)
    except (GoPanic, _EmptyNotFound) as exc:
        status, body = (404 if isinstance(exc, _EmptyNotFound) else 500), b""
    return FakeResponse(status=status, headers={"content-type": _JSON}, body=body, operation=route.operation)
