"""The fake's simulated downstream services: ledgers, wallets, payments and Stripe transfers.

A :class:`Bank` stands in for everything a ``send`` stage talks to through the gateway. It keeps
balances, so a send that moves money really moves it, and it fails the way the real services fail
(:class:`ActivityFailure` with the downstream ``errorCode``, message and retry class).

Model
-----
* **Ledgers** are named and created on first write (like ledger v1). Each holds accounts and an
  append-only list of transactions with ``txid`` 0, 1, 2... per ledger. An account exists once a
  posting or :meth:`Bank.create_account` touched it; reading an unknown account answers it empty (ledger
  v1 does the same), and reading never creates anything. ``world`` may go negative; any other source
  account must hold enough of the asset or the whole transaction fails (nothing is written) with
  ``ActivityFailure("account had insufficient funds", error_code="INSUFFICIENT_FUND")``, which is
  retryable. A non-empty ``reference`` may be used once per ledger: a second use fails with
  ``ActivityFailure("conflict error on reference", error_code="CONFLICT", retryable=False)``.
  Postings are validated like ledger v1 (non-negative integer amount, asset ``[A-Z][A-Z0-9]{0,16}``
  with an optional ``/<decimals>``, address ``^[a-zA-Z_]+[a-zA-Z0-9_:]*$``); a bad one fails with
  error code ``VALIDATION`` (not retryable).
* **Wallets** live in a ledger (``wallets-002`` unless told otherwise). The balance ``b`` of wallet
  ``id`` is the account **``wallets:<id with every "-" removed>:<b>``** of the wallet's ledger (see
  :func:`wallet_address`), so every wallet movement is an ordinary ledger transaction there. Balance
  ``main`` always exists; other balance names come into being when first credited.
* **Payments** are seeded by tests (:meth:`Bank.create_payment`) and only read by the send stage.
* **Stripe transfers** are recorded as ``{"amount", "asset", "destination"}``; nothing is debited.
* **Transfer initiations** (flows v2.6 payouts, any provider) are recorded as the payments service
  would receive them; nothing is debited. A ``type`` other than ``TRANSFER``/``PAYOUT`` (any case)
  fails, retryable, as the real activity does.
* **Numscript**: CreateTransaction also takes ``script.plain``, but only the program flows v2.6
  generates for an overdraft (``send [ASSET N] (source = @S allowing unbounded overdraft
  destination = @D)``): one posting whose source may go negative. Any other program fails with
  ``COMPILATION_FAILED`` (not retryable).

Every mutation (seeding included, failed attempts excluded) increments :attr:`Bank.version`, which
never goes back, not even on :meth:`Bank.reset`: the engine compares it to decide whether retrying a
failed activity may now succeed.

The bank is **not** thread-safe: the engine's lock guards every call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeGuard

import attrs

from fakeserver._clock import Clock
from fakeserver._resolve import parse_rfc3339

__all__ = [
    "ACTIVITY_NAMES",
    "DEFAULT_LEDGER",
    "DEFAULT_WALLETS_LEDGER",
    "WORLD",
    "ActivityFailure",
    "Bank",
    "format_timestamp",
    "json_copy",
    "wallet_address",
]

#: The ledger a seeding call uses when none is given.
DEFAULT_LEDGER = "default"
#: The ledger new wallets live in unless told otherwise (the wallets service's default).
DEFAULT_WALLETS_LEDGER = "wallets-002"
#: The unlimited source/sink account of every ledger.
WORLD = "world"
#: The activities :meth:`Bank.execute_activity` knows, as named in stage histories.
ACTIVITY_NAMES = (
    "GetAccount",
    "CreateTransaction",
    "GetWallet",
    "CreditWallet",
    "DebitWallet",
    "GetPayment",
    "StripeTransfer",
    "CreateTransferInitiation",
)

_ADDRESS = re.compile(r"^[a-zA-Z_]+[a-zA-Z0-9_:]*$")
_ASSET = re.compile(r"^[A-Z][A-Z0-9]{0,16}(/\d{1,6})?$")

INSUFFICIENT_FUNDS_MESSAGE = "account had insufficient funds"
WALLET_INSUFFICIENT_FUND_MESSAGE = "insufficient fund"
REFERENCE_CONFLICT_MESSAGE = "conflict error on reference"
# The one Numscript program the fake runs (flows v2.6 ``generateNumscriptWithSourceOverdraft``).
_OVERDRAFT_SCRIPT = re.compile(
    r"send \[(?P<asset>\S+) (?P<amount>[0-9]+)\] \(\n"
    r"  source = @(?P<source>\S+) allowing unbounded overdraft\n"
    r"  destination = @(?P<destination>\S+)\n"
    r"\)"
)
_TRANSFER_TYPES = ("TRANSFER", "PAYOUT")


class ActivityFailure(Exception):
    """A downstream call failed; the engine retries it later when ``retryable``, else fails the stage.

    :param message: the downstream ``errorMessage`` (what the stage history shows as ``lastFailure``
        or ``error``).
    :param error_code: the downstream ``errorCode`` (``INSUFFICIENT_FUND``, ``CONFLICT``,
        ``VALIDATION``, ``NOT_FOUND``, ``INTERNAL``...).
    :param retryable: ``False`` for the codes the real worker never retries (``VALIDATION``,
        ``CONFLICT``, ``NO_SCRIPT``, ``COMPILATION_FAILED``).
    """

    def __init__(self, message: str, *, error_code: str = "INTERNAL", retryable: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code
        self.retryable = retryable

    def __repr__(self) -> str:
        return (
            f"ActivityFailure({self.message!r}, error_code={self.error_code!r}, retryable={self.retryable!r})"
        )


def format_timestamp(when: datetime) -> str:
    """Render ``when`` like Go's ``time.Time`` JSON in UTC: RFC 3339, trailing fraction zeros trimmed.

    :param when: an aware datetime (a naive one is taken as UTC).
    """
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if when.microsecond:
        text += "." + f"{when.microsecond:06d}".rstrip("0")
    return text + "Z"


def wallet_address(wallet_id: str, balance: str = "main") -> str:
    """The ledger address of a wallet balance: ``wallets:<id without "-">:<balance>``.

    :param wallet_id: the wallet id.
    :param balance: the balance name.
    """
    return f"wallets:{wallet_id.replace('-', '')}:{balance}"


@attrs.define(slots=True)
class _Account:
    metadata: dict[str, Any] = attrs.field(factory=dict)
    # asset -> [input, output]
    volumes: dict[str, list[int]] = attrs.field(factory=dict)

    def balance(self, asset: str) -> int:
        volume = self.volumes.get(asset)
        return 0 if volume is None else volume[0] - volume[1]


@attrs.define(slots=True)
class _Transaction:
    txid: int
    timestamp: datetime
    postings: list[dict[str, Any]]
    reference: str
    metadata: dict[str, Any]

    def wire(self) -> dict[str, Any]:
        return {
            "metadata": json_copy(self.metadata),
            "postings": [dict(posting) for posting in self.postings],
            "reference": self.reference,
            "timestamp": format_timestamp(self.timestamp),
            "txid": self.txid,
        }


@attrs.define(slots=True)
class _Ledger:
    name: str
    accounts: dict[str, _Account] = attrs.field(factory=dict)
    transactions: list[_Transaction] = attrs.field(factory=list)
    references: dict[str, int] = attrs.field(factory=dict)


@attrs.define(slots=True)
class _Wallet:
    id: str
    name: str
    ledger: str
    metadata: dict[str, Any]
    created_at: datetime
    balances: list[str] = attrs.field(factory=lambda: ["main"])


_PAYMENT_ALIASES = {
    "account_id": "accountID",
    "created_at": "createdAt",
    "initial_amount": "initialAmount",
    "connector_id": "connectorID",
    "source_account_id": "sourceAccountID",
    "destination_account_id": "destinationAccountID",
}
_PAYMENT_FIELDS = (
    "id",
    "reference",
    "accountID",
    "type",
    "provider",
    "status",
    "initialAmount",
    "scheme",
    "asset",
    "createdAt",
    "raw",
    "adjustments",
    "metadata",
)
# Fields of the payments API of 2024 (stack v2.0 and later), kept only when given: the versions that
# show them default the ids to "" and destinationAccountID to accountID.
_LATER_PAYMENT_FIELDS = ("connectorID", "sourceAccountID", "destinationAccountID")


def json_copy(value: Any) -> Any:
    """Deep copy of a JSON-like value (mappings, lists, tuples, scalars); datetimes become timestamps.

    Cheaper than ``copy.deepcopy`` for the small dicts activities pass around.

    :param value: the value to copy.
    """
    if isinstance(value, Mapping):
        return {str(key): json_copy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_copy(item) for item in value]
    if isinstance(value, datetime):
        return format_timestamp(value)
    return value


def _is_amount(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


class Bank:
    """Simulated ledgers, wallets, payments and Stripe transfers behind the ``send`` stage.

    :param clock: where transaction, wallet and payment timestamps come from.
    :param ids: the id generator for wallets and payments created without an explicit id.
    """

    def __init__(self, *, clock: Clock, ids: Callable[[], str]) -> None:
        self.clock = clock
        self.ids = ids
        #: Incremented by every mutation; never decreases (not even on :meth:`reset`).
        self.version = 0
        self._ledgers: dict[str, _Ledger] = {}
        self._wallets: dict[str, _Wallet] = {}
        self._payments: dict[str, dict[str, Any]] = {}
        self._stripe_transfers: list[dict[str, Any]] = []
        self._transfer_initiations: list[dict[str, Any]] = []

    # ------------------------------------------------------------------------------------------
    # Seeding and reading (tests and the control API)

    def create_account(
        self, address: str, *, ledger: str = DEFAULT_LEDGER, metadata: Mapping[str, str] | None = None
    ) -> None:
        """Create ``address`` in ``ledger`` (if absent) and merge ``metadata`` into its metadata.

        :raises ValueError: on an address ledger v1 would reject.
        """
        if not _ADDRESS.match(address):
            raise ValueError(f"invalid account address: {address!r}")
        account = self._ledger(ledger).accounts.setdefault(address, _Account())
        if metadata:
            account.metadata.update(json_copy(dict(metadata)))
        self.version += 1

    def fund(self, address: str, asset: str, amount: int, *, ledger: str = DEFAULT_LEDGER) -> int:
        """Move ``amount`` of ``asset`` from ``world`` to ``address`` in ``ledger``; return the txid.

        :raises ValueError: on a bad address, asset or amount.
        """
        try:
            tx = self._commit(ledger, [_posting(WORLD, address, asset, amount)], {}, "")
        except ActivityFailure as failure:
            raise ValueError(failure.message) from None
        return tx.txid

    def balance(self, address: str, asset: str, *, ledger: str = DEFAULT_LEDGER) -> int:
        """The balance of ``address`` in ``asset`` (0 for anything unknown)."""
        account = self._find_account(ledger, address)
        return 0 if account is None else account.balance(asset)

    def balances(self, address: str, *, ledger: str = DEFAULT_LEDGER) -> dict[str, int]:
        """Every asset ``address`` ever moved, with its balance (``{}`` for an unknown account)."""
        account = self._find_account(ledger, address)
        if account is None:
            return {}
        return {asset: account.balance(asset) for asset in account.volumes}

    def transactions(self, ledger: str = DEFAULT_LEDGER) -> list[dict[str, Any]]:
        """The transactions of ``ledger`` in wire form, oldest first (``[]`` for an unknown ledger)."""
        found = self._ledgers.get(ledger)
        return [] if found is None else [tx.wire() for tx in found.transactions]

    def account(self, address: str, *, ledger: str = DEFAULT_LEDGER) -> dict[str, Any]:
        """The account as GetAccount's ``data``: ``{address, metadata, volumes, balances}``.

        An unknown account answers with empty ``metadata``, ``volumes`` and ``balances``.
        """
        account = self._find_account(ledger, address)
        if account is None:
            return {"address": address, "metadata": {}, "volumes": {}, "balances": {}}
        return {
            "address": address,
            "metadata": json_copy(account.metadata),
            "volumes": {
                asset: {"input": volume[0], "output": volume[1]} for asset, volume in account.volumes.items()
            },
            "balances": {asset: account.balance(asset) for asset in account.volumes},
        }

    def create_wallet(
        self,
        *,
        name: str = "",
        id: str | None = None,
        ledger: str = DEFAULT_WALLETS_LEDGER,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        """Create a wallet with an empty ``main`` balance; return its id (from ``ids`` when not given).

        :raises ValueError: if the id is taken or cannot form a ledger address.
        """
        wallet_id = self.ids() if id is None else id
        if wallet_id in self._wallets:
            raise ValueError(f"wallet {wallet_id!r} already exists")
        if not _ADDRESS.match(wallet_address(wallet_id)):
            raise ValueError(f"wallet id {wallet_id!r} cannot form a ledger address")
        self._wallets[wallet_id] = _Wallet(
            id=wallet_id,
            name=name,
            ledger=ledger,
            metadata=json_copy(dict(metadata or {})),
            created_at=self.clock.now(),
        )
        self.version += 1
        return wallet_id

    def fund_wallet(self, wallet_id: str, asset: str, amount: int, *, balance: str = "main") -> None:
        """Credit ``amount`` of ``asset`` from ``world`` to the wallet's ``balance``.

        :raises KeyError: for an unknown wallet.
        :raises ValueError: on a bad asset, amount or balance name.
        """
        wallet = self._wallets[wallet_id]
        try:
            self._commit(
                wallet.ledger, [_posting(WORLD, wallet_address(wallet.id, balance), asset, amount)], {}, ""
            )
        except ActivityFailure as failure:
            raise ValueError(failure.message) from None
        self._remember_balance(wallet, balance)

    def wallet_balance(self, wallet_id: str, asset: str, *, balance: str = "main") -> int:
        """The wallet's ``balance`` in ``asset``.

        :raises KeyError: for an unknown wallet.
        """
        wallet = self._wallets[wallet_id]
        return self.balance(wallet_address(wallet.id, balance), asset, ledger=wallet.ledger)

    def wallet(self, wallet_id: str) -> dict[str, Any]:
        """The wallet as GetWallet's ``data``: ``{id, metadata, name, createdAt, balances, ledger}``.

        ``balances`` holds only ``main`` (``{"main": {"assets": {asset: n}}}``), like the service.

        :raises KeyError: for an unknown wallet.
        """
        return self._wallet_wire(self._wallets[wallet_id], ["main"])

    def create_payment(
        self,
        *,
        amount: int,
        asset: str,
        id: str | None = None,
        **fields: Any,
    ) -> str:
        """Store a payment (the Payment schema); return its id (from ``ids`` when not given).

        Other fields, by wire name or snake_case alias (``account_id``, ``created_at``), default to:
        ``reference`` = the id, ``accountID`` ``""``, ``type`` ``"PAY-IN"``, ``provider`` ``"STRIPE"``,
        ``status`` ``"SUCCEEDED"``, ``scheme`` ``"unknown"``, ``createdAt`` now, ``raw`` ``None``,
        ``adjustments`` ``[]``, ``metadata`` ``None``. Datetimes are rendered as timestamps. The
        2024 payments fields ``connectorID``, ``sourceAccountID`` and ``destinationAccountID`` are
        kept only when given (the stack versions that show them fill in their own defaults).

        :raises TypeError: for a field the Payment schema does not have.
        :raises ValueError: for a negative or non-integer amount, or a taken id.
        """
        if not _is_amount(amount) or amount < 0:
            raise ValueError(f"invalid payment amount: {amount!r}")
        payment_id = self.ids() if id is None else id
        if payment_id in self._payments:
            raise ValueError(f"payment {payment_id!r} already exists")
        payment: dict[str, Any] = {
            "id": payment_id,
            "reference": payment_id,
            "accountID": "",
            "type": "PAY-IN",
            "provider": "STRIPE",
            "status": "SUCCEEDED",
            "initialAmount": amount,
            "scheme": "unknown",
            "asset": asset,
            "createdAt": self.clock.now(),
            "raw": None,
            "adjustments": [],
            "metadata": None,
        }
        for key, value in fields.items():
            wire = _PAYMENT_ALIASES.get(key, key)
            known = wire in _PAYMENT_FIELDS or wire in _LATER_PAYMENT_FIELDS
            if not known or wire in ("id", "initialAmount", "asset"):
                raise TypeError(f"create_payment() got an unexpected field {key!r}")
            payment[wire] = value
        self._payments[payment_id] = {
            key: json_copy(payment[key]) for key in _PAYMENT_FIELDS + _LATER_PAYMENT_FIELDS if key in payment
        }
        self.version += 1
        return payment_id

    def payment(self, payment_id: str) -> dict[str, Any]:
        """The payment as GetPayment's ``data`` (every Payment field).

        :raises KeyError: for an unknown payment.
        """
        payment: dict[str, Any] = json_copy(self._payments[payment_id])
        return payment

    def stripe_transfers(self) -> list[dict[str, Any]]:
        """The Stripe transfers made so far, oldest first: ``[{"amount", "asset", "destination"}]``."""
        return [dict(transfer) for transfer in self._stripe_transfers]

    def transfer_initiations(self) -> list[dict[str, Any]]:
        """The transfer initiations made so far, oldest first, as the payments service received
        them: ``{"amount", "asset", "connectorID", "provider", "destinationAccountID",
        "sourceAccountID", "type", "description", "validated", "metadata"}`` (``connectorID``,
        ``provider`` and ``sourceAccountID`` only when given)."""
        return json_copy(self._transfer_initiations)  # type: ignore[no-any-return]

    def snapshot(self) -> dict[str, Any]:
        """The whole state, JSON-ready.

        ``{"version", "ledgers": {name: {"accounts": {address: account()}, "transactions": [...]}},
        "wallets": {id: wallet() with every balance in "balances"}, "payments": {id: payment()},
        "stripe_transfers": [...], "transfer_initiations": [...]}``.
        """
        return {
            "version": self.version,
            "ledgers": {
                name: {
                    "accounts": {address: self.account(address, ledger=name) for address in ledger.accounts},
                    "transactions": [tx.wire() for tx in ledger.transactions],
                }
                for name, ledger in self._ledgers.items()
            },
            "wallets": {
                wallet_id: self._wallet_wire(wallet, wallet.balances)
                for wallet_id, wallet in self._wallets.items()
            },
            "payments": json_copy(self._payments),
            "stripe_transfers": self.stripe_transfers(),
            "transfer_initiations": self.transfer_initiations(),
        }

    def reset(self) -> None:
        """Forget every ledger, wallet, payment and transfer (``version`` still goes up)."""
        self._ledgers.clear()
        self._wallets.clear()
        self._payments.clear()
        self._stripe_transfers.clear()
        self._transfer_initiations.clear()
        self.version += 1

    # ------------------------------------------------------------------------------------------
    # Activities: input and output in the wire form the stage history shows (without the name
    # wrapper). Each one is atomic: when it raises, nothing changed.

    def execute_activity(self, name: str, input: Mapping[str, Any]) -> dict[str, Any] | None:
        """Run the activity ``name`` (one of :data:`ACTIVITY_NAMES`) on ``input``; return its output.

        :raises ActivityFailure: as the downstream service would fail.
        :raises ValueError: for an activity this bank does not simulate.
        """
        handler = self._activity_handlers().get(name)
        if handler is None:
            raise ValueError(f"unsupported activity {name!r}")
        return handler(input)

    def activity_get_account(self, input: Mapping[str, Any]) -> dict[str, Any]:
        """GetAccount ``{ledger, id}`` -> ``{"data": account}`` (never fails: unknown is empty)."""
        return {"data": self.account(str(input["id"]), ledger=str(input["ledger"]))}

    def activity_create_transaction(self, input: Mapping[str, Any]) -> dict[str, Any]:
        """CreateTransaction ``{ledger, data: {postings | script, metadata, reference?, timestamp?}}``
        -> ``{"data": tx}``; ``timestamp`` (RFC 3339) dates the transaction, else the clock's now.

        :raises ActivityFailure: ``INSUFFICIENT_FUND`` (retryable), ``CONFLICT``, ``VALIDATION`` or
            ``COMPILATION_FAILED``.
        """
        data = input.get("data") or {}
        postings = [dict(posting) for posting in data.get("postings") or []]
        overdraft: frozenset[str] = frozenset()
        script = data.get("script")
        if script is not None:
            posting = _overdraft_posting(script)
            postings, overdraft = [posting], frozenset((posting["source"],))
        tx = self._commit(
            str(input["ledger"]),
            postings,
            dict(data.get("metadata") or {}),
            str(data.get("reference") or ""),
            timestamp=_timestamp(data.get("timestamp")),
            overdraft=overdraft,
        )
        return {"data": tx.wire()}

    def activity_add_account_metadata(self, input: Mapping[str, Any]) -> None:
        """AddAccountMetadata ``{ledger, account, metadata}``: merge into the account (created if
        missing, as ledger v2 does); no output."""
        try:
            self.create_account(
                str(input["account"]), ledger=str(input["ledger"]), metadata=dict(input.get("metadata") or {})
            )
        except ValueError as exc:
            raise ActivityFailure(str(exc), error_code="VALIDATION", retryable=False) from None

    def activity_list_wallets(self, input: Mapping[str, Any]) -> dict[str, Any]:
        """ListWallets ``{name}`` -> ``{"cursor": {"data": [wallet...], "hasMore", "pageSize"}}``: the
        wallets with that name (every wallet for ``""``), without balances."""
        name = str(input.get("name") or "")
        found: list[dict[str, Any]] = [
            {key: value for key, value in self._wallet_wire(wallet, ()).items() if key != "balances"}
            for wallet in self._wallets.values()
            if not name or wallet.name == name
        ]
        return {"cursor": {"data": found, "hasMore": False, "pageSize": 15}}

    def activity_get_wallet(self, input: Mapping[str, Any]) -> dict[str, Any]:
        """GetWallet ``{id}`` -> ``{"data": wallet}``.

        :raises ActivityFailure: ``wallet not found`` (retryable) for an unknown wallet.
        """
        return {"data": self._wallet_wire(self._wallet_or_fail(str(input["id"])), ["main"])}

    def activity_credit_wallet(self, input: Mapping[str, Any]) -> None:
        """CreditWallet ``{id, data: {amount, balance?, metadata, sources}}``; no output.

        Moves the amount into the wallet's ``balance`` (default ``main``) in the wallet's ledger, from
        each source subject in turn (``ACCOUNT`` = that address of the wallet's ledger, ``WALLET`` =
        that wallet's ``balance``, default ``main``) or from ``world`` when ``sources`` is null/empty.
        Several sources are drained in order, like a numscript ``source = {...}``.

        :raises ActivityFailure: ``wallet not found`` (retryable), ``insufficient fund``
            (``INSUFFICIENT_FUND``, retryable), ``VALIDATION``.
        """
        wallet = self._wallet_or_fail(str(input["id"]))
        data = input.get("data") or {}
        asset, amount = _monetary_of(data)
        balance = str(data.get("balance") or "main")
        sources = [self._subject_address(wallet, subject) for subject in data.get("sources") or []]
        if not sources:
            sources = [WORLD]
        destination = wallet_address(wallet.id, balance)
        postings = self._drain(wallet.ledger, sources, destination, asset, amount)
        self._commit(wallet.ledger, postings, dict(data.get("metadata") or {}), "", wallet_funds=True)
        self._remember_balance(wallet, balance)

    def activity_debit_wallet(self, input: Mapping[str, Any]) -> None:
        """DebitWallet ``{id, data: {amount, metadata, destination?, balances?}}``; no output.

        Takes the amount from the listed balances in order (default ``["main"]``; ``"*"`` means every
        balance, ``main`` first) to the destination subject in the wallet's ledger, or to ``world``
        when there is none. ``pending`` is ignored (the send stage never sets it), so no hold is made.

        :raises ActivityFailure: ``wallet not found`` (retryable), ``insufficient fund``
            (``INSUFFICIENT_FUND``, retryable), ``VALIDATION``.
        """
        wallet = self._wallet_or_fail(str(input["id"]))
        data = input.get("data") or {}
        asset, amount = _monetary_of(data)
        names = [str(name) for name in data.get("balances") or ["main"]]
        if "*" in names:
            names = list(wallet.balances)
        sources = [wallet_address(wallet.id, name) for name in dict.fromkeys(names)]
        subject = data.get("destination")
        destination = WORLD if subject is None else self._subject_address(wallet, subject)
        postings = self._drain(wallet.ledger, sources, destination, asset, amount)
        self._commit(wallet.ledger, postings, dict(data.get("metadata") or {}), "", wallet_funds=True)

    def activity_get_payment(self, input: Mapping[str, Any]) -> dict[str, Any]:
        """GetPayment ``{id}`` -> ``{"data": payment}``.

        :raises ActivityFailure: ``payment not found`` (retryable) for an unknown payment.
        """
        payment = self._payments.get(str(input["id"]))
        if payment is None:
            raise ActivityFailure("payment not found", error_code="NOT_FOUND", retryable=True)
        return {"data": json_copy(payment)}

    def activity_stripe_transfer(self, input: Mapping[str, Any]) -> None:
        """StripeTransfer ``{amount, asset, destination}``: record the transfer; no output."""
        self._stripe_transfers.append(
            {
                "amount": input.get("amount"),
                "asset": input.get("asset"),
                "destination": input.get("destination"),
            }
        )
        self.version += 1

    def activity_create_transfer_initiation(self, input: Mapping[str, Any]) -> None:
        """CreateTransferInitiation ``{amount, asset, destination, provider?, connectorID?, source?,
        type?, metadata, waitingValidation}``: record it as the payments service receives it; no
        output (flows v2.6 ``activities/activity_transfer_initiation.go``).

        :raises ActivityFailure: ``invalid transfer type: ...`` (retryable, as the real activity's
            plain error is) for a ``type`` other than TRANSFER or PAYOUT in any case.
        """
        given = str(input.get("type") or "")
        kind = given.upper() or "TRANSFER"
        if kind not in _TRANSFER_TYPES:
            raise ActivityFailure(f"invalid transfer type: {given} (must be TRANSFER or PAYOUT)")
        provider = input.get("provider")
        record: dict[str, Any] = {
            "amount": input.get("amount"),
            "asset": input.get("asset"),
            "destinationAccountID": input.get("destination"),
            "type": kind,
            "description": f"{provider} {kind}" if provider is not None else f"Transfer Initiation ({kind})",
            "validated": input.get("waitingValidation") is not True,
            "metadata": json_copy(input.get("metadata")),
        }
        if input.get("connectorID") is not None:
            record["connectorID"] = input["connectorID"]
        if provider:
            record["provider"] = str(provider).upper()
        if input.get("source") is not None:
            record["sourceAccountID"] = input["source"]
        self._transfer_initiations.append(record)
        self.version += 1

    # ------------------------------------------------------------------------------------------
    # Internals

    def _activity_handlers(self) -> dict[str, Callable[[Mapping[str, Any]], dict[str, Any] | None]]:
        return {
            "GetAccount": self.activity_get_account,
            "CreateTransaction": self.activity_create_transaction,
            "GetWallet": self.activity_get_wallet,
            "CreditWallet": self.activity_credit_wallet,
            "DebitWallet": self.activity_debit_wallet,
            "GetPayment": self.activity_get_payment,
            "StripeTransfer": self.activity_stripe_transfer,
            "CreateTransferInitiation": self.activity_create_transfer_initiation,
            "AddAccountMetadata": self.activity_add_account_metadata,
            "ListWallets": self.activity_list_wallets,
        }

    def _ledger(self, name: str) -> _Ledger:
        ledger = self._ledgers.get(name)
        if ledger is None:
            ledger = self._ledgers[name] = _Ledger(name=name)
        return ledger

    def _find_account(self, ledger: str, address: str) -> _Account | None:
        found = self._ledgers.get(ledger)
        return None if found is None else found.accounts.get(address)

    def _wallet_or_fail(self, wallet_id: str) -> _Wallet:
        wallet = self._wallets.get(wallet_id)
        if wallet is None:
            raise ActivityFailure("wallet not found", error_code="NOT_FOUND", retryable=True)
        return wallet

    def _wallet_wire(self, wallet: _Wallet, balances: Iterable[str]) -> dict[str, Any]:
        return {
            "id": wallet.id,
            "metadata": json_copy(wallet.metadata),
            "name": wallet.name,
            "createdAt": format_timestamp(wallet.created_at),
            "balances": {
                name: {"assets": self.balances(wallet_address(wallet.id, name), ledger=wallet.ledger)}
                for name in balances
            },
            "ledger": wallet.ledger,
        }

    @staticmethod
    def _remember_balance(wallet: _Wallet, balance: str) -> None:
        if balance not in wallet.balances:
            wallet.balances.append(balance)

    def _subject_address(self, wallet: _Wallet, subject: Mapping[str, Any]) -> str:
        """The address (in ``wallet``'s ledger) a Subject designates."""
        kind = subject.get("type")
        identifier = str(subject.get("identifier") or "")
        if kind == "ACCOUNT":
            return identifier
        if kind == "WALLET":
            other = self._wallet_or_fail(identifier)
            return wallet_address(other.id, str(subject.get("balance") or "main"))
        raise ActivityFailure(f"unknown subject type: {kind!r}", error_code="VALIDATION", retryable=False)

    def _drain(
        self, ledger: str, sources: list[str], destination: str, asset: str, amount: int
    ) -> list[dict[str, Any]]:
        """Postings taking ``amount`` from ``sources`` in order (``world`` is bottomless).

        Fails with the wallets service's ``insufficient fund`` when the sources cannot cover it.
        """
        _check_amount_and_asset(asset, amount)
        postings: list[dict[str, Any]] = []
        taken: dict[str, int] = {}
        remaining = amount
        for source in sources:
            if remaining == 0 and postings:
                break
            if source == WORLD:
                take = remaining
            else:
                account = self._find_account(ledger, source)
                available = 0 if account is None else max(account.balance(asset), 0)
                take = min(available - taken.get(source, 0), remaining)
                if take <= 0 and remaining > 0:
                    continue
            postings.append(_posting(source, destination, asset, take))
            taken[source] = taken.get(source, 0) + take
            remaining -= take
        if remaining > 0:
            raise ActivityFailure(
                WALLET_INSUFFICIENT_FUND_MESSAGE, error_code="INSUFFICIENT_FUND", retryable=True
            )
        return postings

    def _commit(
        self,
        ledger_name: str,
        postings: list[dict[str, Any]],
        metadata: dict[str, Any],
        reference: str,
        *,
        wallet_funds: bool = False,
        timestamp: datetime | None = None,
        overdraft: frozenset[str] = frozenset(),
    ) -> _Transaction:
        """Validate, check funds and the reference, then write the transaction (all or nothing).

        ``world`` and the ``overdraft`` accounts may go negative."""
        if not postings:
            raise ActivityFailure("transaction has no postings", error_code="VALIDATION", retryable=False)
        for index, posting in enumerate(postings):
            reason = _posting_problem(posting)
            if reason:
                raise ActivityFailure(
                    f"invalid posting {index}: {reason}", error_code="VALIDATION", retryable=False
                )
        existing = self._ledgers.get(ledger_name)
        # Balances as they would be, posting after posting.
        pending: dict[tuple[str, str], int] = {}
        for posting in postings:
            source, destination = posting["source"], posting["destination"]
            asset, amount = posting["asset"], posting["amount"]
            key = (source, asset)
            if key not in pending:
                account = None if existing is None else existing.accounts.get(source)
                pending[key] = 0 if account is None else account.balance(asset)
            pending[key] -= amount
            if source != WORLD and pending[key] < 0 and source not in overdraft:
                if wallet_funds:
                    raise ActivityFailure(
                        WALLET_INSUFFICIENT_FUND_MESSAGE, error_code="INSUFFICIENT_FUND", retryable=True
                    )
                raise ActivityFailure(
                    INSUFFICIENT_FUNDS_MESSAGE, error_code="INSUFFICIENT_FUND", retryable=True
                )
            dest_key = (destination, asset)
            if dest_key not in pending:
                account = None if existing is None else existing.accounts.get(destination)
                pending[dest_key] = 0 if account is None else account.balance(asset)
            pending[dest_key] += amount
        if reference and existing is not None and reference in existing.references:
            raise ActivityFailure(REFERENCE_CONFLICT_MESSAGE, error_code="CONFLICT", retryable=False)

        ledger = self._ledger(ledger_name)
        for posting in postings:
            asset, amount = posting["asset"], posting["amount"]
            source = ledger.accounts.setdefault(posting["source"], _Account())
            source.volumes.setdefault(asset, [0, 0])[1] += amount
            destination = ledger.accounts.setdefault(posting["destination"], _Account())
            destination.volumes.setdefault(asset, [0, 0])[0] += amount
        tx = _Transaction(
            txid=len(ledger.transactions),
            timestamp=self.clock.now() if timestamp is None else timestamp,
            postings=postings,
            reference=reference,
            metadata=json_copy(metadata),
        )
        ledger.transactions.append(tx)
        if reference:
            ledger.references[reference] = tx.txid
        self.version += 1
        return tx


def _timestamp(value: Any) -> datetime | None:
    """The instant of an RFC 3339 ``timestamp`` given to CreateTransaction (``None``: none given)."""
    if not isinstance(value, str):
        return None
    parsed = parse_rfc3339(value)
    if parsed is None:
        raise ActivityFailure(f"invalid timestamp {value!r}", error_code="VALIDATION", retryable=False)
    return parsed.instant


def _overdraft_posting(script: Any) -> dict[str, Any]:
    """The posting of the overdraft program flows v2.6 generates (see the module docstring)."""
    plain = script.get("plain") if isinstance(script, Mapping) else None
    found = _OVERDRAFT_SCRIPT.fullmatch(plain) if isinstance(plain, str) else None
    if found is None:
        raise ActivityFailure(
            "the fake runs only the overdraft program orchestration generates",
            error_code="COMPILATION_FAILED",
            retryable=False,
        )
    posting = _posting(found["source"], found["destination"], found["asset"], int(found["amount"]))
    problem = _posting_problem(posting)  # a bad account or asset does not compile
    if problem:
        raise ActivityFailure(
            f"compiling the overdraft program: {problem}", error_code="COMPILATION_FAILED", retryable=False
        )
    return posting


def _posting(source: str, destination: str, asset: str, amount: int) -> dict[str, Any]:
    return {"amount": amount, "asset": asset, "destination": destination, "source": source}


def _posting_problem(posting: Mapping[str, Any]) -> str:
    """Why ledger v1 would reject ``posting`` (``""`` when it is fine)."""
    amount = posting.get("amount")
    if not _is_amount(amount):
        return "invalid amount"
    if amount < 0:
        return "negative amount"
    source, destination, asset = posting.get("source"), posting.get("destination"), posting.get("asset")
    if not isinstance(source, str) or not _ADDRESS.match(source):
        return "invalid source address"
    if not isinstance(destination, str) or not _ADDRESS.match(destination):
        return "invalid destination address"
    if not isinstance(asset, str) or not _ASSET.match(asset):
        return "invalid asset"
    return ""


def _check_amount_and_asset(asset: str, amount: int) -> None:
    if not _is_amount(amount) or amount < 0:
        raise ActivityFailure("invalid amount", error_code="VALIDATION", retryable=False)
    if not _ASSET.match(asset):
        raise ActivityFailure("invalid asset", error_code="VALIDATION", retryable=False)


def _monetary_of(data: Mapping[str, Any]) -> tuple[str, int]:
    monetary = data.get("amount") or {}
    asset, amount = monetary.get("asset"), monetary.get("amount")
    if not isinstance(asset, str) or not _is_amount(amount):
        raise ActivityFailure("invalid amount", error_code="VALIDATION", retryable=False)
    return asset, amount
