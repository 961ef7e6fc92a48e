"""The commands: call the client, then print a table or the API's JSON."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from formance_orchestration.cli._context import Context, to_wire
from formance_orchestration.cli._errors import ExitCode, UsageError
from formance_orchestration.cli._files import load_workflow_config
from formance_orchestration.cli._render import format_time
from formance_orchestration.cli._show import (
    show_activities,
    show_history,
    show_instance,
    show_instances,
    show_workflow,
    show_workflows,
)
from formance_orchestration.cli._summary import instance_status
from formance_orchestration.cli._wait import exit_code_for, wait_for_instance

__all__ = ["COMMANDS", "Handler"]

Handler = Callable[[Context, argparse.Namespace], int]


def _json(ctx: Context) -> bool:
    return ctx.settings.output == "json"


def _try_workflow(ctx: Context, workflow_id: object) -> dict[str, Any] | None:
    """The workflow, to name stage types in tables; ``None`` when it cannot be read."""
    if not workflow_id:
        return None
    try:
        workflow: dict[str, Any] = to_wire(ctx.client.get_workflow(str(workflow_id)).data)
    except Exception:  # decoration only: the command does not fail because of it
        return None
    return workflow


# -- workflows -------------------------------------------------------------------------------------


def workflows_list(ctx: Context, args: argparse.Namespace) -> int:
    """``workflows list``."""
    workflows = to_wire(ctx.client.list_workflows().data)
    if _json(ctx):
        ctx.console.json(workflows)
    else:
        show_workflows(ctx.console, workflows)
    return ExitCode.OK


def workflows_show(ctx: Context, args: argparse.Namespace) -> int:
    """``workflows show ID``."""
    workflow = to_wire(ctx.client.get_workflow(args.workflow_id).data)
    if _json(ctx):
        ctx.console.json(workflow)
    else:
        show_workflow(ctx.console, workflow)
    return ExitCode.OK


def _check_create_options(args: argparse.Namespace) -> None:
    if args.run:
        return
    if args.variables:
        raise UsageError("--var needs --run (variables are given when a workflow runs)")
    if args.wait:
        raise UsageError("--wait needs --run")


def workflows_create(ctx: Context, args: argparse.Namespace) -> int:
    """``workflows create FILE [--run [--var NAME=VALUE ...] [--wait]]``."""
    _check_create_options(args)
    config = load_workflow_config(args.file, ctx.stdin)
    workflow = to_wire(ctx.client.create_workflow(config).data)
    if args.quiet:
        ctx.console.line(str(workflow.get("id")))
    elif not _json(ctx) or not args.run:
        if _json(ctx):
            ctx.console.json(workflow)
        else:
            ctx.console.line(f"Created workflow {workflow.get('id')}")
            ctx.console.line()
            show_workflow(ctx.console, workflow)
    if not args.run:
        return ExitCode.OK
    if not args.quiet and not _json(ctx):
        ctx.console.line()
    return _run(ctx, args, str(workflow.get("id")), workflow)


def workflows_run(ctx: Context, args: argparse.Namespace) -> int:
    """``workflows run ID [--var NAME=VALUE ...] [--wait]``."""
    return _run(ctx, args, args.workflow_id, None)


def _run(ctx: Context, args: argparse.Namespace, workflow_id: str, workflow: Mapping[str, Any] | None) -> int:
    variables = dict(args.variables) if args.variables else None
    instance = to_wire(ctx.client.run_workflow(workflow_id, variables).data)
    instance_id = str(instance.get("id"))
    if args.quiet:
        ctx.console.line(instance_id)
        ctx.console.out.flush()
    elif not args.wait:
        if _json(ctx):
            ctx.console.json(instance)
        else:
            ctx.console.line(
                f"Started instance {instance_id} of workflow {workflow_id} "
                f"at {format_time(instance.get('createdAt'))} UTC"
            )
    if not args.wait:
        return ExitCode.OK
    if not args.quiet and not _json(ctx):
        ctx.console.line(f"Started instance {instance_id}; waiting for it to end...")
        ctx.console.out.flush()
    final = wait_for_instance(
        ctx, instance_id, timeout=args.wait_timeout, interval=args.wait_interval, progress=args.progress
    )
    return _report_final(ctx, final, workflow, quiet=args.quiet)


def _report_final(
    ctx: Context, instance: Mapping[str, Any], workflow: Mapping[str, Any] | None, *, quiet: bool = False
) -> int:
    code = exit_code_for(instance)
    if not quiet:
        if _json(ctx):
            ctx.console.json(instance)
        else:
            if workflow is None:
                workflow = _try_workflow(ctx, instance.get("workflowID"))
            show_instance(ctx.console, instance, workflow)
    if code != ExitCode.OK:
        status = instance_status(instance)
        error = instance.get("error") or ""
        detail = f": {error}" if error and status == "failed" else ""
        ctx.console.note(f"instance {instance.get('id')} {status}{detail}")
    return code


# -- instances -------------------------------------------------------------------------------------


def instances_list(ctx: Context, args: argparse.Namespace) -> int:
    """``instances list [--workflow ID] [--running]``."""
    response = ctx.client.list_instances(
        workflow_id=args.workflow_id or None, running=True if args.running else None
    )
    instances = to_wire(response.data)
    if _json(ctx):
        ctx.console.json(instances)
    else:
        show_instances(ctx.console, instances, running=args.running)
    return ExitCode.OK


def instances_show(ctx: Context, args: argparse.Namespace) -> int:
    """``instances show ID``."""
    instance = to_wire(ctx.client.get_instance(args.instance_id).data)
    if _json(ctx):
        ctx.console.json(instance)
    else:
        show_instance(ctx.console, instance, _try_workflow(ctx, instance.get("workflowID")))
    return ExitCode.OK


def instances_history(ctx: Context, args: argparse.Namespace) -> int:
    """``instances history ID``: the stages, and in tables the activities of each send stage."""
    history: list[dict[str, Any]] = to_wire(ctx.client.get_instance_history(args.instance_id).data)
    if _json(ctx):
        ctx.console.json(history)
        return ExitCode.OK
    activities = collect_activities(ctx, args.instance_id, history)
    show_history(ctx.console, history, activities)
    return ExitCode.OK


def collect_activities(
    ctx: Context, instance_id: str, history: Sequence[Mapping[str, Any]]
) -> dict[int, list[dict[str, Any]] | str]:
    """Stage number -> activities, for every send stage of an instance history."""
    from formance_orchestration._exceptions import OrchestrationError
    from formance_orchestration.cli._errors import describe_exception

    found: dict[int, list[dict[str, Any]] | str] = {}
    for number, item in enumerate(history):
        if item.get("name") != "RunSend":
            continue
        try:
            found[number] = to_wire(ctx.client.get_instance_stage_history(instance_id, number).data)
        except OrchestrationError as exc:
            found[number] = f"(activities unavailable: {describe_exception(exc)[0]})"
    return found


def instances_stage_history(ctx: Context, args: argparse.Namespace) -> int:
    """``instances stage-history ID N``."""
    items = to_wire(ctx.client.get_instance_stage_history(args.instance_id, args.stage).data)
    if _json(ctx):
        ctx.console.json(items)
    else:
        show_activities(ctx.console, items)
    return ExitCode.OK


def instances_send_event(ctx: Context, args: argparse.Namespace) -> int:
    """``instances send-event ID NAME`` (no output with ``-o json``: the API answers 204)."""
    ctx.client.send_event(args.instance_id, args.event)
    if not _json(ctx):
        ctx.console.line(f"Sent event {args.event!r} to instance {args.instance_id}.")
    return ExitCode.OK


def instances_abort(ctx: Context, args: argparse.Namespace) -> int:
    """``instances abort ID`` (no output with ``-o json``: the API answers 204)."""
    ctx.client.cancel_event(args.instance_id)
    if not _json(ctx):
        ctx.console.line(
            f"Abort requested for instance {args.instance_id} "
            f"(it stops asynchronously; follow it with: instances wait {args.instance_id})."
        )
    return ExitCode.OK


def instances_wait(ctx: Context, args: argparse.Namespace) -> int:
    """``instances wait ID [--timeout S]``: exit 0 succeeded, 3 failed/aborted, 4 timed out."""
    final = wait_for_instance(
        ctx, args.instance_id, timeout=args.wait_timeout, interval=args.wait_interval, progress=args.progress
    )
    return _report_final(ctx, final, None)


# -- misc ------------------------------------------------------------------------------------------


def server_info(ctx: Context, args: argparse.Namespace) -> int:
    """``server-info``."""
    info = to_wire(ctx.client.get_server_info())
    if _json(ctx):
        ctx.console.json(info)
    else:
        server = "embedded fake" if ctx.fake is not None else ctx.settings.service_url
        ctx.console.key_values([("Server", server), ("Version", info.get("version"))])
    return ExitCode.OK


COMMANDS: dict[str, Handler] = {
    "workflows_list": workflows_list,
    "workflows_show": workflows_show,
    "workflows_create": workflows_create,
    "workflows_run": workflows_run,
    "instances_list": instances_list,
    "instances_show": instances_show,
    "instances_history": instances_history,
    "instances_stage_history": instances_stage_history,
    "instances_send_event": instances_send_event,
    "instances_abort": instances_abort,
    "instances_wait": instances_wait,
    "server_info": server_info,
}
