"""Stage schema resolution, run-time validation and history rendering, with the service's Go texts.

A stored stage is a one-key mapping ``{"<type>": {<params>}}``. Resolution walks the declared fields
of the type's Go struct (``Send``, ``Delay``, ``WaitEvent``, ``NoOp``), reads each field's JSON key,
interpolates variables into strings (one greedy ``${...}`` match per string, a missing variable is
``""``), applies the defaults (account ledger ``default``, wallet balance ``main``, payment destination
metadata ``stripeConnectID``) and coerces integers, Go durations and RFC 3339 dates. A failure reads
``resolving field '<GoField>': ...`` (nested once per struct level). Validation (run time only) then
applies the ``required`` tags and the one-of rules, with go-playground/validator's texts joined by
newlines. :func:`prepare_stage` does both and renders the resolved input as the instance history shows
it (keys sorted, unset alternatives omitted, durations in Go form).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from fakeserver._duration import DurationError, format_duration, parse_duration
from fakeserver._stack_versions import StackVersion

__all__ = [
    "CHILD_NAMES",
    "GoTime",
    "PreparedStage",
    "ResolveError",
    "StageSpecError",
    "ValidationFailed",
    "check_stage",
    "go_type_name",
    "interpolate",
    "interpolate_2024",
    "normalize_json",
    "parse_rfc3339",
    "parse_stage",
    "prepare_stage",
    "resolve_stage",
    "validate_stage",
]

#: stage type -> the child workflow type the instance history names it by
CHILD_NAMES: Final[dict[str, str]] = {
    "send": "RunSend",
    "delay": "RunDelay",
    "wait_event": "RunWaitEvent",
    "noop": "RunNoOp",
    "update": "RunUpdate",
}

_VARIABLE = re.compile(r"\$\{(.+)\}")
_VARIABLES_2024 = re.compile(r"\$\{([^}]+)\}")


class StageSpecError(Exception):
    """A stage object that names no type, several types, or an unknown type (creation only)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ResolveError(Exception):
    """A field that cannot be resolved; Temporal names its Go type ``fieldResolveError``."""

    type_name = "fieldResolveError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(Exception):
    """A resolved stage that breaks a validation rule; Temporal names its Go type ``ValidationErrors``."""

    type_name = "ValidationErrors"

    def __init__(self, lines: list[str]) -> None:
        message = "\n".join(lines)
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------------------------------
# JSON helpers


def go_type_name(value: Any) -> str:
    """The ``%T`` of a JSON value decoded by Go into ``interface{}``.

    :param value: a decoded JSON value.
    """
    if value is None:
        return "<nil>"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "float64"
    if isinstance(value, Mapping):
        return "map[string]interface {}"
    return "[]interface {}"


def _go_number(value: int | float) -> int | float:
    """What a JSON number becomes after a trip through Go's ``float64`` (as the service stores it)."""
    if isinstance(value, int):
        if -(1 << 53) <= value <= (1 << 53):
            return value
        try:
            value = float(value)
        except OverflowError:
            return value
    if value.is_integer() and abs(value) < 1e21:
        return int(Decimal(repr(value)))
    return value


