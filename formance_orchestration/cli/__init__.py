"""The ``formance-orchestration`` command line.

Commands::

    workflows list | show ID | create FILE [--run ...] | run ID [--var NAME=VALUE ...] [--wait]
    instances list [--workflow ID] [--running] | show ID | history ID | stage-history ID N
              | send-event ID NAME | abort ID | wait ID [--timeout S]
    server-info
    verify --against URL       compare a stack's answers with the fake's (0: nothing differs, 5: differences)
    demo                       a payout narrated end to end against an embedded fake
    fake serve [ARGS...]       the fake over HTTP (same as ``python -m fakeserver``)

Exit codes: 0 success, 1 API or connection error, 2 usage error, 3 instance failed or aborted,
4 wait timed out, 130 interrupted. Settings come from options, then environment variables
(``FORMANCE_ORCHESTRATION_URL``, ``FORMANCE_TOKEN``...: see ``formance-orchestration --help``).

This package is imported only by the console script: the client package never imports it, and it
imports the client and the fake lazily, when a command needs them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import argparse

__all__ = ["DEBUG_ENV", "main", "run"]

#: Set this environment variable to get a traceback after the one-line error.
DEBUG_ENV = "FORMANCE_ORCHESTRATION_DEBUG"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    return run(sys.argv[1:] if argv is None else argv)


def run(
    argv: Sequence[str],
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Run one command with explicit streams and environment (what ``main`` does with the real ones).

    :param argv: the arguments, without the program name.
    :param stdin: what ``-`` reads (default ``sys.stdin``).
    :param stdout: where results go (default ``sys.stdout``).
    :param stderr: where progress and errors go (default ``sys.stderr``).
    :param environ: the environment variables (default ``os.environ``).
    """
    from formance_orchestration.cli._errors import ExitCode

    args = list(argv)
    if args[:2] == ["fake", "serve"]:
        return _fake_serve(args[2:])
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    environ = os.environ if environ is None else environ

    from formance_orchestration.cli._parser import PROG, build_parser

    parser = build_parser()
    try:
        namespace = _parse(parser, args, stdout, stderr)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else ExitCode.USAGE
    if namespace.handler == "fake_serve":
        return _fake_serve(list(namespace.args))

    from formance_orchestration.cli._errors import describe_exception, redact
    from formance_orchestration.cli._render import Console
    from formance_orchestration.cli._settings import resolve_settings

    secrets: tuple[str | None, ...] = ()
    try:
        settings = resolve_settings(namespace, environ)
        secrets = settings.secrets
        console = Console(stdout, stderr)
        if namespace.handler == "demo":
            from formance_orchestration.cli._demo import run_demo
            from formance_orchestration.cli._errors import UsageError
            from formance_orchestration.cli._parser import CONNECTION_OPTIONS

            given = [flag for dest, flag in CONNECTION_OPTIONS.items() if hasattr(namespace, dest)]
            if given:
                raise UsageError(_demo_refusal(given))

            return int(run_demo(settings, console, amount=namespace.amount))
        if namespace.handler == "verify":
            from formance_orchestration.cli._verify import run_verify

            return int(run_verify(settings, namespace, stdout, stderr))
        from formance_orchestration.cli._commands import COMMANDS
        from formance_orchestration.cli._context import open_context

        with open_context(settings, console, stdin) as ctx:
            return int(COMMANDS[namespace.handler](ctx, namespace))
    except KeyboardInterrupt:
        stderr.write(f"{PROG}: interrupted\n")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        _silence_stdout(stdout)
        return ExitCode.API_ERROR
    except Exception as exc:
        line, code = describe_exception(exc)
        stderr.write(f"{PROG}: error: {redact(line, secrets)}\n")
        if environ.get(DEBUG_ENV):
            import traceback

            stderr.write(redact("".join(traceback.format_exception(exc)), secrets))
        return int(code)


def _parse(
    parser: argparse.ArgumentParser, args: list[str], stdout: TextIO, stderr: TextIO
) -> argparse.Namespace:
    """``parser.parse_args`` with argparse's own messages sent to our streams; a connection option
    given after ``demo`` is refused by name, as before it (not with the global usage block)."""
    import contextlib

    from formance_orchestration.cli._errors import ExitCode
    from formance_orchestration.cli._parser import CONNECTION_OPTIONS, PROG

    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        namespace, extra = parser.parse_known_args(args)
        if extra:
            named = [arg.split("=", 1)[0] for arg in extra]
            given = [flag for flag in CONNECTION_OPTIONS.values() if flag in named]
            if getattr(namespace, "handler", None) == "demo" and given:
                parser.exit(ExitCode.USAGE, f"{PROG}: error: {_demo_refusal(given)}\n")
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        return namespace


def _demo_refusal(given: list[str]) -> str:
    return f"demo runs against an embedded fake and connects to nothing: drop {', '.join(given)}"


def _silence_stdout(stdout: TextIO) -> None:
    """After EPIPE (``| head``), point stdout at /dev/null so the final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _fake_serve(args: list[str]) -> int:
    """``fake serve ARGS``: hand over to ``python -m fakeserver``."""
    from fakeserver.__main__ import main as fakeserver_main
    from formance_orchestration.cli._parser import PROG

    result = fakeserver_main(args, prog=f"{PROG} fake serve")
    return int(result) if isinstance(result, int) else 0
