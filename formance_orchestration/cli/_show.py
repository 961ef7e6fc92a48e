"""Table renderings of workflows, instances and histories (all from the API's wire form)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from formance_orchestration.cli._render import Column, Console, format_time
from formance_orchestration.cli._summary import (
    activity_details,
    activity_problem,
    activity_result,
    activity_status,
    elapsed,
    instance_status,
    stage_status,
    stage_summary,
    stage_type,
    unwrap_stage,
    wallet_names,
)

__all__ = [
    "show_activities",
    "show_history",
    "show_instance",
    "show_instances",
    "show_workflow",
    "show_workflows",
    "workflow_stage_types",
]

_ID = Column("id", shrink=False)
_TIME_UTC_MIN = 19


def _stages_of(workflow: Mapping[str, Any]) -> list[Any]:
    config = workflow.get("config")
    stages = config.get("stages") if isinstance(config, Mapping) else None
    return list(stages) if isinstance(stages, list) else []


def workflow_stage_types(workflow: Mapping[str, Any] | None) -> list[str]:
    """The type of each stage of a workflow (``[]`` when unknown)."""
    if workflow is None:
        return []
    return [unwrap_stage(stage)[0] for stage in _stages_of(workflow)]


def _name(workflow: Mapping[str, Any]) -> str:
    config = workflow.get("config")
    name = config.get("name") if isinstance(config, Mapping) else None
    return str(name) if name else ""


def show_workflows(console: Console, workflows: Sequence[Mapping[str, Any]]) -> None:
    """``workflows list``: one row per workflow."""
    console.table(
        [
            _ID,
            Column("name", min_width=12),
            Column("stages", min_width=12),
            Column("created (UTC)", shrink=False),
        ],
        (
            [
                wf.get("id"),
                _name(wf) or "-",
                ", ".join(workflow_stage_types(wf)) or "-",
                format_time(wf.get("createdAt")),
            ]
            for wf in workflows
        ),
        empty="No workflows.",
    )


def show_workflow(console: Console, workflow: Mapping[str, Any]) -> None:
    """``workflows show``: the workflow's fields, then one row per configured stage."""
    stages = _stages_of(workflow)
    console.key_values(
        [
            ("Workflow", workflow.get("id")),
            ("Name", _name(workflow)),
            ("Created", _utc(workflow.get("createdAt"))),
            ("Stages", len(stages)),
        ]
    )
    if stages:
        console.line()
        rows = []
        for number, stage in enumerate(stages):
            kind, params = unwrap_stage(stage)
            rows.append([number, kind, stage_summary(kind, params) or "-"])
        console.table(
            [
                Column("stage", shrink=False, align=">"),
                Column("type", shrink=False),
                Column("what it does", min_width=20),
            ],
            rows,
        )


def _utc(value: Any) -> str:
    text = format_time(value)
    return f"{text} UTC" if text else ""


def show_instances(console: Console, instances: Sequence[Mapping[str, Any]], *, running: bool) -> None:
    """``instances list``: one row per instance."""
    console.table(
        [
            _ID,
            Column("workflow", shrink=True, min_width=13),
            Column("status", shrink=False),
            Column("created (UTC)", shrink=False),
            Column("ended (UTC)", shrink=True, min_width=_TIME_UTC_MIN),
            Column("error", min_width=12, optional=True),
        ],
        (
            [
                inst.get("id"),
                inst.get("workflowID"),
                instance_status(inst),
                format_time(inst.get("createdAt")),
                format_time(inst.get("terminatedAt")),
                inst.get("error") or "",
            ]
            for inst in instances
        ),
        empty="No running instances." if running else "No instances.",
    )