def normalize_json(value: Any) -> Any:
    """A deep copy of a decoded JSON value as the service gives it back: object keys sorted at every
    level, numbers passed through ``float64`` (``1.0`` -> ``1``, big integers rounded).

    :param value: a decoded JSON value.
    """
    if isinstance(value, Mapping):
        return {str(k): normalize_json(value[k]) for k in sorted(value)}
    if isinstance(value, list | tuple):
        return [normalize_json(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return _go_number(value)
    return value


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """Replace the one greedy ``${...}`` match of ``text`` by its variable (``""`` when missing).

    :param text: the string from the stage definition.
    :param variables: the run's variables.
    """
    if "${" not in text:
        return text
    return _VARIABLE.sub(lambda m: variables.get(m.group(1), ""), text)


def interpolate_2024(text: str, variables: Mapping[str, str]) -> str:
    """Replace every ``${name}`` of ``text`` by its variable (``""`` when missing), as the stack
    v2.0+ resolver does.

    :param text: the string from the stage definition.
    :param variables: the run's variables.
    """
    if "${" not in text:
        return text
    return _VARIABLES_2024.sub(lambda m: variables.get(m.group(1), ""), text)


# ---------------------------------------------------------------------------------------------------
# RFC 3339 dates as Go's time.Parse(time.RFC3339, ...) reads them


_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{1,2}):([0-9]{2}):([0-9]{2})"
    r"(?:[.,]([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MIN = datetime.min.replace(tzinfo=UTC)
_MAX = datetime.max.replace(tzinfo=UTC)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in(month: int, year: int) -> int:
    if month == 2:
        return 29 if _is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 in the proleptic Gregorian calendar (any year, including 0)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


class GoTime:
    """A date as Go parsed it: its re-rendered text (RFC 3339 with trimmed nanoseconds, the original
    offset, ``Z`` for a zero offset) and the instant it denotes (UTC, clamped to ``datetime``'s range)."""

    __slots__ = ("instant", "text")

    def __init__(self, text: str, instant: datetime) -> None:
        self.text = text
        self.instant = instant

    def __repr__(self) -> str:
        return f"GoTime({self.text!r})"


def parse_rfc3339(text: str) -> GoTime | None:
    """Parse like Go's ``time.Parse(time.RFC3339, text)``; ``None`` when Go would fail.

    :param text: e.g. ``2023-06-01T00:00:00Z`` or ``2023-06-01T02:00:00.5+02:00``.
    """
    m = _RFC3339.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    if not (1 <= month <= 12 and 1 <= day <= _days_in(month, year)):
        return None
    if hour > 23 or minute > 59 or second > 59:
        return None
    digits = (m.group(7) or "")[:9]
    nanos = int(digits.ljust(9, "0")) if digits else 0
    zone = m.group(8)
    offset = 0
    if zone != "Z":
        zh, zm = int(zone[1:3]), int(zone[4:6])
        if zh > 23 or zm > 59:
            return None
        offset = (zh * 60 + zm) * 60 * (-1 if zone[0] == "-" else 1)
    frac = ""
    if nanos:
        frac = "." + f"{nanos:09d}".rstrip("0")
    if offset == 0:
        rendered_zone = "Z"
    else:
        sign = "-" if offset < 0 else "+"
        minutes = abs(offset) // 60
        rendered_zone = f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    rendered = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{frac}{rendered_zone}"
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset
    try:
        instant = _EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000)
    except OverflowError:
        instant = _MIN if seconds < 0 else _MAX
    return GoTime(rendered, instant)


# ---------------------------------------------------------------------------------------------------
# Schemas: (Go field name, JSON key, kind, default string or nested schema)

_STRUCT, _PTR, _STRING, _INT64, _DURATION, _TIME, _MAP, _BOOL, _OPTSTRING, _BIGINT = range(10)
_Interpolate = Callable[[str, Mapping[str, str]], str]

_Schema = tuple[tuple[str, str, int, Any], ...]

_ACCOUNT: _Schema = (("ID", "id", _STRING, ""), ("Ledger", "ledger", _STRING, "default"))


def _send_side(wallet: _Schema, payment: _Schema, account: _Schema = _ACCOUNT) -> _Schema:
    """A send source or destination: one of a wallet, an account or a payment."""
    return (
        ("Wallet", "wallet", _PTR, wallet),
        ("Account", "account", _PTR, account),
        ("Payment", "payment", _PTR, payment),
    )


_WALLET: _Schema = (("ID", "id", _STRING, ""), ("Balance", "balance", _STRING, "main"))
_PAYMENT_SOURCE: _Schema = (("ID", "id", _STRING, ""),)
_PAYMENT_DESTINATION: _Schema = (
    ("PSP", "psp", _STRING, ""),
    ("Metadata", "metadata", _STRING, "stripeConnectID"),
)
_SOURCE: _Schema = _send_side(_WALLET, _PAYMENT_SOURCE)
_DESTINATION: _Schema = _send_side(_WALLET, _PAYMENT_DESTINATION)
_MONETARY: _Schema = (("Asset", "asset", _STRING, ""), ("Amount", "amount", _INT64, None))
_SEND: _Schema = (
    ("Source", "source", _STRUCT, _SOURCE),
    ("Destination", "destination", _STRUCT, _DESTINATION),
    ("Amount", "amount", _PTR, _MONETARY),
)
_DELAY: _Schema = (("Duration", "duration", _DURATION, None), ("Until", "until", _TIME, None))
_WAIT_EVENT: _Schema = (("Event", "event", _STRING, ""),)
_NOOP: _Schema = ()

