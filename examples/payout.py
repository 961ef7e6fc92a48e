"""Run a payout workflow against a Formance Orchestration server and print what it did.

The workflow has two ``send`` stages on the ``default`` ledger:

1. reserve: ``users:<user>`` -> ``payouts:pending`` (the amount is set aside);
2. pay out: ``payouts:pending`` -> ``world`` (the money leaves the ledger).

The script creates the workflow, runs it with the variables ``user`` and ``amount``, polls the
instance until it ends, and prints each stage with the activities it ran.

Usage::

    python examples/payout.py [--url URL] [--prefix PATH] [--user 001] [--amount 2500] [--asset USD/2]

``--url`` defaults to ``$FORMANCE_ORCHESTRATION_URL`` (else ``http://localhost``); a bearer token is
read from ``$FORMANCE_TOKEN``. To try it locally, serve the fake, fund the account through the fake's
control API (on a fresh fake ``users:001`` is empty and the reserve stage would retry until it is
funded), then run the script::

    python -m fakeserver --port 8080 &
    curl -X POST http://127.0.0.1:8080/_fake/ledgers/default/accounts/users:001/fund \\
         -d '{"asset": "USD/2", "amount": 10000}'
    python examples/payout.py --url http://127.0.0.1:8080

Exit status: 0 when the payout went through, 1 when the instance failed or the server errored.
"""

from __future__ import annotations

import argparse
import os
import sys

from formance_orchestration import (
    ActivityCreateTransaction,
    ActivityCreateTransactionOutput,
    Monetary,
    OrchestrationClient,
    OrchestrationError,
    StageSend,
    StageSendDestination,
    StageSendSource,
    WorkflowConfig,
    WorkflowInstanceHistoryStage,
)

PAYOUT = WorkflowConfig(
    name="payout",
    stages=[
        StageSend(
            source=StageSendSource.of_account("users:${user}"),
            destination=StageSendDestination.of_account("payouts:pending"),
            amount=Monetary(asset="${asset}", amount="${amount}"),
        ),
        StageSend(
            source=StageSendSource.of_account("payouts:pending"),
            destination=StageSendDestination.of_account("world"),
            amount=Monetary(asset="${asset}", amount="${amount}"),
        ),
    ],
)


def describe(activity: WorkflowInstanceHistoryStage) -> str:
    """One line per activity: what moved, from where to where."""
    text = activity.name
    if isinstance(activity.input, ActivityCreateTransaction) and activity.input.data is not None:
        moves = "; ".join(
            f"{p.source} -> {p.destination} {p.amount} {p.asset}" for p in activity.input.data.postings or []
        )
        text += f" {activity.input.ledger}: {moves}"
    if isinstance(activity.output, ActivityCreateTransactionOutput):
        text += f" (tx {activity.output.data.txid})"
    if activity.error:
        text += f" failed: {activity.error}"
    elif not activity.terminated:
        text += f" retrying, attempt {activity.attempt}: {activity.last_failure}"
    return text


def main(argv: list[str] | None = None) -> int:
    """Create, run and follow one payout; return the exit status."""
    parser = argparse.ArgumentParser(description="Run a payout workflow and print its history.")
    env = os.environ
    parser.add_argument("--url", default=env.get("FORMANCE_ORCHESTRATION_URL", "http://localhost"))
    parser.add_argument("--prefix", default=env.get("FORMANCE_ORCHESTRATION_PREFIX", "/api/orchestration"))
    parser.add_argument("--user", default="001")
    parser.add_argument("--amount", type=int, default=2500)
    parser.add_argument("--asset", default="USD/2")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the payout")
    args = parser.parse_args(argv)

    token = os.environ.get("FORMANCE_TOKEN") or None
    with OrchestrationClient(args.url, prefix=args.prefix, token=token) as client:
        try:
            workflow = client.create_workflow(PAYOUT).data
            print(f"created workflow {workflow.id} ({workflow.config.name})")
            variables = {"user": args.user, "amount": str(args.amount), "asset": args.asset}
            instance = client.run_workflow(workflow.id, variables).data
            print(f"started instance {instance.id} with {variables}")
            instance = client.wait_for_instance(instance.id, timeout=args.timeout, poll_interval=0.2)
            history = client.get_instance_history(instance.id).data
            for number, stage in enumerate(history):
                state = "done" if stage.terminated else "running"
                if stage.error:
                    state = f"failed: {stage.error}"
                print(f"stage {number} {stage.name}: {state}")
                if stage.name == "RunSend":
                    for activity in client.get_instance_stage_history(instance.id, number).data:
                        print(f"  {describe(activity)}")
        except OrchestrationError as exc:
            print(f"payout failed: {exc}", file=sys.stderr)
            return 1
    if instance.error:
        print(f"payout failed: {instance.error}", file=sys.stderr)
        return 1
    print(f"payout of {args.amount} {args.asset} for users:{args.user} done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
