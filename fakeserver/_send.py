"""The ``send`` stage: the ordered activities it schedules for each source/destination pair.

:func:`run_send` is a generator that yields one :class:`Activity` at a time, exactly as the real
``RunSend`` child workflow schedules them, with the inputs its stage history shows. The engine drives
it (this is the contract both sides rely on)::

    gen = run_send(params, bank)
    act = next(gen)                       # may raise StageFailed before any activity
    while True:
        try:
            output = act.execute()        # performs the work on the bank
        except ActivityFailure as failure:
            if failure.retryable:
                ...                       # later: call the SAME act.execute() again (attempt n+1)
                continue
            act = gen.throw(failure)      # the generator may swallow it (CONFLICT on the payment
            continue                      # import) and yield the next activity, or re-raise it
        act = gen.send(output)            # output: wire dict, or None for activities without one

* ``StopIteration`` from ``next``/``send``/``throw``: the stage succeeded.
* :class:`StageFailed` from any of them: the stage fails with ``StageFailed.message`` (the child
  workflow returned a plain error: ``only stripe actually supported``, ``amount must be specified``,
  missing Stripe metadata, ``send from payment to payment is not supported``...). Only ``next`` and
  ``send`` raise it; it may come before the first activity.
* :class:`ActivityFailure` out of ``throw``: a non-retryable failure the stage does not tolerate; the
  stage fails with ``failure.message``. Never throw a retryable failure in: retry ``execute`` instead.
* Abort: the engine just stops driving (``gen.close()`` is harmless). Nothing is rolled back;
  activities already done stay done, as with the real service.

The generator reads what it needs (a wallet's ledger, an account's metadata, a payment's amount) from
the output the engine sends back, never from the bank directly, so what the history shows is what
the stage acted on. Each :attr:`Activity.execute` is atomic: a failing attempt changes nothing.

Sequences (``A`` = the amount, ``{}``/``null`` = the metadata sent):

* account -> account: same ledger: CreateTransaction(L, src->dst, ``{}``); else
  CreateTransaction(L1, src->world, move-to L2) then CreateTransaction(L2, world->dst, move-from L1).
* account -> wallet: GetWallet(dst); same ledger: CreditWallet(sources ``[ACCOUNT src]``, ``null``);
  else CreateTransaction(srcL, src->world, move-to walletL), CreditWallet(sources ``[ACCOUNT world]``,
  move-from srcL).
* account -> payment: GetAccount(src); StripeTransfer; CreateTransaction(srcL, src->world, ``{}``).
* wallet -> account: GetWallet(src); same ledger: DebitWallet(destination ``ACCOUNT dst``, ``null``);
  else DebitWallet(move-to dstL), CreateTransaction(dstL, world->dst, move-from walletL).
* wallet -> wallet: GetWallet(src), GetWallet(dst); same ledger: CreditWallet(sources
  ``[WALLET src balance main]``, ``null``); else DebitWallet(move-to dstWL), CreditWallet(sources
  ``null``, move-from srcWL).
* wallet -> payment: GetWallet(src); StripeTransfer; DebitWallet(``null``, no destination).
* payment -> account / wallet: GetPayment; CreateTransaction(``orchestration-000-internal``,
  world->``payment:<id, "-" as "_">``, initialAmount, reference ``payment:<id_>``; CONFLICT
  tolerated); then account -> account / wallet from that internal account.
* payment -> payment: fails.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Generator, Mapping
from typing import Any

import attrs

from fakeserver._ledger import WORLD, ActivityFailure, Bank, json_copy
from fakeserver._stack_versions import StackVersion

__all__ = [
    "ACTIVITY_STAGES",
    "INTERNAL_LEDGER",
    "MOVE_FROM_LEDGER",
    "MOVE_TO_LEDGER",
    "Activity",
    "SendRun",
    "StageFailed",
    "payment_account",
    "run_activities",
    "run_send",
]

#: Where payments are imported before they move on.
INTERNAL_LEDGER = "orchestration-000-internal"
#: Metadata key on the outgoing side of a cross-ledger move (value: the target ledger).
MOVE_TO_LEDGER = "orchestration/move-to-ledger"
#: Metadata key on the incoming side of a cross-ledger move (value: the origin ledger).
MOVE_FROM_LEDGER = "orchestration/move-from-ledger"

_DEFAULT_CONNECT_ID_KEY = "stripeConnectID"
# What the Go workflow's recovered nil-pointer panic reads like (an activity that "succeeded"
# without the output the stage needs, e.g. after a swallowed non-JSON error body).
_NIL_OUTPUT = "runtime error: invalid memory address or nil pointer dereference"


@attrs.frozen
class Activity:
    """One activity the send stage schedules.

    :param name: the activity name as the stage history shows it (``CreateTransaction``...).
    :param input: its input in wire form, without the ``{name: ...}`` wrapper.
    :param execute: performs it on the bank and returns the output wire form (``None`` for
        activities without an output); raises :class:`~fakeserver._ledger.ActivityFailure`.
        Atomic, and may be called again after a retryable failure.
    """

    name: str
    input: dict[str, Any]
    execute: Callable[[], dict[str, Any] | None]


class StageFailed(Exception):
    """The send stage itself failed with a plain error (no activity involved); ``message`` is its text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