_SCHEMAS: Final[dict[str, _Schema]] = {
    "send": _SEND,
    "delay": _DELAY,
    "wait_event": _WAIT_EVENT,
    "noop": _NOOP,
}

# The stack v2.0+ schemas (ee/orchestration and flows internal/workflow/stages): wallets by id or
# name, send metadata and timestamp, payment destinations with waitingValidation and connectorId
# (metadata key default formanceAccountID), big-int amounts, and the update stage.
_WALLET_2024: _Schema = (
    ("ID", "id", _STRING, ""),
    ("Name", "name", _STRING, ""),
    ("Balance", "balance", _STRING, "main"),
)
_PAYMENT_DESTINATION_2024: _Schema = (
    ("PSP", "psp", _STRING, ""),
    ("Metadata", "metadata", _STRING, "formanceAccountID"),
    ("WaitingValidation", "waitingValidation", _BOOL, "false"),
    ("ConnectorID", "connectorId", _OPTSTRING, ""),
)
_SOURCE_2024: _Schema = _send_side(_WALLET_2024, _PAYMENT_SOURCE)
_DESTINATION_2024: _Schema = _send_side(_WALLET_2024, _PAYMENT_DESTINATION_2024)
_MONETARY_2024: _Schema = (("Asset", "asset", _STRING, ""), ("Amount", "amount", _BIGINT, None))
_SEND_2024: _Schema = (
    ("Source", "source", _STRUCT, _SOURCE_2024),
    ("Destination", "destination", _STRUCT, _DESTINATION_2024),
    ("Amount", "amount", _PTR, _MONETARY_2024),
    ("Metadata", "metadata", _MAP, None),
    ("Timestamp", "timestamp", _TIME, None),
)
_ACCOUNT_UPDATE: _Schema = (
    ("ID", "id", _STRING, ""),
    ("Ledger", "ledger", _STRING, "main"),
    ("Metadata", "metadata", _MAP, None),
)
_UPDATE: _Schema = (("Account", "account", _PTR, _ACCOUNT_UPDATE),)

_SCHEMAS_2024: Final[dict[str, _Schema]] = {
    "send": _SEND_2024,
    "delay": _DELAY,
    "wait_event": _WAIT_EVENT,
    "noop": _NOOP,
    "update": _UPDATE,
}

# flows v2.6 (stack v3.2.5+, internal/workflow/stages/send/send.go): accounts and payment sources
# name a ``throughAccount`` (default ``world``) and may ``allowOverdraft``; a payment source may name
# the ``ledger`` and ``holdingAccount`` it is booked into; a payment destination has a transfer
# ``type`` (default ``TRANSFER``) and an optional ``sourceAccount``.
_THROUGH: _Schema = (
    ("ThroughAccount", "throughAccount", _STRING, "world"),
    ("AllowOverdraft", "allowOverdraft", _BOOL, "false"),
)
_ACCOUNT_2025: _Schema = _ACCOUNT + _THROUGH
_PAYMENT_SOURCE_2025: _Schema = (
    ("ID", "id", _STRING, ""),
    ("Ledger", "ledger", _STRING, ""),
    ("HoldingAccount", "holdingAccount", _STRING, ""),
    *_THROUGH,
)
_PAYMENT_DESTINATION_2025: _Schema = (
    ("PSP", "psp", _STRING, ""),
    ("Type", "type", _STRING, "TRANSFER"),
    ("SourceAccount", "sourceAccount", _OPTSTRING, ""),
    *_PAYMENT_DESTINATION_2024[1:],
)
_SEND_2025: _Schema = (
    ("Source", "source", _STRUCT, _send_side(_WALLET_2024, _PAYMENT_SOURCE_2025, _ACCOUNT_2025)),
    (
        "Destination",
        "destination",
        _STRUCT,
        _send_side(_WALLET_2024, _PAYMENT_DESTINATION_2025, _ACCOUNT_2025),
    ),
    *_SEND_2024[2:],
)
_SCHEMAS_2025: Final[dict[str, _Schema]] = {**_SCHEMAS_2024, "send": _SEND_2025}
#: Keys the history leaves out when unset (Go ``omitempty``): ``None`` pointers, ``""`` strings.
_OMITTED_WHEN_UNSET = frozenset(("connectorId", "sourceAccount", "ledger", "holdingAccount"))


