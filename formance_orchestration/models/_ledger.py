"""Ledger, wallet and payment objects, as the send stage's activities exchange them.

Amounts and volumes are Python ``int`` of any size. Enumerations of the downstream services
(payment status, provider, type, scheme; subject type) are plain ``str`` so that values unknown
to this client are kept. Metadata dictionaries are kept as decoded from JSON.
"""

from datetime import datetime
from typing import Any

import attrs

from formance_orchestration.models._common import Model, Monetary

__all__ = [
    "AccountResponse",
    "AccountWithVolumesAndBalances",
    "AssetHolder",
    "CreateTransactionResponse",
    "CreditWalletRequest",
    "DebitWalletRequest",
    "DebitWalletResponse",
    "GetWalletResponse",
    "Hold",
    "LedgerAccountSubject",
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
    "WalletSubject",
    "WalletWithBalances",
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
    """A Numscript program and its variables (never sent by the orchestration service).

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


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Transaction(Model):
    """A committed ledger transaction.

    :param txid: the transaction id in its ledger.
    :param reference: the reference; the ledger answers ``""`` when there is none.
    """

    postings: list[Posting]
    timestamp: datetime
    txid: int
    metadata: dict[str, Any] | None = None
    reference: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CreateTransactionResponse(Model):
    """The ledger's answer to a transaction creation: ``{"data": Transaction}``."""

    data: Transaction


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
    metadata: dict[str, Any] = attrs.field(factory=dict)
    volumes: dict[str, dict[str, int]] = attrs.field(factory=dict)
    balances: dict[str, int] = attrs.field(factory=dict)
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
    sources: list[Subject] | None = None
    metadata: dict[str, str] | None = None
    balance: str | None = None
    reference: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class DebitWalletRequest(Model):
    """A wallet debit (the ``data`` of a DebitWallet activity).

    :param amount: what is debited.
    :param destination: where the funds go; unset means the ledger's ``world``.
    :param balances: the wallet balances to take from.
    :param pending: create a hold instead of debiting at once.
    """

    amount: Monetary
    metadata: dict[str, str] | None = None
    destination: Subject | None = None
    balances: list[str] | None = None
    pending: bool | None = None
    description: str | None = None


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

    :param account_id: the payments account the payment belongs to.
    :param type: ``PAY-IN``, ``PAYOUT``, ``TRANSFER``, ``OTHER`` (any string is kept).
    :param provider: the connector, e.g. ``STRIPE`` (any string is kept).
    :param status: ``PENDING``, ``SUCCEEDED``, ... (any string is kept).
    :param initial_amount: the amount, in the asset's smallest unit.
    :param scheme: ``visa``, ``sepa credit``, ... (any string is kept).
    :param raw: the provider's raw object.
    """

    id: str
    reference: str
    account_id: str
    type: str
    provider: str
    status: str
    initial_amount: int
    scheme: str
    asset: str
    created_at: datetime
    raw: Any = None
    adjustments: list[PaymentAdjustment] | None = None
    metadata: dict[str, Any] | None = None


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
