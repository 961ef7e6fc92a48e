"""Typed workflow stages: ``send``, ``delay``, ``wait_event``, ``noop``, ``update`` and :class:`RawStage`.

A stage object holds the stage's parameters. In ``WorkflowConfig.stages`` each stage is written as
a one-key object naming its type, e.g. ``{"delay": {"duration": "10s"}}``, and such an object read
back from the service becomes the typed stage again. String fields may hold ``${variable}``
placeholders; the service resolves them when the workflow runs.
"""

from datetime import datetime
from typing import Any, ClassVar

import attrs

from formance_orchestration.models._common import AS_SENT, Model, Monetary, untyped_error

__all__ = [
    "HISTORY_STAGE_TYPES",
    "STAGE_TYPES",
    "RawStage",
    "Stage",
    "StageDelay",
    "StageNoOp",
    "StageSend",
    "StageSendDestination",
    "StageSendDestinationAccount",
    "StageSendDestinationPayment",
    "StageSendDestinationWallet",
    "StageSendSource",
    "StageSendSourceAccount",
    "StageSendSourcePayment",
    "StageSendSourceWallet",
    "StageUpdate",
    "StageUpdateAccount",
    "StageWaitEvent",
    "TypedStage",
]


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StageSendSourceAccount(Model):
    """A ledger account to send from.

    :param id: the account address, e.g. ``users:001`` or ``world``.
    :param ledger: the ledger name; the service uses ``default`` when unset.
    :param through_account: the account that stands for the outside in cross-ledger and payment
        moves, instead of ``world`` (stack v3.2.5+).
    :param allow_overdraft: let ``through_account`` go negative (stack v3.2.5+).
    """

    id: str
    ledger: str | None = None
    through_account: str | None = None
    allow_overdraft: bool | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StageSendDestinationAccount(Model):
    """A ledger account to send to.

    :param id: the account address.
    :param ledger: the ledger name; the service uses ``default`` when unset.
    :param through_account: the account that stands for the outside in cross-ledger and payment
        moves, instead of ``world`` (stack v3.2.5+).
    :param allow_overdraft: let ``through_account`` go negative (stack v3.2.5+).
    """

    id: str
    ledger: str | None = None
    through_account: str | None = None
    allow_overdraft: bool | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StageSendSourceWallet(Model):
    """A wallet to send from, named by its id or (stack v2.0+) by its name.

    :param id: the wallet id.
    :param name: the wallet name (stack v2.0+; exactly one of ``id`` and ``name`` is set).
    :param balance: the wallet balance to debit; the service uses ``main`` when unset.
    """

    id: str | None = None
    name: str | None = None
    balance: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StageSendDestinationWallet(Model):
    """A wallet to send to, named by its id or (stack v2.0+) by its name.

    :param id: the wallet id.
    :param name: the wallet name (stack v2.0+; exactly one of ``id`` and ``name`` is set).
    :param balance: the wallet balance to credit; the service uses ``main`` when unset.
    """

    id: str | None = None
    name: str | None = None
    balance: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StageSendSourcePayment(Model):
    """A payment (from the payments service) whose funds are sent.

    :param id: the payment id.
    :param ledger: the ledger the payment is brought into (stack v3.2.5+; the service uses
        ``orchestration-000-internal`` when unset).
    :param holding_account: the account that holds the payment's funds (stack v3.2.5+; the service
        uses ``payment:{id}`` when unset).
    :param through_account: where the funds come from, instead of ``world`` (stack v3.2.5+).
    :param allow_overdraft: let ``through_account`` go negative (stack v3.2.5+).
    """

    id: str
    ledger: str | None = None
    holding_account: str | None = None
    through_account: str | None = None
    allow_overdraft: bool | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StageSendDestinationPayment(Model):
    """A payout through a payment provider.

    :param psp: the provider; only ``stripe`` works at run time.
    :param metadata: the account/wallet metadata key holding the connected account id; the service
        uses ``stripeConnectID`` (stack v2.0+: ``formanceAccountID``) when unset.
    :param waiting_validation: create the transfer waiting for validation (stack v2.0+).
    :param connector_id: the payments connector to use (stack v2.0+).
    :param type: ``TRANSFER`` or ``PAYOUT`` (stack v3.2.5+, any provider through a transfer
        initiation).
    :param source_account: the payments account the transfer leaves from (stack v3.2.5+).
    """

    psp: str
    metadata: str | None = None
    waiting_validation: bool | None = None
    connector_id: str | None = attrs.field(default=None, metadata={"wire": "connectorId"})
    type: str | None = None
    source_account: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StageSendSource(Model):
    """Where a send takes the money from: set exactly one of the three (checked at run time)."""

    account: StageSendSourceAccount | None = None
    wallet: StageSendSourceWallet | None = None
    payment: StageSendSourcePayment | None = None

    @classmethod
    def of_account(cls, id: str, ledger: str | None = None) -> "StageSendSource":
        """Build a source that is a ledger account.

        :param id: the account address.
        :param ledger: the ledger (service default ``default``).
        """
        return cls(account=StageSendSourceAccount(id=id, ledger=ledger))

    @classmethod
    def of_wallet(
        cls, id: str | None = None, balance: str | None = None, *, name: str | None = None
    ) -> "StageSendSource":
        """Build a source that is a wallet.

        :param id: the wallet id.
        :param balance: the balance (service default ``main``).
        :param name: the wallet name instead of its id (stack v2.0+).
        """
        return cls(wallet=StageSendSourceWallet(id=id, name=name, balance=balance))

    @classmethod
    def of_payment(cls, id: str) -> "StageSendSource":
        """Build a source that is a payment.

        :param id: the payment id.
        """
        return cls(payment=StageSendSourcePayment(id=id))


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StageSendDestination(Model):
    """Where a send puts the money: set exactly one of the three (checked at run time)."""

    account: StageSendDestinationAccount | None = None
    wallet: StageSendDestinationWallet | None = None
    payment: StageSendDestinationPayment | None = None

    @classmethod
    def of_account(cls, id: str, ledger: str | None = None) -> "StageSendDestination":
        """Build a destination that is a ledger account.

        :param id: the account address.
        :param ledger: the ledger (service default ``default``).
        """
        return cls(account=StageSendDestinationAccount(id=id, ledger=ledger))

    @classmethod
    def of_wallet(
        cls, id: str | None = None, balance: str | None = None, *, name: str | None = None
    ) -> "StageSendDestination":
        """Build a destination that is a wallet.

        :param id: the wallet id.
        :param balance: the balance (service default ``main``).
        :param name: the wallet name instead of its id (stack v2.0+).
        """
        return cls(wallet=StageSendDestinationWallet(id=id, name=name, balance=balance))

    @classmethod
    def of_payment(cls, psp: str = "stripe", metadata: str | None = None) -> "StageSendDestination":
        """Build a destination that is a payout.

        :param psp: the provider (only ``stripe`` works).
        :param metadata: the metadata key holding the connected account id (service default
            ``stripeConnectID``).
        """
        return cls(payment=StageSendDestinationPayment(psp=psp, metadata=metadata))


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StageSend(Model):
    """The ``send`` stage: moves an amount from a source to a destination.

    :param source: where the money comes from.
    :param destination: where it goes.
    :param amount: what is moved; may be left unset for a payment source (the payment's amount).
    :param metadata: metadata added to every transaction and wallet move (stack v2.0+).
    :param timestamp: the date of every transaction and wallet move (stack v2.0+).
    """

    TYPE: ClassVar[str] = "send"

    source: StageSendSource | None = None
    destination: StageSendDestination | None = None
    amount: Monetary | None = None
    metadata: dict[str, str] | None = attrs.field(default=None, metadata={AS_SENT: True})
    timestamp: datetime | None = attrs.field(default=None, metadata={AS_SENT: True})


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StageDelay(Model):
    """The ``delay`` stage: waits for a Go duration (``"10s"``, ``"1m30s"``) or until a time.

    :param duration: a Go duration string (may be a ``${variable}``).
    :param until: an aware datetime, written as RFC 3339.
    """

    TYPE: ClassVar[str] = "delay"

    duration: str | None = None
    until: datetime | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StageWaitEvent(Model):
    """The ``wait_event`` stage: waits until an event of that name is sent to the instance.

    :param event: the event name (required at run time).
    """

    TYPE: ClassVar[str] = "wait_event"

    event: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StageNoOp(Model):
    """The ``noop`` stage: does nothing and succeeds (``{"noop": {}}``)."""

    TYPE: ClassVar[str] = "noop"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StageUpdateAccount(Model):
    """The ledger account an ``update`` stage changes.

    :param id: the account address.
    :param ledger: the ledger name (the service's default is ``main``).
    :param metadata: the metadata to add to the account.
    """

    id: str
    ledger: str | None = None
    metadata: dict[str, str] | None = attrs.field(default=None, metadata={AS_SENT: True})


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StageUpdate(Model):
    """The ``update`` stage (stack v2.0+): adds metadata to a ledger account (``AddAccountMetadata``).

    :param account: the account and the metadata to add.
    """

    TYPE: ClassVar[str] = "update"

    account: StageUpdateAccount | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RawStage(Model):
    """A stage kept as raw JSON: a type the client does not know, or one whose values do not fit
    the typed stage (e.g. ``null`` where an object is expected).

    In ``WorkflowConfig.stages`` it is written ``{type: params}``. In an instance history item
    ``type`` is the child workflow name (e.g. ``RunFoo``) and ``params`` the raw input.

    :param type: the stage type, e.g. ``"send"``.
    :param params: the stage's parameters exactly as on the wire.
    """

    type: str
    params: dict[str, Any] = attrs.field(factory=dict)

    def __getattr__(self, name: str) -> Any:
        # only called for attributes the class does not have: a typed stage's field, read by mistake
        if name.startswith("__") or name in ("type", "params"):
            raise AttributeError(name)
        raise untyped_error(f"stage {self.type!r}", name, "params")


Stage = StageSend | StageDelay | StageWaitEvent | StageNoOp | StageUpdate | RawStage
"""Any workflow stage."""

TypedStage = StageSend | StageDelay | StageWaitEvent | StageNoOp | StageUpdate
"""Any stage this client types."""

STAGE_TYPES: dict[str, type[TypedStage]] = {
    "send": StageSend,
    "delay": StageDelay,
    "wait_event": StageWaitEvent,
    "noop": StageNoOp,
    "update": StageUpdate,
}
"""Stage type name (the key in ``WorkflowConfig.stages`` items) -> typed stage class."""

HISTORY_STAGE_TYPES: dict[str, type[TypedStage]] = {
    "RunSend": StageSend,
    "RunDelay": StageDelay,
    "RunWaitEvent": StageWaitEvent,
    "RunNoOp": StageNoOp,
    "RunUpdate": StageUpdate,
}
"""Child workflow name (``WorkflowInstanceHistory.name``) -> typed stage class of its input."""