def _schemas(stack: StackVersion | None) -> dict[str, _Schema]:
    if stack is None or not stack.stages_2024:
        return _SCHEMAS
    return _SCHEMAS_2025 if stack.send_2025 else _SCHEMAS_2024


_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_DECIMAL_INT = re.compile(r"[+-]?[0-9]+")


def _float_to_int64(value: int | float) -> int:
    """Go's ``int64(float64(v))`` on amd64: truncation, and the min int64 when out of range."""
    try:
        f = float(value)
    except OverflowError:
        return _INT64_MIN
    if -(2.0**63) <= f < 2.0**63:
        return int(f)
    return _INT64_MIN


def _resolve_value(
    kind: int, extra: Any, value: Any, variables: Mapping[str, str], interp: _Interpolate
) -> Any:
    if kind in (_STRUCT, _PTR):
        if value is None and kind == _PTR:
            return None
        if not isinstance(value, Mapping):
            raise ResolveError(f"expected map but was {go_type_name(value)}")
        return _resolve_fields(extra, value, variables, interp)
    if kind == _MAP:  # map[string]string: every value resolved as a string
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise ResolveError(f"expecting map, got type: {go_type_name(value)}")
        return {str(k): _resolve_value(_STRING, "", v, variables, interp) for k, v in value.items()}
    if kind == _OPTSTRING:
        return None if value is None else _resolve_value(_STRING, extra, value, variables, interp)
    if kind == _BOOL:
        if value is None:
            return extra == "true"
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            text = interp(value, variables).lower()
            if text in ("true", "false"):
                return text == "true"
            raise ResolveError("unable to resolve field 'bool' to bool value")  # reflect Type().Name()
        raise ResolveError(f"expected uint or interpolated string but was {go_type_name(value)}")
    if kind == _BIGINT:
        if value is None:
            return None
        if isinstance(value, str):
            text = interp(value, variables)
            if not text:
                return None
            if _DECIMAL_INT.fullmatch(text) is None:
                raise ResolveError(f"unable to parse '{text}' as big int")
            return int(text)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _float_to_int64(value)
        raise ResolveError(f"expected big int or interpolated string but was {go_type_name(value)}")
    if kind == _STRING:
        if value is None:
            return extra
        if not isinstance(value, str):
            raise ResolveError(f"expected string but was {go_type_name(value)}")
        text = interp(value, variables)
        return text if text else extra
    if kind == _INT64:
        if value is None:
            return 0
        if isinstance(value, str):
            text = interp(value, variables)
            if not text:
                return 0
            if _DECIMAL_INT.fullmatch(text) is None or not (_INT64_MIN <= int(text) <= _INT64_MAX):
                raise ResolveError("unable to resolve field 'int64' to int value")
            return int(text)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _float_to_int64(value)
        raise ResolveError(f"expected uint or interpolated string but was {go_type_name(value)}")
    if kind == _DURATION:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ResolveError(f"expected uint or interpolated string but was {go_type_name(value)}")
        text = interp(value, variables)
        if not text:
            return None
        try:
            return parse_duration(text)
        except DurationError:
            raise ResolveError("unable to resolve field 'Duration' to duration value") from None
    # _TIME
    if value is None:
        return None
    parsed = parse_rfc3339(interp(value, variables)) if isinstance(value, str) else None
    if parsed is None:
        raise ResolveError("expected date as rfc3339 format")
    return parsed


