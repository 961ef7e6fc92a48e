"""Realistic response bodies of the Orchestration API, built deterministically (seeded random).

Shapes follow the service's wire form: ``{"data": ...}`` envelopes, camelCase keys, RFC 3339 timestamps
with nanosecond precision (Go's rendering: trailing zeros trimmed), stored stage configs with sorted keys,
sends of every source and destination kind, activity items with inputs and outputs.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "Bodies",
    "encode",
    "instance_body",
    "instances_body",
    "sdk_readable_history",
    "stage_history_body",
    "workflows_body",
]

_BASE = datetime(2023, 4, 13, 8, 0, 0, tzinfo=UTC)

_SOURCES: list[dict[str, Any]] = [
    {"account": {"id": "users:${userID}", "ledger": "default"}},
    {"wallet": {"balance": "main", "id": "6f1c0a0e-5d8e-4d0f-9a55-2b0d8a0c1e11"}},
    {"payment": {"id": "stripe_py_3N2xY7Kq9"}},
]
_DESTINATIONS: list[dict[str, Any]] = [
    {"account": {"id": "bank", "ledger": "treasury"}},
    {"wallet": {"balance": "savings", "id": "b3a4f3c2-1e1d-4c6b-8f3e-4a2e9d7c6b5a"}},
    {"payment": {"metadata": "stripeConnectID", "psp": "stripe"}},
]


def encode(data: Any) -> bytes:
    """JSON bytes as the Go service writes them (compact, trailing newline)."""
    return json.dumps(data, separators=(",", ":")).encode() + b"\n"


class _Gen:
    """Seeded source of ids, amounts and increasing nanosecond timestamps."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.ns = 0

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def ts(self) -> str:
        self.ns += self.rng.randrange(1, 50_000_000_000)
        seconds, nanos = divmod(self.ns, 1_000_000_000)
        # A few whole seconds and short fractions too, as Go trims trailing zeros.
        if self.rng.random() < 0.05:
            nanos = 0
        elif self.rng.random() < 0.1:
            nanos -= nanos % 1_000_000
        text = (_BASE + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
        if nanos:
            text += "." + f"{nanos:09d}".rstrip("0")
        return text + "Z"

    def amount(self) -> int:
        return self.rng.randrange(1, 10_000_000)


def _send_config(gen: _Gen, combo: int) -> dict[str, Any]:
    source = _SOURCES[combo // 3]
    destination = _DESTINATIONS[combo % 3]
    return {
        "send": {
            "amount": {"amount": gen.amount(), "asset": "USD/2"},
            "destination": destination,
            "source": source,
        }
    }


def _workflow(gen: _Gen, index: int) -> dict[str, Any]:
    created = gen.ts()
    fifth: dict[str, Any]
    kind = index % 3
    if kind == 0:
        fifth = _send_config(gen, (index + 4) % 9)
    elif kind == 1:
        fifth = {"delay": {"until": gen.ts()}}
    else:
        # A stage type this client version does not know: decoded as a raw stage.
        fifth = {
            "webhook": {"headers": {"x-trace": "on"}, "method": "POST", "url": "https://example.invalid/h"}
        }
    stages = [
        _send_config(gen, index % 9),
        {"delay": {"duration": f"{(index % 59) + 1}s"}},
        {"wait_event": {"event": f"approved-{index % 7}"}},
        {"noop": {}},
        fifth,
    ]
    return {
        "id": gen.uuid(),
        "config": {"name": f"payout-{index}", "stages": stages},
        "createdAt": created,
        "updatedAt": created,
    }


def workflows_body(count: int, *, seed: int = 1) -> dict[str, Any]:
    """``listWorkflows`` data: ``count`` workflows of 5 stages (send, delay, wait_event, noop, and a
    fifth that rotates over another send, a delay until and an unknown stage type)."""
    gen = _Gen(seed)
    return {"data": [_workflow(gen, index) for index in range(count)]}


def _instance(gen: _Gen, index: int, workflow_id: str, *, stages: int | None) -> dict[str, Any]:
    created = gen.ts()
    item: dict[str, Any] = {
        "workflowID": workflow_id,
        "id": gen.uuid(),
        "createdAt": created,
        "updatedAt": created,
    }
    terminated = index % 10 < 7
    item["terminated"] = terminated
    if terminated:
        item["terminatedAt"] = gen.ts()
    if stages is not None:
        status = []
        for stage in range(stages):
            row: dict[str, Any] = {"stage": stage, "instanceID": item["id"], "startedAt": gen.ts()}
            if terminated or stage < stages - 1:
                row["terminatedAt"] = gen.ts()
            row["error"] = ""
            status.append(row)
        item["status"] = status
    error = ""
    if terminated and index % 10 == 5:
        error = "canceled"
    elif terminated and index % 10 == 6:
        error = "only stripe actually supported"
    item["error"] = error
    return item


def instances_body(count: int, *, seed: int = 2) -> dict[str, Any]:
    """``listInstances`` data: ``count`` instances of 10 workflows (list items carry no ``status``)."""
    gen = _Gen(seed)
    workflows = [gen.uuid() for _ in range(10)]
    return {"data": [_instance(gen, index, workflows[index % 10], stages=None) for index in range(count)]}


def instance_body(*, seed: int = 3) -> dict[str, Any]:
    """``getInstance`` data: one finished instance of a 3-stage workflow, with its status rows."""
    gen = _Gen(seed)
    return {"data": _instance(gen, 0, gen.uuid(), stages=3)}


def _activity(gen: _Gen, index: int) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
    wallet = "6f1c0a0e-5d8e-4d0f-9a55-2b0d8a0c1e11"
    value = gen.amount()
    amount: dict[str, Any] = {"amount": value, "asset": "USD/2"}
    kind = index % 7
    if kind == 0:
        return (
            "GetWallet",
            {"id": wallet},
            {
                "data": {
                    "balances": {"main": {"assets": {"EUR/2": gen.amount(), "USD/2": gen.amount()}}},
                    "createdAt": gen.ts(),
                    "id": wallet,
                    "ledger": "wallets-002",
                    "metadata": {"owner": "alice"},
                    "name": "alice",
                }
            },
        )
    if kind == 1:
        postings = [
            {"amount": amount["amount"], "asset": "USD/2", "destination": "world", "source": "users:001"}
        ]
        metadata = {"orchestration/move-to-ledger": "wallets-002"}
        return (
            "CreateTransaction",
            {"data": {"metadata": metadata, "postings": postings}, "ledger": "default"},
            {
                "data": {
                    "metadata": metadata,
                    "postings": postings,
                    "reference": "",
                    "timestamp": gen.ts(),
                    "txid": 1000 + index,
                }
            },
        )
    if kind == 2:
        return (
            "CreditWallet",
            {
                "data": {
                    "amount": amount,
                    "balance": "main",
                    "metadata": {"orchestration/move-from-ledger": "default"},
                    "sources": [{"identifier": "world", "type": "ACCOUNT"}],
                },
                "id": wallet,
            },
            None,
        )
    if kind == 3:
        return (
            "DebitWallet",
            {
                "data": {
                    "amount": amount,
                    "balances": ["main"],
                    "destination": {"identifier": "bank", "type": "ACCOUNT"},
                    "metadata": None,
                },
                "id": wallet,
            },
            None,
        )
    if kind == 4:
        return (
            "GetAccount",
            {"id": "users:001", "ledger": "default"},
            {
                "data": {
                    "address": "users:001",
                    "balances": {"USD/2": 2 * value},
                    "metadata": {"stripeConnectID": "acct_1N2xY7Kq9"},
                    "volumes": {"USD/2": {"input": 3 * value, "output": value}},
                }
            },
        )
    if kind == 5:
        payment = f"stripe_py_{index}"
        return (
            "GetPayment",
            {"id": payment},
            {
                "data": {
                    "accountID": "acct_1N2xY7Kq9",
                    "adjustments": [
                        {
                            "absolute": False,
                            "amount": amount["amount"],
                            "date": gen.ts(),
                            "raw": {"event": "charge"},
                            "status": "SUCCEEDED",
                        }
                    ],
                    "asset": "USD/2",
                    "createdAt": gen.ts(),
                    "id": payment,
                    "initialAmount": amount["amount"],
                    "metadata": {"order": str(index)},
                    "provider": "STRIPE",
                    "raw": {"object": "charge"},
                    "reference": f"ch_{index}",
                    "scheme": "visa",
                    "status": "SUCCEEDED",
                    "type": "PAY-IN",
                }
            },
        )
    return (
        "StripeTransfer",
        {"amount": amount["amount"], "asset": "USD/2", "destination": "acct_1N2xY7Kq9"},
        None,
    )


def stage_history_body(count: int, *, seed: int = 4) -> dict[str, Any]:
    """``getInstanceStageHistory`` data: ``count`` activity items of every kind, all completed (with
    outputs where the activity returns one) except the last, pending with a failure and a retry time."""
    gen = _Gen(seed)
    items = []
    for index in range(count):
        name, input_, output = _activity(gen, index)
        item: dict[str, Any] = {"name": name, "input": {name: input_}}
        last = index == count - 1
        if output is not None and not last:
            item["output"] = {name: output}
        item["terminated"] = not last
        item["startedAt"] = gen.ts()
        if not last:
            item["terminatedAt"] = gen.ts()
            item["attempt"] = 1
        else:
            item["lastFailure"] = "account had insufficient funds"
            item["attempt"] = 3
            item["nextExecution"] = gen.ts()
        items.append(item)
    return {"data": items}


def sdk_readable_history(body: dict[str, Any]) -> dict[str, Any]:
    """A copy of a stage-history body in the shapes formance-sdk-python 9.0.1 reads (the later
    stacks' transaction and payment fields, empty maps for the wallet ones the service sends null),
    as a later stack version's fake answers with ``openapi_shapes``, so both sides of the SDK row
    decode the same bytes."""
    copied: dict[str, Any] = json.loads(json.dumps(body))
    for item in copied["data"]:
        name = item["name"]
        output = (item.get("output") or {}).get(name) or {}
        data = output.get("data")
        if name == "CreateTransaction" and isinstance(data, dict):
            data.update(id=data["txid"], reverted=False)
        elif name == "GetPayment" and isinstance(data, dict):
            data.update(connectorID="", sourceAccountID="", destinationAccountID=data.pop("accountID"))
            data["amount"] = data["initialAmount"]
        wallet = item["input"][name].get("data") if name in ("DebitWallet", "CreditWallet") else None
        if isinstance(wallet, dict):
            for key, empty in (("metadata", {}), ("sources", [])):
                if key in wallet and wallet[key] is None:
                    wallet[key] = empty
    return copied


class Bodies:
    """The benchmark bodies, parsed and encoded, built once."""

    def __init__(self, *, workflows: int = 1000, instances: int = 1000, activities: int = 50) -> None:
        self.instance = instance_body()
        self.workflows = workflows_body(workflows)
        self.instances = instances_body(instances)
        self.stage_history = stage_history_body(activities)
        self.instance_bytes = encode(self.instance)
        self.workflows_bytes = encode(self.workflows)
        self.instances_bytes = encode(self.instances)
        self.stage_history_bytes = encode(self.stage_history)
