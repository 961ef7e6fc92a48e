"""Workflow definitions: :class:`WorkflowConfig` (what you create) and :class:`Workflow` (what is stored)."""

from datetime import datetime

import attrs

from formance_orchestration.models._common import AS_SENT, Model
from formance_orchestration.models._stages import Stage

__all__ = ["Workflow", "WorkflowConfig"]


@attrs.frozen(kw_only=True, repr=False, eq=False)
class WorkflowConfig(Model):
    """A workflow definition: an optional name and the ordered stages.

    ``WorkflowConfig(name="pay", stages=[StageDelay(duration="10s")])`` is written
    ``{"name": "pay", "stages": [{"delay": {"duration": "10s"}}]}``. Unset fields are omitted;
    the service stores ``name`` as ``""`` and ``stages`` as ``null`` when they are absent.

    :param name: a free name (not unique).
    :param stages: the stages, run in order.
    """

    name: str | None = None
    stages: list[Stage] | None = attrs.field(default=None, metadata={AS_SENT: True})


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Workflow(Model):
    """A stored workflow.

    :param id: the workflow id (a UUID).
    :param config: the definition as stored (stages are not resolved).
    :param created_at: creation time (aware).
    :param updated_at: always equal to ``created_at``.
    :param deleted_at: when it was (soft) deleted; ``None`` when it was not, or when the service
        does not delete workflows (the mid-2023 stack sends no ``deletedAt``).
    """

    id: str
    config: WorkflowConfig
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = attrs.field(default=None, metadata={AS_SENT: True})
