"""The control API: drive and inspect the fake over HTTP, under ``/_fake/`` (never used by the real API).

``FakeApp`` hands every request whose service-relative path starts with ``/_fake`` to
:func:`handle_control` (so ``/api/orchestration/_fake/...`` works too). Control calls are not
recorded in the call log and are not subject to faults. With auth on they need the same bearer token
as the API (401 ``FAKE_UNAUTHORIZED`` otherwise): the control API can dump the state, reset it and
revoke tokens, so it is no less guarded than the API.

JSON in, JSON out: request bodies are JSON objects (an empty body is ``{}``); unknown keys are
refused. Successful answers are ``{"data": ...}``; errors use the API's envelope with the codes
``FAKE_BAD_REQUEST`` (400: bad JSON, wrong types, unknown keys, values the fake refuses),
``FAKE_NOT_FOUND`` (404: unknown control path, unknown wallet, payment or instance) and
``FAKE_METHOD_NOT_ALLOWED`` (405, with ``Allow``). Timestamps are RFC 3339 UTC; amounts are JSON
integers of any size (or strings of digits).

=======  ===================================================  ==============================================
Method   Path                                                 What it does
=======  ===================================================  ==============================================
GET      /_fake                                               this table, as JSON
POST     /_fake/reset                                         forget all state: workflows, instances, bank,
                                                              recorded calls, faults, issued tokens;
                                                              ``{"stackVersion"?, "openapiShapes"?}``
                                                              also switch the stack version spoken and
                                                              the shape of stage-history payloads
GET      /_fake/version                                       ``{"stackVersion", "serviceVersion",
                                                              "openapiShapes", "stackVersions",
                                                              "default"}``
GET      /_fake/state                                         dump: clock, version, stats, workflows,
                                                              instances (with status), bank snapshot,
                                                              faults, activity failures, call count
GET      /_fake/clock                                         ``{"now", "virtual"}``
POST     /_fake/clock/advance                                 ``{"seconds": n}``: move a virtual clock
                                                              forward, run what fell due
POST     /_fake/clock/set                                     ``{"now": "<RFC 3339>"}``: move a virtual
                                                              clock to that time (never back)
GET      /_fake/calls                                         recorded API calls, oldest first
                                                              (``?operation=<operationId>`` filters);
                                                              credentials are masked
DELETE   /_fake/calls                                         forget the recorded calls
GET      /_fake/calls/stats                                   ``{"kept", "dropped", "bytes", "maxCalls",
                                                              "maxBytes"}``: the bounded call log (the
                                                              oldest calls are dropped past a bound)
GET      /_fake/faults                                        armed faults with their remaining counts
POST     /_fake/faults                                        arm a fault: ``{"operation", "times"?,
                                                              "status"?, "body"?, "contentType"?,
                                                              "headers"?, "delay"?, "dropConnection"?}``
DELETE   /_fake/faults                                        disarm every fault
GET      /_fake/activity-failures                             injected activity failures not consumed yet
POST     /_fake/activity-failures                             fail the next attempts of an activity:
                                                              ``{"activity", "message", "times"?,
                                                              "errorCode"?, "retryable"?}``
DELETE   /_fake/activity-failures                             drop the injected activity failures
GET      /_fake/instances/{id}/waiting                        ``{"instanceID", "event", "nextDue"}``: the
                                                              event the current stage waits for, when its
                                                              timer fires (each null when none)
POST     /_fake/ledgers/{ledger}/accounts/{address}           create an account (or merge metadata):
                                                              ``{"metadata"?}``
GET      /_fake/ledgers/{ledger}/accounts/{address}           the account: address, metadata, volumes,
                                                              balances
GET      /_fake/ledgers/{ledger}/accounts/{address}/balances  ``{asset: balance}``
POST     /_fake/ledgers/{ledger}/accounts/{address}/fund      ``{"asset", "amount"}``: world -> address;
                                                              answers ``{"txid", "balances"}``
GET      /_fake/ledgers/{ledger}/transactions                 the ledger's transactions, oldest first
GET      /_fake/wallets                                       every wallet, with all its balances
POST     /_fake/wallets                                       create a wallet: ``{"id"?, "name"?, "ledger"?,
                                                              "metadata"?}``
GET      /_fake/wallets/{id}                                  the wallet (GetWallet form)
POST     /_fake/wallets/{id}/fund                             ``{"asset", "amount", "balance"?}``: credit
                                                              from world; answers the wallet
GET      /_fake/payments                                      every payment
POST     /_fake/payments                                      create a payment: ``{"amount", "asset", "id"?,
                                                              <other Payment fields>?}``
GET      /_fake/payments/{id}                                 the payment
GET      /_fake/stripe/transfers                              the Stripe transfers made so far
GET      /_fake/transfer-initiations                          the transfer initiations made so far
POST     /_fake/auth/revoke                                   ``{"token"?}``: revoke one issued token, or
                                                              all (400 when auth is off)
=======  ===================================================  ==============================================
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import attrs

from fakeserver._clock import CLOCK_END
from fakeserver._engine import MAX_FAILURES_PER_CALL
from fakeserver._errors import FakeError
from fakeserver._faults import MAX_FAULT_DELAY
from fakeserver._secrets import mask_body, mask_headers, mask_query
from fakeserver._stack_versions import DEFAULT_STACK_VERSION, STACK_VERSIONS, UnknownStackVersion
from fakeserver._types import FakeRequest, FakeResponse
from fakeserver._wire import format_time, instance, json_bytes, workflow

if TYPE_CHECKING:
    from fakeserver._app import FakeApp
    from fakeserver._calls import CallLog
    from fakeserver._engine import Engine

__all__ = [
    "CONTROL_PREFIX",
    "CONTROL_ROUTES",
    "ControlError",
    "ControlRoute",
    "control_unauthorized",
    "handle_control",
]

#: Every control path starts with this.
CONTROL_PREFIX = "/_fake"

_JSON = {"content-type": "application/json"}


class ControlError(Exception):
    """A control call the fake refuses; answered with ``status`` and the ``FAKE_*`` envelope."""

    def __init__(self, status: int, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})

    @property
    def error_code(self) -> str:
        """``FAKE_BAD_REQUEST``, ``FAKE_NOT_FOUND`` or ``FAKE_METHOD_NOT_ALLOWED``."""
        return {404: "FAKE_NOT_FOUND", 405: "FAKE_METHOD_NOT_ALLOWED"}.get(self.status, "FAKE_BAD_REQUEST")


def _bad(message: str) -> ControlError:
    return ControlError(400, message)


def _not_found(message: str) -> ControlError:
    return ControlError(404, message)


@attrs.frozen(kw_only=True)
class _Call:
    """What a control handler gets: the app, the request, the path parameters and the decoded body."""

    app: FakeApp
    request: FakeRequest
    params: Mapping[str, str]
    body: Mapping[str, Any]

    @property
    def engine(self) -> Engine:
        return self.app.engine


_Handler = Callable[[_Call], tuple[int, Any]]


@attrs.frozen
class ControlRoute:
    """One row of the control table: method, path template, and its handler."""

    method: str
    template: str
    handler: _Handler
    pattern: re.Pattern[str] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template)
        object.__setattr__(self, "pattern", re.compile(f"^{regex}/?$"))


# -- body decoding --------------------------------------------------------------------------------


#: The largest control request body (bytes).
MAX_CONTROL_BODY = 1024 * 1024
#: The deepest nesting of arrays and objects a control body may have.
MAX_CONTROL_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(rb"[\[\]{}]")


def _nesting(body: bytes) -> int:
    """How deep arrays and objects nest in a JSON text (strings skipped; no recursion)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_JSON_STRING.sub(b"", body)):
        depth += 1 if bracket in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


