"""Inputs and outputs of the activities a ``send`` stage runs, as its stage history shows them.

On the wire an activity input is wrapped in a one-key object naming the activity,
``{"CreateTransaction": {...}}`` (likewise outputs). :class:`WorkflowInstanceHistoryStageInput` and
:class:`WorkflowInstanceHistoryStageOutput` are those wrappers as the OpenAPI file declares them;
``WorkflowInstanceHistoryStage.input`` / ``.output`` hold the unwrapped typed object directly.
"""

from typing import Any

import attrs

from formance_orchestration.models._common import AS_SENT, Model, untyped_error
from formance_orchestration.models._ledger import (
    AccountResponse,
    CreateTransactionListResponse,
    CreateTransactionResponse,
    CreditWalletRequest,
    DebitWalletRequest,
    DebitWalletResponse,
    GetWalletResponse,
    ListWalletsResponse,
    PaymentResponse,
    PostTransaction,
    StripeTransferRequest,
)

__all__ = [
    "ACTIVITY_INPUT_TYPES",
    "ACTIVITY_OUTPUT_TYPES",
    "ActivityAddAccountMetadata",
    "ActivityAddAccountMetadataById",
    "ActivityConfirmHold",
    "ActivityCreateTransaction",
    "ActivityCreateTransactionOutput",
    "ActivityCreateTransactionV2",
    "ActivityCreateTransactionV2Output",
    "ActivityCreateTransferInitiation",
    "ActivityCreditWallet",
    "ActivityDebitWallet",
    "ActivityDebitWalletOutput",
    "ActivityGetAccount",
    "ActivityGetAccountOutput",
    "ActivityGetPayment",
    "ActivityGetPaymentOutput",
    "ActivityGetWallet",
    "ActivityGetWalletOutput",
    "ActivityInput",
    "ActivityListWallets",
    "ActivityListWalletsOutput",
    "ActivityOutput",
    "ActivityRevertTransaction",
    "ActivityRevertTransactionOutput",
    "ActivityRevertTransactionV2Output",
    "ActivityStripeTransfer",
    "ActivityVoidHold",
    "RawActivity",
    "WorkflowInstanceHistoryStageInput",
    "WorkflowInstanceHistoryStageOutput",
]


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityGetAccount(Model):
    """Input of ``GetAccount``: read ledger account ``id`` in ``ledger``."""

    id: str
    ledger: str


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityCreateTransaction(Model):
    """Input of ``CreateTransaction``: post ``data`` in ``ledger``."""

    ledger: str | None = None
    data: PostTransaction | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityCreateTransactionV2(Model):
    """Input of ``CreateTransaction`` in stack v2.0+ (ledger v2): post ``data`` in ``ledger``.

    The service writes this request without JSON names, so its keys are ``Data`` and ``Ledger``.
    """

    ledger: str | None = attrs.field(default=None, metadata={"wire": "Ledger"})
    data: PostTransaction | None = attrs.field(default=None, metadata={"wire": "Data"})


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityListWallets(Model):
    """Input of ``ListWallets`` (stack v2.0+): find the wallets named ``name``."""

    name: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityAddAccountMetadata(Model):
    """Input of ``AddAccountMetadata`` (stack v2.0+, the ``update`` stage): add ``metadata`` to
    ledger account ``account`` in ``ledger``."""

    ledger: str
    account: str
    metadata: dict[str, str] | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityAddAccountMetadataById(Model):
    """Input of ``AddAccountMetadata`` as flows' OpenAPI document and the official SDKs declare it:
    the account in ``id``. The service itself sends :class:`ActivityAddAccountMetadata`; a fake
    with ``openapi_shapes`` sends this one."""

    ledger: str
    id: str
    metadata: dict[str, str] | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityCreateTransferInitiation(Model):
    """Input of ``CreateTransferInitiation`` (stack v3.2.5+: a payout or transfer through the
    payments service, for any provider); it has no output.

    :param connector_id: the payments connector.
    :param provider: the provider name, e.g. ``stripe``, ``wise``.
    :param destination: the payments account the money goes to.
    :param source: the payments account it leaves from (``TRANSFER`` only).
    :param type: ``TRANSFER`` or ``PAYOUT``.
    """

    amount: int | None = None
    asset: str | None = None
    connector_id: str | None = None
    provider: str | None = None
    destination: str | None = None
    source: str | None = None
    type: str | None = None
    description: str | None = None
    metadata: dict[str, str] | None = attrs.field(default=None, metadata={AS_SENT: True})
    waiting_validation: bool | None = attrs.field(default=None, metadata={AS_SENT: True})


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityRevertTransaction(Model):
    """Input of ``RevertTransaction`` (never run by the service).

    :param id: the transaction id as the OpenAPI file declares it.
    :param tx_id: the transaction id as the service actually writes it (``txId``).
    """

    ledger: str | None = None
    id: str | None = None
    tx_id: int | None = attrs.field(default=None, metadata={"wire": "txId"})


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityStripeTransfer(StripeTransferRequest):
    """Input of ``StripeTransfer`` (a :class:`StripeTransferRequest`, with no ``id``/``data`` wrapper)."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityGetPayment(Model):
    """Input of ``GetPayment``: read payment ``id``."""

    id: str


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityConfirmHold(Model):
    """Input of ``ConfirmHold`` (never run by the service)."""

    id: str


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityCreditWallet(Model):
    """Input of ``CreditWallet``: credit wallet ``id`` with ``data``."""

    id: str | None = None
    data: CreditWalletRequest | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityDebitWallet(Model):
    """Input of ``DebitWallet``: debit wallet ``id`` with ``data``."""

    id: str | None = None
    data: DebitWalletRequest | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityGetWallet(Model):
    """Input of ``GetWallet``: read wallet ``id``."""

    id: str


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityVoidHold(Model):
    """Input of ``VoidHold`` (never run by the service)."""

    id: str


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityGetAccountOutput(AccountResponse):
    """Output of ``GetAccount`` (an :class:`AccountResponse`)."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityCreateTransactionOutput(CreateTransactionResponse):
    """Output of ``CreateTransaction`` (a :class:`CreateTransactionResponse`)."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityCreateTransactionV2Output(CreateTransactionListResponse):
    """Output of ``CreateTransaction`` in stack v2.0+: ``{"data": [Transaction]}`` (a
    :class:`CreateTransactionListResponse`); ``.data`` is the transaction, as in the mid-2023 shape."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityRevertTransactionOutput(CreateTransactionResponse):
    """Output of ``RevertTransaction`` (a :class:`RevertTransactionResponse`)."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityRevertTransactionV2Output(CreateTransactionListResponse):
    """Output of ``RevertTransaction`` as a one-element list (a :class:`CreateTransactionListResponse`)."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityListWalletsOutput(ListWalletsResponse):
    """Output of ``ListWallets`` (a :class:`ListWalletsResponse`)."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityGetPaymentOutput(PaymentResponse):
    """Output of ``GetPayment`` (a :class:`PaymentResponse`)."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityDebitWalletOutput(DebitWalletResponse):
    """Output of ``DebitWallet`` when it creates a hold (a :class:`DebitWalletResponse`)."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityGetWalletOutput(GetWalletResponse):
    """Output of ``GetWallet`` (a :class:`GetWalletResponse`)."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RawActivity(Model):
    """An activity input or output this client could not type, kept as its wire wrapper.

    That is an activity unknown to this client, or a value that does not fit its type. Reading a
    typed field from it (``output.data``) raises :class:`~formance_orchestration.UntypedValueError`
    naming the activity.

    :param raw: the wire object exactly as received, e.g. ``{"FooActivity": {...}}``.
    """

    raw: dict[str, Any]

    @property
    def name(self) -> str:
        """The activity named by the wrapper (its keys joined by ``,`` if, against the spec, not one)."""
        return ",".join(self.raw)

    def __getattr__(self, name: str) -> Any:
        # only called for attributes the class does not have: a typed field, read by mistake
        if name.startswith("__") or name == "raw":
            raise AttributeError(name)
        raise untyped_error(f"input/output of activity {self.name!r}", name, "raw")


