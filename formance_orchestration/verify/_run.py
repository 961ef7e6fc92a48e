"""Run the plan on the target and on the fake(s) in lockstep, and build the report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from formance_orchestration.verify._compare import Answer, Difference, compare, normalise
from formance_orchestration.verify._report import DIFFERS, SAME, SKIPPED, Report, StepResult
from formance_orchestration.verify._scenario import CLEANUP, Call, MissingId, Plan, Step, build_plan, resolve
from formance_orchestration.verify._sides import FakeSide, HttpTarget, TargetError

if TYPE_CHECKING:
    from formance_orchestration._client import OrchestrationClient

__all__ = ["AUTO", "available_versions", "verify"]

#: ``stack_version=`` value that tries every version the fake speaks.
AUTO = "auto"

#: ``progress(step, results_by_version)`` after each step.
Progress = Callable[[Step, dict[str, StepResult]], None]


def available_versions() -> tuple[str, ...]:
    """The stack versions the fake speaks, oldest first."""
    from fakeserver import STACK_VERSIONS

    return tuple(STACK_VERSIONS)


class _Sender(Protocol):
    def send(self, call: Call) -> Answer: ...

    def pause(self, seconds: float) -> None: ...


@dataclass
class _Side:
    """One side's sender and what it learnt: ids by role, labels by id, instances seen ended."""

    sender: _Sender
    ids: dict[tuple[str, str], str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    ended: set[str] = field(default_factory=set)
    info_version: str | None = None

    def learn(self, step: Step, answer: Answer, payload: Any) -> None:
        data = payload.get("data") if isinstance(payload, dict) else None
        if step.creates is not None and 200 <= answer.status < 300 and isinstance(data, dict):
            new_id = data.get("id")
            if isinstance(new_id, str) and new_id:
                kind, role = step.creates
                self.ids[(kind, role)] = new_id
                self.labels[new_id] = f"<{kind}:{role}>"
        if isinstance(data, dict) and data.get("terminated") is True and isinstance(data.get("id"), str):
            self.ended.add(data["id"])

    def send(self, step: Step, call: Call, plan: Plan) -> tuple[Answer, Any, bool]:
        """Send (and poll); return the last answer, its JSON, and whether the poll condition held."""
        answer = self.sender.send(call)
        payload = answer.json()[1]
        if step.poll is not None:
            for _ in range(plan.max_polls - 1):
                if step.poll.met(payload) or not 200 <= answer.status < 300:
                    break
                self.sender.pause(plan.poll_interval)
                answer = self.sender.send(call)
                payload = answer.json()[1]
        self.learn(step, answer, payload)
        met = step.poll.met(payload) if step.poll is not None else True
        return answer, payload, met

    def comparable(self, step: Step, payload: Any) -> Any:
        """The answer's JSON as compared: lists cut down to this run's items, volatile values normalised."""
        if step.only_known and isinstance(payload, dict) and isinstance(payload.get("data"), list):
            items = [i for i in payload["data"] if isinstance(i, dict) and i.get("id") in self.labels]
            items.sort(key=lambda item: self.labels[item["id"]])
            payload = {**payload, "data": items}
        return normalise(payload, self.labels, server_info=step.operation == "getServerInfo")

    def unended(self) -> list[tuple[str, str]]:
        """``(role, id)`` of the instances started and not seen ended."""
        return [
            (role, value)
            for (kind, role), value in self.ids.items()
            if kind == "instance" and value not in self.ended
        ]


def _check_access(answer: Answer, call: Call) -> None:
    if 300 <= answer.status < 400:
        where = answer.location or "elsewhere"
        raise TargetError(
            f"HTTP {answer.status} on {call.method} {call.path}: the target redirects to {where} "
            "(give that URL: a redirect is not followed)"
        )
    if answer.status in (401, 403):
        raise TargetError(
            f"HTTP {answer.status} on {call.method} {call.path}: the target refused the credentials "
            "(check --token or --client-id/--client-secret)"
        )


def _versions(stack_version: str) -> tuple[str, ...]:
    versions = available_versions()
    if stack_version == AUTO:
        return versions
    if stack_version not in versions:
        raise ValueError(
            f"unknown stack version {stack_version!r}: expected auto or one of {', '.join(versions)}"
        )
    return (stack_version,)


def verify(
    client: OrchestrationClient,
    *,
    stack_version: str = AUTO,
    allow_ledger_writes: bool = False,
    plan: Plan | None = None,
    progress: Progress | None = None,
) -> Report:
    """Run the scenario against the stack ``client`` is configured for and against the fake; compare.

    Every request goes to the target once and to an in-process fake of each version tried; the
    answers are compared step by step (see ``formance_orchestration.verify.RULES``).

    :param client: a client configured for the target (base URL, prefix, credentials, timeouts).
    :param stack_version: ``"auto"`` (try every version the fake speaks and keep the best match) or a
        name from ``fakeserver.STACK_VERSIONS``.
    :param allow_ledger_writes: include the send stage (it writes to the target's ledger).
    :param plan: the plan to run (default: ``build_plan(allow_ledger_writes=...)``).
    :param progress: called after each step.
    :raises TargetError: the target is unreachable or refused the credentials (after cleanup).
    :raises ValueError: an unknown ``stack_version``.
    """
    from fakeserver import FakeApp

    versions = _versions(stack_version)
    plan = plan or build_plan(allow_ledger_writes=allow_ledger_writes)
    target = _Side(HttpTarget(client))
    apps = {name: FakeApp(stack_version=name) for name in versions}
    fakes = {name: _Side(FakeSide(app)) for name, app in apps.items()}
    for side in (target, *fakes.values()):
        side.labels[plan.unknown_id] = "<unknown-id>"
    results: dict[str, list[StepResult]] = {name: [] for name in versions}
    target_version: str | None = None
    try:
        for step in plan.steps:
            done = _run_step(step, plan, target, fakes)
            for name, result in done.items():
                results[name].append(result)
            target_version = target.info_version or target_version
            if progress is not None:
                progress(step, done)
    finally:
        cleanup = _cleanup(target, list(fakes.values()))
    scores = {name: sum(1 for r in steps if r.verdict != SAME) for name, steps in results.items()}
    # Fewest differing steps, then the version whose /_info answer is the target's (versions whose
    # v1 JSON differs only in stages the plan may not run), then fewest differences, then the latest.
    best = min(
        reversed(versions),
        key=lambda name: (
            scores[name],
            apps[name].engine.version != target_version,
            sum(len(r.differences) for r in results[name]),
        ),
    )
    return Report(
        target=client.base_url + client.prefix,
        run_id=plan.run_id,
        target_version=target_version,
        stack_version=best,
        scores=scores,
        by_version=results,
        cleanup=cleanup,
    )


def _run_step(step: Step, plan: Plan, target: _Side, fakes: dict[str, _Side]) -> dict[str, StepResult]:
    request = step.call.shown()

    def skipped(note: str) -> StepResult:
        return StepResult(step.number, step.title, step.operation, request, SKIPPED, note=note)

    try:
        target_call = resolve(step.call, target.ids)
    except MissingId as exc:
        return {name: skipped(f"{exc} on the target") for name in fakes}
    t_answer, t_payload, t_met = target.send(step, target_call, plan)
    _check_access(t_answer, target_call)
    if step.operation == "getServerInfo" and isinstance(t_payload, dict):
        version = t_payload.get("version")
        target.info_version = version if isinstance(version, str) else None
    t_json = target.comparable(step, t_payload)
    out: dict[str, StepResult] = {}
    for name, fake in fakes.items():
        try:
            fake_call = resolve(step.call, fake.ids)
        except MissingId as exc:
            out[name] = skipped(f"{exc} on the fake")
            continue
        f_answer, f_payload, f_met = fake.send(step, fake_call, plan)
        differences = compare(t_answer, f_answer, t_json, fake.comparable(step, f_payload))
        if step.poll is not None and t_met != f_met:
            condition = step.poll.describe()
            differences.insert(
                0,
                Difference(
                    "poll",
                    "poll",
                    condition if t_met else f"not: {condition} (gave up after {plan.poll_timeout:g} s)",
                    condition if f_met else f"not: {condition}",
                ),
            )
        out[name] = StepResult(
            step.number,
            step.title,
            step.operation,
            request,
            DIFFERS if differences else SAME,
            differences,
            t_answer.status,
            f_answer.status,
        )
    return out


def _cleanup(target: _Side, fakes: Sequence[_Side]) -> list[str]:
    """Abort every instance started and not seen ended (on the target, and on the fakes)."""
    done: list[str] = []
    for side in (target, *fakes):
        for role, _ in side.unended():
            call = resolve(Call(CLEANUP.method, CLEANUP.path.replace("ROLE", role)), side.ids)
            try:
                answer = side.sender.send(call)
            except TargetError as exc:
                if side is target:
                    done.append(f"could not abort <instance:{role}>: {exc}")
                continue
            if side is target:
                done.append(f"aborted <instance:{role}> (HTTP {answer.status})")
    return done