def _nested_non_finite(value: Any, where: str) -> str | None:
    """The path of a NaN or infinite number inside an object or array field (``None``: none)."""
    if isinstance(value, float) and not math.isfinite(value):
        return where
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _nested_non_finite(item, f"{where}.{key}" if isinstance(key, str) else f"{where}[{key}]")
        if found is not None:
            return found
    return None


def _decode_body(request: FakeRequest) -> dict[str, Any]:
    body = request.body
    if not body.strip():
        return {}
    if len(body) > MAX_CONTROL_BODY:
        raise _bad(f"the body is {len(body)} bytes; a control body is at most {MAX_CONTROL_BODY} bytes")
    depth = _nesting(body)
    if depth > MAX_CONTROL_DEPTH:
        raise _bad(f"the body nests {depth} levels deep; a control body nests at most {MAX_CONTROL_DEPTH}")
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise _bad(f"the body is not valid JSON: {exc}") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _bad(f"the body must be a JSON object, not {type(value).__name__}")
    for key, item in value.items():  # top-level numbers are checked, with their bounds, by each field
        if isinstance(item, dict | list):
            where = _nested_non_finite(item, key)
            if where is not None:
                raise _bad(f"field {where!r} must be a finite number (JSON has no NaN or Infinity)")
    return value