def show_instance(
    console: Console, instance: Mapping[str, Any], workflow: Mapping[str, Any] | None = None
) -> None:
    """``instances show``: the instance's fields, then each stage with status, times and error.

    :param instance: the instance (with ``status``), wire form.
    :param workflow: its workflow, when known, to name the stages' types and the workflow.
    """
    status = instance_status(instance)
    took = elapsed(instance, "createdAt", "terminatedAt")
    workflow_label = str(instance.get("workflowID") or "")
    if workflow is not None and _name(workflow):
        workflow_label += f" ({_name(workflow)})"
    ended = _utc(instance.get("terminatedAt"))
    pairs: list[tuple[str, object]] = [
        ("Instance", instance.get("id")),
        ("Workflow", workflow_label),
        ("Status", status),
        ("Created", _utc(instance.get("createdAt"))),
        ("Ended", f"{ended} (after {took})" if ended and took else ended),
    ]
    if instance.get("error"):
        pairs.append(("Error", instance.get("error")))
    console.key_values(pairs)
    rows_in = instance.get("status")
    types = workflow_stage_types(workflow)
    if isinstance(rows_in, list) and rows_in:
        console.line()
        rows = []
        for row in sorted(rows_in, key=lambda item: int(item.get("stage", 0))):
            number = row.get("stage")
            kind = types[number] if isinstance(number, int) and 0 <= number < len(types) else "?"
            rows.append(
                [
                    number,
                    kind,
                    stage_status(row),
                    format_time(row.get("startedAt")),
                    format_time(row.get("terminatedAt")),
                    elapsed(row),
                    row.get("error") or "",
                ]
            )
        columns = [
            Column("stage", shrink=False, align=">"),
            Column("type", shrink=False),
            Column("status", shrink=False),
            Column("started (UTC)", shrink=False),
            Column("ended (UTC)", min_width=_TIME_UTC_MIN),
            Column("took", shrink=False),
            Column("error", min_width=12, optional=True),
        ]
        if not types:
            del columns[1]
            for row_cells in rows:
                del row_cells[1]
        console.table(columns, rows)
        if len(types) > len(rows_in) and not instance.get("terminated"):
            console.line(f"({len(types) - len(rows_in)} more stage(s) not started yet)")
    elif not instance.get("terminated"):
        console.line()
        console.line("No stage has started yet.")


def show_history(
    console: Console,
    history: Sequence[Mapping[str, Any]],
    activities: Mapping[int, Sequence[Mapping[str, Any]] | str],
) -> None:
    """``instances history``: one row per started stage, then the activities of each send stage.

    :param history: the instance history items, wire form.
    :param activities: stage number -> its stage history items (or a message saying why they are missing).
    """
    if not history:
        console.line("No stage has started yet.")
        return
    names: dict[str, str] = {}
    for items in activities.values():
        if not isinstance(items, str):
            names.update(wallet_names(items))
    rows = []
    for number, item in enumerate(history):
        kind = stage_type(str(item.get("name", "")))
        params = item.get("input")
        summary = stage_summary(kind, params if isinstance(params, Mapping) else {}, names)
        rows.append(
            [
                number,
                kind,
                stage_status(item),
                format_time(item.get("startedAt")),
                elapsed(item),
                summary or "-",
                item.get("error") or "",
            ]
        )
    console.table(
        [
            Column("stage", shrink=False, align=">"),
            Column("type", shrink=False),
            Column("status", shrink=False),
            Column("started (UTC)", shrink=False),
            Column("took", shrink=False),
            Column("input", min_width=20),
            Column("error", min_width=12, optional=True),
        ],
        rows,
    )
    for number in sorted(activities):
        console.line()
        items = activities[number]
        console.line(f"Stage {number} activities:")
        if isinstance(items, str):
            console.line(f"  {items}")
            continue
        show_activities(console, items, indent="  ", names=names)


def show_activities(
    console: Console,
    items: Sequence[Mapping[str, Any]],
    *,
    indent: str = "",
    names: Mapping[str, str] | None = None,
) -> None:
    """``instances stage-history``: one row per activity, saying what moved from where to where.

    :param items: the stage history items, wire form.
    :param names: wallet id -> name (default: read from the items' ``GetWallet`` outputs).
    """
    if names is None:
        names = wallet_names(items)
    console.table(
        [
            Column("#", shrink=False, align=">"),
            Column("activity", min_width=30),
            Column("result", min_width=10, optional=True),
            Column("status", shrink=False),
            Column("error", min_width=16, optional=True),
        ],
        (
            [
                index,
                activity_details(item, names),
                activity_result(item),
                activity_status(item),
                activity_problem(item),
            ]
            for index, item in enumerate(items, start=1)
        ),
        indent=indent,
        empty="No activities (only send stages run activities).",
    )
