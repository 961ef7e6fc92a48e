"""Ledger, wallet and payment objects, as the send stage's activities exchange them.

Amounts and volumes are Python ``int`` of any size. Enumerations of the downstream services
(payment status, provider, type, scheme; subject type) are plain ``str`` so that values unknown
to this client are kept. Metadata dictionaries are kept as decoded from JSON.
"""

from datetime import datetime
from typing import Any

import attrs

from formance_orchestration.models._common import AS_SENT, Model, Monetary

__all__ = [
    "AccountResponse",
    "AccountWithVolumesAndBalances",
    "AssetHolder",
    "CreateTransactionListResponse",
    "CreateTransactionResponse",
    "CreditWalletRequest",
    "DebitWalletRequest",
    "DebitWalletResponse",
    "GetWalletResponse",
    "Hold",
    "LedgerAccountSubject",
    "ListWalletsResponse",
    "Payment",
    "PaymentAdjustment",
    "PaymentResponse",
    "PostTransaction",
    "PostTransactionScript",
    "Posting",
    "RevertTransactionResponse",
    "StripeTransferRequest",
    "Subject",
    "Transaction",
    "Volumes",
    "Wallet",
    "WalletSubject",
    "WalletWithBalances",
    "WalletsCursor",
]


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Posting(Model):
    """One movement of a ledger transaction: ``amount`` of ``asset`` from ``source`` to ``destination``."""

    amount: int
    asset: str
    destination: str
    source: str


@attrs.frozen(kw_only=True, repr=False, eq=False)
class PostTransactionScript(Model):
    """A Numscript program and its variables (stack v3.2.5+ sends one in CreateTransaction inputs
    instead of postings when an account may overdraw).

    :param plain: the Numscript source.
    :param vars: the script variables.
    """

    plain: str
    vars: dict[str, Any] | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class PostTransaction(Model):
    """A transaction to create in a ledger (the ``data`` of a CreateTransaction activity).

    :param postings: the movements.
    :param metadata: the transaction metadata (``{}`` when none).
    :param reference: an optional unique reference.
    :param timestamp: an optional transaction time.
    :param script: a Numscript alternative to ``postings``.
    """

    postings: list[Posting] | None = None
    metadata: dict[str, Any] | None = None
    reference: str | None = None
    timestamp: datetime | None = None
    script: PostTransactionScript | None = None


Volumes = dict[str, dict[str, dict[str, int]]]
"""Per account, per asset, ``{"input": int, "output": int, "balance": int}`` (ledger v2 volumes)."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Transaction(Model):
    """A committed ledger transaction, as ledger v1 (``txid``) or ledger v2 (``id``, ``reverted``...)
    sends it; the stack v2.0+ stage history sends both ``id`` and ``txid``.

    Read :attr:`transaction_id` to get the id whichever key the service sent.

    :param txid: the transaction id (ledger v1 key); ``None`` when the service did not send it.
    :param id: the transaction id (ledger v2 key); ``None`` when the service did not send it.
    :param reference: the reference; the ledger answers ``""`` (v1) or omits it (v2) when there is none.
    :param reverted: whether the transaction was reverted (ledger v2).
    :param pre_commit_volumes: per account and asset, the volumes before it (ledger v2, when asked).
    :param post_commit_volumes: per account and asset, the volumes after it (ledger v2, when asked).
    :param inserted_at: when the ledger recorded it (later ledger v2).
    :param template: the Numscript template it was made from (later ledger v2).
    """

    postings: list[Posting]
    timestamp: datetime
    txid: int | None = None
    id: int | None = None
    metadata: dict[str, Any] | None = None
    reference: str | None = None
    reverted: bool | None = None
    pre_commit_volumes: Volumes | None = None
    post_commit_volumes: Volumes | None = None
    pre_commit_effective_volumes: Volumes | None = None
    post_commit_effective_volumes: Volumes | None = None
    inserted_at: datetime | None = None
    updated_at: datetime | None = None
    reverted_at: datetime | None = None
    template: str | None = None

    @property
    def transaction_id(self) -> int:
        """The transaction id: ``id`` (ledger v2) if sent, else ``txid`` (ledger v1).

        :raises ValueError: when neither was sent (only a hand-built transaction can lack both).
        """
        number = self.txid if self.id is None else self.id
        if number is None:
            raise ValueError("this transaction has neither an id nor a txid")
        return number


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CreateTransactionResponse(Model):
    """The ledger's answer to a transaction creation: ``{"data": Transaction}`` (mid-2023 stack)."""

    data: Transaction


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CreateTransactionListResponse(Model):
    """What the stack v2.0+ stage history shows for a transaction creation: ``{"data": [Transaction]}``
    (a one-element list).

    :param transactions: the list on the wire (key ``data``).
    """

    transactions: list[Transaction] = attrs.field(metadata={"wire": "data"})

    @property
    def data(self) -> Transaction:
        """The transaction (the first of the list), so that ``output.data`` reads the same in every
        stack version.

        :raises IndexError: when the list is empty.
        """
        if not self.transactions:
            raise IndexError("the service sent no transaction")
        return self.transactions[0]


