"""One-line, human descriptions of stages, activities and statuses, read from the API's wire form.

Everything here takes JSON-ready dicts (the API's wire names, as ``unstructure`` gives them), so the
renderers work the same for typed models and for raw bodies, and tolerate fields they do not know.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any

from formance_orchestration.cli._render import format_duration, format_time, parse_time

__all__ = [
    "STAGE_TYPES_BY_RUN_NAME",
    "activity_details",
    "activity_problem",
    "activity_result",
    "activity_status",
    "amount_text",
    "elapsed",
    "instance_status",
    "stage_status",
    "stage_summary",
    "stage_type",
    "unwrap_stage",
    "wallet_names",
]

#: Child-workflow names of the instance history, and the stage type each one runs.
STAGE_TYPES_BY_RUN_NAME = {
    "RunSend": "send",
    "RunDelay": "delay",
    "RunWaitEvent": "wait_event",
    "RunNoOp": "noop",
}
_KNOWN_STAGE_TYPES = frozenset(STAGE_TYPES_BY_RUN_NAME.values())


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str, ensure_ascii=False)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def instance_status(instance: Mapping[str, Any]) -> str:
    """``running``, ``succeeded``, ``failed`` or ``aborted`` for an instance in wire form."""
    if not instance.get("terminated"):
        return "running"
    error = instance.get("error") or ""
    if error == "canceled":
        return "aborted"
    return "failed" if error else "succeeded"


def stage_status(item: Mapping[str, Any]) -> str:
    """The same four words for a stage status row or an instance-history item."""
    ended = item.get("terminated") if "terminated" in item else item.get("terminatedAt") is not None
    if not ended:
        return "running"
    error = item.get("error") or ""
    if error == "canceled":
        return "aborted"
    return "failed" if error else "succeeded"


def elapsed(item: Mapping[str, Any], start_key: str = "startedAt", end_key: str = "terminatedAt") -> str:
    """How long it took (``""`` while it still runs)."""
    start = parse_time(item.get(start_key))
    end = parse_time(item.get(end_key))
    if start is None or end is None:
        return ""
    return format_duration(end - start)


def amount_text(amount: Any) -> str:
    """``100 EUR/2`` from ``{"amount": 100, "asset": "EUR/2"}``."""
    data = _mapping(amount)
    if not data:
        return ""
    return f"{_text(data.get('amount'))} {_text(data.get('asset'))}".strip()


# -- stages as configured (workflow config) or resolved (instance history input) ---------------------


def unwrap_stage(stage: Any) -> tuple[str, Mapping[str, Any]]:
    """``("send", {...})`` from a one-key config stage ``{"send": {...}}``."""
    data = _mapping(stage)
    if len(data) == 1:
        ((name, params),) = data.items()
        return str(name), _mapping(params)
    return "?", data


def stage_type(history_name: str) -> str:
    """``send`` from ``RunSend``; unknown names are kept."""
    return STAGE_TYPES_BY_RUN_NAME.get(history_name, history_name)


def _wallet(wallet_id: str, names: Mapping[str, str] | None) -> str:
    name = names.get(wallet_id) if names else None
    return f"wallet {name or wallet_id or '?'}"


def _endpoint(side: Any, *, source: bool, names: Mapping[str, str] | None = None) -> str:
    data = _mapping(side)
    account = data.get("account")
    if isinstance(account, Mapping):
        ledger = _text(account.get("ledger"))
        where = f" (ledger {ledger})" if ledger and ledger != "default" else ""
        return f"{_text(account.get('id')) or '?'}{where}"
    wallet = data.get("wallet")
    if isinstance(wallet, Mapping):
        balance = _text(wallet.get("balance"))
        suffix = f"/{balance}" if balance and balance != "main" else ""
        return _wallet(_text(wallet.get("id")), names) + suffix
    payment = data.get("payment")
    if isinstance(payment, Mapping):
        if source:
            return f"payment {_text(payment.get('id')) or '?'}"
        return f"payment via {_text(payment.get('psp')) or '?'}"
    if not data:
        return "?"
    return _compact(data)


def stage_summary(kind: str, params: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """What a stage does, e.g. ``users:001 -> wallet w1  2500 USD/2`` or ``for event 'approved'``.

    :param kind: the stage type (``send``, ``delay``, ``wait_event``, ``noop`` or another).
    :param params: its parameters, configured or resolved.
    :param names: wallet id -> wallet name, to show names instead of ids where known.
    """
    # a resolved history input may still come wrapped ({"send": {...}}): unwrap it
    if len(params) == 1 and next(iter(params)) == kind and kind in _KNOWN_STAGE_TYPES:
        params = _mapping(params[kind])
    if kind == "send":
        source = _endpoint(params.get("source"), source=True, names=names)
        destination = _endpoint(params.get("destination"), source=False, names=names)
        text = f"{source} -> {destination}"
        amount = amount_text(params.get("amount"))
        return f"{text}  {amount}" if amount else text
    if kind == "delay":
        if params.get("duration") not in (None, ""):
            return f"for {_text(params.get('duration'))}"
        if params.get("until") not in (None, ""):
            until = params.get("until")
            return f"until {format_time(until) or _text(until)}"
        return "(no duration)"
    if kind == "wait_event":
        event = _text(params.get("event"))
        return f"for event {event!r}" if event else "(no event)"
    if kind == "noop":
        return ""
    return _compact(params) if params else ""


# -- activities (stage history items) --------------------------------------------------------------


def _payload(item: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The activity's input/output object without its one-key name wrapper."""
    container = _mapping(item.get(key))
    name = _text(item.get("name"))
    if name in container:
        return _mapping(container[name])
    if len(container) == 1:
        return _mapping(next(iter(container.values())))
    return container


