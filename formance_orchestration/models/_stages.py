"""Typed workflow stages: ``send``, ``delay``, ``wait_event``, ``noop``, ``update`` and :class:`RawStage`.

A stage object holds the stage's parameters. In ``WorkflowConfig.stages`` each stage is written as
a one-key object naming its type, e.g. ``{"delay": {"duration": "10s"}}``, and such an object read
back from the service becomes the typed stage again. String fields may hold ``${variable}``
placeholders; the service resolves them when the workflow runs.
"""

from datetime import datetime
from typing import Any, ClassVar

import attrs

from formance_orchestration._exceptions import InvalidStageError
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


def _exactly_one(what: str, **options: object) -> None:
    """Refuse a built stage part unless exactly one of ``options`` is set (what the service checks
    only when the stage runs). Decoding never calls this: it does not run ``__init__``."""
    given = [name for name, value in options.items() if value is not None]
    if len(given) != 1:
        names = " and ".join(given) if given else "none"
        raise InvalidStageError(f"{what} needs exactly one of {', '.join(options)}; got {names}")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StageSendSourceAccount(Model):
    """A ledger account to send from.

    :param id: the account address, e.g. ``users:001`` or ``world``.
    :param ledger: the ledger name; the service uses ``default`` when unset.
    :param through_account: where the money goes when it leaves the ledger (to another ledger, a
        wallet elsewhere or a payout), instead of ``world`` (stack v3.2.5+).
    :param allow_overdraft: let this account go negative when the money leaves the ledger (stack
        v3.2.5+; the service sends that transaction as Numscript).
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
    :param through_account: where the money comes from when it enters the ledger from another
        one, instead of ``world`` (stack v3.2.5+).
    :param allow_overdraft: let ``through_account`` go negative (stack v3.2.5+; ``world`` always
        can).
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

    def __attrs_post_init__(self) -> None:
        _exactly_one("a send source wallet", id=self.id, name=self.name)


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

    def __attrs_post_init__(self) -> None:
        _exactly_one("a send destination wallet", id=self.id, name=self.name)


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

    :param psp: the provider: up to stack v3.1, only ``stripe`` works at run time; from v3.2.5,
        any provider the payments service has (the payout is a transfer initiation).
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
    """Where a send takes the money from: exactly one of the three (`InvalidStageError` otherwise)."""

    account: StageSendSourceAccount | None = None
    wallet: StageSendSourceWallet | None = None
    payment: StageSendSourcePayment | None = None

    def __attrs_post_init__(self) -> None:
        _exactly_one("a send source", account=self.account, wallet=self.wallet, payment=self.payment)

    @classmethod
    def of_account(
        cls,
        id: str,
        ledger: str | None = None,
        *,
        through_account: str | None = None,
        allow_overdraft: bool | None = None,
    ) -> "StageSendSource":
        """Build a source that is a ledger account.

        :param id: the account address.
        :param ledger: the ledger (service default ``default``).
        :param through_account: see :class:`StageSendSourceAccount` (stack v3.2.5+).
        :param allow_overdraft: see :class:`StageSendSourceAccount` (stack v3.2.5+).
        """
        account = StageSendSourceAccount(
            id=id, ledger=ledger, through_account=through_account, allow_overdraft=allow_overdraft
        )
        return cls(account=account)

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
    def of_payment(
        cls,
        id: str,
        *,
        ledger: str | None = None,
        holding_account: str | None = None,
        through_account: str | None = None,
        allow_overdraft: bool | None = None,
    ) -> "StageSendSource":
        """Build a source that is a payment.

        :param id: the payment id.
        :param ledger: see :class:`StageSendSourcePayment` (stack v3.2.5+), as the next three.
        :param holding_account: the account holding the payment's funds.
        :param through_account: where the funds come from, instead of ``world``.
        :param allow_overdraft: let ``through_account`` go negative.
        """
        payment = StageSendSourcePayment(
            id=id,
            ledger=ledger,
            holding_account=holding_account,
            through_account=through_account,
            allow_overdraft=allow_overdraft,
        )
        return cls(payment=payment)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StageSendDestination(Model):
    """Where a send puts the money: exactly one of the three (`InvalidStageError` otherwise)."""

    account: StageSendDestinationAccount | None = None
    wallet: StageSendDestinationWallet | None = None
    payment: StageSendDestinationPayment | None = None

    def __attrs_post_init__(self) -> None:
        _exactly_one("a send destination", account=self.account, wallet=self.wallet, payment=self.payment)

    @classmethod
    def of_account(
        cls,
        id: str,
        ledger: str | None = None,
        *,
        through_account: str | None = None,
        allow_overdraft: bool | None = None,
    ) -> "StageSendDestination":
        """Build a destination that is a ledger account.

        :param id: the account address.
        :param ledger: the ledger (service default ``default``).
        :param through_account: see :class:`StageSendDestinationAccount` (stack v3.2.5+).
        :param allow_overdraft: see :class:`StageSendDestinationAccount` (stack v3.2.5+).
        """
        account = StageSendDestinationAccount(
            id=id, ledger=ledger, through_account=through_account, allow_overdraft=allow_overdraft
        )
        return cls(account=account)

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
    def of_payment(
        cls,
        psp: str = "stripe",
        metadata: str | None = None,
        *,
        type: str | None = None,
        source_account: str | None = None,
    ) -> "StageSendDestination":
        """Build a destination that is a payout.

        :param psp: the provider (up to stack v3.1 only ``stripe`` works; any from v3.2.5).
        :param metadata: the metadata key holding the connected account id (service default
            ``stripeConnectID``; stack v2.0+: ``formanceAccountID``).
        :param type: ``TRANSFER`` or ``PAYOUT`` (stack v3.2.5+; service default ``TRANSFER``).
        :param source_account: the payments account the transfer leaves from (stack v3.2.5+).
        """
        payment = StageSendDestinationPayment(
            psp=psp, metadata=metadata, type=type, source_account=source_account
        )
        return cls(payment=payment)


@attrs.frozen(kw_only=True, repr=False, eq=False, init=False)
class StageSend(Model):
    """The ``send`` stage: moves an amount from a source to a destination.

    Building one without an amount raises `InvalidStageError` unless the source is a payment.

    :param source: where the money comes from.
    :param destination: where it goes.
    :param amount: what is moved; required unless the source is a payment (then the payment's amount).
    :param metadata: metadata added to every transaction and wallet move (stack v2.0+).
    :param timestamp: the date of every transaction and wallet move (stack v2.0+).
    """

    TYPE: ClassVar[str] = "send"

    # Optional as read back: the service stores a stage as given (``{"send": {}}`` included).
    source: StageSendSource | None = None
    destination: StageSendDestination | None = None
    amount: Monetary | None = None
    metadata: dict[str, str] | None = attrs.field(default=None, metadata={AS_SENT: True})
    timestamp: datetime | None = attrs.field(default=None, metadata={AS_SENT: True})

    def __init__(
        self,
        *,
        source: StageSendSource,
        destination: StageSendDestination,
        amount: Monetary | None = None,
        metadata: dict[str, str] | None = None,
        timestamp: datetime | None = None,
    ) -> None:
        self.__attrs_init__(
            source=source, destination=destination, amount=amount, metadata=metadata, timestamp=timestamp
        )

    def __attrs_post_init__(self) -> None:
        if self.source is None or self.destination is None:
            raise InvalidStageError("a send needs a source and a destination")
        if self.amount is None and self.source.payment is None:
            raise InvalidStageError("a send needs an amount unless its source is a payment")


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StageDelay(Model):
    """The ``delay`` stage: waits for a Go duration (``"10s"``, ``"1m30s"``) or until a time.

    Exactly one of the two is given (`InvalidStageError` otherwise).

    :param duration: a Go duration string (may be a ``${variable}``).
    :param until: an aware datetime, written as RFC 3339.
    """

    TYPE: ClassVar[str] = "delay"

    duration: str | None = None
    until: datetime | None = None

    def __attrs_post_init__(self) -> None:
        _exactly_one("a delay", duration=self.duration, until=self.until)


@attrs.frozen(kw_only=True, repr=False, eq=False, init=False)
class StageWaitEvent(Model):
    """The ``wait_event`` stage: waits until an event of that name is sent to the instance.

    :param event: the event name (case-sensitive).
    """

    TYPE: ClassVar[str] = "wait_event"

    event: str | None = None  # optional as read back: the service stores ``{"wait_event": {}}`` too

    def __init__(self, *, event: str) -> None:
        self.__attrs_init__(event=event)

    def __attrs_post_init__(self) -> None:
        if not self.event:
            raise InvalidStageError("a wait_event needs the name of the event")


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


@attrs.frozen(kw_only=True, repr=False, eq=False, init=False)
class StageUpdate(Model):
    """The ``update`` stage (stack v2.0+): adds metadata to a ledger account (``AddAccountMetadata``).

    :param account: the account and the metadata to add.
    """

    TYPE: ClassVar[str] = "update"

    account: StageUpdateAccount | None = None  # optional as read back

    def __init__(self, *, account: StageUpdateAccount) -> None:
        self.__attrs_init__(account=account)

    def __attrs_post_init__(self) -> None:
        if self.account is None:
            raise InvalidStageError("an update needs the account to change")


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
