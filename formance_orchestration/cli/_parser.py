"""The argument parser of ``formance-orchestration`` (argparse, standard library only)."""

from __future__ import annotations

import argparse

from formance_orchestration.cli._settings import (
    DEFAULT_BASE_URL,
    DEFAULT_PREFIX,
    ENV_BASE_URL,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_OUTPUT,
    ENV_PREFIX,
    ENV_RETRIES,
    ENV_TIMEOUT,
    ENV_TOKEN,
    ENV_TOKEN_URL,
    OUTPUT_FORMATS,
)

__all__ = [
    "CONNECTION_OPTIONS",
    "DEFAULT_WAIT_INTERVAL",
    "DEFAULT_WAIT_TIMEOUT",
    "PROG",
    "build_parser",
]

PROG = "formance-orchestration"
DEFAULT_WAIT_TIMEOUT = 300.0
DEFAULT_WAIT_INTERVAL = 1.0

#: Connection options (namespace dest -> option name) that ``demo`` cannot honour: it runs in-process.
CONNECTION_OPTIONS = {
    "base_url": "--base-url",
    "prefix": "--prefix",
    "token": "--token",
    "client_id": "--client-id",
    "client_secret": "--client-secret",
    "token_url": "--token-url",
    "http_timeout": "--http-timeout",
    "retries": "--retries",
}

_DESCRIPTION = "Manage Formance Orchestration workflows and instances from the command line."

_EPILOG = f"""\
environment variables:
  {ENV_BASE_URL:<31} base URL (default {DEFAULT_BASE_URL})
  {ENV_PREFIX:<31} service path prefix (default {DEFAULT_PREFIX})
  {ENV_TOKEN:<31} bearer token
  {ENV_CLIENT_ID:<31} OAuth2 client id
  {ENV_CLIENT_SECRET:<31} OAuth2 client secret
  {ENV_TOKEN_URL:<31} OAuth2 token URL (default: <base URL>/api/auth/oauth/token)
  {ENV_TIMEOUT:<31} HTTP timeout in seconds
  {ENV_OUTPUT:<31} table or json
  {ENV_RETRIES:<31} retries of a failed request (default 2)
  options given on the command line win over the environment.

exit codes:
  0 success, 1 API or connection error, 2 usage error,
  3 instance failed or aborted, 4 wait timed out, 5 verify found differences,
  130 interrupted.

examples:
  {PROG} workflows create payout.yaml
  {PROG} workflows run <workflow-id> --var user=001 --var amount=100 --wait
  {PROG} instances history <instance-id>
  {PROG} --fake workflows create payout.yaml --run --var user=001 --wait
  {PROG} demo
"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keep the epilog's layout, and give option help a bit more room."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32)


def _seconds(text: str) -> float:
    """``type=`` for non-negative seconds (the caller decides what 0 means)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value != value or value < 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a non-negative number of seconds, got {text!r}")
    return value