RevertTransactionResponse = CreateTransactionResponse
"""The ledger's answer to a revert (the same shape as :class:`CreateTransactionResponse`)."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class AccountWithVolumesAndBalances(Model):
    """A ledger account with its volumes and balances.

    :param address: the account address.
    :param metadata: the account metadata (values are usually strings).
    :param volumes: per asset, ``{"input": int, "output": int}``.
    :param balances: per asset, the balance.
    :param type: the account type, when the ledger reports it.
    """

    address: str
    metadata: dict[str, Any] = attrs.field(factory=dict, metadata={AS_SENT: True})
    volumes: dict[str, dict[str, int]] = attrs.field(factory=dict, metadata={AS_SENT: True})
    balances: dict[str, int] = attrs.field(factory=dict, metadata={AS_SENT: True})
    type: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class AccountResponse(Model):
    """The ledger's answer to an account read: ``{"data": AccountWithVolumesAndBalances}``."""

    data: AccountWithVolumesAndBalances


@attrs.frozen(kw_only=True, repr=False, eq=False)
class LedgerAccountSubject(Model):
    """A ledger account as a wallet-operation subject: ``{"type": "ACCOUNT", "identifier": ...}``."""

    identifier: str
    type: str = "ACCOUNT"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WalletSubject(Model):
    """A wallet as a wallet-operation subject: ``{"type": "WALLET", "identifier": ..., "balance"?}``."""

    identifier: str
    balance: str | None = None
    type: str = "WALLET"


Subject = LedgerAccountSubject | WalletSubject
"""A wallet-operation subject, discriminated by its ``type`` (``ACCOUNT`` or ``WALLET``)."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CreditWalletRequest(Model):
    """A wallet credit (the ``data`` of a CreditWallet activity).

    :param amount: what is credited.
    :param sources: where the funds come from (``None`` when the wire has ``null``).
    :param metadata: the credit metadata (``None`` when the wire has ``null``).
    :param balance: the wallet balance credited.
    :param reference: an optional reference.
    """

    amount: Monetary
    sources: list[Subject] | None = attrs.field(default=None, metadata={AS_SENT: True})
    metadata: dict[str, str] | None = attrs.field(default=None, metadata={AS_SENT: True})
    balance: str | None = None
    reference: str | None = None
    timestamp: datetime | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class DebitWalletRequest(Model):
    """A wallet debit (the ``data`` of a DebitWallet activity).

    :param amount: what is debited.
    :param destination: where the funds go; unset means the ledger's ``world``.
    :param balances: the wallet balances to take from.
    :param pending: create a hold instead of debiting at once.
    """

    amount: Monetary
    metadata: dict[str, str] | None = attrs.field(default=None, metadata={AS_SENT: True})
    destination: Subject | None = None
    balances: list[str] | None = None
    pending: bool | None = None
    description: str | None = None
    timestamp: datetime | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Hold(Model):
    """A pending hold on a wallet.

    :param wallet_id: the wallet the hold belongs to.
    """

    id: str
    wallet_id: str
    metadata: dict[str, str] = attrs.field(factory=dict)
    description: str = ""
    destination: Subject | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class DebitWalletResponse(Model):
    """The wallets service's answer to a pending debit: ``{"data": Hold}``."""

    data: Hold


