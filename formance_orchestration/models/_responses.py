"""Request and response bodies of the 11 operations (success bodies wrap their payload in ``data``)."""

from typing import TypeAlias

import attrs

from formance_orchestration.models._common import Model
from formance_orchestration.models._history import WorkflowInstanceHistory, WorkflowInstanceHistoryStage
from formance_orchestration.models._instances import WorkflowInstance
from formance_orchestration.models._workflows import Workflow, WorkflowConfig

__all__ = [
    "CreateWorkflowRequest",
    "CreateWorkflowResponse",
    "GetWorkflowInstanceHistoryResponse",
    "GetWorkflowInstanceHistoryStageResponse",
    "GetWorkflowInstanceResponse",
    "GetWorkflowResponse",
    "ListRunsResponse",
    "ListWorkflowsResponse",
    "RunWorkflowRequest",
    "RunWorkflowResponse",
    "SendEventRequest",
    "WorkflowInstanceHistoryList",
    "WorkflowInstanceHistoryStageList",
]

CreateWorkflowRequest: TypeAlias = WorkflowConfig
"""The body of ``createWorkflow``."""

RunWorkflowRequest: TypeAlias = dict[str, str]
"""The body of ``runWorkflow``: the variables, names to string values."""

WorkflowInstanceHistoryList: TypeAlias = list[WorkflowInstanceHistory]
"""An instance history."""

WorkflowInstanceHistoryStageList: TypeAlias = list[WorkflowInstanceHistoryStage]
"""A stage history."""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class SendEventRequest(Model):
    """The body of ``sendEvent``.

    :param name: the event name.
    """

    name: str


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ListWorkflowsResponse(Model):
    """The answer of ``listWorkflows``."""

    data: list[Workflow] = attrs.field(factory=list)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class CreateWorkflowResponse(Model):
    """The answer of ``createWorkflow``."""

    data: Workflow


@attrs.frozen(kw_only=True, repr=False, eq=False)
class GetWorkflowResponse(Model):
    """The answer of ``getWorkflow``."""

    data: Workflow


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RunWorkflowResponse(Model):
    """The answer of ``runWorkflow``."""

    data: WorkflowInstance


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ListRunsResponse(Model):
    """The answer of ``listInstances``."""

    data: list[WorkflowInstance] = attrs.field(factory=list)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class GetWorkflowInstanceResponse(Model):
    """The answer of ``getInstance``."""

    data: WorkflowInstance


@attrs.frozen(kw_only=True, repr=False, eq=False)
class GetWorkflowInstanceHistoryResponse(Model):
    """The answer of ``getInstanceHistory``."""

    data: list[WorkflowInstanceHistory] = attrs.field(factory=list)


@attrs.frozen(kw_only=True, repr=False, eq=False)
class GetWorkflowInstanceHistoryStageResponse(Model):
    """The answer of ``getInstanceStageHistory``."""

    data: list[WorkflowInstanceHistoryStage] = attrs.field(factory=list)
