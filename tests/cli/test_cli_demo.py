"""``formance-orchestration demo``: the narrated payout, in-process, in both output formats."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from formance_orchestration._converter import structure
from formance_orchestration.models import WorkflowInstance

Runner = Callable[..., Any]


def test_demo_tells_the_story_and_moves_the_money(cli: Runner) -> None:
    result = cli("demo")
    assert result.code == 0, result.err
    out = result.out
    headings = [line for line in out.splitlines() if line.startswith("── ")]
    assert [heading.split(" ─")[0] for heading in headings] == [
        "── 1. Seed the ledger and a wallet",
        "── 2. Create the workflow",
        "── 3. Run it",
        "── 4. Advance the virtual clock by 1h",
        "── 5. Send the event 'payout-approved'",
        "── 6. History",
        "── 7. Balances before and after",
    ]
    # the instance ends, after the delay and the event
    story = out[out.index("5. Send the event") : out.index("6. History")]
    assert "Status    succeeded" in story
    assert "1  delay       succeeded" in story
    # the history names what moved, account -> wallet through the ledgers
    history = out[out.index("6. History") : out.index("7. Balances")]
    assert "GetWallet " in history
    assert "users:001 -> wallet alice  2500 USD/2" in history
    assert "CreateTransaction default: users:001 -> world 2500 USD/2 (to ledger wallets-002)" in history
    assert "CreditWallet wallet alice/main: +2500 USD/2 from world (from ledger default)" in history
    assert "alice (wallets-002)" in history
    balances = out[out.index("7. Balances") :].splitlines()
    assert balances[1].split() == ["HOLDER", "ASSET", "BEFORE", "AFTER", "CHANGE"]
    assert balances[2].split() == ["users:001", "USD/2", "10000", "7500", "-2500"]
    assert balances[3].split() == ["wallet:alice", "USD/2", "0", "2500", "+2500"]
    assert "Done: the instance succeeded" in out
    assert result.err == ""


def test_demo_json(cli: Runner) -> None:
    result = cli("demo", "-o", "json", "--amount", "100")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["balances"] == {
        "asset": "USD/2",
        "before": {"users:001": 10000, "wallet:alice": 0},
        "after": {"users:001": 9900, "wallet:alice": 100},
    }
    instance = structure(data["instance"], WorkflowInstance)
    assert instance.terminated and not instance.error  # "" or absent (later stacks omit it)
    assert [item["name"] for item in data["history"]] == ["RunSend", "RunDelay", "RunWaitEvent"]
    activities = [item["name"] for item in data["activities"]["0"]]
    assert activities == ["GetWallet", "CreateTransaction", "CreditWallet"]
    assert data["workflow"]["config"]["name"] == "payout-demo"


def test_demo_amount_out_of_range_is_a_usage_error(cli: Runner) -> None:
    result = cli("demo", "--amount", "20000")
    assert result.code == 2
    assert result.err == "formance-orchestration: error: --amount must be between 1 and 10000\n"


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--base-url", "http://stack:8080", "demo"], "--base-url"),
        (["--token", "t0k", "--http-timeout", "3", "demo"], "--token, --http-timeout"),
        (["--prefix", "", "demo"], "--prefix"),
    ],
)
def test_demo_refuses_connection_options_it_cannot_honour(cli: Runner, argv: list[str], named: str) -> None:
    result = cli(*argv)
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "formance-orchestration: error: demo runs against an embedded fake and connects to nothing: "
        f"drop {named}\n"
    )
    assert "t0k" not in result.err


def test_demo_help_lists_only_what_demo_uses(cli: Runner) -> None:
    result = cli("demo", "--help")
    assert result.code == 0
    assert "--amount" in result.out and "--output" in result.out
    for unused in ("--base-url", "--token", "--client-id", "--http-timeout", "--retries", "--prefix"):
        assert unused not in result.out
    # given after the command, the same one line as before it (not argparse's usage block)
    after = cli("demo", "--base-url", "http://stack", "--retries=2")
    assert (after.code, after.out) == (2, "")
    assert after.err == (
        "formance-orchestration: error: demo runs against an embedded fake and connects to nothing: "
        "drop --base-url, --retries\n"
    )
    other = cli("demo", "--frobnicate")  # anything else: argparse's own answer
    assert other.code == 2 and "unrecognized arguments: --frobnicate" in other.err and "usage:" in other.err


def test_demo_fits_an_80_column_terminal(cli: Runner, monkeypatch: Any) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = cli("demo")
    assert result.code == 0
    too_long = [line for line in result.out.splitlines() if len(line) > 80]
    assert too_long == []
    assert "…" in result.out  # something had to be cut
