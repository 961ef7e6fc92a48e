"""``formance-orchestration demo``: a payout, end to end, against an embedded fake, narrated.

It seeds a ledger account and a wallet, creates a workflow (send account -> wallet, delay, wait for
an event), runs it, moves the fake's virtual clock past the delay, sends the event, and prints the
instance, its history and the balances before and after. Everything goes through the real client;
only seeding, reading balances and moving the clock use the fake directly.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from formance_orchestration.cli._commands import collect_activities
from formance_orchestration.cli._context import Context, open_context, to_wire
from formance_orchestration.cli._errors import CliError, ExitCode
from formance_orchestration.cli._render import Column, Console, format_duration
from formance_orchestration.cli._settings import DEFAULT_BASE_URL, Settings
from formance_orchestration.cli._show import show_history, show_instance, show_workflow
from formance_orchestration.cli._summary import instance_status

__all__ = [
    "ACCOUNT",
    "ASSET",
    "DELAY",
    "EVENT",
    "INITIAL_FUNDS",
    "WALLET_NAME",
    "demo_workflow",
    "run_demo",
]

ACCOUNT = "users:001"
ASSET = "USD/2"
INITIAL_FUNDS = 10_000
WALLET_NAME = "alice"
EVENT = "payout-approved"
DELAY = timedelta(hours=1)


def demo_workflow() -> dict[str, Any]:
    """The demo's workflow config, in wire form: send ``${amount}`` to wallet ``${wallet}``, delay, wait."""
    return {
        "name": "payout-demo",
        "stages": [
            {
                "send": {
                    "source": {"account": {"id": ACCOUNT, "ledger": "default"}},
                    "destination": {"wallet": {"id": "${wallet}", "balance": "main"}},
                    "amount": {"amount": "${amount}", "asset": ASSET},
                }
            },
            {"delay": {"duration": "1h"}},
            {"wait_event": {"event": EVENT}},
        ],
    }


def _balances(ctx: Context, wallet_id: str) -> dict[str, int]:
    assert ctx.fake is not None
    bank = ctx.fake.bank
    return {
        ACCOUNT: int(bank.balance(ACCOUNT, ASSET)),
        f"wallet:{WALLET_NAME}": int(bank.wallet_balance(wallet_id, ASSET)),
    }


def _holder_rows(wallet_id: str) -> list[tuple[str, str]]:
    return [(ACCOUNT, "ledger default"), (f"wallet:{WALLET_NAME}", f"wallet {wallet_id}")]


def _signed(value: int) -> str:
    return f"+{value}" if value > 0 else str(value)


def run_demo(settings: Settings, console: Console, *, amount: int = 2500) -> ExitCode:
    """Run the narrated demo and return 0 when the payout went through (3 otherwise).

    :param settings: only ``output`` matters (``json`` prints one JSON document instead of the story).
    :param console: where to print.
    :param amount: the amount sent, in the asset's minor unit (cents of ``USD/2``).
    """
    if amount <= 0 or amount > INITIAL_FUNDS:
        raise CliError(f"--amount must be between 1 and {INITIAL_FUNDS}", ExitCode.USAGE)
    demo_settings = Settings(base_url=DEFAULT_BASE_URL, output=settings.output, fake=True)
    with open_context(demo_settings, console, io.StringIO(""), fake=True) as ctx:
        return _run(ctx, amount)