def _resolve_fields(
    schema: _Schema, obj: Mapping[str, Any], variables: Mapping[str, str], interp: _Interpolate
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for go_name, key, kind, extra in schema:
        try:
            out[key] = _resolve_value(kind, extra, obj.get(key), variables, interp)
        except ResolveError as exc:
            raise ResolveError(f"resolving field '{go_name}': {exc.message}") from None
    return out


def parse_stage(
    raw: Mapping[str, Any] | None, stack: StackVersion | None = None
) -> tuple[str, Mapping[str, Any]]:
    """Split a stored stage into its type and parameters (``null`` parameters become ``{}``).

    :param raw: one item of ``config.stages``.
    :param stack: the stack version whose schemas apply (``None``: the mid-2023 ones).
    :raises StageSpecError: ``empty specification``, ``a specification should have only one name`` or
        ``unable to resolve schema <name>``.
    """
    if not raw:
        raise StageSpecError("empty specification")
    if len(raw) > 1:
        raise StageSpecError("a specification should have only one name")
    ((kind, params),) = raw.items()
    if kind not in _schemas(stack):
        raise StageSpecError(f"unable to resolve schema {kind}")
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise ResolveError(f"expected map but was {go_type_name(params)}")
    return kind, params


def resolve_stage(
    kind: str, params: Mapping[str, Any], variables: Mapping[str, str], stack: StackVersion | None = None
) -> dict[str, Any]:
    """Resolve a stage's parameters into its Go struct, as a dict (``None`` = unset pointer).

    :param kind: ``send``, ``delay``, ``wait_event`` or ``noop``.
    :param params: the stage's raw parameters.
    :param variables: the run's variables (``{}`` at creation).
    :param stack: the stack version whose schemas and interpolation apply (``None``: mid-2023).
    :raises ResolveError: with the ``resolving field ...`` text.
    """
    later = stack is not None and stack.stages_2024
    return _resolve_fields(
        _schemas(stack)[kind], params, variables, interpolate_2024 if later else interpolate
    )


def check_stage(
    raw: Mapping[str, Any] | None, stack: StackVersion | None = None
) -> tuple[str, Mapping[str, Any]]:
    """The creation-time check of one stage: its type, then a resolution with no variables.

    :param raw: one item of ``config.stages``.
    :raises StageSpecError: or :class:`ResolveError`; ``.message`` is the reason after
        ``creating workflow: ``.
    """
    kind, params = parse_stage(raw, stack)
    resolve_stage(kind, params, {}, stack)
    return kind, params


# ---------------------------------------------------------------------------------------------------
# Validation (run time only)


def _key(namespace: str, field: str, tag: str) -> str:
    return f"Key: '{namespace}' Error:Field validation for '{field}' failed on the '{tag}' tag"


def _validate_party(prefix: str, party: Mapping[str, Any], errors: list[str]) -> None:
    for go_name, key in (("Wallet", "wallet"), ("Account", "account"), ("Payment", "payment")):
        sub = party[key]
        if sub is None or "id" not in sub:
            continue
        if "name" in sub:  # 2024: a wallet is named by exactly one of id and name
            if bool(sub["id"]) == bool(sub["name"]):
                errors.append(_key(f"{prefix}.{go_name}.WalletReference.id", "id", "id or name"))
                errors.append(_key(f"{prefix}.{go_name}.WalletReference.name", "name", "id or name"))
        elif not sub["id"]:
            errors.append(_key(f"{prefix}.{go_name}.ID", "ID", "required"))
    if sum(party[k] is not None for k in ("wallet", "account", "payment")) != 1:
        for key in ("wallet", "account", "payment"):
            errors.append(_key(f"{prefix}.{key}", key, "wallet or account or payment"))


def validate_stage(kind: str, resolved: Mapping[str, Any]) -> None:
    """Apply the ``required`` tags and one-of rules to a resolved stage.

    :param kind: the stage type.
    :param resolved: the result of :func:`resolve_stage`.
    :raises ValidationFailed: with the validator's lines joined by ``\\n``.
    """
    errors: list[str] = []
    if kind == "send":
        _validate_party("Send.Source", resolved["source"], errors)
        _validate_party("Send.Destination", resolved["destination"], errors)
    elif kind == "delay":
        if (resolved["duration"] is None) == (resolved["until"] is None):
            errors.append(_key("Delay.duration", "duration", "duration or until"))
            errors.append(_key("Delay.until", "until", "duration or until"))
    elif kind == "wait_event" and not resolved["event"]:
        errors.append(_key("WaitEvent.Event", "Event", "required"))
    elif kind == "update":
        account = resolved["account"]
        if account is None:
            errors.append(_key("Update.account", "account", "account"))
        else:
            for go_name, key in (("ID", "id"), ("Ledger", "ledger"), ("Metadata", "metadata")):
                if account[key] is None or account[key] == "":
                    errors.append(_key(f"Update.Account.{go_name}", go_name, "required"))
    if errors:
        raise ValidationFailed(errors)


# ---------------------------------------------------------------------------------------------------
# Rendering the resolved input (instance history, send parameters)


def _render_party(party: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("account", "payment", "wallet"):
        sub = party[key]
        if sub is not None:
            out[key] = {
                k: sub[k] for k in sorted(sub) if k not in _OMITTED_WHEN_UNSET or sub[k] not in (None, "")
            }
    return out


def _render(kind: str, resolved: Mapping[str, Any]) -> dict[str, Any]:
    if kind == "send":
        out: dict[str, Any] = {}
        amount = resolved["amount"]
        if amount is not None:
            out["amount"] = {"amount": amount["amount"], "asset": amount["asset"]}
        out["destination"] = _render_party(resolved["destination"])
        if "timestamp" in resolved:  # 2024: metadata omitempty, timestamp always (null when unset)
            if resolved["metadata"]:
                out["metadata"] = dict(sorted(resolved["metadata"].items()))
            out["source"] = _render_party(resolved["source"])
            stamp: GoTime | None = resolved["timestamp"]
            out["timestamp"] = None if stamp is None else stamp.text
            return out
        out["source"] = _render_party(resolved["source"])
        return out
    if kind == "update":
        account = resolved["account"]
        metadata = account["metadata"]
        return {
            "account": {
                "id": account["id"],
                "ledger": account["ledger"],
                "metadata": None if metadata is None else dict(sorted(metadata.items())),
            }
        }
    if kind == "delay":
        if resolved["duration"] is not None:
            return {"duration": format_duration(resolved["duration"])}
        until: GoTime = resolved["until"]
        return {"until": until.text}
    if kind == "wait_event":
        return {"event": resolved["event"]}
    return {}


class PreparedStage:
    """A stage resolved with a run's variables and validated, ready to start.

    :param kind: the stage type.
    :param name: the child workflow type (``RunSend`` ...).
    :param input: the resolved input in history wire form (for ``send``, also ``run_send``'s params).
    :param duration: ``delay`` with a duration: nanoseconds.
    :param until: ``delay`` with an until: the instant.
    :param event: ``wait_event``: the awaited event name.
    """

    __slots__ = ("duration", "event", "input", "kind", "name", "until")

    def __init__(
        self,
        kind: str,
        input: dict[str, Any],
        *,
        duration: int | None = None,
        until: datetime | None = None,
        event: str = "",
    ) -> None:
        self.kind = kind
        self.name = CHILD_NAMES[kind]
        self.input = input
        self.duration = duration
        self.until = until
        self.event = event


def prepare_stage(
    kind: str, params: Mapping[str, Any], variables: Mapping[str, str], stack: StackVersion | None = None
) -> PreparedStage:
    """Resolve, validate and render one stage for a run.

    :param kind: the stage type (from :func:`parse_stage`).
    :param params: the stage's raw parameters.
    :param variables: the run's variables.
    :param stack: the stack version whose schemas apply (``None``: the mid-2023 ones).
    :raises ResolveError: or :class:`ValidationFailed`.
    """
    resolved = resolve_stage(kind, params, variables, stack)
    validate_stage(kind, resolved)
    rendered = _render(kind, resolved)
    if kind == "delay":
        until: GoTime | None = resolved["until"]
        return PreparedStage(
            kind, rendered, duration=resolved["duration"], until=None if until is None else until.instant
        )
    if kind == "wait_event":
        return PreparedStage(kind, rendered, event=resolved["event"])
    return PreparedStage(kind, rendered)