def _identifier(text: str) -> str:
    """``type=`` for ids: any non-empty string (the API looks any string up)."""
    if not text:
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def _variable(text: str) -> tuple[str, str]:
    """``type=`` for ``--var name=value``."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def _output_option(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "-o",
        "--output",
        choices=OUTPUT_FORMATS,
        help=f"table (for people, the default) or json (API wire names, for scripts) [${ENV_OUTPUT}]",
    )


def _output_options() -> argparse.ArgumentParser:
    """The output option alone, for ``demo`` (which connects to nothing)."""
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    _output_option(common.add_argument_group("output"))
    return common


def _connection_options() -> argparse.ArgumentParser:
    """Options accepted before the command and after it (no defaults: absent means "not given")."""
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = common.add_argument_group("connection and output")
    group.add_argument(
        "--base-url",
        "--url",
        dest="base_url",
        metavar="URL",
        help=f"stack or service base URL [${ENV_BASE_URL}, default {DEFAULT_BASE_URL}]",
    )
    group.add_argument(
        "--prefix",
        metavar="PATH",
        help=f"service path prefix, '' for none [${ENV_PREFIX}, default {DEFAULT_PREFIX}]",
    )
    group.add_argument("--token", metavar="TOKEN", help=f"bearer token [${ENV_TOKEN}]")
    group.add_argument("--client-id", metavar="ID", help=f"OAuth2 client id [${ENV_CLIENT_ID}]")
    group.add_argument(
        "--client-secret", metavar="SECRET", help=f"OAuth2 client secret [${ENV_CLIENT_SECRET}]"
    )
    group.add_argument("--token-url", metavar="URL", help=f"OAuth2 token endpoint [${ENV_TOKEN_URL}]")
    group.add_argument(
        "--http-timeout",
        dest="http_timeout",
        metavar="SECONDS",
        help=f"HTTP timeout of each request (connect, then read), in seconds [${ENV_TIMEOUT}]",
    )
    group.add_argument(
        "--retries",
        metavar="N",
        help=f"retries of a request that failed on the way (connection, 429, 502-504) [${ENV_RETRIES}]",
    )
    _output_option(group)
    group.add_argument(
        "--fake",
        action="store_true",
        help="run against an embedded in-memory fake (its state lives for this one command)",
    )
    return common


def _add_wait_options(parser: argparse.ArgumentParser, *, what: str) -> None:
    parser.add_argument(
        "--timeout",
        dest="wait_timeout",
        type=_seconds,
        default=DEFAULT_WAIT_TIMEOUT,
        metavar="SECONDS",
        help=f"{what} at most this long, 0 for no limit (default {DEFAULT_WAIT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--interval",
        dest="wait_interval",
        type=_seconds,
        default=DEFAULT_WAIT_INTERVAL,
        metavar="SECONDS",
        help=f"poll every SECONDS (default {DEFAULT_WAIT_INTERVAL:g})",
    )
    parser.add_argument(
        "--no-progress", dest="progress", action="store_false", help="do not report progress on stderr"
    )


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--var",
        dest="variables",
        action="append",
        type=_variable,
        default=[],
        metavar="NAME=VALUE",
        help="a run variable (repeat for more); strings only, as the API takes them",
    )
    parser.add_argument(
        "--wait",
        action="store_true",
        help="poll until the instance ends; exit 3 if it failed or was aborted, 4 on timeout",
    )
    _add_wait_options(parser, what="with --wait, wait")


def build_parser() -> argparse.ArgumentParser:
    """Build the whole command tree."""
    common = _connection_options()
    parser = argparse.ArgumentParser(
        prog=PROG, description=_DESCRIPTION, epilog=_EPILOG, formatter_class=_Formatter, parents=[common]
    )
    # Before the command, --timeout is refused with a pointer to --http-timeout (see resolve_settings):
    # after a waiting command it is the wait limit, and one option has one meaning.
    parser.add_argument(
        "--timeout",
        dest="misplaced_timeout",
        metavar="SECONDS",
        default=argparse.SUPPRESS,
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def leaf(
        group: argparse._SubParsersAction[argparse.ArgumentParser],
        name: str,
        help: str,
        handler: str,
        parents: argparse.ArgumentParser = common,
    ) -> argparse.ArgumentParser:
        sub = group.add_parser(
            name,
            help=help,
            description=help[:1].upper() + help[1:] + ".",
            parents=[parents],
            formatter_class=_Formatter,
        )
        sub.set_defaults(handler=handler)
        return sub

    # workflows
    workflows = commands.add_parser(
        "workflows",
        help="list, show, create and run workflows",
        description="Workflows.",
        formatter_class=_Formatter,
    )
    workflow_commands = workflows.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    leaf(workflow_commands, "list", "list the workflows", "workflows_list")
    show = leaf(workflow_commands, "show", "show a workflow and its stages", "workflows_show")
    show.add_argument("workflow_id", metavar="ID", type=_identifier)
    create = leaf(
        workflow_commands, "create", "create a workflow from a YAML or JSON file", "workflows_create"
    )
    create.add_argument(
        "file", metavar="FILE", help="the workflow config ({name, stages}) as YAML or JSON; - for stdin"
    )
    create.add_argument("--run", action="store_true", help="run the new workflow right away")
    create.add_argument("-q", "--quiet", action="store_true", help="print only the new id(s)")
    _add_run_options(create)
    run = leaf(workflow_commands, "run", "start an instance of a workflow", "workflows_run")
    run.add_argument("workflow_id", metavar="ID", type=_identifier)
    run.add_argument("-q", "--quiet", action="store_true", help="print only the instance id")
    _add_run_options(run)

    # instances
    instances = commands.add_parser(
        "instances",
        help="inspect and drive workflow instances",
        description="Workflow instances.",
        formatter_class=_Formatter,
    )
    instance_commands = instances.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    listing = leaf(instance_commands, "list", "list instances", "instances_list")
    listing.add_argument(
        "--workflow", dest="workflow_id", metavar="ID", type=_identifier, help="only this workflow's"
    )
    listing.add_argument("--running", action="store_true", help="only instances still running")
    show = leaf(instance_commands, "show", "show an instance and the status of each stage", "instances_show")
    show.add_argument("instance_id", metavar="ID", type=_identifier)
    history = leaf(
        instance_commands,
        "history",
        "show the stages an instance ran, with their activities",
        "instances_history",
    )
    history.add_argument("instance_id", metavar="ID", type=_identifier)
    stage_history = leaf(
        instance_commands, "stage-history", "show the activities of one stage", "instances_stage_history"
    )
    stage_history.add_argument("instance_id", metavar="ID", type=_identifier)
    stage_history.add_argument("stage", metavar="N", type=int, help="stage number, from 0")
    send_event = leaf(instance_commands, "send-event", "send an event to an instance", "instances_send_event")
    send_event.add_argument("instance_id", metavar="ID", type=_identifier)
    send_event.add_argument("event", metavar="NAME", help="the event name (case-sensitive)")
    abort = leaf(instance_commands, "abort", "abort a running instance", "instances_abort")
    abort.add_argument("instance_id", metavar="ID", type=_identifier)
    wait = leaf(
        instance_commands,
        "wait",
        "wait until an instance ends; exit 3 if it failed or was aborted, 4 on timeout",
        "instances_wait",
    )
    wait.add_argument("instance_id", metavar="ID", type=_identifier)
    _add_wait_options(wait, what="wait")

    # misc
    leaf(commands, "server-info", "show the server's version", "server_info")
    demo = leaf(
        commands,
        "demo",
        "run a payout workflow end to end against an embedded fake and narrate it",
        "demo",
        parents=_output_options(),
    )
    demo.add_argument("--amount", type=int, default=2500, help="amount to send, in cents (default 2500)")
    from formance_orchestration.cli._verify import add_verify_options

    add_verify_options(
        leaf(commands, "verify", "compare a stack's answers with the fake's, step by step", "verify")
    )
    fake = commands.add_parser(
        "fake",
        help="the fake server",
        description="The in-memory fake of the Orchestration API.",
        formatter_class=_Formatter,
    )
    fake_commands = fake.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    serve = fake_commands.add_parser(
        "serve",
        help="serve the fake over HTTP (same as python -m fakeserver)",
        add_help=False,
        description="Serve the fake over HTTP; every argument goes to python -m fakeserver.",
    )
    serve.add_argument("args", nargs=argparse.REMAINDER, help="arguments of python -m fakeserver")
    serve.set_defaults(handler="fake_serve")
    return parser


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("formance-orchestration")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"
