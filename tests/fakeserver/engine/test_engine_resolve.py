"""Stage resolution (variables, defaults, coercions), validation texts and history rendering."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from fakeserver._resolve import (
    ResolveError,
    StageSpecError,
    ValidationFailed,
    check_stage,
    interpolate,
    normalize_json,
    parse_rfc3339,
    parse_stage,
    prepare_stage,
    resolve_stage,
)

ACCOUNT_TO_ACCOUNT: dict[str, Any] = {
    "source": {"account": {"id": "world"}},
    "destination": {"account": {"id": "bank"}},
    "amount": {"asset": "EUR/2", "amount": 100},
}


def rendered(kind: str, params: dict[str, Any], variables: dict[str, str] | None = None) -> dict[str, Any]:
    return prepare_stage(kind, params, variables or {}).input


def resolve_error(kind: str, params: Any, variables: dict[str, str] | None = None) -> str:
    with pytest.raises(ResolveError) as info:
        prepare_stage(kind, params, variables or {})
    return info.value.message


def validation_error(kind: str, params: dict[str, Any], variables: dict[str, str] | None = None) -> str:
    with pytest.raises(ValidationFailed) as info:
        prepare_stage(kind, params, variables or {})
    return info.value.message


# --- variables ----------------------------------------------------------------------------------------


def test_interpolation_replaces_one_variable() -> None:
    assert interpolate("users:${id}", {"id": "42"}) == "users:42"
    assert interpolate("${id}", {"id": "42"}) == "42"


def test_interpolation_is_one_greedy_match() -> None:
    assert interpolate("${a}-${b}", {"a": "1", "b": "2"}) == ""
    assert interpolate("${a}-${b}", {"a}-${b": "x"}) == "x"
    assert interpolate("pre ${a}-${b} post", {"a": "1"}) == "pre  post"


def test_interpolation_edge_cases() -> None:
    assert interpolate("${missing}", {}) == ""
    assert interpolate("${}", {"": "x"}) == "${}"
    assert interpolate("$x {x}", {"x": "1"}) == "$x {x}"
    assert interpolate("plain", {"plain": "no"}) == "plain"


def test_keys_are_never_interpolated() -> None:
    # "${k}" as a key is an unknown field: ignored
    assert rendered("wait_event", {"${k}": "x", "event": "e"}, {"k": "event"}) == {"event": "e"}


# --- defaults -----------------------------------------------------------------------------------------


def test_send_renders_resolved_input_with_defaults() -> None:
    assert rendered("send", ACCOUNT_TO_ACCOUNT) == {
        "amount": {"amount": 100, "asset": "EUR/2"},
        "destination": {"account": {"id": "bank", "ledger": "default"}},
        "source": {"account": {"id": "world", "ledger": "default"}},
    }


def test_rendered_keys_are_sorted() -> None:
    out = rendered("send", ACCOUNT_TO_ACCOUNT)
    assert list(out) == ["amount", "destination", "source"]
    assert list(out["source"]["account"]) == ["id", "ledger"]


@pytest.mark.parametrize("ledger", [None, "", "${nothing}"])
def test_account_ledger_defaults(ledger: Any) -> None:
    params = {**ACCOUNT_TO_ACCOUNT, "source": {"account": {"id": "a", "ledger": ledger}}}
    assert rendered("send", params)["source"] == {"account": {"id": "a", "ledger": "default"}}


def test_wallet_balance_and_payment_metadata_default() -> None:
    params = {
        "source": {"wallet": {"id": "w1"}},
        "destination": {"payment": {"psp": "stripe"}},
        "amount": {"asset": "USD/2", "amount": 5},
    }
    out = rendered("send", params)
    assert out["source"] == {"wallet": {"balance": "main", "id": "w1"}}
    assert out["destination"] == {"payment": {"metadata": "stripeConnectID", "psp": "stripe"}}


def test_payment_source_renders_id_only_and_amount_is_optional() -> None:
    params = {"source": {"payment": {"id": "p1"}}, "destination": {"account": {"id": "bank"}}}
    assert rendered("send", params) == {
        "destination": {"account": {"id": "bank", "ledger": "default"}},
        "source": {"payment": {"id": "p1"}},
    }


def test_variables_in_send_fields() -> None:
    params = {
        "source": {"account": {"id": "users:${user}", "ledger": "${ledger}"}},
        "destination": {"wallet": {"id": "${wallet}", "balance": "${balance}"}},
        "amount": {"asset": "${asset}", "amount": "${amount}"},
    }
    variables = {"user": "001", "ledger": "l1", "wallet": "w9", "asset": "EUR/2", "amount": "250"}
    assert rendered("send", params, variables) == {
        "amount": {"amount": 250, "asset": "EUR/2"},
        "destination": {"wallet": {"balance": "main", "id": "w9"}},
        "source": {"account": {"id": "users:001", "ledger": "l1"}},
    }


# --- integer coercion ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "variables", "expected"),
    [
        (100, {}, 100),
        (100.9, {}, 100),
        (-100.9, {}, -100),
        ("42", {}, 42),
        ("+5", {}, 5),
        ("-7", {}, -7),
        ("${n}", {"n": "7"}, 7),
        ("${n}", {}, 0),
        ("", {}, 0),
        (None, {}, 0),
        (1e30, {}, -(1 << 63)),
        ("9223372036854775807", {}, (1 << 63) - 1),
    ],
)
def test_amount_coercion(value: Any, variables: dict[str, str], expected: int) -> None:
    params = {**ACCOUNT_TO_ACCOUNT, "amount": {"asset": "EUR/2", "amount": value}}
    assert rendered("send", params, variables)["amount"]["amount"] == expected


@pytest.mark.parametrize("value", ["abc", "1_000", " 1", "1.5", "9223372036854775808", "0x10"])
def test_amount_bad_string(value: str) -> None:
    params = {**ACCOUNT_TO_ACCOUNT, "amount": {"asset": "EUR/2", "amount": value}}
    assert (
        resolve_error("send", params)
        == "resolving field 'Amount': resolving field 'Amount': unable to resolve field 'int64' to int value"
    )


@pytest.mark.parametrize(
    ("value", "type_name"), [(True, "bool"), ([1], "[]interface {}"), ({"a": 1}, "map[string]interface {}")]
)
def test_amount_wrong_type(value: Any, type_name: str) -> None:
    params = {**ACCOUNT_TO_ACCOUNT, "amount": {"asset": "EUR/2", "amount": value}}
    assert resolve_error("send", params) == (
        f"resolving field 'Amount': resolving field 'Amount': expected uint or interpolated string but was "
        f"{type_name}"
    )


# --- field type errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "resolving field 'Source': expected map but was <nil>"),
        ({"source": "x"}, "resolving field 'Source': expected map but was string"),
        ({"source": 1}, "resolving field 'Source': expected map but was float64"),
        ({"source": True}, "resolving field 'Source': expected map but was bool"),
        ({"source": []}, "resolving field 'Source': expected map but was []interface {}"),
        (
            {"source": {"account": "x"}},
            "resolving field 'Source': resolving field 'Account': expected map but was string",
        ),
        (
            {"source": {"account": {"id": 1}}},
            "resolving field 'Source': resolving field 'Account': resolving field 'ID': "
            "expected string but was float64",
        ),
        ({"source": {}}, "resolving field 'Destination': expected map but was <nil>"),
        (
            {"source": {}, "destination": {}, "amount": "x"},
            "resolving field 'Amount': expected map but was string",
        ),
        (
            {"source": {"wallet": {"balance": False}}, "destination": "x"},
            "resolving field 'Source': resolving field 'Wallet': resolving field 'Balance': "
            "expected string but was bool",
        ),
        (
            {"source": {}, "destination": {"payment": {"metadata": 3}}},
            "resolving field 'Destination': resolving field 'Payment': resolving field 'Metadata': "
            "expected string but was float64",
        ),
    ],
)
def test_send_resolution_errors(params: dict[str, Any], message: str) -> None:
    assert resolve_error("send", params) == message


def test_missing_amount_resolves() -> None:
    resolve_stage("send", {"source": {}, "destination": {}}, {})


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"duration": "abc"},
            "resolving field 'Duration': unable to resolve field 'Duration' to duration value",
        ),
        (
            {"duration": "5d"},
            "resolving field 'Duration': unable to resolve field 'Duration' to duration value",
        ),
        (
            {"duration": 10},
            "resolving field 'Duration': expected uint or interpolated string but was float64",
        ),
        ({"until": "tomorrow"}, "resolving field 'Until': expected date as rfc3339 format"),
        ({"until": ""}, "resolving field 'Until': expected date as rfc3339 format"),
        ({"until": "${d}"}, "resolving field 'Until': expected date as rfc3339 format"),
        ({"until": 5}, "resolving field 'Until': expected date as rfc3339 format"),
    ],
)
def test_delay_resolution_errors(params: dict[str, Any], message: str) -> None:
    assert resolve_error("delay", params) == message


def test_wait_event_type_error() -> None:
    assert (
        resolve_error("wait_event", {"event": 1})
        == "resolving field 'Event': expected string but was float64"
    )


# --- durations and dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [("1m", "1m0s"), ("1h", "1h0m0s"), ("100ms", "100ms"), ("90s", "1m30s"), ("-5s", "-5s")],
)
def test_delay_duration_renders_in_go_form(text: str, shown: str) -> None:
    assert rendered("delay", {"duration": text}) == {"duration": shown}


def test_delay_duration_from_variable() -> None:
    prepared = prepare_stage("delay", {"duration": "${d}"}, {"d": "10ms"})
    assert prepared.input == {"duration": "10ms"}
    assert prepared.duration == 10_000_000
    assert prepared.name == "RunDelay"


def test_delay_until_renders_go_time() -> None:
    prepared = prepare_stage("delay", {"until": "2023-06-01T02:00:00.500+02:00"}, {})
    assert prepared.input == {"until": "2023-06-01T02:00:00.5+02:00"}
    assert prepared.until == datetime(2023, 6, 1, 0, 0, 0, 500000, tzinfo=UTC)
    assert rendered("delay", {"until": "2023-06-01T00:00:00+00:00"}) == {"until": "2023-06-01T00:00:00Z"}


@pytest.mark.parametrize(
    "text",
    [
        "2023-06-01",
        "2023-06-01T00:00:00",
        "2023-02-29T00:00:00Z",
        "2023-06-01T24:00:00Z",
        "2023-06-01t00:00:00Z",
        "2023-06-01T00:00:00z",
        "2023-06-01T00:00:00+0200",
        "2023-06-01T00:00:60Z",
        "2023-13-01T00:00:00Z",
    ],
)
def test_rfc3339_rejects(text: str) -> None:
    assert parse_rfc3339(text) is None


def test_rfc3339_accepts() -> None:
    leap = parse_rfc3339("2024-02-29T23:59:59.123456789Z")
    assert leap is not None
    assert leap.text == "2024-02-29T23:59:59.123456789Z"
    year_zero = parse_rfc3339("0000-01-01T00:00:00Z")
    assert year_zero is not None and year_zero.instant == datetime.min.replace(tzinfo=UTC)
    negative = parse_rfc3339("2023-06-01T00:00:00-05:30")
    assert negative is not None
    assert negative.instant == datetime(2023, 6, 1, 5, 30, tzinfo=UTC)
    assert negative.text == "2023-06-01T00:00:00-05:30"


# --- validation ---------------------------------------------------------------------------------------


def test_wait_event_requires_event() -> None:
    expected = "Key: 'WaitEvent.Event' Error:Field validation for 'Event' failed on the 'required' tag"
    assert validation_error("wait_event", {}) == expected
    assert validation_error("wait_event", {"event": "${e}"}) == expected
    assert rendered("wait_event", {"event": "${e}"}, {"e": "go"}) == {"event": "go"}


@pytest.mark.parametrize(
    "params", [{}, {"duration": "1s", "until": "2023-06-01T00:00:00Z"}, {"seconds": "7d"}]
)
def test_delay_needs_exactly_one(params: dict[str, Any]) -> None:
    assert validation_error("delay", params) == (
        "Key: 'Delay.duration' Error:Field validation for 'duration' failed on the 'duration or until' tag\n"
        "Key: 'Delay.until' Error:Field validation for 'until' failed on the 'duration or until' tag"
    )


def _one_of(prefix: str) -> str:
    return "\n".join(
        f"Key: '{prefix}.{k}' Error:Field validation for '{k}' failed on the "
        "'wallet or account or payment' tag"
        for k in ("wallet", "account", "payment")
    )


def test_send_source_needs_exactly_one_kind() -> None:
    params = {**ACCOUNT_TO_ACCOUNT, "source": {}}
    assert validation_error("send", params) == _one_of("Send.Source")
    params = {**ACCOUNT_TO_ACCOUNT, "destination": {"account": {"id": "a"}, "wallet": {"id": "w"}}}
    assert validation_error("send", params) == _one_of("Send.Destination")


def test_send_required_ids() -> None:
    params = {
        "source": {"account": {"id": ""}, "wallet": {}},
        "destination": {"payment": {}},
        "amount": {"asset": "A", "amount": 1},
    }
    assert validation_error("send", params) == "\n".join(
        [
            "Key: 'Send.Source.Wallet.ID' Error:Field validation for 'ID' failed on the 'required' tag",
            "Key: 'Send.Source.Account.ID' Error:Field validation for 'ID' failed on the 'required' tag",
            _one_of("Send.Source"),
        ]
    )
    params = {**ACCOUNT_TO_ACCOUNT, "destination": {"wallet": {"id": "${w}"}}}
    assert validation_error("send", params) == (
        "Key: 'Send.Destination.Wallet.ID' Error:Field validation for 'ID' failed on the 'required' tag"
    )


def test_noop_renders_empty() -> None:
    assert rendered("noop", {}) == {}
    assert prepare_stage("noop", {"extra": 1}, {}).name == "RunNoOp"


# --- stage objects ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "empty specification"),
        (None, "empty specification"),
        ({"delay": {"duration": "1s"}, "noop": {}}, "a specification should have only one name"),
        ({"foo": {}}, "unable to resolve schema foo"),
        ({"Send": {}}, "unable to resolve schema Send"),
        ({"wait-event": {}}, "unable to resolve schema wait-event"),
    ],
)
def test_stage_spec_errors(raw: dict[str, Any] | None, message: str) -> None:
    with pytest.raises(StageSpecError) as info:
        parse_stage(raw)
    assert info.value.message == message


def test_null_params_are_an_empty_object() -> None:
    assert parse_stage({"noop": None}) == ("noop", {})
    assert check_stage({"wait_event": None}) == ("wait_event", {})


def test_creation_check_resolves_without_variables() -> None:
    send: dict[str, Any] = {"source": {}, "destination": {}, "amount": {"asset": "A", "amount": "${x}"}}
    check_stage({"send": send})
    check_stage({"delay": {"duration": "${d}"}})
    with pytest.raises(ResolveError):
        check_stage({"delay": {"until": "${d}"}})


def test_normalize_json_sorts_and_goes_through_float64() -> None:
    items: list[Any] = [1.0, 2.5, {"z": 1, "a": None}]
    value = {"b": items, "a": True, "c": 12345678901234567890}
    out = normalize_json(value)
    assert list(out) == ["a", "b", "c"]
    assert out["b"] == [1, 2.5, {"a": None, "z": 1}]
    assert isinstance(out["b"][0], int)
    assert out["a"] is True
    assert out["c"] == 12345678901234567000
    assert items[0] == 1.0  # the input is not modified