ActivityInput = (
    ActivityGetAccount
    | ActivityCreateTransaction
    | ActivityCreateTransactionV2
    | ActivityRevertTransaction
    | ActivityStripeTransfer
    | ActivityGetPayment
    | ActivityConfirmHold
    | ActivityCreditWallet
    | ActivityDebitWallet
    | ActivityGetWallet
    | ActivityListWallets
    | ActivityAddAccountMetadata
    | ActivityAddAccountMetadataById
    | ActivityCreateTransferInitiation
    | ActivityVoidHold
)
"""Any typed activity input."""

ActivityOutput = (
    ActivityGetAccountOutput
    | ActivityCreateTransactionOutput
    | ActivityCreateTransactionV2Output
    | ActivityRevertTransactionOutput
    | ActivityRevertTransactionV2Output
    | ActivityGetPaymentOutput
    | ActivityDebitWalletOutput
    | ActivityGetWalletOutput
    | ActivityListWalletsOutput
)
"""Any typed activity output."""

CreateTransactionInput = ActivityCreateTransaction | ActivityCreateTransactionV2
AddAccountMetadataInput = ActivityAddAccountMetadata | ActivityAddAccountMetadataById
CreateTransactionOutput = ActivityCreateTransactionOutput | ActivityCreateTransactionV2Output
RevertTransactionOutput = ActivityRevertTransactionOutput | ActivityRevertTransactionV2Output

