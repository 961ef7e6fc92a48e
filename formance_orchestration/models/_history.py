"""Instance history (one item per started stage) and stage history (one item per activity)."""

from datetime import datetime

import attrs

from formance_orchestration.models._activities import ActivityInput, ActivityOutput, RawActivity
from formance_orchestration.models._common import Model
from formance_orchestration.models._stages import Stage

__all__ = ["WorkflowInstanceHistory", "WorkflowInstanceHistoryStage"]


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkflowInstanceHistory(Model):
    """One stage of an instance whose child workflow was started.

    ``input`` is typed from ``name``: ``RunSend`` -> :class:`StageSend`, ``RunDelay`` ->
    :class:`StageDelay`, ``RunWaitEvent`` -> :class:`StageWaitEvent`, ``RunNoOp`` ->
    :class:`StageNoOp`, ``RunUpdate`` -> :class:`StageUpdate`; any other name gives a
    :class:`RawStage` whose ``type`` is the name. On the
    wire ``input`` is the bare parameters object (no ``{"send": ...}`` wrapper).

    :param name: the child workflow type, e.g. ``RunSend``.
    :param input: the resolved stage parameters (variables replaced, defaults filled in).
    :param error: the failure text, ``canceled`` or ``timeout``; ``None`` when absent.
    """

    name: str
    input: Stage
    terminated: bool
    started_at: datetime
    error: str | None = None
    terminated_at: datetime | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkflowInstanceHistoryStage(Model):
    """One activity scheduled by a ``send`` stage.

    ``input`` is the typed activity input named by the wire wrapper (``{"CreateTransaction": {...}}``
    gives an :class:`ActivityCreateTransaction`), and ``output`` likewise the typed output
    (:class:`ActivityCreateTransactionOutput`), ``None`` when absent. An activity unknown to this
    client, or a value that does not fit its type, gives a :class:`RawActivity` holding the wire
    wrapper; reading a typed field from it raises :class:`~formance_orchestration.UntypedValueError`.

    :param name: the activity name, e.g. ``CreateTransaction``.
    :param attempt: ``1`` for completed activities; the current attempt for a pending one.
    :param error: the failure message, ``timeout`` or ``cancelled``; ``None`` when absent.
    :param last_failure: for a pending activity, the last failure message.
    :param next_execution: for a pending activity waiting to retry, the next attempt's time.
    """

    name: str
    input: ActivityInput | RawActivity
    terminated: bool
    started_at: datetime
    attempt: int
    output: ActivityOutput | RawActivity | None = None
    error: str | None = None
    terminated_at: datetime | None = None
    last_failure: str | None = None
    next_execution: datetime | None = None
