"""Tables that fit the width, time and duration formatting, and the one-line summaries."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from formance_orchestration.cli._render import (
    Column,
    Console,
    format_duration,
    format_time,
    parse_time,
    render_key_values,
    render_table,
    truncate,
)
from formance_orchestration.cli._summary import (
    activity_details,
    activity_problem,
    activity_result,
    activity_status,
    instance_status,
    stage_status,
    stage_summary,
    wallet_names,
)

# -- tables ----------------------------------------------------------------------------------------


def test_table_aligns_columns_and_uppercases_headers() -> None:
    lines = render_table([Column("id", shrink=False), Column("n", align=">")], [["a", 1], ["bbb", 100]])
    assert lines == ["ID     N", "a      1", "bbb  100"]


def test_table_shrinks_the_widest_shrinkable_column_with_an_ellipsis() -> None:
    ident = "0f8fad5b-d9cb-469f-a165-70867728950e"
    rows = [[ident, "x" * 80, "short"]]
    lines = render_table([Column("id", shrink=False), Column("details"), Column("status")], rows, width=70)
    assert all(len(line) <= 70 for line in lines)
    assert ident in lines[1]  # ids are never cut
    assert "…" in lines[1]
    assert lines[1].endswith("short")


def test_table_never_shrinks_below_the_minimum() -> None:
    lines = render_table(
        [Column("a", min_width=10), Column("b", shrink=False)], [["y" * 30, "z" * 30]], width=20
    )
    assert lines[1].startswith("y" * 9 + "…")


def test_table_cells_lose_their_newlines_and_none_is_empty() -> None:
    lines = render_table([Column("error"), Column("x")], [["line one\nline two", None]])
    assert lines[1] == "line one / line two"


def test_optional_columns_are_left_out_when_empty() -> None:
    columns = [Column("a"), Column("error", optional=True), Column("b", optional=True)]
    assert render_table(columns, [["x", "", "y"], ["z", None, ""]]) == ["A  B", "x  y", "z"]
    assert render_table(columns, []) == ["A"]


def test_table_ascii_ellipsis() -> None:
    lines = render_table([Column("a", min_width=5)], [["abcdefghij"]], width=6, ellipsis="...")
    assert lines[1] == "abc..."


def test_truncate() -> None:
    assert truncate("abcdef", 10) == "abcdef"
    assert truncate("abcdef", 4) == "abc…"
    assert truncate("abcdef", 1) == "a"


def test_key_values_align_and_dash_for_missing() -> None:
    assert render_key_values([("Instance", "i1"), ("Error", ""), ("Ended", None)]) == [
        "Instance  i1",
        "Error     -",
        "Ended     -",
    ]


def test_console_uses_columns_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    out = io.StringIO()
    console = Console(out, io.StringIO())
    assert console.width == 50
    console.table([Column("a")], [["x" * 200]])
    assert all(len(line) <= 50 for line in out.getvalue().splitlines())


def test_console_falls_back_to_ascii_when_the_stream_cannot_encode() -> None:
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    console = Console(stream, io.StringIO(), width=60)
    assert console.ellipsis == "..."
    assert console.rule_char == "-"


def test_console_heading_and_empty_table() -> None:
    out = io.StringIO()
    console = Console(out, io.StringIO(), width=40)
    console.heading("1. Seed")
    console.table([Column("a")], [], empty="Nothing.")
    first, second = out.getvalue().splitlines()
    assert first.startswith("── 1. Seed ─") and len(first) == 40
    assert second == "Nothing."


# -- time ------------------------------------------------------------------------------------------


def test_parse_time_accepts_nanoseconds_offsets_and_z() -> None:
    assert parse_time("2023-04-13T08:40:11.121544817Z") == datetime(2023, 4, 13, 8, 40, 11, 121544, UTC)
    assert parse_time("2023-04-13T10:40:11+02:00") == datetime(2023, 4, 13, 8, 40, 11, tzinfo=UTC)
    assert parse_time("2023-04-13T08:40:11.1Z") == datetime(2023, 4, 13, 8, 40, 11, 100000, UTC)
    assert parse_time("not a time") is None
    assert parse_time(None) is None


def test_format_time_is_utc_to_the_second() -> None:
    assert format_time("2023-04-13T10:40:11.9+02:00") == "2023-04-13 08:40:11"
    assert format_time(None) == ""


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.25, "250ms"),
        (4.2, "4.2s"),
        (12, "12s"),
        (600, "10m"),
        (605, "10m5s"),
        (3601, "1h"),
        (3660, "1h1m"),
        (timedelta(days=1, hours=3), "1d3h"),
        (None, ""),
        (-5, "0s"),
    ],
)
def test_format_duration(seconds: float | timedelta | None, text: str) -> None:
    assert format_duration(seconds) == text


# -- summaries -------------------------------------------------------------------------------------


def test_status_words() -> None:
    assert instance_status({"terminated": False, "error": ""}) == "running"
    assert instance_status({"terminated": True, "error": ""}) == "succeeded"
    assert instance_status({"terminated": True, "error": "canceled"}) == "aborted"
    assert instance_status({"terminated": True, "error": "insufficient fund"}) == "failed"
    assert stage_status({"stage": 0, "startedAt": "x", "error": ""}) == "running"
    assert stage_status({"stage": 0, "terminatedAt": "x", "error": "boom"}) == "failed"
    assert stage_status({"terminated": True}) == "succeeded"


def test_stage_summaries() -> None:
    send = {
        "source": {"account": {"id": "world", "ledger": "default"}},
        "destination": {"wallet": {"id": "w1", "balance": "main"}},
        "amount": {"amount": 100, "asset": "EUR/2"},
    }
    assert stage_summary("send", send) == "world -> wallet w1  100 EUR/2"
    assert stage_summary("send", {"send": send}) == "world -> wallet w1  100 EUR/2"
    other_ledger = {
        "source": {"wallet": {"id": "w1", "balance": "savings"}},
        "destination": {"account": {"id": "bank", "ledger": "ledger2"}},
    }
    assert stage_summary("send", other_ledger) == "wallet w1/savings -> bank (ledger ledger2)"
    payout = {"source": {"payment": {"id": "p1"}}, "destination": {"payment": {"psp": "stripe"}}}
    assert stage_summary("send", payout) == "payment p1 -> payment via stripe"
    assert stage_summary("delay", {"duration": "10s"}) == "for 10s"
    assert stage_summary("delay", {"until": "2023-06-01T00:00:00Z"}) == "until 2023-06-01 00:00:00"
    assert stage_summary("wait_event", {"event": "approved"}) == "for event 'approved'"
    assert stage_summary("noop", {}) == ""
    assert stage_summary("teleport", {"to": "mars"}) == '{"to":"mars"}'


def _activity(
    name: str, data: dict[str, object], output: dict[str, object] | None = None, **fields: object
) -> dict[str, object]:
    item: dict[str, object] = {"name": name, "input": {name: data}, "terminated": True, "attempt": 1}
    if output is not None:
        item["output"] = {name: output}
    item.update(fields)
    return item


def test_create_transaction_reads_like_a_move() -> None:
    item = _activity(
        "CreateTransaction",
        {
            "ledger": "default",
            "data": {
                "postings": [{"amount": 100, "asset": "EUR/2", "destination": "bank", "source": "world"}],
                "metadata": {},
            },
        },
        {"data": {"txid": 12, "postings": [], "metadata": {}}},
    )
    assert activity_details(item) == "CreateTransaction default: world -> bank 100 EUR/2"
    assert activity_result(item) == "tx 12"
    assert activity_status(item) == "done"


def test_cross_ledger_moves_are_named() -> None:
    item = _activity(
        "CreateTransaction",
        {
            "ledger": "default",
            "data": {
                "postings": [
                    {"amount": 100, "asset": "USD/2", "destination": "world", "source": "users:001"}
                ],
                "metadata": {"orchestration/move-to-ledger": "wallets-002"},
            },
        },
    )
    assert activity_details(item) == (
        "CreateTransaction default: users:001 -> world 100 USD/2 (to ledger wallets-002)"
    )


def test_wallet_activities() -> None:
    credit = _activity(
        "CreditWallet",
        {
            "id": "w1",
            "data": {
                "amount": {"amount": 100, "asset": "USD/2"},
                "balance": "main",
                "metadata": {"orchestration/move-from-ledger": "default"},
                "sources": [{"identifier": "world", "type": "ACCOUNT"}],
            },
        },
    )
    assert activity_details(credit) == (
        "CreditWallet wallet w1/main: +100 USD/2 from world (from ledger default)"
    )
    assert activity_details(credit, {"w1": "alice"}) == (
        "CreditWallet wallet alice/main: +100 USD/2 from world (from ledger default)"
    )
    debit = _activity(
        "DebitWallet",
        {
            "id": "w1",
            "data": {
                "amount": {"amount": 5, "asset": "USD/2"},
                "balances": ["main"],
                "metadata": None,
                "destination": {"type": "ACCOUNT", "identifier": "bank"},
            },
        },
    )
    assert activity_details(debit) == "DebitWallet wallet w1/main: -5 USD/2 to bank"
    wallet: dict[str, object] = {"data": {"id": "w1", "name": "alice", "ledger": "wallets-002"}}
    get = _activity("GetWallet", {"id": "w1"}, wallet)
    assert activity_details(get) == "GetWallet w1"
    assert activity_result(get) == "alice (wallets-002)"
    assert wallet_names([get, credit]) == {"w1": "alice"}
    to_wallet = {
        "source": {"wallet": {"id": "w1"}},
        "destination": {"wallet": {"id": "w2", "balance": "main"}},
    }
    assert stage_summary("send", to_wallet, {"w1": "alice"}) == "wallet alice -> wallet w2"


def test_payment_and_stripe_activities() -> None:
    assert activity_details(
        _activity("StripeTransfer", {"amount": 100, "asset": "USD/2", "destination": "acct_1"})
    ) == ("StripeTransfer 100 USD/2 -> connected account acct_1")
    initiation = {
        "amount": 100,
        "asset": "USD/2",
        "destination": "acct_1",
        "provider": "wise",
        "type": "PAYOUT",
    }
    assert activity_details(_activity("CreateTransferInitiation", initiation)) == (
        "CreateTransferInitiation 100 USD/2 -> wise PAYOUT to account acct_1"
    )
    plain = (
        "send [USD/2 100] (\n  source = @users:001 allowing unbounded overdraft\n  destination = @world\n)"
    )
    overdraft = _activity("CreateTransaction", {"Data": {"script": {"plain": plain}}, "Ledger": "default"})
    assert activity_details(overdraft) == (
        "CreateTransaction default: Numscript send [USD/2 100] "
        "( source = @users:001 allowing unbounded overdraft destination = @world )"
    )
    payment = _activity(
        "GetPayment",
        {"id": "p1"},
        {"data": {"initialAmount": 1000, "asset": "USD/2", "provider": "STRIPE", "status": "SUCCEEDED"}},
    )
    assert activity_result(payment) == "1000 USD/2 (STRIPE, SUCCEEDED)"
    account = _activity(
        "GetAccount",
        {"ledger": "default", "id": "users:001"},
        {"data": {"address": "users:001", "balances": {"USD/2": 50}}},
    )
    assert activity_details(account) == "GetAccount default: users:001"
    assert activity_result(account) == "balance 50 USD/2"


def test_pending_failed_and_cancelled_activities() -> None:
    pending = {
        "name": "CreateTransaction",
        "input": {},
        "terminated": False,
        "attempt": 3,
        "lastFailure": "account had insufficient funds",
        "nextExecution": "2023-04-13T08:00:04Z",
    }
    assert activity_status(pending) == "retrying (attempt 3, next 08:00:04)"
    assert activity_problem(pending) == "account had insufficient funds"
    cancelled = {"terminated": True, "error": "cancelled"}
    assert (activity_status(cancelled), activity_problem(cancelled)) == ("cancelled", "")
    failed = {"terminated": True, "error": "wallet frozen"}
    assert (activity_status(failed), activity_problem(failed)) == ("failed", "wallet frozen")
    assert activity_status({"terminated": False, "attempt": 1}) == "running"
    assert activity_status({"terminated": True, "attempt": 1}) == "done"


def test_unknown_activity_shows_its_input_as_json() -> None:
    item = _activity("Teleport", {"to": "mars"})
    assert activity_details(item) == 'Teleport {"to":"mars"}'
    assert activity_result(item) == ""