def _only(body: Mapping[str, Any], *allowed: str) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        expected = ", ".join(allowed) if allowed else "no field"
        raise _bad(f"unknown field {unknown[0]!r}; expected {expected}")


def _str(body: Mapping[str, Any], key: str, *, default: str | None = None, required: bool = False) -> str:
    if key not in body or body[key] is None:
        if required:
            raise _bad(f"field {key!r} is required")
        return default if default is not None else ""
    value = body[key]
    if not isinstance(value, str):
        raise _bad(f"field {key!r} must be a string, not {type(value).__name__}")
    return value


def _opt_str(body: Mapping[str, Any], key: str) -> str | None:
    if body.get(key) is None:
        return None
    return _str(body, key)


def _amount(body: Mapping[str, Any], key: str = "amount") -> int:
    if body.get(key) is None:
        raise _bad(f"field {key!r} is required")
    value = body[key]
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"field {key!r} must be an integer, not {value!r}")
    if value < 0:
        raise _bad(f"field {key!r} must not be negative")
    return value


def _int(body: Mapping[str, Any], key: str, *, default: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"field {key!r} must be an integer, not {value!r}")
    return value


def _number(body: Mapping[str, Any], key: str, *, default: float | None = None) -> float:
    value = body.get(key, default)
    if value is None:
        raise _bad(f"field {key!r} is required")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(f"field {key!r} must be a number, not {value!r}")
    return float(value)


def _json_text(value: Any) -> str:
    """``value`` as JSON would write it (``NaN``, ``Infinity``, ``1e+308``...), for messages."""
    try:
        return json.dumps(value)[:80]
    except (TypeError, ValueError):
        return repr(value)[:80]


def _bounded(
    body: Mapping[str, Any],
    key: str,
    low: float,
    high: float,
    *,
    default: float | None = None,
    note: str = "",
) -> float:
    """A number field, finite and within ``[low, high]`` (the message names the field and its bounds)."""
    value = body.get(key, default)
    if value is None:
        raise _bad(f"field {key!r} is required: a number between {low:g} and {high:g}{note}")
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise _bad(
            f"field {key!r} must be a finite number between {low:g} and {high:g}{note}, "
            f"not {_json_text(value)}"
        )
    return float(value)


def _bool(body: Mapping[str, Any], key: str, *, default: bool) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise _bad(f"field {key!r} must be true or false, not {value!r}")
    return value


def _str_map(body: Mapping[str, Any], key: str) -> dict[str, str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(item, str) for item in value.values()):
        raise _bad(f"field {key!r} must be an object of strings")
    return dict(value)