ACTIVITY_INPUT_TYPES: dict[str, Any] = {
    "GetAccount": ActivityGetAccount,
    "CreateTransaction": CreateTransactionInput,
    "RevertTransaction": ActivityRevertTransaction,
    "StripeTransfer": ActivityStripeTransfer,
    "GetPayment": ActivityGetPayment,
    "ConfirmHold": ActivityConfirmHold,
    "CreditWallet": ActivityCreditWallet,
    "DebitWallet": ActivityDebitWallet,
    "GetWallet": ActivityGetWallet,
    "ListWallets": ActivityListWallets,
    "AddAccountMetadata": AddAccountMetadataInput,
    "CreateTransferInitiation": ActivityCreateTransferInitiation,
    "VoidHold": ActivityVoidHold,
}
"""Activity name -> the class of its input (a union when the stack versions differ: the converter
picks the member by the keys sent)."""

ACTIVITY_OUTPUT_TYPES: dict[str, Any] = {
    "GetAccount": ActivityGetAccountOutput,
    "CreateTransaction": CreateTransactionOutput,
    "RevertTransaction": RevertTransactionOutput,
    "GetPayment": ActivityGetPaymentOutput,
    "DebitWallet": ActivityDebitWalletOutput,
    "GetWallet": ActivityGetWalletOutput,
    "ListWallets": ActivityListWalletsOutput,
}
"""Activity name -> the class of its output (activities absent here have no output; a union as in
:data:`ACTIVITY_INPUT_TYPES`)."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkflowInstanceHistoryStageInput(Model):
    """The wire wrapper of an activity input: one field set, named after the activity.

    ``WorkflowInstanceHistoryStageInput.of(ActivityGetWallet(id="w1"))`` builds the wrapper of
    ``{"GetWallet": {"id": "w1"}}``; :attr:`activity` gives back the one that is set.
    """

    get_account: ActivityGetAccount | None = attrs.field(default=None, metadata={"wire": "GetAccount"})
    create_transaction: CreateTransactionInput | None = attrs.field(
        default=None, metadata={"wire": "CreateTransaction"}
    )
    revert_transaction: ActivityRevertTransaction | None = attrs.field(
        default=None, metadata={"wire": "RevertTransaction"}
    )
    stripe_transfer: ActivityStripeTransfer | None = attrs.field(
        default=None, metadata={"wire": "StripeTransfer"}
    )
    get_payment: ActivityGetPayment | None = attrs.field(default=None, metadata={"wire": "GetPayment"})
    confirm_hold: ActivityConfirmHold | None = attrs.field(default=None, metadata={"wire": "ConfirmHold"})
    credit_wallet: ActivityCreditWallet | None = attrs.field(default=None, metadata={"wire": "CreditWallet"})
    debit_wallet: ActivityDebitWallet | None = attrs.field(default=None, metadata={"wire": "DebitWallet"})
    get_wallet: ActivityGetWallet | None = attrs.field(default=None, metadata={"wire": "GetWallet"})
    list_wallets: ActivityListWallets | None = attrs.field(default=None, metadata={"wire": "ListWallets"})
    add_account_metadata: AddAccountMetadataInput | None = attrs.field(
        default=None, metadata={"wire": "AddAccountMetadata"}
    )
    create_transfer_initiation: ActivityCreateTransferInitiation | None = attrs.field(
        default=None, metadata={"wire": "CreateTransferInitiation"}
    )
    void_hold: ActivityVoidHold | None = attrs.field(default=None, metadata={"wire": "VoidHold"})

    @classmethod
    def of(cls, activity: ActivityInput) -> "WorkflowInstanceHistoryStageInput":
        """Wrap one typed activity input.

        :param activity: the input to wrap.
        """
        fields: dict[str, Any] = {_field_for(cls, type(activity)): activity}
        return cls(**fields)

    @property
    def activity(self) -> ActivityInput | None:
        """The input that is set (the first one if, against the spec, several are)."""
        return _first_set(self)  # type: ignore[no-any-return]


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkflowInstanceHistoryStageOutput(Model):
    """The wire wrapper of an activity output: one field set, named after the activity.

    :attr:`activity` gives back the output that is set.
    """

    get_account: ActivityGetAccountOutput | None = attrs.field(default=None, metadata={"wire": "GetAccount"})
    create_transaction: CreateTransactionOutput | None = attrs.field(
        default=None, metadata={"wire": "CreateTransaction"}
    )
    revert_transaction: RevertTransactionOutput | None = attrs.field(
        default=None, metadata={"wire": "RevertTransaction"}
    )
    get_payment: ActivityGetPaymentOutput | None = attrs.field(default=None, metadata={"wire": "GetPayment"})
    debit_wallet: ActivityDebitWalletOutput | None = attrs.field(
        default=None, metadata={"wire": "DebitWallet"}
    )
    get_wallet: ActivityGetWalletOutput | None = attrs.field(default=None, metadata={"wire": "GetWallet"})
    list_wallets: ActivityListWalletsOutput | None = attrs.field(
        default=None, metadata={"wire": "ListWallets"}
    )

    @classmethod
    def of(cls, output: ActivityOutput) -> "WorkflowInstanceHistoryStageOutput":
        """Wrap one typed activity output.

        :param output: the output to wrap.
        """
        fields: dict[str, Any] = {_field_for(cls, type(output)): output}
        return cls(**fields)

    @property
    def activity(self) -> ActivityOutput | None:
        """The output that is set (the first one if, against the spec, several are)."""
        return _first_set(self)  # type: ignore[no-any-return]


def _field_for(container: type[Any], item_type: type[Any]) -> str:
    for field in attrs.fields(container):
        if field.type is not None and item_type in getattr(field.type, "__args__", ()):
            return str(field.name)
    raise TypeError(f"{container.__name__} has no field for {item_type.__name__}")


def _first_set(container: Any) -> Any:
    for field in attrs.fields(type(container)):
        value = getattr(container, field.name)
        if value is not None:
            return value
    return None