@attrs.frozen(kw_only=True, repr=False, eq=False)
class AssetHolder(Model):
    """The assets of one wallet balance.

    :param assets: per asset, the amount.
    """

    assets: dict[str, int] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WalletWithBalances(Model):
    """A wallet with its balances.

    :param balances: per balance name (``main`` always exists), its assets.
    :param ledger: the ledger that holds the wallet (``wallets-002`` by default).
    """

    id: str
    name: str
    ledger: str
    created_at: datetime
    metadata: dict[str, str] = attrs.field(factory=dict)
    balances: dict[str, AssetHolder] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class GetWalletResponse(Model):
    """The wallets service's answer to a wallet read: ``{"data": WalletWithBalances}``."""

    data: WalletWithBalances


@attrs.frozen(kw_only=True, repr=False, eq=False)
class PaymentAdjustment(Model):
    """One adjustment of a payment.

    :param status: a payment status (any string is kept).
    """

    status: str
    amount: int
    date: datetime
    absolute: bool = False
    raw: Any = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Payment(Model):
    """A payment known to the payments service.

    Two shapes: the mid-2023 payments API sends ``accountID``; the 2024 one (stack v2.0+) sends
    ``connectorID``, ``sourceAccountID``, ``destinationAccountID`` and ``amount`` instead, and may
    omit ``provider``. A field the service did not send is ``None``.

    :param account_id: the payments account the payment belongs to (mid-2023 shape).
    :param connector_id: the connector that holds the payment (2024 shape).
    :param source_account_id: the account the payment comes from (2024 shape).
    :param destination_account_id: the account the payment goes to (2024 shape).
    :param amount: the current amount (2024 shape).
    :param type: ``PAY-IN``, ``PAYOUT``, ``TRANSFER``, ``OTHER`` (any string is kept).
    :param provider: the connector, e.g. ``STRIPE`` (any string is kept).
    :param status: ``PENDING``, ``SUCCEEDED``, ... (any string is kept).
    :param initial_amount: the amount, in the asset's smallest unit.
    :param scheme: ``visa``, ``sepa credit``, ... (any string is kept).
    :param raw: the provider's raw object.
    """

    id: str
    reference: str
    type: str
    status: str
    initial_amount: int
    scheme: str
    asset: str
    created_at: datetime
    account_id: str | None = None
    provider: str | None = None
    connector_id: str | None = None
    source_account_id: str | None = None
    destination_account_id: str | None = None
    amount: int | None = None
    raw: Any = attrs.field(default=None, metadata={AS_SENT: True})
    adjustments: list[PaymentAdjustment] | None = attrs.field(default=None, metadata={AS_SENT: True})
    metadata: dict[str, Any] | None = attrs.field(default=None, metadata={AS_SENT: True})


@attrs.frozen(kw_only=True, repr=False, eq=False)
class PaymentResponse(Model):
    """The payments service's answer to a payment read: ``{"data": Payment}``."""

    data: Payment


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StripeTransferRequest(Model):
    """A Stripe transfer to a connected account.

    :param destination: the Stripe connected account id.
    """

    amount: int | None = None
    asset: str | None = None
    destination: str | None = None
    metadata: dict[str, Any] | None = None
    connector_id: str | None = None
    waiting_validation: bool | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Wallet(Model):
    """A wallet without its balances (as ``ListWallets`` lists them)."""

    id: str
    name: str
    ledger: str
    created_at: datetime
    metadata: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WalletsCursor(Model):
    """One page of wallets.

    :param data: the wallets of the page.
    :param page_size: the page size asked for.
    :param has_more: whether another page follows.
    :param next: the cursor of the next page, when there is one.
    :param previous: the cursor of the previous page, when there is one.
    """

    data: list[Wallet] = attrs.field(factory=list)
    has_more: bool | None = None
    page_size: int | None = None
    next: str | None = None
    previous: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ListWalletsResponse(Model):
    """The wallets service's answer to a wallet listing: ``{"cursor": WalletsCursor}``."""

    cursor: WalletsCursor