def _subject(subject: Any, names: Mapping[str, str] | None = None) -> str:
    data = _mapping(subject)
    kind = _text(data.get("type")).upper()
    identifier = _text(data.get("identifier"))
    if kind == "WALLET":
        balance = _text(data.get("balance"))
        return _wallet(identifier, names) + (f"/{balance}" if balance and balance != "main" else "")
    if kind == "ACCOUNT":
        return identifier
    return _compact(data) if data else "?"


def _moves(metadata: Any) -> str:
    data = _mapping(metadata)
    to_ledger = data.get("orchestration/move-to-ledger")
    from_ledger = data.get("orchestration/move-from-ledger")
    if to_ledger:
        return f" (to ledger {to_ledger})"
    if from_ledger:
        return f" (from ledger {from_ledger})"
    return ""


def _postings(postings: Any) -> str:
    items = postings if isinstance(postings, Sequence) and not isinstance(postings, str) else []
    texts = []
    for posting in items:
        data = _mapping(posting)
        texts.append(
            f"{_text(data.get('source'))} -> {_text(data.get('destination'))} "
            f"{_text(data.get('amount'))} {_text(data.get('asset'))}"
        )
    return "; ".join(texts) if texts else "(no postings)"


def wallet_names(items: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Wallet id -> name, from the outputs of the ``GetWallet`` activities among ``items``."""
    names: dict[str, str] = {}
    for item in items:
        if item.get("name") != "GetWallet":
            continue
        data = _mapping(_payload(item, "output").get("data"))
        if data.get("id") and data.get("name"):
            names[str(data["id"])] = str(data["name"])
    return names


def activity_details(item: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """What an activity did, e.g. ``CreateTransaction default: world -> bank 100 EUR/2``.

    :param item: a stage history item in wire form (``name``, ``input``, ``output``...).
    :param names: wallet id -> wallet name, to show names instead of ids where known.
    """
    name = _text(item.get("name"))
    data = _payload(item, "input")
    body = _mapping(data.get("data", data.get("Data")))  # stack v2.0+ sends {Data, Ledger}
    detail: str
    if name == "CreateTransaction":
        script = _mapping(body.get("script")).get("plain")
        if body.get("postings") is None and isinstance(script, str):  # stack v3.2.5+: an overdraft
            moved = "Numscript " + " ".join(script.split())
        else:
            moved = _postings(body.get("postings"))
        detail = f"{_text(data.get('ledger', data.get('Ledger')))}: {moved}{_moves(body.get('metadata'))}"
        if body.get("reference"):
            detail += f" ref {body.get('reference')}"
    elif name == "GetAccount":
        detail = f"{_text(data.get('ledger'))}: {_text(data.get('id'))}"
    elif name in ("GetWallet", "GetPayment"):
        detail = _text(data.get("id"))
    elif name == "CreditWallet":
        balance = _text(body.get("balance"))
        target = _wallet(_text(data.get("id")), names) + (f"/{balance}" if balance else "")
        sources = body.get("sources")
        origin = ""
        if isinstance(sources, Sequence) and not isinstance(sources, str) and sources:
            origin = " from " + ", ".join(_subject(source, names) for source in sources)
        detail = f"{target}: +{amount_text(body.get('amount'))}{origin}{_moves(body.get('metadata'))}"
    elif name == "DebitWallet":
        balances = body.get("balances")
        which = "/" + ",".join(str(b) for b in balances) if isinstance(balances, list) and balances else ""
        target = ""
        if body.get("destination") is not None:
            target = f" to {_subject(body.get('destination'), names)}"
        wallet = _wallet(_text(data.get("id")), names)
        detail = f"{wallet}{which}: -{amount_text(body.get('amount'))}{target}{_moves(body.get('metadata'))}"
    elif name == "StripeTransfer":
        detail = f"{amount_text(data)} -> connected account {_text(data.get('destination'))}"
    elif name == "CreateTransferInitiation":
        kind = " ".join(_text(data.get(key)) for key in ("provider", "type") if data.get(key))
        detail = f"{amount_text(data)} -> {kind} to account {_text(data.get('destination'))}"
    elif name == "RevertTransaction":
        txid = data.get("txId", data.get("id"))
        detail = f"{_text(data.get('ledger'))}: tx {_text(txid)}"
    elif name in ("ConfirmHold", "VoidHold"):
        detail = f"hold {_text(data.get('id'))}"
    else:
        detail = _compact(data) if data else ""
    return f"{name} {detail}".rstrip()


def activity_result(item: Mapping[str, Any]) -> str:
    """The useful part of an activity's output (``tx 12``, the wallet's name...), ``""`` if none."""
    name = _text(item.get("name"))
    output = _payload(item, "output")
    raw = output.get("data")
    if isinstance(raw, list) and raw:  # stack v2.0+: a one-element list of transactions
        raw = raw[0]
    data = _mapping(raw)
    if not data:
        return ""
    if name == "CreateTransaction":
        return f"tx {_text(data.get('txid', data.get('id')))}"
    if name == "GetWallet":
        label = _text(data.get("name")) or _text(data.get("id"))
        ledger = _text(data.get("ledger"))
        return f"{label} ({ledger})" if ledger else label
    if name == "GetAccount":
        balances = _mapping(data.get("balances"))
        shown = ", ".join(f"{value} {asset}" for asset, value in sorted(balances.items()))
        return f"balance {shown}" if shown else "no balance"
    if name == "GetPayment":
        amount = f"{_text(data.get('initialAmount'))} {_text(data.get('asset'))}".strip()
        extra = ", ".join(v for v in (_text(data.get("provider")), _text(data.get("status"))) if v)
        return f"{amount} ({extra})" if extra else amount
    if name == "DebitWallet":
        return f"hold {_text(data.get('id'))}" if data.get("id") else ""
    return ""


def activity_status(item: Mapping[str, Any]) -> str:
    """``done``, ``failed``, ``cancelled``, ``running`` or ``retrying (attempt N, next HH:MM:SS)``."""
    error = _text(item.get("error"))
    if item.get("terminated"):
        if error == "cancelled":
            return "cancelled"
        return "failed" if error else "done"
    attempt = item.get("attempt")
    if item.get("lastFailure") or (isinstance(attempt, int) and attempt > 1):
        parts = [f"attempt {attempt}"] if attempt is not None else []
        next_time = parse_time(item.get("nextExecution"))
        if next_time is not None:
            parts.append(f"next {next_time.astimezone(UTC).strftime('%H:%M:%S')}")
        return f"retrying ({', '.join(parts)})" if parts else "retrying"
    return "running"


def activity_problem(item: Mapping[str, Any]) -> str:
    """The activity's error, or for one still retrying its last failure (``""`` when all is well)."""
    error = _text(item.get("error"))
    if error and error != "cancelled":
        return error
    if not item.get("terminated"):
        return _text(item.get("lastFailure"))
    return ""
