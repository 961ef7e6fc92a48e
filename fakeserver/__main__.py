"""``python -m fakeserver``: serve the fake Orchestration API over HTTP until interrupted.

Examples::

    python -m fakeserver                                  # http://127.0.0.1:8080, wall clock, no auth
    python -m fakeserver --port 0                         # a free port (the URL is printed)
    python -m fakeserver --virtual-clock                  # time moves only via POST /_fake/clock/advance
    python -m fakeserver --client app:s3cret --token dev  # auth on: OAuth2 client + a static token
    python -m fakeserver --stack-version v1.0             # speak the mid-2023 stack's JSON
    python -m fakeserver --openapi-shapes                 # stage histories as the official SDKs read them

The first line on standard output is ``fakeserver listening on <url>``; one line per request goes to
standard error (``--quiet`` turns them off). The API is served under ``/api/orchestration`` and
without the prefix; the control API is under ``/_fake`` (``GET /_fake`` lists it).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import datetime
from types import FrameType

from fakeserver._app import FakeApp
from fakeserver._auth import TOKEN_PATH, TokenAuthority
from fakeserver._calls import DEFAULT_MAX_CALL_BYTES, DEFAULT_MAX_CALLS
from fakeserver._clock import Clock, ManualClock, SystemClock
from fakeserver._engine import Engine
from fakeserver._stack_versions import DEFAULT_STACK_VERSION, STACK_VERSIONS
from fakeserver.server import DEFAULT_HOST, FakeServer

__all__ = ["DEFAULT_PORT", "DEFAULT_WAIT_TIMEOUT", "build_parser", "build_server", "main"]

#: The port served when ``--port`` is not given.
DEFAULT_PORT = 8080
#: Real seconds a ``wait=true`` run may block on the command-line server (``--wait-timeout``).
DEFAULT_WAIT_TIMEOUT = 300.0


def _client_pair(text: str) -> tuple[str, str]:
    client_id, sep, secret = text.partition(":")
    if not sep or not client_id or not secret:
        raise argparse.ArgumentTypeError(f"expected CLIENT_ID:SECRET, got {text!r}")
    return client_id, secret


def _wait_timeout(text: str) -> float | None:
    if text.strip().lower() in ("none", "never", "forever"):
        return None
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds or 'none', got {text!r}") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError("the wait timeout must be positive (or 'none')")
    return seconds


def _positive(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError("expected a positive number of seconds")
    return seconds


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError("a port is between 0 and 65535")
    return port


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("expected a positive integer")
    return value


def _start_time(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an RFC 3339 timestamp, got {text!r}") from None
    if when.tzinfo is None:
        raise argparse.ArgumentTypeError("the start time needs a time zone (e.g. a trailing Z)")
    return when


def build_parser(prog: str = "python -m fakeserver") -> argparse.ArgumentParser:
    """The command line of ``python -m fakeserver`` (``prog``: the name its help and errors use)."""
    from formance_orchestration._version import __version__

    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve an in-memory fake of the Formance Orchestration API v1 over HTTP.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default: %(default)s)")
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help="port to bind, 0 for a free one (default: %(default)s)",
    )
    parser.add_argument(
        "--prefix",
        default="/api/orchestration",
        help="gateway prefix also served (the API answers with and without it; default: %(default)s)",
    )
    clock = parser.add_argument_group("time")
    clock.add_argument(
        "--virtual-clock",
        action="store_true",
        help="use a virtual clock that moves only through the control API (default: the wall clock)",
    )
    clock.add_argument(
        "--start-time",
        type=_start_time,
        metavar="RFC3339",
        help="initial time of the virtual clock (default: now)",
    )
    clock.add_argument(
        "--wait-timeout",
        type=_wait_timeout,
        default=DEFAULT_WAIT_TIMEOUT,
        metavar="SECONDS",
        help="real seconds a wait=true run may block before a 504, or 'none' (default: %(default)s)",
    )
    parser.add_argument(
        "--stack-version",
        choices=STACK_VERSIONS,
        default=DEFAULT_STACK_VERSION,
        metavar="VERSION",
        help=(
            "the Formance stack release whose JSON the fake speaks: "
            f"{', '.join(STACK_VERSIONS)} (default: %(default)s, the latest)"
        ),
    )
    parser.add_argument(
        "--openapi-shapes",
        action="store_true",
        help=(
            "answer stage-history payloads in the shape the OpenAPI document and the official SDKs "
            "declare, not the one the service really sends (see the README)"
        ),
    )
    parser.add_argument(
        "--service-version",
        dest="service_version",
        default=None,
        help="the version GET /_info reports (default: what that stack release reports)",
    )
    program = f"%(prog)s (formance-orchestration {__version__})"
    parser.add_argument("--version", action="version", version=program)
    auth = parser.add_argument_group("auth (off unless a client or a token is given)")
    auth.add_argument(
        "--client",
        dest="clients",
        type=_client_pair,
        action="append",
        default=[],
        metavar="ID:SECRET",
        help=f"accept this OAuth2 client at POST {TOKEN_PATH} (repeatable)",
    )
    auth.add_argument(
        "--token",
        dest="tokens",
        action="append",
        default=[],
        metavar="TOKEN",
        help="accept this bearer token for ever (repeatable)",
    )
    auth.add_argument(
        "--token-ttl",
        type=_positive,
        default=3600.0,
        metavar="SECONDS",
        help="lifetime of issued tokens, on the fake's clock (default: %(default)s)",
    )
    calls = parser.add_argument_group("call log (GET /_fake/calls)")
    calls.add_argument(
        "--max-calls",
        type=_count,
        default=DEFAULT_MAX_CALLS,
        metavar="N",
        help="the most calls kept, the newest (default: %(default)s)",
    )
    calls.add_argument(
        "--max-call-bytes",
        type=_count,
        default=DEFAULT_MAX_CALL_BYTES,
        metavar="BYTES",
        help="the most bytes of calls kept, bodies included (default: %(default)s)",
    )
    logs = parser.add_argument_group("logging")
    logs.add_argument("--quiet", action="store_true", help="no line per request")
    logs.add_argument("--debug", action="store_true", help="debug logging (connection errors and more)")
    return parser


def build_server(args: argparse.Namespace) -> FakeServer:
    """The server the parsed command line asks for (not started)."""
    clock: Clock
    if args.virtual_clock:
        clock = ManualClock(args.start_time)
    else:
        if args.start_time is not None:
            raise SystemExit("python -m fakeserver: --start-time needs --virtual-clock")
        clock = SystemClock()
    engine = Engine(
        clock=clock,
        stack_version=args.stack_version,
        openapi_shapes=args.openapi_shapes,
        version=args.service_version,
        wait_timeout=args.wait_timeout,
    )
    auth = None
    if args.clients or args.tokens:
        auth = TokenAuthority(clock, dict(args.clients), ttl=args.token_ttl, static_tokens=args.tokens)
    app = FakeApp(
        engine,
        auth=auth,
        prefix=args.prefix,
        max_calls=args.max_calls,
        max_call_bytes=args.max_call_bytes,
    )
    return FakeServer(app, host=args.host, port=args.port)


def _configure_logging(args: argparse.Namespace) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger = logging.getLogger("fakeserver")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if args.debug else logging.WARNING if args.quiet else logging.INFO)
    logger.propagate = False


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m fakeserver") -> int:
    """Run the server until interrupted (Ctrl-C or SIGTERM); return the exit status.

    :param prog: the program name of help and error messages (``fake serve`` passes its own).
    """
    args = build_parser(prog).parse_args(argv)
    _configure_logging(args)
    try:
        server = build_server(args)
        server.bind()
    except OSError as exc:
        print(f"python -m fakeserver: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    clock = "virtual clock" if args.virtual_clock else "wall clock"
    auth = "auth on" if server.app.auth is not None else "auth off"
    shapes = ", OpenAPI shapes" if server.engine.openapi_shapes else ""
    print(f"fakeserver listening on {server.url}", flush=True)
    print(
        f"  API at {server.url}{args.prefix} and {server.url}; control API at {server.url}/_fake; "
        f"stack {server.app.stack_version}{shapes}, {clock}, {auth}. Ctrl-C to stop.",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
