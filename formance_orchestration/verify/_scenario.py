"""The scripted scenario: every step's request, written down before anything is sent.

A step's path may name what an earlier step created, as ``{workflow:delay}`` or ``{instance:event}``;
each side (the target, each fake) fills the placeholders with its own ids. Nothing else varies
between the plan that ``--dry-run`` prints and the requests that are sent.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "NAME_PREFIX",
    "Call",
    "Plan",
    "Poll",
    "Step",
    "build_plan",
    "render_plan",
    "resolve",
]

#: Every workflow the scenario creates is named ``verify-<random suffix>-<role>``.
NAME_PREFIX = "verify-"
#: The event the wait_event workflow waits for.
EVENT = "verify-go"

_PLACEHOLDER = re.compile(r"\{(workflow|instance):([a-z-]+)\}")


@dataclass(frozen=True)
class Call:
    """One HTTP request, path relative to the service root (without the gateway prefix).

    :param method: the HTTP method.
    :param path: the path, with ``{workflow:ROLE}`` / ``{instance:ROLE}`` placeholders.
    :param query: the query string, without ``?``.
    :param body: the raw request body (sent as ``application/json``), or ``None``.
    """

    method: str
    path: str
    query: str = ""
    body: bytes | None = None

    def shown(self) -> str:
        """The call as the plan prints it."""
        text = f"{self.method} {self.path}" + (f"?{self.query}" if self.query else "")
        if self.body is not None:
            text += " " + self.body.decode("utf-8", errors="replace")
        return text


@dataclass(frozen=True)
class Poll:
    """Send the step's call again until the answer meets ``until`` (bounded).

    :param until: ``"started"`` (the instance's first stage has started) or ``"ended"``
        (``terminated`` is true).
    """

    until: str

    def met(self, payload: object) -> bool:
        """Whether a decoded answer body meets the condition."""
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict):
            return False
        if self.until == "ended":
            return data.get("terminated") is True
        status = data.get("status")
        return isinstance(status, list) and len(status) > 0

    def describe(self) -> str:
        """What the plan prints."""
        return "its first stage has started" if self.until == "started" else "it has ended"


@dataclass(frozen=True)
class Step:
    """One step of the scenario.

    :param number: 1-based position.
    :param title: what the step does, for people.
    :param operation: the API operation (operationId).
    :param call: the request.
    :param poll: repeat the call until a condition holds (the last answer is compared).
    :param creates: ``("workflow"|"instance", ROLE)``: the answer's ``data.id`` is known as that.
    :param only_known: a list answer: compare only the items this run created (sorted by role).
    """

    number: int
    title: str
    operation: str
    call: Call
    poll: Poll | None = None
    creates: tuple[str, str] | None = None
    only_known: bool = False


@dataclass(frozen=True)
class Plan:
    """The whole scenario, as printed by ``--dry-run`` and then run.

    :param run_id: the random suffix in every name this run creates.
    :param steps: the steps, in order.
    :param unknown_id: the random id the not-found steps ask for.
    :param poll_interval: seconds between two polls.
    :param poll_timeout: a poll gives up after this many seconds.
    """

    run_id: str
    steps: tuple[Step, ...]
    unknown_id: str
    poll_interval: float
    poll_timeout: float

    @property
    def max_polls(self) -> int:
        """The most requests one polling step sends."""
        return max(1, int(self.poll_timeout / self.poll_interval) + 1)

    def names(self) -> list[str]:
        """The names of the workflows this run creates."""
        names: list[str] = []
        for step in self.steps:
            if step.operation == "createWorkflow" and step.call.body is not None:
                name = json.loads(step.call.body).get("name")
                if isinstance(name, str):
                    names.append(name)
        return names


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def build_plan(
    *,
    allow_ledger_writes: bool = False,
    delay: str = "1s",
    ledger: str = "default",
    poll_interval: float = 0.2,
    poll_timeout: float = 30.0,
    run_id: str | None = None,
) -> Plan:
    """Write down the scenario: every operation of the API and the error paths a user meets.

    :param allow_ledger_writes: add a workflow with a send stage (it moves 0.01 of the made-up asset
        ``VRFY/2`` from ``world`` to ``verify:<run id>`` on ``ledger``: on a real stack that writes
        to the ledger).
    :param delay: the duration of the delay stage that runs with ``wait=true``.
    :param ledger: the ledger of the send stage.
    :param poll_interval: seconds between two polls of an instance.
    :param poll_timeout: give up polling after this many seconds.
    :param run_id: the random suffix of the names (default: 8 random hex digits).
    """
    rid = run_id or secrets.token_hex(4)
    name = f"{NAME_PREFIX}{rid}-"
    steps: list[Step] = []

    def add(
        title: str,
        operation: str,
        call: Call,
        *,
        poll: Poll | None = None,
        creates: tuple[str, str] | None = None,
        only_known: bool = False,
    ) -> None:
        steps.append(Step(len(steps) + 1, title, operation, call, poll, creates, only_known))

    def create(role: str, stages: list[object]) -> None:
        add(
            f"create the {role} workflow",
            "createWorkflow",
            Call("POST", "/workflows", body=_json({"name": name + role, "stages": stages})),
            creates=("workflow", role),
        )

    def run(role: str, instance: str, *, wait: bool) -> None:
        title = f"run the {role} workflow" + (" with wait=true" if wait else "")
        add(
            title,
            "runWorkflow",
            Call("POST", f"/workflows/{{workflow:{role}}}/instances", "wait=true" if wait else "", b"{}"),
            creates=("instance", instance),
        )

    def get_instance(instance: str, until: str) -> None:
        poll = Poll(until)
        add(
            f"read the {instance} instance until {poll.describe()}",
            "getInstance",
            Call("GET", f"/instances/{{instance:{instance}}}"),
            poll=poll,
        )

    add("read the server's version", "getServerInfo", Call("GET", "/_info"))
    create("delay", [{"delay": {"duration": delay}}])
    create("event", [{"wait_event": {"event": EVENT}}])
    create("noop", [{"noop": {}}])
    if allow_ledger_writes:
        account = {"ledger": ledger}
        create(
            "send",
            [
                {
                    "send": {
                        "source": {"account": {"id": "world", **account}},
                        "destination": {"account": {"id": f"verify:{rid}", **account}},
                        "amount": {"asset": "VRFY/2", "amount": 1},
                    }
                }
            ],
        )
    add("read the delay workflow", "getWorkflow", Call("GET", "/workflows/{workflow:delay}"))
    add("list the workflows (this run's)", "listWorkflows", Call("GET", "/workflows"), only_known=True)
    run("noop", "noop", wait=True)
    run("delay", "delay", wait=True)
    run("event", "event", wait=False)
    get_instance("event", "started")
    add(
        "list the event workflow's running instances",
        "listInstances",
        Call("GET", "/instances", "workflowID={workflow:event}&running=true"),
        only_known=True,
    )
    add(
        "send an event with a malformed body",
        "sendEvent",
        Call("POST", "/instances/{instance:event}/events", body=b'{"name":'),
    )
    add(
        "send the awaited event",
        "sendEvent",
        Call("POST", "/instances/{instance:event}/events", body=_json({"name": EVENT})),
    )
    get_instance("event", "ended")
    run("event", "aborted", wait=False)
    get_instance("aborted", "started")
    add("abort it", "cancelEvent", Call("PUT", "/instances/{instance:aborted}/abort"))
    get_instance("aborted", "ended")
    add(
        "read the event instance's history",
        "getInstanceHistory",
        Call("GET", "/instances/{instance:event}/history"),
    )
    add(
        "read the history of its stage 0",
        "getInstanceStageHistory",
        Call("GET", "/instances/{instance:event}/stages/0/history"),
    )
    if allow_ledger_writes:
        run("send", "send", wait=True)
        add(
            "read the send instance's history",
            "getInstanceHistory",
            Call("GET", "/instances/{instance:send}/history"),
        )
        add(
            "read the history of its send stage",
            "getInstanceStageHistory",
            Call("GET", "/instances/{instance:send}/stages/0/history"),
        )
    add(
        "read a stage history out of range",
        "getInstanceStageHistory",
        Call("GET", "/instances/{instance:event}/stages/9/history"),
    )
    unknown = str(uuid.uuid4())
    add("read an unknown workflow", "getWorkflow", Call("GET", f"/workflows/{unknown}"))
    add("read an unknown instance", "getInstance", Call("GET", f"/instances/{unknown}"))
    add(
        "create a workflow with an invalid stage type",
        "createWorkflow",
        Call(
            "POST",
            "/workflows",
            body=_json({"name": name + "invalid", "stages": [{"verify-no-such-stage": {}}]}),
        ),
    )
    return Plan(
        run_id=rid,
        steps=tuple(steps),
        unknown_id=unknown,
        poll_interval=poll_interval,
        poll_timeout=poll_timeout,
    )


#: The cleanup call, sent for each instance this run started and did not see end.
CLEANUP = Call("PUT", "/instances/{instance:ROLE}/abort")


class MissingId(LookupError):
    """A placeholder names something this side did not create."""

    def __init__(self, kind: str, role: str) -> None:
        super().__init__(f"no {kind} {role!r} was created")
        self.kind = kind
        self.role = role


def resolve(call: Call, ids: Mapping[tuple[str, str], str]) -> Call:
    """The call with its placeholders replaced by one side's ids.

    :param call: a planned call.
    :param ids: ``(kind, role) -> id`` of that side.
    :raises MissingId: a placeholder names something the side does not have.
    """

    def fill(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            key = (match.group(1), match.group(2))
            if key not in ids:
                raise MissingId(*key)
            return ids[key]

        return _PLACEHOLDER.sub(one, text)

    return Call(call.method, fill(call.path), fill(call.query), call.body)


def render_plan(plan: Plan, where: str, *, token_url: str | None = None) -> str:
    """The plan as text: every request the run may send, in order.

    :param plan: the plan.
    :param where: the target's service URL (base URL and prefix).
    :param token_url: the OAuth2 token endpoint, when the run authenticates with client credentials.
    """
    lines = [
        f"Plan (run {plan.run_id}) against {where}; the same requests go to the fake.",
        f"Workflows are named {NAME_PREFIX}{plan.run_id}-<role>; "
        "ids in braces are the ones each side answered.",
    ]
    width = max(len(step.operation) for step in plan.steps)
    if token_url is not None:
        lines.append(f"{'first':>4} {'fetchToken':<{width}}  POST {token_url} (OAuth2 client credentials)")
    for step in plan.steps:
        lines.append(f"{step.number:>3}  {step.operation:<{width}}  {step.call.shown()}")
        if step.poll is not None:
            lines.append(
                f"{'':>3}  {'':<{width}}  repeated every {plan.poll_interval:g} s "
                f"until {step.poll.describe()} (at most {plan.max_polls} times)"
            )
    lines.append(
        f"{'then':>4} {'cancelEvent':<{width}}  {CLEANUP.shown()}  for each instance started above "
        "and not seen ended (cleanup)"
    )
    return "\n".join(lines)
