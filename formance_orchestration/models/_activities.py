"""Inputs and outputs of the activities a ``send`` stage runs, as its stage history shows them.

On the wire an activity input is wrapped in a one-key object naming the activity,
``{"CreateTransaction": {...}}`` (likewise outputs). :class:`WorkflowInstanceHistoryStageInput` and
:class:`WorkflowInstanceHistoryStageOutput` are those wrappers as the OpenAPI file declares them;
``WorkflowInstanceHistoryStage.input`` / ``.output`` hold the unwrapped typed object directly.
"""

from typing import Any

import attrs

from formance_orchestration.models._common import Model
from formance_orchestration.models._ledger import (
    AccountResponse,
    CreateTransactionResponse,
    CreditWalletRequest,
    DebitWalletRequest,
    DebitWalletResponse,
    GetWalletResponse,
    PaymentResponse,
    PostTransaction,
    StripeTransferRequest,
)

__all__ = [
    "ACTIVITY_INPUT_TYPES",
    "ACTIVITY_OUTPUT_TYPES",
    "ActivityConfirmHold",
    "ActivityCreateTransaction",
    "ActivityCreateTransactionOutput",
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
    "ActivityOutput",
    "ActivityRevertTransaction",
    "ActivityRevertTransactionOutput",
    "ActivityStripeTransfer",
    "ActivityVoidHold",
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
class ActivityRevertTransactionOutput(CreateTransactionResponse):
    """Output of ``RevertTransaction`` (a :class:`RevertTransactionResponse`)."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityGetPaymentOutput(PaymentResponse):
    """Output of ``GetPayment`` (a :class:`PaymentResponse`)."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityDebitWalletOutput(DebitWalletResponse):
    """Output of ``DebitWallet`` when it creates a hold (a :class:`DebitWalletResponse`)."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ActivityGetWalletOutput(GetWalletResponse):
    """Output of ``GetWallet`` (a :class:`GetWalletResponse`)."""


ActivityInput = (
    ActivityGetAccount
    | ActivityCreateTransaction
    | ActivityRevertTransaction
    | ActivityStripeTransfer
    | ActivityGetPayment
    | ActivityConfirmHold
    | ActivityCreditWallet
    | ActivityDebitWallet
    | ActivityGetWallet
    | ActivityVoidHold
)
"""Any typed activity input."""

ActivityOutput = (
    ActivityGetAccountOutput
    | ActivityCreateTransactionOutput
    | ActivityRevertTransactionOutput
    | ActivityGetPaymentOutput
    | ActivityDebitWalletOutput
    | ActivityGetWalletOutput
)
"""Any typed activity output."""

ACTIVITY_INPUT_TYPES: dict[str, type[Any]] = {
    "GetAccount": ActivityGetAccount,
    "CreateTransaction": ActivityCreateTransaction,
    "RevertTransaction": ActivityRevertTransaction,
    "StripeTransfer": ActivityStripeTransfer,
    "GetPayment": ActivityGetPayment,
    "ConfirmHold": ActivityConfirmHold,
    "CreditWallet": ActivityCreditWallet,
    "DebitWallet": ActivityDebitWallet,
    "GetWallet": ActivityGetWallet,
    "VoidHold": ActivityVoidHold,
}
"""Activity name -> the class of its input."""

ACTIVITY_OUTPUT_TYPES: dict[str, type[Any]] = {
    "GetAccount": ActivityGetAccountOutput,
    "CreateTransaction": ActivityCreateTransactionOutput,
    "RevertTransaction": ActivityRevertTransactionOutput,
    "GetPayment": ActivityGetPaymentOutput,
    "DebitWallet": ActivityDebitWalletOutput,
    "GetWallet": ActivityGetWalletOutput,
}
"""Activity name -> the class of its output (activities absent here have no output)."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkflowInstanceHistoryStageInput(Model):
    """The wire wrapper of an activity input: one field set, named after the activity.

    ``WorkflowInstanceHistoryStageInput.of(ActivityGetWallet(id="w1"))`` builds the wrapper of
    ``{"GetWallet": {"id": "w1"}}``; :attr:`activity` gives back the one that is set.
    """

    get_account: ActivityGetAccount | None = attrs.field(default=None, metadata={"wire": "GetAccount"})
    create_transaction: ActivityCreateTransaction | None = attrs.field(
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
    create_transaction: ActivityCreateTransactionOutput | None = attrs.field(
        default=None, metadata={"wire": "CreateTransaction"}
    )
    revert_transaction: ActivityRevertTransactionOutput | None = attrs.field(
        default=None, metadata={"wire": "RevertTransaction"}
    )
    get_payment: ActivityGetPaymentOutput | None = attrs.field(default=None, metadata={"wire": "GetPayment"})
    debit_wallet: ActivityDebitWalletOutput | None = attrs.field(
        default=None, metadata={"wire": "DebitWallet"}
    )
    get_wallet: ActivityGetWalletOutput | None = attrs.field(default=None, metadata={"wire": "GetWallet"})

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