def _any_map(body: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _bad(f"field {key!r} must be an object")
    return dict(value)


# -- engine access --------------------------------------------------------------------------------


def _bank_access(engine: Engine) -> AbstractContextManager[Any]:
    """The engine's lock, to hold around direct bank calls (the bank is not thread-safe)."""
    return engine.lock


def _bank_changed(engine: Engine) -> None:
    """Tell the engine the bank changed: run what fell due and wake blocked ``wait=true`` runs."""
    engine.wake()


def _bank_call(call: _Call, action: Callable[[], Any]) -> Any:
    engine = call.engine
    try:
        with _bank_access(engine):
            return action()
    except KeyError as exc:
        raise _not_found(f"not found: {exc.args[0] if exc.args else exc}") from None
    except (ValueError, TypeError) as exc:
        raise _bad(str(exc)) from None


def _bank_mutation(call: _Call, action: Callable[[], Any]) -> Any:
    result = _bank_call(call, action)
    _bank_changed(call.engine)
    return result


# -- handlers -------------------------------------------------------------------------------------


def _index(call: _Call) -> tuple[int, Any]:
    _only(call.body)
    return 200, [
        {
            "method": route.method,
            "path": route.template,
            "description": _DESCRIPTIONS.get((route.method, route.template), ""),
        }
        for route in CONTROL_ROUTES
    ]


def _reset(call: _Call) -> tuple[int, Any]:
    _only(call.body, "stackVersion", "openapiShapes")
    chosen = _opt_str(call.body, "stackVersion")
    shapes = (
        None if call.body.get("openapiShapes") is None else _bool(call.body, "openapiShapes", default=False)
    )
    try:
        call.app.reset(stack_version=chosen, openapi_shapes=shapes)
    except UnknownStackVersion as exc:
        raise _bad(str(exc)) from None
    engine = call.engine
    return 200, {"reset": True, "stackVersion": engine.stack_version, "openapiShapes": engine.openapi_shapes}


def _version(call: _Call) -> tuple[int, Any]:
    engine = call.engine
    return 200, {
        "stackVersion": engine.stack_version,
        "serviceVersion": engine.version,
        "openapiShapes": engine.openapi_shapes,
        "stackVersions": list(STACK_VERSIONS),
        "default": DEFAULT_STACK_VERSION,
    }


def _clock_json(engine: Engine) -> dict[str, Any]:
    return {"now": format_time(engine.clock.now()), "virtual": bool(engine.clock.virtual)}


def _clock(call: _Call) -> tuple[int, Any]:
    return 200, _clock_json(call.engine)


def _require_virtual(engine: Engine) -> None:
    if not engine.clock.virtual:
        raise _bad("the fake runs on the wall clock, which cannot be moved (start it with --virtual-clock)")


def _clock_end(engine: Engine) -> datetime:
    end: datetime = getattr(engine.clock, "end", CLOCK_END)
    return end


def _move_clock(engine: Engine, step: timedelta) -> None:
    try:
        engine.advance(step)
    except ValueError as exc:  # another thread moved the clock in between
        raise _bad(str(exc)) from None


def _clock_advance(call: _Call) -> tuple[int, Any]:
    _only(call.body, "seconds")
    engine = call.engine
    _require_virtual(engine)
    end = _clock_end(engine)
    room = max((end - engine.clock.now()).total_seconds(), 0.0)
    note = f" (seconds; a clock cannot go backwards, and it ends at {format_time(end)})"
    seconds = _bounded(call.body, "seconds", 0, room, note=note)
    _move_clock(engine, timedelta(seconds=seconds))
    return 200, _clock_json(engine)


def _clock_set(call: _Call) -> tuple[int, Any]:
    _only(call.body, "now")
    text = _str(call.body, "now", required=True)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise _bad(f"field 'now' must be an RFC 3339 timestamp, not {text!r}") from None
    if when.tzinfo is None:
        raise _bad(f"field 'now' needs a time zone (e.g. a trailing Z): {text!r}")
    _require_virtual(call.engine)
    current = call.engine.clock.now()
    end = _clock_end(call.engine)
    if not current <= when <= end:
        raise _bad(
            f"field 'now' must be between {format_time(current)} and {format_time(end)}: a clock cannot "
            f"go backwards, and it ends at {format_time(end)} (so that every timer set from it falls "
            f"within year 9999), not {text!r}"
        )
    _move_clock(call.engine, when - current)
    return 200, _clock_json(call.engine)


def _call_json(recorded: Any) -> dict[str, Any]:
    fault = recorded.fault
    return {
        "method": recorded.method,
        "path": recorded.path,
        "query": mask_query(recorded.query),
        "headers": mask_headers(recorded.headers),
        "body": mask_body(recorded.body),
        "status": recorded.status,
        "operation": recorded.operation,
        "fault": None if fault is None else fault.describe(),
        "responseBody": mask_body(recorded.response_body),
    }


def _query(call: _Call) -> dict[str, str]:
    parsed = parse_qs(call.request.query, keep_blank_values=True)
    return {key: values[-1] for key, values in parsed.items()}


def _calls(call: _Call) -> tuple[int, Any]:
    query = _query(call)
    unknown = sorted(set(query) - {"operation"})
    if unknown:
        raise _bad(f"unknown query parameter {unknown[0]!r}; expected operation")
    operation = query.get("operation")
    recorded = list(call.app.calls)
    return 200, [_call_json(item) for item in recorded if operation is None or item.operation == operation]


def _calls_headers(app: FakeApp) -> dict[str, str]:
    return {"fake-calls-dropped": str(app.calls.dropped)}


def _calls_stats(call: _Call) -> tuple[int, Any]:
    return 200, _calls_json(call.app.calls)


def _calls_json(log: CallLog) -> dict[str, int]:
    return {
        "kept": len(log),
        "dropped": log.dropped,
        "bytes": log.bytes,
        "maxCalls": log.max_calls,
        "maxBytes": log.max_bytes,
    }


def _clear_calls(call: _Call) -> tuple[int, Any]:
    _only(call.body)
    cleared = len(call.app.calls)
    call.app.calls.clear()
    return 200, {"cleared": cleared}


def _faults(call: _Call) -> tuple[int, Any]:
    return 200, [rule.describe() for rule in call.app.faults.pending()]


def _add_fault(call: _Call) -> tuple[int, Any]:
    body = call.body
    _only(body, "operation", "times", "status", "body", "contentType", "headers", "delay", "dropConnection")
    status = body.get("status")
    if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
        raise _bad(f"field 'status' must be an integer, not {status!r}")
    fault_body = body.get("body")
    if fault_body is not None and not isinstance(fault_body, str | dict | list):
        raise _bad("field 'body' must be a string (sent as is) or a JSON object or array")
    try:
        call.app.faults.add(
            _str(body, "operation", required=True),
            times=_int(body, "times", default=1),
            status=status,
            body=fault_body,
            delay=_bounded(body, "delay", 0, MAX_FAULT_DELAY, default=0.0, note=" (real seconds)"),
            drop_connection=_bool(body, "dropConnection", default=False),
            content_type=_str(body, "contentType", default="application/json"),
            headers=_str_map(body, "headers"),
        )
    except ValueError as exc:
        raise _bad(str(exc)) from None
    return 201, [rule.describe() for rule in call.app.faults.pending()]


def _clear_faults(call: _Call) -> tuple[int, Any]:
    _only(call.body)
    call.app.faults.clear()
    return 200, []


def _activity_failure(call: _Call) -> tuple[int, Any]:
    body = call.body
    _only(body, "activity", "message", "times", "errorCode", "retryable")
    activity = _str(body, "activity", required=True)
    message = _str(body, "message", required=True)
    times = _int(body, "times", default=1)
    if not 1 <= times <= MAX_FAILURES_PER_CALL:
        raise _bad(f"field 'times' must be an integer between 1 and {MAX_FAILURES_PER_CALL}, not {times}")
    error_code = _str(body, "errorCode", default="INTERNAL")
    retryable = _bool(body, "retryable", default=True)
    try:
        call.engine.inject_activity_failure(
            activity, message, times=times, error_code=error_code, retryable=retryable
        )
    except ValueError as exc:
        raise _bad(str(exc)) from None
    return 201, _activity_failures_json(call.engine)


def _activity_failures_json(engine: Engine) -> list[dict[str, Any]]:
    return [
        {
            "activity": item["activity"],
            "message": item["message"],
            "errorCode": item["error_code"],
            "retryable": item["retryable"],
        }
        for item in engine.pending_activity_failures()
    ]


def _activity_failures(call: _Call) -> tuple[int, Any]:
    return 200, _activity_failures_json(call.engine)


def _clear_activity_failures(call: _Call) -> tuple[int, Any]:
    _only(call.body)
    call.engine.clear_activity_failures()
    return 200, []


def _waiting(call: _Call) -> tuple[int, Any]:
    instance_id = call.params["id"]
    try:
        event = call.engine.waiting_event(instance_id)
        due = call.engine.next_due(instance_id)
    except FakeError:
        raise _not_found(f"no instance {instance_id!r}") from None
    return 200, {
        "instanceID": instance_id,
        "event": event,
        "nextDue": None if due is None else format_time(due),
    }


def _state(call: _Call) -> tuple[int, Any]:
    with call.engine.lock:  # one consistent snapshot (the lock is re-entrant)
        return _state_locked(call)


def _state_locked(call: _Call) -> tuple[int, Any]:
    engine = call.engine
    stack = engine.stack
    workflows = [workflow(view, stack) for view in engine.list_workflows()]
    instances = []
    for item in engine.list_instances():
        try:
            instances.append(instance(engine.get_instance(item.id), stack))
        except FakeError:  # reset in between
            continue
    bank = _bank_call(call, engine.bank.snapshot)
    return 200, {
        "clock": _clock_json(engine),
        "version": engine.version,
        "stackVersion": engine.stack_version,
        "stats": engine.stats(),
        "workflows": workflows,
        "instances": instances,
        "bank": bank,
        "faults": [rule.describe() for rule in call.app.faults.pending()],
        "activityFailures": _activity_failures_json(engine),
        "calls": len(call.app.calls),
        "callLog": _calls_json(call.app.calls),
    }


def _create_account(call: _Call) -> tuple[int, Any]:
    _only(call.body, "metadata")
    ledger, address = call.params["ledger"], call.params["address"]
    metadata = _any_map(call.body, "metadata")
    bank = call.engine.bank

    def create() -> dict[str, Any]:
        bank.create_account(address, ledger=ledger, metadata=metadata)
        return bank.account(address, ledger=ledger)

    return 201, _bank_mutation(call, create)


def _account(call: _Call) -> tuple[int, Any]:
    ledger, address = call.params["ledger"], call.params["address"]
    bank = call.engine.bank
    return 200, _bank_call(call, lambda: bank.account(address, ledger=ledger))


def _balances(call: _Call) -> tuple[int, Any]:
    ledger, address = call.params["ledger"], call.params["address"]
    bank = call.engine.bank
    return 200, _bank_call(call, lambda: bank.balances(address, ledger=ledger))


def _fund_account(call: _Call) -> tuple[int, Any]:
    _only(call.body, "asset", "amount")
    ledger, address = call.params["ledger"], call.params["address"]
    asset = _str(call.body, "asset", required=True)
    amount = _amount(call.body)
    bank = call.engine.bank

    def fund() -> dict[str, Any]:
        txid = bank.fund(address, asset, amount, ledger=ledger)
        return {"txid": txid, "balances": bank.balances(address, ledger=ledger)}

    return 201, _bank_mutation(call, fund)


def _transactions(call: _Call) -> tuple[int, Any]:
    ledger = call.params["ledger"]
    bank = call.engine.bank
    return 200, _bank_call(call, lambda: bank.transactions(ledger))


def _wallets(call: _Call) -> tuple[int, Any]:
    snapshot = _bank_call(call, call.engine.bank.snapshot)
    return 200, list(snapshot["wallets"].values())


def _create_wallet(call: _Call) -> tuple[int, Any]:
    _only(call.body, "id", "name", "ledger", "metadata")
    wallet_id = _opt_str(call.body, "id")
    name = _str(call.body, "name")
    ledger = _opt_str(call.body, "ledger")
    metadata = _str_map(call.body, "metadata")
    bank = call.engine.bank

    def create() -> dict[str, Any]:
        if ledger is None:
            created = bank.create_wallet(name=name, id=wallet_id, metadata=metadata)
        else:
            created = bank.create_wallet(name=name, id=wallet_id, ledger=ledger, metadata=metadata)
        return bank.wallet(created)

    return 201, _bank_mutation(call, create)


def _wallet(call: _Call) -> tuple[int, Any]:
    wallet_id = call.params["id"]
    bank = call.engine.bank
    try:
        with _bank_access(call.engine):
            return 200, bank.wallet(wallet_id)
    except KeyError:
        raise _not_found(f"no wallet {wallet_id!r}") from None


def _fund_wallet(call: _Call) -> tuple[int, Any]:
    _only(call.body, "asset", "amount", "balance")
    wallet_id = call.params["id"]
    asset = _str(call.body, "asset", required=True)
    amount = _amount(call.body)
    balance = _str(call.body, "balance", default="main") or "main"
    bank = call.engine.bank

    def fund() -> dict[str, Any]:
        try:
            bank.fund_wallet(wallet_id, asset, amount, balance=balance)
        except KeyError:
            raise _not_found(f"no wallet {wallet_id!r}") from None
        return bank.wallet(wallet_id)

    return 200, _bank_mutation(call, fund)


def _payments(call: _Call) -> tuple[int, Any]:
    snapshot = _bank_call(call, call.engine.bank.snapshot)
    return 200, list(snapshot["payments"].values())


def _create_payment(call: _Call) -> tuple[int, Any]:
    fields = dict(call.body)
    amount = _amount(fields)
    asset = _str(fields, "asset", required=True)
    payment_id = _opt_str(fields, "id")
    for key in ("amount", "asset", "id"):
        fields.pop(key, None)
    bank = call.engine.bank

    def create() -> dict[str, Any]:
        created = bank.create_payment(amount=amount, asset=asset, id=payment_id, **fields)
        return bank.payment(created)

    return 201, _bank_mutation(call, create)


def _payment(call: _Call) -> tuple[int, Any]:
    payment_id = call.params["id"]
    bank = call.engine.bank
    try:
        with _bank_access(call.engine):
            return 200, bank.payment(payment_id)
    except KeyError:
        raise _not_found(f"no payment {payment_id!r}") from None


def _stripe_transfers(call: _Call) -> tuple[int, Any]:
    return 200, _bank_call(call, call.engine.bank.stripe_transfers)


def _transfer_initiations(call: _Call) -> tuple[int, Any]:
    return 200, _bank_call(call, call.engine.bank.transfer_initiations)


def _revoke(call: _Call) -> tuple[int, Any]:
    _only(call.body, "token")
    auth = call.app.auth
    if auth is None:
        raise _bad("auth is off: there is no token to revoke")
    auth.revoke(_opt_str(call.body, "token"))
    return 200, {"revoked": True}


#: The control routes, in the order of the table above.
CONTROL_ROUTES: tuple[ControlRoute, ...] = (
    ControlRoute("GET", "/_fake", _index),
    ControlRoute("POST", "/_fake/reset", _reset),
    ControlRoute("GET", "/_fake/version", _version),
    ControlRoute("GET", "/_fake/state", _state),
    ControlRoute("GET", "/_fake/clock", _clock),
    ControlRoute("POST", "/_fake/clock/advance", _clock_advance),
    ControlRoute("POST", "/_fake/clock/set", _clock_set),
    ControlRoute("GET", "/_fake/calls", _calls),
    ControlRoute("DELETE", "/_fake/calls", _clear_calls),
    ControlRoute("GET", "/_fake/calls/stats", _calls_stats),
    ControlRoute("GET", "/_fake/faults", _faults),
    ControlRoute("POST", "/_fake/faults", _add_fault),
    ControlRoute("DELETE", "/_fake/faults", _clear_faults),
    ControlRoute("GET", "/_fake/activity-failures", _activity_failures),
    ControlRoute("POST", "/_fake/activity-failures", _activity_failure),
    ControlRoute("DELETE", "/_fake/activity-failures", _clear_activity_failures),
    ControlRoute("GET", "/_fake/instances/{id}/waiting", _waiting),
    ControlRoute("POST", "/_fake/ledgers/{ledger}/accounts/{address}", _create_account),
    ControlRoute("GET", "/_fake/ledgers/{ledger}/accounts/{address}", _account),
    ControlRoute("GET", "/_fake/ledgers/{ledger}/accounts/{address}/balances", _balances),
    ControlRoute("POST", "/_fake/ledgers/{ledger}/accounts/{address}/fund", _fund_account),
    ControlRoute("GET", "/_fake/ledgers/{ledger}/transactions", _transactions),
    ControlRoute("GET", "/_fake/wallets", _wallets),
    ControlRoute("POST", "/_fake/wallets", _create_wallet),
    ControlRoute("GET", "/_fake/wallets/{id}", _wallet),
    ControlRoute("POST", "/_fake/wallets/{id}/fund", _fund_wallet),
    ControlRoute("GET", "/_fake/payments", _payments),
    ControlRoute("POST", "/_fake/payments", _create_payment),
    ControlRoute("GET", "/_fake/payments/{id}", _payment),
    ControlRoute("GET", "/_fake/stripe/transfers", _stripe_transfers),
    ControlRoute("GET", "/_fake/transfer-initiations", _transfer_initiations),
    ControlRoute("POST", "/_fake/auth/revoke", _revoke),
)


def _table_descriptions() -> dict[tuple[str, str], str]:
    """``{(method, path): description}`` read back from the module docstring's table."""
    descriptions: dict[tuple[str, str], str] = {}
    current: tuple[str, str] | None = None
    column = 0
    for line in (__doc__ or "").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("GET", "POST", "DELETE") and parts[1].startswith("/_fake"):
            column = line.index(parts[1]) + len(parts[1])
            current = (parts[0], parts[1])
            descriptions[current] = line[column:].strip()
        elif current is not None and line[:column].strip() == "" and line.strip():
            descriptions[current] += " " + line.strip()
        else:
            current = None
    return descriptions


_DESCRIPTIONS = _table_descriptions()


def _respond(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> FakeResponse:
    return FakeResponse(status=status, headers={**_JSON, **(headers or {})}, body=json_bytes(payload))


def _error(error: ControlError) -> FakeResponse:
    return _respond(
        error.status, {"errorCode": error.error_code, "errorMessage": error.message}, error.headers
    )


def control_unauthorized() -> FakeResponse:
    """The answer to a control call without a valid token while auth is on."""
    message = (
        "with auth on, the control API needs the same bearer token as the API: "
        "Authorization: Bearer <token> (a static --token, or one from the token endpoint)"
    )
    return _respond(
        401,
        {"errorCode": "FAKE_UNAUTHORIZED", "errorMessage": message},
        {"www-authenticate": 'Bearer realm="fakeserver"'},
    )


def handle_control(app: FakeApp, request: FakeRequest, path: str) -> FakeResponse:
    """Answer one control call; ``path`` is service-relative and starts with ``/_fake``."""
    try:
        allowed: list[str] = []
        for route in CONTROL_ROUTES:
            match = route.pattern.match(path)
            if match is None:
                continue
            if route.method != request.method:
                allowed.append(route.method)
                continue
            body = _decode_body(request) if request.method in ("POST", "PUT", "DELETE") else {}
            call = _Call(app=app, request=request, params=match.groupdict(), body=body)
            status, payload = route.handler(call)
            extra = _calls_headers(app) if route.handler is _calls else None
            return _respond(status, {"data": payload}, extra)
        if allowed:
            raise ControlError(
                405,
                f"{request.method} is not allowed on {path}; use {' or '.join(allowed)}",
                headers={"allow": ", ".join(allowed)},
            )
        raise _not_found(f"no control endpoint {request.method} {path}; GET /_fake lists them")
    except ControlError as error:
        return _error(error)