def _run(ctx: Context, amount: int) -> ExitCode:
    assert ctx.fake is not None
    fake, client, console = ctx.fake, ctx.client, ctx.console
    as_json = ctx.settings.output == "json"

    def say(text: str = "") -> None:
        if as_json:
            return
        if text:
            console.paragraph(text)
        else:
            console.line()

    if not as_json:
        console.paragraph(
            "Formance Orchestration demo: a payout from a ledger account to a wallet. It runs against "
            "an embedded fake with a virtual clock; nothing leaves this process."
        )
        console.line()

    # 1. seed
    fake.bank.fund(ACCOUNT, ASSET, INITIAL_FUNDS)
    wallet_id = str(fake.bank.create_wallet(name=WALLET_NAME))
    before = _balances(ctx, wallet_id)
    if not as_json:
        console.heading("1. Seed the ledger and a wallet")
        say(f"Funded {ACCOUNT} with {INITIAL_FUNDS} {ASSET} and created the wallet {WALLET_NAME!r}.")
        say()
        console.table(
            [
                Column("holder", shrink=False),
                Column("where"),
                Column("asset", shrink=False),
                Column("balance", shrink=False, align=">"),
            ],
            [(holder, where, ASSET, before[holder]) for holder, where in _holder_rows(wallet_id)],
        )
        say()

    # 2. create
    workflow = to_wire(client.create_workflow(demo_workflow()).data)
    workflow_id = str(workflow["id"])
    if not as_json:
        console.heading("2. Create the workflow")
        show_workflow(console, workflow)
        say()

    # 3. run
    variables = {"wallet": wallet_id, "amount": str(amount)}
    started = to_wire(client.run_workflow(workflow_id, variables).data)
    instance_id = str(started["id"])
    instance = to_wire(client.get_instance(instance_id).data)
    if not as_json:
        console.heading("3. Run it")
        say(f"Variables: wallet={wallet_id} amount={amount}")
        say(f"The send ran at once; stage 1 now waits {format_duration(DELAY)} on the fake's clock.")
        say()
        show_instance(console, instance, workflow)
        say()

    # 4. advance the clock
    step = DELAY
    fake.advance(step)
    instance = to_wire(client.get_instance(instance_id).data)
    if not as_json:
        console.heading(f"4. Advance the virtual clock by {format_duration(step)}")
        waiting = fake.engine.waiting_event(instance_id) or EVENT
        say(f"The delay is over; stage 2 waits for the event {waiting!r}.")
        say()
        show_instance(console, instance, workflow)
        say()

    # 5. send the event
    client.send_event(instance_id, EVENT)
    instance = to_wire(client.get_instance(instance_id).data)
    status = instance_status(instance)
    if not as_json:
        console.heading(f"5. Send the event {EVENT!r}")
        show_instance(console, instance, workflow)
        say()

    # 6. history
    history = to_wire(client.get_instance_history(instance_id).data)
    activities = collect_activities(ctx, instance_id, history)
    if not as_json:
        console.heading("6. History")
        show_history(console, history, activities)
        say()

    # 7. balances
    after = _balances(ctx, wallet_id)
    if as_json:
        console.json(
            {
                "workflow": workflow,
                "instance": instance,
                "history": history,
                "activities": {str(number): items for number, items in activities.items()},
                "balances": {"asset": ASSET, "before": before, "after": after},
            }
        )
    else:
        console.heading("7. Balances before and after")
        console.table(
            [
                Column("holder", shrink=False),
                Column("asset", shrink=False),
                Column("before", shrink=False, align=">"),
                Column("after", shrink=False, align=">"),
                Column("change", shrink=False, align=">"),
            ],
            [
                (holder, ASSET, before[holder], after[holder], _signed(after[holder] - before[holder]))
                for holder, _ in _holder_rows(wallet_id)
            ],
        )
        say()
        _outro(console, status, amount)
    moved = after[ACCOUNT] == before[ACCOUNT] - amount and _moved_to_wallet(after, before, amount)
    if status != "succeeded" or not moved:
        console.note(
            f"demo: the instance {status} and the balances {'moved' if moved else 'did not move as expected'}"
        )
        return ExitCode.INSTANCE_FAILED
    return ExitCode.OK


def _moved_to_wallet(after: Mapping[str, int], before: Mapping[str, int], amount: int) -> bool:
    key = f"wallet:{WALLET_NAME}"
    return after[key] == before[key] + amount


def _outro(console: Console, status: str, amount: int) -> None:
    if status == "succeeded":
        console.paragraph(
            f"Done: the instance succeeded and {amount} {ASSET} moved from {ACCOUNT} "
            f"to the wallet {WALLET_NAME!r}."
        )
    else:
        console.paragraph(f"The instance {status}.")
    console.paragraph(
        "Next: serve the fake with `formance-orchestration fake serve` and point the CLI at it with "
        "--base-url, or try a workflow file of your own with "
        "`formance-orchestration --fake workflows create FILE --run --wait`."
    )
