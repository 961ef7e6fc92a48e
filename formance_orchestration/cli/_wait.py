"""Polling an instance until it ends, with progress on stderr."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from formance_orchestration.cli._context import Context, to_wire
from formance_orchestration.cli._errors import CliError, ExitCode
from formance_orchestration.cli._render import format_duration
from formance_orchestration.cli._show import workflow_stage_types
from formance_orchestration.cli._summary import instance_status, stage_summary, unwrap_stage

__all__ = ["HEARTBEAT_SECONDS", "exit_code_for", "wait_for_instance"]

#: With no change, a "still ..." progress line is printed this often.
HEARTBEAT_SECONDS = 30.0


def exit_code_for(instance: Mapping[str, Any]) -> ExitCode:
    """0 for a succeeded instance, 3 for a failed or aborted one."""
    return ExitCode.OK if instance_status(instance) == "succeeded" else ExitCode.INSTANCE_FAILED


def _current_stage(instance: Mapping[str, Any]) -> int | None:
    rows = instance.get("status")
    if not isinstance(rows, list) or not rows:
        return None
    numbers = [row.get("stage") for row in rows if isinstance(row, Mapping)]
    valid = [number for number in numbers if isinstance(number, int)]
    return max(valid) if valid else None


def _describe_stage(number: int | None, workflow: Mapping[str, Any] | None) -> str:
    if number is None:
        return "starting"
    stages: list[Any] = []
    if workflow is not None:
        config = workflow.get("config")
        found = config.get("stages") if isinstance(config, Mapping) else None
        stages = found if isinstance(found, list) else []
    total = len(stages)
    if 0 <= number < total:
        kind, params = unwrap_stage(stages[number])
        summary = stage_summary(kind, params)
        what = f"{kind} {summary}".rstrip() if kind in ("delay", "wait_event") else kind
        return f"stage {number} ({number + 1} of {total}): {what}"
    return f"stage {number}"


def _retrying(ctx: Context, instance_id: str, number: int | None, workflow: Mapping[str, Any] | None) -> str:
    """``retrying CreateTransaction (attempt 3): <last failure>`` for a send stage stuck retrying."""
    types = workflow_stage_types(workflow)
    if number is None or (number < len(types) and types[number] != "send"):
        return ""
    try:
        items = to_wire(ctx.client.get_instance_stage_history(instance_id, number).data)
    except Exception:  # only decorates the progress line
        return ""
    for item in reversed(items):
        if not item.get("terminated") and item.get("lastFailure"):
            return (
                f"retrying {item.get('name')} (attempt {item.get('attempt')}): "
                f"{' '.join(str(item.get('lastFailure')).split())}"
            )
    return ""


def wait_for_instance(
    ctx: Context, instance_id: str, *, timeout: float | None, interval: float, progress: bool = True
) -> dict[str, Any]:
    """Poll ``instance_id`` until it terminates and return it (wire form, with ``status``).

    Progress goes to stderr: a line when the instance reaches a new stage, and a heartbeat every
    ``HEARTBEAT_SECONDS`` without change. Raises ``CliError`` with exit code 4 on timeout.

    :param ctx: the command context (client, console, clock and sleep).
    :param instance_id: the instance to wait for.
    :param timeout: seconds to wait at most (``None`` or 0: no limit).
    :param interval: seconds between two polls.
    """
    client, console = ctx.client, ctx.console
    start = ctx.monotonic()
    limit = timeout if timeout else None
    poll = interval if interval > 0 else 0.05
    workflow: Mapping[str, Any] | None = None
    workflow_tried = False
    last_description: str | None = None
    last_report = start

    def say(text: str) -> None:
        if progress:
            console.note(f"[{format_duration(ctx.monotonic() - start):>6}] {text}")

    if progress:
        bound = f"up to {format_duration(limit)}" if limit else "with no time limit"
        console.note(f"waiting for instance {instance_id} ({bound}, Ctrl-C to stop)")
    while True:
        instance: dict[str, Any] = to_wire(client.get_instance(instance_id).data)
        if instance.get("terminated"):
            status = instance_status(instance)
            error = instance.get("error") or ""
            say(f"{status}" + (f": {error}" if error and status == "failed" else ""))
            return instance
        if not workflow_tried:
            workflow_tried = True
            try:
                workflow = to_wire(client.get_workflow(str(instance.get("workflowID"))).data)
            except Exception:  # only used to name the stages in progress lines
                workflow = None
        number = _current_stage(instance)
        description = _describe_stage(number, workflow)
        now = ctx.monotonic()
        waited = now - start
        timed_out = limit is not None and waited >= limit
        heartbeat = description == last_description and now - last_report >= HEARTBEAT_SECONDS
        if progress and (description != last_description or heartbeat or timed_out):
            retrying = _retrying(ctx, instance_id, number, workflow)
            detail = f", {retrying}" if retrying else ""
            if description != last_description:
                say(description + detail)
            elif heartbeat:
                say(f"still at {description}{detail}")
            last_description, last_report = description, now
        if timed_out:
            retrying = _retrying(ctx, instance_id, number, workflow)
            where = description + (f", {retrying}" if retrying else "")
            raise CliError(
                f"instance {instance_id} still running after {format_duration(waited)} ({where}); "
                f"raise --timeout or check it with: instances show {instance_id}",
                ExitCode.WAIT_TIMEOUT,
            )
        ctx.sleep(poll if limit is None else min(poll, max(limit - waited, 0.001)))
