"""``verify``: is the fake faithful to the stack at --against URL? (see ``formance_orchestration.verify``)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, TextIO

from formance_orchestration.cli._errors import CliError, ExitCode, UsageError
from formance_orchestration.cli._settings import Settings

if TYPE_CHECKING:
    from formance_orchestration.verify import Step, StepResult

__all__ = ["add_verify_options", "run_verify"]


def add_verify_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``verify`` (the connection options come from the common parent)."""
    parser.add_argument(
        "--against",
        dest="base_url",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="the stack to compare with (same as --base-url)",
    )
    parser.add_argument(
        "--stack-version",
        default="auto",
        metavar="auto|VERSION",
        help="the fake version to compare with; auto (the default) tries each and keeps the best match",
    )
    parser.add_argument(
        "--allow-ledger-writes",
        action="store_true",
        help="also run a send stage (it moves 0.01 VRFY/2 from world on the target's ledger)",
    )
    parser.add_argument("--ledger", default="default", metavar="NAME", help="the send stage's ledger")
    parser.add_argument(
        "--dry-run", action="store_true", help="print every request the run would send, and send nothing"
    )


def run_verify(settings: Settings, args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run ``verify`` and return the exit code (0 only when nothing differs)."""
    from formance_orchestration.cli._context import make_client
    from formance_orchestration.verify import (
        AUTO,
        available_versions,
        build_plan,
        render_plan,
        render_table,
        verify,
    )
    from formance_orchestration.verify._sides import TargetError

    if settings.fake:
        raise UsageError("verify compares a stack with the fake: give --against URL, not --fake")
    versions = available_versions()
    if args.stack_version != AUTO and args.stack_version not in versions:
        raise UsageError(
            f"--stack-version: expected auto or one of {', '.join(versions)}, got {args.stack_version!r}"
        )
    plan = build_plan(allow_ledger_writes=args.allow_ledger_writes, ledger=args.ledger)
    if args.dry_run:
        token_url = None
        if settings.client_id is not None:
            from formance_orchestration._auth import TOKEN_PATH

            token_url = settings.token_url or settings.base_url + TOKEN_PATH
        stdout.write(render_plan(plan, settings.service_url, token_url=token_url) + "\n")
        return ExitCode.OK
    total = len(plan.steps)
    show_progress = _isatty(stderr)

    def progress(step: Step, done: dict[str, StepResult]) -> None:
        verdicts = ", ".join(
            f"{name} {result.verdict}" if len(done) > 1 else result.verdict for name, result in done.items()
        )
        stderr.write(f"[{step.number}/{total}] {step.operation}: {step.title}: {verdicts}\n")
        stderr.flush()

    with make_client(settings) as client:
        try:
            report = verify(
                client,
                stack_version=args.stack_version,
                plan=plan,
                progress=progress if show_progress else None,
            )
        except TargetError as exc:
            raise CliError(f"cannot verify {settings.service_url}: {exc}") from None
    if settings.output == "json":
        stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        stdout.write(render_table(report, width=_width(stdout)) + "\n")
    return ExitCode.OK if report.ok else ExitCode.DIFFERENCES


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _width(stream: TextIO) -> int:
    import shutil

    return shutil.get_terminal_size((120, 24)).columns if _isatty(stream) else 120
