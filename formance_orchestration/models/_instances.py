"""Workflow instances (runs) and their per-stage status rows."""

from datetime import datetime

import attrs

from formance_orchestration.models._common import Model
from formance_orchestration.models._workflows import Workflow

__all__ = ["StageStatus", "WorkflowInstance"]


@attrs.frozen(kw_only=True, repr=False, eq=False)
class StageStatus(Model):
    """The status row of one stage of an instance.

    :param stage: the stage number, from 0.
    :param instance_id: the instance the stage belongs to.
    :param started_at: when the stage started.
    :param terminated_at: when it ended; ``None`` while it runs.
    :param error: ``""`` on success, the failure text, or ``"canceled"``.
    """

    stage: int
    instance_id: str
    started_at: datetime
    terminated_at: datetime | None = None
    error: str | None = None


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkflowInstance(Model):
    """One run of a workflow.

    :param workflow_id: the workflow that was run.
    :param workflow: that workflow, embedded by stack v3.1+ in instances read back (``None`` when
        the service does not send it).
    :param id: the instance id (a UUID).
    :param terminated: whether the instance has ended (success, failure or abort).
    :param terminated_at: when it ended; ``None`` while it runs.
    :param status: the stage rows; ``None`` where the service omits them (lists, non-waiting runs).
    :param error: ``""`` unless the instance failed (``"canceled"`` when aborted); ``None`` when
        absent (a waiting run that succeeded).
    """

    workflow_id: str
    id: str
    created_at: datetime
    updated_at: datetime
    terminated: bool
    terminated_at: datetime | None = None
    status: list[StageStatus] | None = None
    error: str | None = None
    workflow: Workflow | None = None
