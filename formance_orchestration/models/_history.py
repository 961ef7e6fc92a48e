"""Instance history (one item per started stage) and stage history (one item per activity)."""

from datetime import datetime
from typing import TypeVar

import attrs

from formance_orchestration.models._activities import ActivityInput, ActivityOutput, RawActivity
from formance_orchestration.models._common import Model
from formance_orchestration.models._stages import Stage

__all__ = ["WorkflowInstanceHistory", "WorkflowInstanceHistoryStage"]

_T = TypeVar("_T")


def _narrowed(value: object, cls: type[_T], what: str) -> _T:
    if isinstance(value, cls):
        return value
    raise TypeError(f"{what} is a {type(value).__name__}, not a {cls.__name__}")


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

    def input_as(self, cls: type[_T]) -> _T:
        """``input`` narrowed to ``cls`` in one step (``item.input_as(StageSend)``).

        :raises TypeError: naming what the input is when it is not a ``cls``.
        """
        return _narrowed(self.input, cls, f"the input of {self.name}")


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

    def input_as(self, cls: type[_T]) -> _T:
        """``input`` narrowed to ``cls`` in one step (``activity.input_as(ActivityCreateTransaction)``).

        :raises TypeError: naming what the input is when it is not a ``cls``.
        """
        return _narrowed(self.input, cls, f"the input of {self.name}")

    def output_as(self, cls: type[_T]) -> _T:
        """``output`` narrowed to ``cls`` in one step (``.output_as(ActivityCreateTransactionOutput)``).

        :raises TypeError: naming what the output is (``NoneType`` when absent) when it is not a ``cls``.
        """
        return _narrowed(self.output, cls, f"the output of {self.name}")