#: The generator type :func:`run_send` returns.
SendRun = Generator[Activity, dict[str, Any] | None, None]


def _refs(side: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """The account, wallet and payment of a send source or destination (None where absent)."""
    return side.get("account"), side.get("wallet"), side.get("payment")


def payment_account(payment_id: str) -> str:
    """The internal-ledger account a payment is imported into: ``payment:<id with "-" as "_">``."""
    return "payment:" + payment_id.replace("-", "_")


def run_send(params: Mapping[str, Any], bank: Bank) -> SendRun:
    """Yield the activities of one ``send`` stage, in order (see the module docstring for the protocol).

    :param params: the resolved, validated send in history-input wire form: ``source``,
        ``destination`` and optionally ``amount`` (``{"amount": int, "asset": str}``).
    :param bank: what each activity's ``execute`` acts on.
    :raises StageFailed: when the stage fails with a plain error.
    """
    source = params.get("source") or {}
    destination = params.get("destination") or {}
    amount = _monetary(params.get("amount"))
    src_account, src_wallet, src_payment = _refs(source)
    dst_account, dst_wallet, dst_payment = _refs(destination)

    if src_payment is not None:
        if dst_payment is not None:
            raise StageFailed("send from payment to payment is not supported")
        if dst_account is None and dst_wallet is None:
            raise StageFailed("should not happen")
        internal, amount = yield from _import_payment(bank, str(src_payment.get("id") or ""), amount)
        if dst_account is not None:
            yield from _account_to_account(bank, internal, _account(dst_account), amount)
        else:
            yield from _account_to_wallet(bank, internal, _wallet(dst_wallet), amount)
        return

    if (src_account is None and src_wallet is None) or (
        dst_account is None and dst_wallet is None and dst_payment is None
    ):
        raise StageFailed("should not happen")
    if amount is None:
        raise StageFailed("amount must be specified")

    if src_account is not None:
        src = _account(src_account)
        if dst_account is not None:
            yield from _account_to_account(bank, src, _account(dst_account), amount)
        elif dst_wallet is not None:
            yield from _account_to_wallet(bank, src, _wallet(dst_wallet), amount)
        else:
            yield from _account_to_payment(bank, src, dst_payment or {}, amount)
        return

    wallet = _wallet(src_wallet)
    if dst_account is not None:
        yield from _wallet_to_account(bank, wallet, _account(dst_account), amount)
    elif dst_wallet is not None:
        yield from _wallet_to_wallet(bank, wallet, _wallet(dst_wallet), amount)
    else:
        yield from _wallet_to_payment(bank, wallet, dst_payment or {}, amount)


# ---------------------------------------------------------------------------------------------
# The pairs. ``amount`` is the wire Monetary ``{"amount": n, "asset": s}``.

_Ref = tuple[str, str]  # (id, ledger) of an account, (id, balance) of a wallet


def _account_to_account(bank: Bank, src: _Ref, dst: _Ref, amount: dict[str, Any]) -> SendRun:
    (src_id, src_ledger), (dst_id, dst_ledger) = src, dst
    if src_ledger == dst_ledger:
        yield _create_transaction(bank, dst_ledger, src_id, dst_id, amount, {})
        return
    yield _create_transaction(bank, src_ledger, src_id, WORLD, amount, {MOVE_TO_LEDGER: dst_ledger})
    yield _create_transaction(bank, dst_ledger, WORLD, dst_id, amount, {MOVE_FROM_LEDGER: src_ledger})


def _account_to_wallet(bank: Bank, src: _Ref, dst: _Ref, amount: dict[str, Any]) -> SendRun:
    (src_id, src_ledger), (wallet_id, balance) = src, dst
    wallet_ledger = _data((yield _get_wallet(bank, wallet_id))).get("ledger", "")
    if wallet_ledger == src_ledger:
        yield _credit_wallet(bank, wallet_id, balance, amount, [_account_subject(src_id)], None)
        return
    yield _create_transaction(bank, src_ledger, src_id, WORLD, amount, {MOVE_TO_LEDGER: wallet_ledger})
    yield _credit_wallet(
        bank, wallet_id, balance, amount, [_account_subject(WORLD)], {MOVE_FROM_LEDGER: src_ledger}
    )


def _account_to_payment(bank: Bank, src: _Ref, dst: Mapping[str, Any], amount: dict[str, Any]) -> SendRun:
    src_id, src_ledger = src
    key = _check_psp(dst)
    account = _data((yield _activity(bank, "GetAccount", {"id": src_id, "ledger": src_ledger})))
    connect_id = _stripe_connect_id(key, account.get("metadata"))
    yield _stripe_transfer(bank, amount, connect_id)
    yield _create_transaction(bank, src_ledger, src_id, WORLD, amount, {})


def _wallet_to_account(bank: Bank, src: _Ref, dst: _Ref, amount: dict[str, Any]) -> SendRun:
    (wallet_id, balance), (dst_id, dst_ledger) = src, dst
    wallet_ledger = _data((yield _get_wallet(bank, wallet_id))).get("ledger", "")
    if wallet_ledger == dst_ledger:
        yield _debit_wallet(bank, wallet_id, balance, amount, None, _account_subject(dst_id))
        return
    yield _debit_wallet(bank, wallet_id, balance, amount, {MOVE_TO_LEDGER: dst_ledger}, None)
    yield _create_transaction(bank, dst_ledger, WORLD, dst_id, amount, {MOVE_FROM_LEDGER: wallet_ledger})


def _wallet_to_wallet(bank: Bank, src: _Ref, dst: _Ref, amount: dict[str, Any]) -> SendRun:
    (src_id, src_balance), (dst_id, dst_balance) = src, dst
    src_ledger = _data((yield _get_wallet(bank, src_id))).get("ledger", "")
    dst_ledger = _data((yield _get_wallet(bank, dst_id))).get("ledger", "")
    if src_ledger == dst_ledger:
        # The real stage always names the source's "main" balance here, whatever the stage says.
        subject = {"balance": "main", "identifier": src_id, "type": "WALLET"}
        yield _credit_wallet(bank, dst_id, dst_balance, amount, [subject], None)
        return
    yield _debit_wallet(bank, src_id, src_balance, amount, {MOVE_TO_LEDGER: dst_ledger}, None)
    yield _credit_wallet(bank, dst_id, dst_balance, amount, None, {MOVE_FROM_LEDGER: src_ledger})


def _wallet_to_payment(bank: Bank, src: _Ref, dst: Mapping[str, Any], amount: dict[str, Any]) -> SendRun:
    wallet_id, balance = src
    key = _check_psp(dst)
    wallet = _data((yield _get_wallet(bank, wallet_id)))
    connect_id = _stripe_connect_id(key, wallet.get("metadata"))
    yield _stripe_transfer(bank, amount, connect_id)
    yield _debit_wallet(bank, wallet_id, balance, amount, None, None)


def _import_payment(
    bank: Bank, payment_id: str, amount: dict[str, Any] | None
) -> Generator[Activity, dict[str, Any] | None, tuple[_Ref, dict[str, Any]]]:
    """GetPayment, then book it into the internal ledger (a CONFLICT means it already was).

    Returns the internal account and the amount to move on: the stage's, or the payment's
    ``initialAmount``/``asset`` when the stage has none.
    """
    payment = _data((yield _activity(bank, "GetPayment", {"id": payment_id})))
    initial = {"amount": payment.get("initialAmount", 0), "asset": payment.get("asset", "")}
    account = payment_account(payment_id)
    booking = _transaction_input(INTERNAL_LEDGER, WORLD, account, initial, {}, reference=account)
    try:
        yield _activity(bank, "CreateTransaction", booking)
    except ActivityFailure as failure:
        if failure.error_code != "CONFLICT":
            raise
    return (account, INTERNAL_LEDGER), (initial if amount is None else amount)


# ---------------------------------------------------------------------------------------------
# Activity builders: the exact inputs of the stage history.


def _activity(bank: Bank, name: str, input: dict[str, Any]) -> Activity:
    # The bank works on its own copy, so nothing the engine does to ``input`` can change a retry.
    return Activity(
        name=name,
        input=input,
        execute=functools.partial(bank.execute_activity, name, json_copy(input)),
    )


def _posting(source: str, destination: str, amount: dict[str, Any]) -> dict[str, Any]:
    """One posting of the wire Monetary ``amount``."""
    return {
        "amount": amount["amount"],
        "asset": amount["asset"],
        "destination": destination,
        "source": source,
    }


def _transaction_input(
    ledger: str,
    source: str,
    destination: str,
    amount: dict[str, Any],
    metadata: dict[str, str],
    *,
    reference: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"metadata": metadata, "postings": [_posting(source, destination, amount)]}
    if reference is not None:
        data["reference"] = reference
    return {"data": data, "ledger": ledger}


def _create_transaction(
    bank: Bank, ledger: str, source: str, destination: str, amount: dict[str, Any], metadata: dict[str, str]
) -> Activity:
    return _activity(
        bank, "CreateTransaction", _transaction_input(ledger, source, destination, amount, metadata)
    )


def _get_wallet(bank: Bank, wallet_id: str) -> Activity:
    return _activity(bank, "GetWallet", {"id": wallet_id})


def _credit_wallet(
    bank: Bank,
    wallet_id: str,
    balance: str,
    amount: dict[str, Any],
    sources: list[dict[str, Any]] | None,
    metadata: dict[str, str] | None,
) -> Activity:
    data = {"amount": dict(amount), "balance": balance, "metadata": metadata, "sources": sources}
    return _activity(bank, "CreditWallet", {"data": data, "id": wallet_id})


def _debit_wallet(
    bank: Bank,
    wallet_id: str,
    balance: str,
    amount: dict[str, Any],
    metadata: dict[str, str] | None,
    destination: dict[str, Any] | None,
) -> Activity:
    data: dict[str, Any] = {"amount": dict(amount), "balances": [balance]}
    if destination is not None:
        data["destination"] = destination
    data["metadata"] = metadata
    return _activity(bank, "DebitWallet", {"data": data, "id": wallet_id})


def _stripe_transfer(bank: Bank, amount: dict[str, Any], connect_id: str) -> Activity:
    return _activity(
        bank,
        "StripeTransfer",
        {"amount": amount["amount"], "asset": amount["asset"], "destination": connect_id},
    )


def _account_subject(identifier: str) -> dict[str, Any]:
    return {"identifier": identifier, "type": "ACCOUNT"}


# ---------------------------------------------------------------------------------------------
# Parameter helpers


def _monetary(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    return {"amount": value.get("amount", 0), "asset": value.get("asset", "")}


def _account(value: Mapping[str, Any]) -> _Ref:
    return str(value.get("id") or ""), str(value.get("ledger") or "default")


def _wallet(value: Mapping[str, Any] | None) -> _Ref:
    value = value or {}
    return str(value.get("id") or ""), str(value.get("balance") or "main")


def _check_psp(destination: Mapping[str, Any]) -> str:
    """Fail unless the payment destination is Stripe; return the metadata key of the connect id."""
    if destination.get("psp") != "stripe":
        raise StageFailed("only stripe actually supported")
    return str(destination.get("metadata") or _DEFAULT_CONNECT_ID_KEY)


def _stripe_connect_id(key: str, metadata: Any) -> str:
    """The Stripe connected-account id stored under ``key`` in an account's or wallet's metadata."""
    if not isinstance(metadata, Mapping) or key not in metadata:
        raise StageFailed(f"expected '{key}' metadata containing connected account ID")
    value = metadata[key]
    if not isinstance(value, str):
        raise StageFailed(f"expected '{key}' to be a string")
    if value == "":
        raise StageFailed("stripe connect ID empty")
    return value


def _data(output: dict[str, Any] | None) -> dict[str, Any]:
    """The ``data`` of an activity output the stage needs."""
    if not isinstance(output, Mapping) or not isinstance(output.get("data"), Mapping):
        raise StageFailed(_NIL_OUTPUT)
    return dict(output["data"])


# ---------------------------------------------------------------------------------------------
# Stack v2.0 and later (ee/orchestration, flows internal/workflow/stages/send/run.go).
# The stage's ``metadata`` (``{}`` when absent) goes to every activity, merged under the move
# keys; its ``timestamp`` dates every transaction and wallet movement; wallets are found by id
# (GetWallet) or by name (ListWallets); CreateTransaction inputs are the Go struct without JSON tags
# (``{"Data": ..., "Ledger": ...}``); a payment destination reads ``formanceAccountID`` by default.
#
# flows v2.6 (stack v3.2.5+, ``StackVersion.send_2025``) adds, with defaults that give the v2.4
# sequences back: an account's ``throughAccount`` replaces ``world`` where money leaves or enters a
# ledger, and ``allowOverdraft`` sends that transaction as Numscript with an unbounded overdraft; a
# payment source is booked into its ``ledger``/``holdingAccount`` from its ``throughAccount``; and a
# payout debits first, then asks the payments service for a transfer initiation (any provider).
# Only the v2.6 schemas carry these keys, so the v2.4 stage never meets them.

ACTIVITY_STAGES = frozenset(("send", "update"))
# The Numscript flows v2.6 generates for a transaction whose source may overdraw (run.go
# ``generateNumscriptWithSourceOverdraft``).
_OVERDRAFT_SCRIPT = (
    "send [{asset} {amount}] (\n"
    "  source = @{source} allowing unbounded overdraft\n"
    "  destination = @{destination}\n"
    ")"
)


def run_activities(kind: str, params: Mapping[str, Any], bank: Bank, stack: StackVersion) -> SendRun:
    """The activities of a ``send`` or ``update`` stage as ``stack`` schedules them (same protocol
    as :func:`run_send`)."""
    if kind == "update":
        return _run_update(params, bank)
    if not stack.stages_2024:
        return run_send(params, bank)
    return _run_send_2024(params, bank, transfer_initiation=stack.send_2025)


def _run_update(params: Mapping[str, Any], bank: Bank) -> SendRun:
    account = params["account"]
    metadata = account.get("metadata")
    yield _activity(
        bank,
        "AddAccountMetadata",
        {"account": account["id"], "ledger": account["ledger"], "metadata": metadata},
    )


@attrs.frozen
class _LedgerAccount:
    """A send's account: where it lives, and how money leaves or enters its ledger."""

    id: str
    ledger: str
    through: str = WORLD  # ``throughAccount``
    overdraft: bool = False  # ``allowOverdraft``


def _ledger_account(value: Mapping[str, Any]) -> _LedgerAccount:
    account_id, ledger = _account(value)
    return _LedgerAccount(
        account_id, ledger, str(value.get("throughAccount") or WORLD), value.get("allowOverdraft") is True
    )


@attrs.frozen
class _Send2024:
    bank: Bank
    metadata: dict[str, str]  # the stage's, {} when absent
    raw_metadata: dict[str, str] | None  # the stage's as given (wallet -> account passes it on as is)
    timestamp: str | None
    transfer_initiation: bool  # flows v2.6: payouts debit first, then CreateTransferInitiation

    def moved(self, key: str, ledger: str) -> dict[str, str]:
        return {**self.metadata, key: ledger}

    def transaction(
        self,
        ledger: str,
        source: str,
        destination: str,
        amount: dict[str, Any],
        metadata: dict[str, str],
        *,
        overdraft: bool = False,
        **extra: str,
    ) -> Activity:
        """CreateTransaction of one posting, or (``overdraft``) of the Numscript that lets
        ``source`` overdraw."""
        data: dict[str, Any]
        if overdraft:
            plain = _OVERDRAFT_SCRIPT.format(
                asset=amount["asset"], amount=amount["amount"], source=source, destination=destination
            )
            data = {"script": {"plain": plain}}
        else:
            data = {"postings": [_posting(source, destination, amount)]}
        if metadata:
            data["metadata"] = metadata
        data.update(extra)
        if self.timestamp is not None:
            data["timestamp"] = self.timestamp
        shown = {"Data": data, "Ledger": ledger}
        done = {"data": data, "ledger": ledger}
        return Activity(
            name="CreateTransaction",
            input=shown,
            execute=functools.partial(self.bank.execute_activity, "CreateTransaction", json_copy(done)),
        )

    def leave(self, account: _LedgerAccount, amount: dict[str, Any], metadata: dict[str, str]) -> Activity:
        """Money leaves ``account``'s ledger: to its through account (the account may overdraw)."""
        return self.transaction(
            account.ledger, account.id, account.through, amount, metadata, overdraft=account.overdraft
        )

    def enter(self, account: _LedgerAccount, amount: dict[str, Any], metadata: dict[str, str]) -> Activity:
        """Money enters ``account``'s ledger: from its through account (which may overdraw, unless
        it is ``world``, which always can)."""
        overdraft = account.overdraft and account.through != WORLD
        return self.transaction(
            account.ledger, account.through, account.id, amount, metadata, overdraft=overdraft
        )

    def credit(
        self,
        wallet_id: str,
        balance: str,
        amount: dict[str, Any],
        sources: Any,
        metadata: dict[str, str] | None,
    ) -> Activity:
        data: dict[str, Any] = {
            "amount": dict(amount),
            "balance": balance,
            "metadata": metadata,
            "sources": sources,
        }
        if self.timestamp is not None:
            data["timestamp"] = self.timestamp
        return _activity(self.bank, "CreditWallet", {"data": data, "id": wallet_id})

    def debit(
        self,
        wallet_id: str,
        balance: str,
        amount: dict[str, Any],
        metadata: dict[str, str] | None,
        destination: Any,
    ) -> Activity:
        data: dict[str, Any] = {"amount": dict(amount), "balances": [balance]}
        if destination is not None:
            data["destination"] = destination
        data["metadata"] = metadata
        if self.timestamp is not None:
            data["timestamp"] = self.timestamp
        return _activity(self.bank, "DebitWallet", {"data": data, "id": wallet_id})

    def payout(self, amount: dict[str, Any], connect_id: str, destination: Mapping[str, Any]) -> Activity:
        """The transfer to the connected account: StripeTransfer, or (flows v2.6) a transfer
        initiation for the destination's provider."""
        data: dict[str, Any] = {"amount": amount["amount"], "asset": amount["asset"]}
        if destination.get("connectorId") is not None:
            data["connectorID"] = destination["connectorId"]
        data.update(destination=connect_id, metadata=self.metadata)
        data["waitingValidation"] = bool(destination.get("waitingValidation"))
        if not self.transfer_initiation:
            return _activity(self.bank, "StripeTransfer", data)
        data["provider"] = str(destination.get("psp") or "")
        if destination.get("sourceAccount") is not None:
            data["source"] = destination["sourceAccount"]
        if destination.get("type"):
            data["type"] = destination["type"]
        return _activity(self.bank, "CreateTransferInitiation", data)

    def wallet(
        self, reference: Mapping[str, Any]
    ) -> Generator[Activity, dict[str, Any] | None, dict[str, Any]]:
        """GetWallet by id, or ListWallets by name (exactly one must match)."""
        if reference.get("id"):
            return _data((yield _get_wallet(self.bank, str(reference["id"]))))
        output = yield _activity(self.bank, "ListWallets", {"name": str(reference.get("name") or "")})
        cursor = output.get("cursor") if isinstance(output, Mapping) else None
        found = cursor.get("data") if isinstance(cursor, Mapping) else None
        if not isinstance(found, list):
            raise StageFailed(_NIL_OUTPUT)
        if not found:
            raise StageFailed("wallet not found")
        if len(found) > 1:
            raise StageFailed("found multiple wallets with the same name")
        return dict(found[0])


def _run_send_2024(params: Mapping[str, Any], bank: Bank, *, transfer_initiation: bool) -> SendRun:
    source = params.get("source") or {}
    destination = params.get("destination") or {}
    amount = _monetary(params.get("amount"))
    raw = params.get("metadata")
    s = _Send2024(
        bank,
        dict(raw or {}),
        None if raw is None else dict(raw),
        params.get("timestamp"),
        transfer_initiation,
    )
    src_account, src_wallet, src_payment = _refs(source)
    dst_account, dst_wallet, dst_payment = _refs(destination)
    if src_payment is not None:
        if dst_payment is not None:
            raise StageFailed("send from payment to payment is not supported")
        internal, initial = yield from _import_payment_2024(s, src_payment)
        amount = initial if amount is None else amount
        if dst_account is not None:
            yield from _a2a_2024(s, internal, _ledger_account(dst_account), amount)
        else:
            yield from _a2w_2024(s, internal, dst_wallet or {}, amount)
        return
    if amount is None:
        raise StageFailed("amount must be specified")
    if src_account is not None:
        src = _ledger_account(src_account)
        if dst_account is not None:
            yield from _a2a_2024(s, src, _ledger_account(dst_account), amount)
        elif dst_wallet is not None:
            yield from _a2w_2024(s, src, dst_wallet, amount)
        else:
            yield from _a2p_2024(s, src, dst_payment or {}, amount)
        return
    wallet = src_wallet or {}
    if dst_account is not None:
        yield from _w2a_2024(s, wallet, _ledger_account(dst_account), amount)
    elif dst_wallet is not None:
        yield from _w2w_2024(s, wallet, dst_wallet, amount)
    else:
        yield from _w2p_2024(s, wallet, dst_payment or {}, amount)


def _import_payment_2024(
    s: _Send2024, source: Mapping[str, Any]
) -> Generator[Activity, dict[str, Any] | None, tuple[_LedgerAccount, dict[str, Any]]]:
    """GetPayment, then book it into its holding account (a CONFLICT means it already was).

    Returns the holding account, to move on from, and the payment's ``initialAmount``/``asset``.
    """
    payment_id = str(source.get("id") or "")
    try:
        payment = _data((yield _activity(s.bank, "GetPayment", {"id": payment_id})))
    except ActivityFailure as failure:
        raise StageFailed(f"retrieving payment: {payment_id}: {failure.message}") from None
    holding = _LedgerAccount(
        str(source.get("holdingAccount") or payment_account(payment_id)),
        str(source.get("ledger") or INTERNAL_LEDGER),
    )
    through = _LedgerAccount(
        holding.id,
        holding.ledger,
        str(source.get("throughAccount") or WORLD),
        source.get("allowOverdraft") is True,
    )
    initial = {"amount": payment.get("initialAmount", 0), "asset": payment.get("asset", "")}
    try:
        yield s.transaction(
            holding.ledger,
            through.through,
            holding.id,
            initial,
            s.metadata,
            overdraft=through.overdraft and through.through != WORLD,
            reference=holding.id,
        )
    except ActivityFailure as failure:
        if failure.error_code != "CONFLICT":
            raise
    return holding, initial


def _a2a_2024(s: _Send2024, src: _LedgerAccount, dst: _LedgerAccount, amount: dict[str, Any]) -> SendRun:
    if src.ledger == dst.ledger:
        yield s.transaction(dst.ledger, src.id, dst.id, amount, s.metadata)
        return
    yield s.leave(src, amount, s.moved(MOVE_TO_LEDGER, dst.ledger))
    yield s.enter(dst, amount, s.moved(MOVE_FROM_LEDGER, src.ledger))


def _a2w_2024(s: _Send2024, src: _LedgerAccount, dst: Mapping[str, Any], amount: dict[str, Any]) -> SendRun:
    wallet = yield from s.wallet(dst)
    wallet_id, wallet_ledger, balance = str(wallet.get("id", "")), wallet.get("ledger", ""), _balance(dst)
    if wallet_ledger == src.ledger:
        yield s.credit(wallet_id, balance, amount, [_account_subject(src.id)], s.metadata)
        return
    yield s.leave(src, amount, s.moved(MOVE_TO_LEDGER, wallet_ledger))
    yield s.credit(
        wallet_id, balance, amount, [_account_subject(src.through)], s.moved(MOVE_FROM_LEDGER, src.ledger)
    )


def _a2p_2024(s: _Send2024, src: _LedgerAccount, dst: Mapping[str, Any], amount: dict[str, Any]) -> SendRun:
    key = _connect_id_key(s, dst)
    try:
        account = _data((yield _activity(s.bank, "GetAccount", {"id": src.id, "ledger": src.ledger})))
    except ActivityFailure as failure:
        raise StageFailed(f"reading account: {src.id}: {failure.message}") from None
    connect_id = _formance_account_id(key, account.get("metadata"))
    if s.transfer_initiation:  # flows v2.6: debit first, so a payout never goes out unfunded
        yield s.leave(src, amount, s.metadata)
        yield s.payout(amount, connect_id, dst)
        return
    yield s.payout(amount, connect_id, dst)
    yield s.transaction(src.ledger, src.id, WORLD, amount, s.metadata)


def _w2a_2024(s: _Send2024, src: Mapping[str, Any], dst: _LedgerAccount, amount: dict[str, Any]) -> SendRun:
    wallet = yield from s.wallet(src)
    wallet_id, wallet_ledger, balance = str(wallet.get("id", "")), wallet.get("ledger", ""), _balance(src)
    if wallet_ledger == dst.ledger:
        yield s.debit(wallet_id, balance, amount, s.raw_metadata, _account_subject(dst.id))
        return
    yield s.debit(wallet_id, balance, amount, s.moved(MOVE_TO_LEDGER, dst.ledger), None)
    yield s.enter(dst, amount, s.moved(MOVE_FROM_LEDGER, wallet_ledger))


def _w2w_2024(
    s: _Send2024, src: Mapping[str, Any], dst: Mapping[str, Any], amount: dict[str, Any]
) -> SendRun:
    source = yield from s.wallet(src)
    target = yield from s.wallet(dst)
    src_id, dst_id = str(source.get("id", "")), str(target.get("id", ""))
    src_ledger, dst_ledger = source.get("ledger", ""), target.get("ledger", "")
    if src_ledger == dst_ledger:
        subject = {"balance": "main", "identifier": src_id, "type": "WALLET"}  # always "main", as upstream
        yield s.credit(dst_id, _balance(dst), amount, [subject], s.metadata)
        return
    yield s.debit(src_id, _balance(src), amount, s.moved(MOVE_TO_LEDGER, dst_ledger), None)
    yield s.credit(dst_id, _balance(dst), amount, None, s.moved(MOVE_FROM_LEDGER, src_ledger))


def _w2p_2024(
    s: _Send2024, src: Mapping[str, Any], dst: Mapping[str, Any], amount: dict[str, Any]
) -> SendRun:
    key = _connect_id_key(s, dst)
    try:
        wallet = yield from s.wallet(src)
    except StageFailed as failed:
        raise StageFailed(f"reading account: {src.get('id') or ''}: {failed.message}") from None
    connect_id = _formance_account_id(key, wallet.get("metadata"))
    debit = s.debit(str(wallet.get("id", "")), _balance(src), amount, s.metadata, None)
    if s.transfer_initiation:  # flows v2.6: debit first
        yield debit
        yield s.payout(amount, connect_id, dst)
        return
    yield s.payout(amount, connect_id, dst)
    yield debit


def _balance(wallet: Mapping[str, Any]) -> str:
    return str(wallet.get("balance") or "main")


def _connect_id_key(s: _Send2024, destination: Mapping[str, Any]) -> str:
    """The metadata key of the connected account id; before flows v2.6, only Stripe is accepted."""
    if not s.transfer_initiation and destination.get("psp") != "stripe":
        raise StageFailed("only stripe actually supported")
    return str(destination.get("metadata") or "formanceAccountID")


def _formance_account_id(key: str, metadata: Any) -> str:
    """The connected account id under ``key`` (``fmt.Sprint`` of any non-zero value)."""
    if not isinstance(metadata, Mapping) or key not in metadata:
        raise StageFailed(f"expected '{key}' metadata containing formance account ID")
    value = metadata[key]
    if value in ("", 0, None, False) or value == {} or value == []:
        raise StageFailed("formance account ID empty")
    return value if isinstance(value, str) else json.dumps(value)
