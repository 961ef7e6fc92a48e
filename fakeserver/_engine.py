"""The fake's engine: workflows, instances, stages, events, abort and the two histories. No HTTP.

Methods are named after the API's operationIds; they take Python values, return the frozen views of
``fakeserver._views`` and raise the ``fakeserver._errors`` classes with the service's own texts.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

import attrs

from fakeserver._clock import Clock, ManualClock
from fakeserver._duration import MAX_DURATION, to_timedelta_ns
from fakeserver._errors import InvalidRequest, NotFound, ServiceError, WaitTimeout
from fakeserver._ledger import ActivityFailure, Bank
from fakeserver._resolve import (
    PreparedStage,
    ResolveError,
    StageSpecError,
    ValidationFailed,
    check_stage,
    normalize_json,
    prepare_stage,
)
from fakeserver._send import ACTIVITY_STAGES, Activity, StageFailed, run_activities
from fakeserver._stack_versions import DEFAULT_STACK_VERSION, StackVersion
from fakeserver._stack_versions import stack_version as _stack_row
from fakeserver._timers import Timers, retry_interval
from fakeserver._views import (
    ActivityView,
    InstanceView,
    RunOutcome,
    StageHistoryView,
    StageStatusView,
    WorkflowView,
)

__all__ = ["MAX_FAILURES_PER_CALL", "MAX_PENDING_FAILURES", "Engine"]

_NO_ROWS: Final = "sql: no rows in result set"
#: Go error type of a failed child stage as Temporal renders it in the ``wait=true`` answer.
_CHILD_ERROR_TYPE: Final = "fundamental"
#: Real seconds between two looks at the bank while a ``wait=true`` run blocks on a failing retry.
_POLL_SECONDS: Final = 0.05
#: The most activity failures one ``inject_activity_failure`` call arms, and the most pending at once.
MAX_FAILURES_PER_CALL: Final = 1000
MAX_PENDING_FAILURES: Final = 10_000

# what a running instance waits on
_NOTHING, _TIMER, _RETRY, _EVENT = 0, 1, 2, 3

_Step = tuple[str, Mapping[str, Any]]
_Advance = Callable[[], Activity]


def _default_ids() -> str:
    return str(uuid.uuid4())


class _BankClock:
    """The default bank's clock: the engine's clock, except that while the engine runs a timer that
    fell due it reads that timer's due time, so a retried activity's ledger timestamps match the
    stage history's."""

    def __init__(self, engine: Engine) -> None:
        self._engine = weakref.ref(engine)
        self._clock = engine.clock
        self.virtual = engine.clock.virtual

    def now(self) -> datetime:
        """The due time being run, or the engine clock's time."""
        engine = self._engine()
        if engine is not None and engine._sim_now is not None:
            return engine._sim_now
        return self._clock.now()

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Subscribe to the engine's clock."""
        self._clock.subscribe(callback)


# ---------------------------------------------------------------------------------------------------
# Records (slotted; the finished ones are small)


def _uses_variables(value: Any) -> bool:
    """Whether a stage's parameters contain a ``${`` anywhere (their resolution may vary per run)."""
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, Mapping):
        return any(_uses_variables(v) for v in value.values())
    if isinstance(value, list):
        return any(_uses_variables(v) for v in value)
    return False


class _Workflow:
    __slots__ = ("instances", "prepared", "stack", "static", "steps", "view")

    def __init__(self, view: WorkflowView, steps: tuple[_Step, ...], stack: StackVersion) -> None:
        self.view = view
        self.steps = steps
        self.stack = stack  # whose stage schemas apply
        self.instances: list[_Instance] = []
        # Stages without variables resolve the same way in every run: prepared once and shared
        # (their history input dict is then one object for all instances; views are read-only).
        self.static = tuple(not _uses_variables(params) for _, params in steps)
        self.prepared: list[PreparedStage | None] = [None] * len(steps)

    def prepare(self, index: int, variables: Mapping[str, str]) -> PreparedStage:
        """Resolve and validate stage ``index`` for a run (cached for stages without variables)."""
        cached = self.prepared[index]
        if cached is not None:
            return cached
        kind, params = self.steps[index]
        prepared = prepare_stage(kind, params, variables, self.stack)
        if self.static[index]:
            self.prepared[index] = prepared
        return prepared


class _ActivityItem:
    """One activity a send stage scheduled (its stage-history item)."""

    __slots__ = ("error", "input", "name", "output", "started_at", "terminated_at")

    def __init__(self, name: str, input: dict[str, Any], started_at: datetime) -> None:
        self.name = name
        self.input = input
        self.started_at = started_at
        self.output: dict[str, Any] | None = None
        self.error = ""
        self.terminated_at: datetime | None = None


class _Stage:
    """One stage row, plus its child workflow (``name``/``input``) when the child was started."""

    __slots__ = ("activities", "error", "history_error", "input", "name", "started_at", "terminated_at")

    def __init__(self, started_at: datetime) -> None:
        self.started_at = started_at
        self.terminated_at: datetime | None = None
        self.error = ""
        self.name: str | None = None  # RunSend | RunDelay | RunWaitEvent | RunNoOp; None: no child
        self.input: dict[str, Any] | None = None
        self.history_error: str | None = None  # when the history item's error differs from ``error``
        self.activities: list[_ActivityItem] | None = None


class _Run:
    """The live state of a running instance (dropped when it terminates)."""

    __slots__ = (
        "act",
        "attempt",
        "due",
        "event",
        "fail_version",
        "gen",
        "last_failure",
        "variables",
        "wait",
        "workflow",
    )

    def __init__(self, workflow: _Workflow, variables: dict[str, str]) -> None:
        self.workflow = workflow
        self.variables = variables
        self.wait = _NOTHING
        self.due: datetime | None = None  # timer or next retry (a parked retry's: see Timers.parked)
        self.event = ""  # the event a wait_event stage waits for
        self.gen: Any = None  # the send stage's generator
        self.act: Activity | None = None  # the send activity being attempted
        self.attempt = 1  # number of the next attempt of ``act``
        self.last_failure = ""
        self.fail_version: int | None = None  # bank.version after the last real failed attempt


class _Instance:
    __slots__ = (
        "created_at",
        "error",
        "error_type",
        "id",
        "list_view",
        "run",
        "stages",
        "terminated_at",
        "view",
        "workflow_id",
    )

    def __init__(self, id: str, workflow_id: str, created_at: datetime, run: _Run) -> None:
        self.id = id
        self.workflow_id = workflow_id
        self.created_at = created_at
        self.terminated_at: datetime | None = None
        self.error = ""
        self.error_type: str | None = None  # Go error type for the wait=true rendering; None: canceled
        self.stages: list[_Stage] = []
        self.run: _Run | None = run
        self.view: InstanceView | None = None  # cached once terminated
        self.list_view: InstanceView | None = None  # cached once terminated


def _json_kind(value: Any) -> str:
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, Mapping):
        return "object"
    return "array"


def _decode_error(value: Any, target: str) -> InvalidRequest:
    return InvalidRequest(
        f"unmarshalling json body: json: cannot unmarshal {_json_kind(value)} into {target}"
    )


def _check_config_shape(config: Any) -> Mapping[str, Any]:
    """The body checks Go's decoder would have made (the routes normally made them already)."""
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise _decode_error(config, "Go value of type workflow.Config")
    for key in config:
        value = config[key]
        if value is None:
            continue
        if key == "name" and not isinstance(value, str):
            raise _decode_error(value, "Go struct field Config.name of type string")
        if key == "stages":
            if not isinstance(value, list | tuple):
                raise _decode_error(value, "Go struct field Config.stages of type []workflow.RawStage")
            for stage in value:
                if stage is None:
                    continue
                if not isinstance(stage, Mapping):
                    raise _decode_error(stage, "Go struct field Config.stages of type workflow.RawStage")
                for params in stage.values():
                    if params is not None and not isinstance(params, Mapping):
                        raise _decode_error(
                            params, "Go struct field Config.stages of type map[string]interface {}"
                        )
    return config


def _with_shapes(row: StackVersion, openapi_shapes: bool) -> StackVersion:
    return row if row.openapi_shapes == openapi_shapes else attrs.evolve(row, openapi_shapes=openapi_shapes)


class Engine:
    """The in-memory Orchestration service: what the routes call, what tests drive directly.

    :param clock: where every timestamp comes from (default: a fresh :class:`ManualClock`).
    :param ids: the id generator (default: lowercase UUID v4 strings).
    :param bank: the simulated ledger/wallets/payments the send stages act on
        (default: ``Bank(clock=clock, ids=ids)``).
    :param stack_version: the Formance stack release whose dialect the fake speaks (a name from
        ``fakeserver.STACK_VERSIONS``; default: the latest, ``DEFAULT_STACK_VERSION``).
    :param version: what ``GET /_info`` reports (default: what that stack release reports).
    :param openapi_shapes: answer stage-history payloads in the shape the OpenAPI document and the
        official SDKs declare, where the service really sends another (default: as the service).
    :param wait_timeout: real seconds a ``wait=true`` run may stay blocked before it raises
        :class:`WaitTimeout` (``None``: for ever).

    How it runs (the decisions behind the fake's timing):

    * **One lock.** A ``threading.RLock`` guards all state (the engine's and the bank's) and a
      ``threading.Condition`` on it wakes blocked ``wait=true`` runs. Every public method takes the
      lock, and views are built under it; they are frozen snapshots (treat their dicts as read-only).
    * **Synchronous stages.** A stage runs inside the call that makes it runnable (``run_workflow``,
      ``send_event``, ``cancel_event``, ``advance``) as far as it can: ``noop`` ends at once, a
      ``send`` performs its activities on the bank, and the next stage starts straight away. What
      waits on time (a ``delay``, a send activity's next retry) registers a due time; a
      ``wait_event`` waits for ``send_event``.
    * **Pumping.** Every public method first runs everything whose due time is ``<= clock.now()``,
      in due-time order, each at its own due time (a 10 s delay ends exactly 10 s after it started,
      however far the clock jumped), so the wall-clock mode needs no background thread. The engine
      subscribes to the clock, so ``ManualClock.advance`` from any thread pumps and wakes waiters.
      A retry that cannot turn out differently (no injected failure pending for it, ``bank.version``
      unchanged since its last real failure) is parked (``fakeserver._timers``): its attempt counter
      and next execution move on arithmetically, and it is woken when the bank changes or a failure
      is injected for its activity, so a skip costs O(timers due x log n) however many instances
      retry. A run that fails inside the fake (a bug) leaves no instance behind.
    * **run_workflow** returns the instance as just created (``terminated`` false, no ``status``)
      when not waiting, even though the stages already ran. With ``wait=True`` it blocks (releasing
      the lock) until the instance ends, then returns the re-read instance and the wait error
      (``""``, ``canceled`` or ``<error> (type: <GoType>, retryable: true)``).
    * **Time skipping** (virtual clock, ``wait=True``): when the instance only waits on a timer the
      engine moves the clock to that timer's due time, like Temporal's test server. Delay timers are
      always skipped; a retry timer only when the next attempt may turn out differently (an injected
      failure pending for that activity, or ``bank.version`` changed since the last real failure).
      Otherwise the run blocks on what only another thread can provide (an event, new funds, an
      abort, a clock move), re-checking the bank every 50 ms, for at most ``wait_timeout`` real
      seconds in total; then :class:`WaitTimeout` says what it was waiting on.
    * **Wall clock** (``SystemClock``): a waiting run sleeps on the condition until the next due time
      of its instance, pumps, and repeats; ``wait_timeout`` bounds the total real time.
    * **Send activities** retry 1 s after the first failure, doubling up to 100 s, without limit.
      A pending activity shows ``attempt`` (the next attempt's number), ``lastFailure`` and
      ``nextExecution``; completed, failed and cancelled activities show ``attempt`` 1. A
      non-retryable failure ends the stage with the failure message (history item error
      ``activity error``). Abort during a send marks the pending activity ``cancelled``.
    * **Injected failures** (:meth:`inject_activity_failure`) are consumed before the real activity
      runs; the attempt fails with that message and counts as an attempt.
    * **Indexes**: instances by id and by workflow, so ``get_instance`` is O(1) and listing one
      workflow's instances costs what it returns. The views of a terminated instance are cached, and
      a stage without ``${...}`` is resolved once per workflow and its history input shared.
    * Timestamps come from the clock only, ids from ``ids`` only. Lists are in creation order and
      ``status`` in stage order; ``updatedAt`` always equals ``createdAt``.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        ids: Callable[[], str] | None = None,
        bank: Bank | None = None,
        stack_version: str | None = None,
        version: str | None = None,
        wait_timeout: float | None = 5.0,
        openapi_shapes: bool = False,
    ) -> None:
        if stack_version is None:
            stack_version = DEFAULT_STACK_VERSION
        self.stack: StackVersion = _with_shapes(_stack_row(stack_version), openapi_shapes)
        self.clock: Clock = clock if clock is not None else ManualClock()
        self.ids: Callable[[], str] = ids if ids is not None else _default_ids
        self._sim_now: datetime | None = None
        self.bank: Bank = bank if bank is not None else Bank(clock=_BankClock(self), ids=self.ids)
        self._own_version = version
        self.version = self.stack.service_version if version is None else version
        self.wait_timeout = wait_timeout
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._workflows: dict[str, _Workflow] = {}
        self._instances: dict[str, _Instance] = {}
        self._timers: Timers[_Instance] = Timers()
        self._parked_version = 0  # bank.version when the parked retries were parked
        self._pumped_to: datetime | None = None  # the clock's time at the last pump
        self._running = 0
        self._injections: dict[str, deque[tuple[str, str, bool]]] = {}
        ref = weakref.ref(self)

        def on_clock_moved() -> None:
            engine = ref()
            if engine is not None:
                engine.wake()

        self.clock.subscribe(on_clock_moved)

    # -----------------------------------------------------------------------------------------------
    # Operations

    @property
    def stack_version(self) -> str:
        """The name of the stack version the fake speaks (one of ``fakeserver.STACK_VERSIONS``)."""
        return self.stack.name

    @property
    def openapi_shapes(self) -> bool:
        """Whether stage-history payloads are answered in the OpenAPI/SDK shape (see ``__init__``)."""
        return self.stack.openapi_shapes

    def get_server_info(self) -> str:
        """The version ``GET /_info`` reports."""
        with self._lock:
            self._pump()
            return self.version

    def create_workflow(self, config: Mapping[str, Any]) -> WorkflowView:
        """Store a workflow after resolving every stage with no variables.

        :param config: ``{"name": str, "stages": [{"<type>": {...}}, ...] | None}``, decoded JSON.
        :raises ServiceError: ``creating workflow: <reason>`` (unknown type, field type errors...).
        :raises InvalidRequest: when the body has a shape Go's decoder rejects.
        """
        with self._lock:
            self._pump()
            body = _check_config_shape(config)
            name = body.get("name") or ""
            raw_stages = body.get("stages")
            stages: list[dict[str, Any]] | None = None
            steps: list[_Step] = []
            if raw_stages is not None:
                stages = normalize_json(list(raw_stages))
                for raw in stages:
                    try:
                        steps.append(check_stage(raw, self.stack))
                    except (StageSpecError, ResolveError) as exc:
                        raise ServiceError(f"creating workflow: {exc.message}") from None
            now = self.clock.now()
            view = WorkflowView(id=self.ids(), name=name, stages=stages, created_at=now, updated_at=now)
            self._workflows[view.id] = _Workflow(view, tuple(steps), self.stack)
            return view

    def list_workflows(self) -> list[WorkflowView]:
        """Every workflow, oldest first."""
        with self._lock:
            self._pump()
            return [wf.view for wf in self._workflows.values() if wf.view.deleted_at is None]

    def get_workflow(self, workflow_id: str) -> WorkflowView:
        """One workflow.

        :raises ServiceError: ``sql: no rows in result set`` for an unknown id.
        """
        with self._lock:
            self._pump()
            wf = self._workflows.get(workflow_id)
            if wf is None:
                raise ServiceError(_NO_ROWS)
            return wf.view

    def run_workflow(
        self, workflow_id: str, variables: Mapping[str, str] | None = None, *, wait: bool = False
    ) -> RunOutcome:
        """Create an instance and run its stages as far as they go.

        :param workflow_id: the workflow to run.
        :param variables: the values for ``${name}`` in the stage definitions.
        :param wait: block until the instance ends (the ``?wait=true`` form).
        :raises ServiceError: ``sql: no rows in result set`` for an unknown workflow.
        :raises WaitTimeout: ``wait`` and the instance stayed blocked ``wait_timeout`` real seconds.
        """
        with self._lock:
            self._pump()
            wf = self._workflows.get(workflow_id)
            if wf is None:
                raise ServiceError(_NO_ROWS)
            now = self.clock.now()
            inst = _Instance(self.ids(), workflow_id, now, _Run(wf, dict(variables or {})))
            self._instances[inst.id] = inst
            wf.instances.append(inst)
            self._running += 1
            created = InstanceView(
                workflow_id=workflow_id,
                id=inst.id,
                created_at=now,
                updated_at=now,
                terminated=False,
                terminated_at=None,
                error="",
                status=None,
            )
            try:
                self._continue(inst, now)
            except BaseException:  # a bug of the fake: the failed call leaves no instance behind
                self._discard(inst, wf)
                raise
            self._cond.notify_all()
            if not wait:
                return RunOutcome(instance=created, waited=False)
            self._wait_until_done(inst)
            return RunOutcome(
                instance=self._instance_view(inst), waited=True, wait_error=self._wait_error(inst)
            )

    def _discard(self, inst: _Instance, wf: _Workflow) -> None:
        """Forget an instance whose creation failed half-way (its bank changes stay)."""
        self._terminate(inst, inst.created_at, "", None)
        del self._instances[inst.id]
        wf.instances.remove(inst)

    def list_instances(self, workflow_id: str | None = None, running: bool = False) -> list[InstanceView]:
        """Instances, oldest first, without ``status``.

        :param workflow_id: only this workflow's instances (``None`` or ``""``: all).
        :param running: only the instances not terminated.
        """
        with self._lock:
            self._pump()
            if workflow_id:
                wf = self._workflows.get(workflow_id)
                source: Any = wf.instances if wf is not None else ()
            else:
                source = self._instances.values()
            workflows = self._workflows
            return [
                self._list_view(inst)
                for inst in source
                if (not running or inst.run is not None)
                and workflows[inst.workflow_id].view.deleted_at is None
            ]

    def delete_workflow(self, workflow_id: str) -> None:
        """Soft-delete a workflow: lists hide it and its instances; reading and running it still work.

        Deleting again is no error (the deletion time moves on, as the service's update does).

        :raises NotFound: ``Workflow not found`` for an unknown id.
        """
        with self._lock:
            self._pump()
            wf = self._workflows.get(workflow_id)
            if wf is None:
                raise NotFound("Workflow not found")
            wf.view = attrs.evolve(wf.view, deleted_at=self.clock.now())
            for inst in wf.instances:  # cached views embed the workflow
                inst.view = inst.list_view = None

    def _known_instance(self, instance_id: str) -> _Instance:
        """Pump, then the instance (the lock held); ``Instance not found`` as getInstance says it."""
        self._pump()
        inst = self._instances.get(instance_id)
        if inst is None:
            raise ServiceError("Instance not found")
        return inst

    def get_instance(self, instance_id: str) -> InstanceView:
        """One instance with its stage rows.

        :raises ServiceError: ``Instance not found``.
        """
        with self._lock:
            inst = self._known_instance(instance_id)
            return self._instance_view(inst)

    def send_event(self, instance_id: str, name: str) -> None:
        """Signal the instance's highest stage; a ``wait_event`` stage waiting for ``name`` completes.

        :raises ServiceError: ``retrieving workflow: sql: no rows in result set`` (no stage row),
            ``sending signal to server: workflow execution already completed`` (that stage ended) or
            ``sending signal to server: sql: no rows in result set`` (its child never started).
        """
        with self._lock:
            self._pump()
            inst = self._instances.get(instance_id)
            if inst is None or not inst.stages:
                raise ServiceError("retrieving workflow: " + _NO_ROWS)
            stage = inst.stages[-1]
            if stage.name is None:
                raise ServiceError("sending signal to server: " + _NO_ROWS)
            run = inst.run
            if stage.terminated_at is not None or run is None:
                raise ServiceError("sending signal to server: workflow execution already completed")
            if run.wait == _EVENT and run.event == name:
                now = self.clock.now()
                run.wait = _NOTHING
                run.event = ""
                stage.terminated_at = now
                self._continue(inst, now)
                self._cond.notify_all()

    def cancel_event(self, instance_id: str) -> None:
        """Abort a running instance (no-op once terminated).

        :raises ServiceError: ``retrieving workflow execution: sql: no rows in result set``.
        """
        with self._lock:
            self._pump()
            inst = self._instances.get(instance_id)
            if inst is None:
                raise ServiceError("retrieving workflow execution: " + _NO_ROWS)
            run = inst.run
            if run is None:
                return
            now = self.clock.now()
            if inst.stages:
                stage = inst.stages[-1]
                if stage.activities:
                    item = stage.activities[-1]
                    if item.terminated_at is None:
                        item.error = "cancelled"
                        item.terminated_at = now
                stage.terminated_at = now
                stage.error = "canceled"
            self._terminate(inst, now, "canceled", None)
            self._cond.notify_all()

    def get_instance_history(self, instance_id: str) -> list[StageHistoryView]:
        """One item per stage whose child workflow started, in order.

        :raises ServiceError: ``sql: no rows in result set`` for an unknown instance.
        """
        with self._lock:
            self._pump()
            inst = self._instances.get(instance_id)
            if inst is None:
                raise ServiceError(_NO_ROWS)
            return [
                StageHistoryView(
                    name=stage.name,
                    input=stage.input if stage.input is not None else {},
                    error=stage.error if stage.history_error is None else stage.history_error,
                    terminated=stage.terminated_at is not None,
                    started_at=stage.started_at,
                    terminated_at=stage.terminated_at,
                )
                for stage in inst.stages
                if stage.name is not None
            ]

    def get_instance_stage_history(self, instance_id: str, number: int) -> list[ActivityView]:
        """The activities stage ``number`` scheduled (``[]`` for delay, wait_event and noop).

        :raises NotFound: unknown instance, no such stage, or a stage whose child never started.
        """
        with self._lock:
            self._pump()
            inst = self._instances.get(instance_id)
            if inst is None or not 0 <= number < len(inst.stages):
                raise NotFound()
            stage = inst.stages[number]
            if stage.name is None:
                raise NotFound()
            if not stage.activities:
                return []
            run = inst.run
            pending = stage.activities[-1] if run is not None and stage.terminated_at is None else None
            due, attempt = (None, 1) if run is None else self._retry_state(inst, run)
            views: list[ActivityView] = []
            for item in stage.activities:
                if item is pending and item.terminated_at is None and run is not None:
                    views.append(
                        ActivityView(
                            name=item.name,
                            input=item.input,
                            output=None,
                            error="",
                            terminated=False,
                            started_at=item.started_at,
                            terminated_at=None,
                            last_failure=run.last_failure,
                            attempt=attempt,
                            next_execution=due if run.wait == _RETRY else None,
                        )
                    )
                else:
                    views.append(
                        ActivityView(
                            name=item.name,
                            input=item.input,
                            output=item.output,
                            error=item.error,
                            terminated=item.terminated_at is not None,
                            started_at=item.started_at,
                            terminated_at=item.terminated_at,
                            last_failure="",
                            attempt=1,
                            next_execution=None,
                        )
                    )
            return views

    # -----------------------------------------------------------------------------------------------
    # Helpers for tests and the control API

    @property
    def lock(self) -> threading.RLock:
        """The engine's lock: hold it to seed ``bank`` from another thread, then call :meth:`wake`."""
        return self._lock

    def wake(self) -> None:
        """Run what fell due and wake blocked ``wait=true`` runs (after an outside change)."""
        with self._lock:
            self._pump()
            self._cond.notify_all()

    def advance(self, delta: float | timedelta) -> datetime:
        """Move the virtual clock forward and run what fell due; return the new time.

        :param delta: seconds or a ``timedelta``.
        :raises TypeError: when the engine's clock cannot be moved by hand.
        """
        move = getattr(self.clock, "advance", None)
        if move is None:
            raise TypeError(f"Engine.advance needs a ManualClock, not {type(self.clock).__name__}")
        now: datetime = move(delta)
        self.wake()
        return now

    def waiting_event(self, instance_id: str) -> str | None:
        """The event the instance's current ``wait_event`` stage waits for (``None`` otherwise).

        :raises ServiceError: ``Instance not found``.
        """
        with self._lock:
            inst = self._known_instance(instance_id)
            run = inst.run
            return run.event if run is not None and run.wait == _EVENT else None

    def next_due(self, instance_id: str) -> datetime | None:
        """When the instance's current timer (delay end or next retry) fires; ``None`` if none.

        :raises ServiceError: ``Instance not found``.
        """
        with self._lock:
            inst = self._known_instance(instance_id)
            run = inst.run
            if run is None or run.wait not in (_TIMER, _RETRY):
                return None
            return self._retry_state(inst, run)[0]

    def skip_for_waiter(self, instance_id: str, within: float | None) -> float:
        """For a client waiting on the instance for up to ``within`` more seconds (``None``: no limit):
        on a virtual clock, move the clock to the instance's next timer (delay end or retry), or by
        ``within`` when the timer falls due later (the client then gives up at once), and run what
        fell due. Return the seconds skipped (0 on a wall clock, for an unknown or ended instance,
        or when it waits on an event, which only another thread can send).

        The waiter would have waited that long anyway: the same skipping as ``wait=true`` runs.
        """
        with self._lock:
            inst = self._instances.get(instance_id)
            run = inst.run if inst is not None else None
            if inst is None or run is None or not self.clock.virtual or run.wait not in (_TIMER, _RETRY):
                return 0.0
            due = self._retry_state(inst, run)[0]
            if due is None:
                return 0.0
            before = self.clock.now()
            gap = (due - before).total_seconds()
            self._skip_to(due if within is None or gap <= within else before + timedelta(seconds=within))
            self._cond.notify_all()
            return max((self.clock.now() - before).total_seconds(), 0.0)

    def inject_activity_failure(
        self,
        activity: str,
        message: str,
        *,
        times: int = 1,
        error_code: str = "INTERNAL",
        retryable: bool = True,
    ) -> None:
        """Make the next ``times`` attempts of ``activity`` fail before the real activity runs.

        :param activity: the activity name (``CreateTransaction``, ``GetWallet``...).
        :param message: the failure message (``lastFailure`` or ``error`` in the stage history).
        :param times: how many attempts fail (1 to ``MAX_FAILURES_PER_CALL``; at most
            ``MAX_PENDING_FAILURES`` pending in all).
        :param error_code: the downstream error code carried by the failure.
        :param retryable: ``False`` fails the stage (unless the send tolerates the code).
        """
        if isinstance(times, bool) or not isinstance(times, int) or not 1 <= times <= MAX_FAILURES_PER_CALL:
            raise ValueError(f"times must be an integer between 1 and {MAX_FAILURES_PER_CALL}, not {times!r}")
        with self._lock:
            pending = sum(len(queue) for queue in self._injections.values())
            if pending + times > MAX_PENDING_FAILURES:
                raise ValueError(
                    f"at most {MAX_PENDING_FAILURES} injected activity failures may be pending; "
                    f"{pending} are, and times is {times}"
                )
            self._pump()
            queue = self._injections.setdefault(activity, deque())
            queue.extend([(message, error_code, retryable)] * times)
            self._wake_parked(self.clock.now(), activity)
            self._cond.notify_all()

    def pending_activity_failures(self) -> list[dict[str, Any]]:
        """The injected failures not consumed yet, in the order they will be used per activity."""
        with self._lock:
            self._pump()
            return [
                {"activity": name, "message": m, "error_code": code, "retryable": retryable}
                for name, queue in self._injections.items()
                for m, code, retryable in queue
            ]

    def clear_activity_failures(self) -> None:
        """Drop every injected failure not consumed yet."""
        with self._lock:
            self._pump()
            self._injections.clear()

    def stats(self) -> dict[str, int]:
        """Counts: ``workflows``, ``instances``, ``running``, ``timers`` (live), ``injected_failures``."""
        with self._lock:
            self._pump()
            return {
                "workflows": len(self._workflows),
                "instances": len(self._instances),
                "running": self._running,
                "timers": len(self._timers),
                "injected_failures": sum(len(q) for q in self._injections.values()),
            }

    def reset(self, *, stack_version: str | None = None, openapi_shapes: bool | None = None) -> None:
        """Forget workflows, instances, timers, bank state and injected failures, and move a virtual
        clock back to where it started (``ManualClock.rewind``), so that whatever a test did to the
        time, the next one starts from the same place.

        :param stack_version: speak this stack version from now on (default: keep the current one).
        :param openapi_shapes: answer in the OpenAPI/SDK shapes from now on, or not (default: keep).
        :raises UnknownStackVersion: for a name not in ``fakeserver.STACK_VERSIONS`` (nothing reset).
        """
        row = None if stack_version is None else _stack_row(stack_version)
        with self._lock:
            if row is not None:
                self.stack = _with_shapes(row, self.stack.openapi_shapes)
                if self._own_version is None:
                    self.version = row.service_version
            if openapi_shapes is not None:
                self.stack = _with_shapes(self.stack, openapi_shapes)
            for inst in self._instances.values():
                run = inst.run
                if run is not None and run.gen is not None:
                    with contextlib.suppress(RuntimeError):
                        run.gen.close()
            self._workflows.clear()
            self._instances.clear()
            self._timers.clear()
            self._pumped_to = None
            self._injections.clear()
            self._running = 0
            self.bank.reset()
            rewind: Callable[[], None] | None = getattr(self.clock, "rewind", None)
            if rewind is not None:
                rewind()
            self._cond.notify_all()

    # -----------------------------------------------------------------------------------------------
    # Execution

    def _schedule(self, inst: _Instance, run: _Run, due: datetime) -> None:
        run.due = due
        self._timers.schedule(inst, due)

    def _park(self, inst: _Instance, run: _Run, at: datetime) -> None:
        """Park a retry that cannot turn out differently until the bank changes or a failure is
        injected for its activity (see ``fakeserver._timers``)."""
        assert run.act is not None and run.due is not None
        self._sync_parked(at)
        self._parked_version = self.bank.version
        self._timers.park(inst, run.due, run.attempt, run.act.name)

    def _sync_parked(self, at: datetime) -> None:
        """Wake the parked retries at ``at`` if the bank changed since they were parked."""
        if self._timers.parked_count and self.bank.version != self._parked_version:
            self._wake_parked(at)

    def _wake_parked(self, at: datetime, activity: str | None = None) -> None:
        for inst, due, attempt in self._timers.wake(at, activity):
            run = inst.run
            assert run is not None
            run.due = due
            run.attempt = attempt

    def _retry_state(self, inst: _Instance, run: _Run) -> tuple[datetime | None, int]:
        """The due time and number of a waiting instance's next attempt (its timer's due time)."""
        projected = self._timers.parked(inst, self.clock.now())
        if projected is not None:
            return projected
        return run.due, run.attempt

    def _continue(self, inst: _Instance, at: datetime) -> None:
        """Start the instance's next stages at ``at`` until one has to wait, fails, or none is left."""
        run = inst.run
        assert run is not None
        while True:
            index = len(inst.stages)
            if index >= len(run.workflow.steps):
                self._terminate(inst, at, "", None)
                return
            stage = _Stage(at)
            inst.stages.append(stage)
            try:
                prepared = run.workflow.prepare(index, run.variables)
            except (ResolveError, ValidationFailed) as exc:
                stage.terminated_at = at
                stage.error = exc.message
                self._terminate(inst, at, exc.message, exc.type_name)
                return
            stage.name = prepared.name
            stage.input = prepared.input
            kind = prepared.kind
            if kind == "delay":
                if prepared.duration is not None:
                    due = at + to_timedelta_ns(prepared.duration)
                else:  # Go's time.Until: a wait longer than a Duration holds is cut to the longest
                    assert prepared.until is not None
                    due = at + min(prepared.until - at, MAX_DURATION)
                if due > at:
                    run.wait = _TIMER
                    self._schedule(inst, run, due)
                    return
            elif kind == "wait_event":
                run.wait = _EVENT
                run.event = prepared.event
                return
            elif kind in ACTIVITY_STAGES:
                stage.activities = []
                run.gen = run_activities(kind, prepared.input, self.bank, self.stack)
                if not self._drive_send(inst, run, at, run.gen.__next__):
                    return
            stage.terminated_at = at

    def _drive_send(self, inst: _Instance, run: _Run, at: datetime, advance: _Advance) -> bool:
        """Move the send generator on and attempt its activities; ``True`` when the stage succeeded."""
        stage = inst.stages[-1]
        assert stage.activities is not None
        while True:
            try:
                act = advance()
            except StopIteration:
                run.gen = None
                run.act = None
                return True
            except StageFailed as exc:
                self._fail_child(inst, stage, at, exc.message, exc.message)
                return False
            except ActivityFailure as exc:
                self._fail_child(inst, stage, at, exc.message, "activity error")
                return False
            except Exception as exc:  # a bug in a stage must not wedge the engine
                self._fail_child(inst, stage, at, f"{type(exc).__name__}: {exc}", None)
                return False
            stage.activities.append(_ActivityItem(act.name, act.input, at))
            run.act = act
            run.attempt = 1
            run.last_failure = ""
            next_advance = self._attempt(inst, run, at)
            if next_advance is None:
                return False
            advance = next_advance

    def _attempt(self, inst: _Instance, run: _Run, at: datetime) -> _Advance | None:
        """One attempt of the current activity; what moves the generator on, or ``None`` to wait."""
        act = run.act
        assert act is not None and inst.stages[-1].activities
        item = inst.stages[-1].activities[-1]
        gen = run.gen
        injected = self._take_injection(act.name)
        try:
            if injected is not None:
                raise injected
            output = act.execute()
        except ActivityFailure as failure:
            if failure.retryable:
                run.last_failure = failure.message
                run.fail_version = None if injected is not None else self.bank.version
                due = at + timedelta(seconds=retry_interval(run.attempt))
                run.attempt += 1
                run.wait = _RETRY
                run.due = due
                if self._may_differ(run):
                    self._schedule(inst, run, due)
                else:
                    self._park(inst, run, at)
                return None
            run.wait = _NOTHING
            run.due = None
            item.error = failure.message
            item.terminated_at = at
            caught = failure
            return lambda: gen.throw(caught)
        except Exception as exc:  # a bug in an activity: a non-retryable failure
            return self._attempt_crashed(run, item, at, exc)
        run.wait = _NOTHING
        run.due = None
        item.output = output
        item.terminated_at = at
        return lambda: gen.send(output)

    @staticmethod
    def _attempt_crashed(run: _Run, item: _ActivityItem, at: datetime, exc: Exception) -> _Advance:
        failure = ActivityFailure(f"{type(exc).__name__}: {exc}", retryable=False)
        run.wait = _NOTHING
        run.due = None
        item.error = failure.message
        item.terminated_at = at
        gen = run.gen
        return lambda: gen.throw(failure)

    def _take_injection(self, activity: str) -> ActivityFailure | None:
        queue = self._injections.get(activity)
        if not queue:
            return None
        message, code, retryable = queue.popleft()
        if not queue:
            del self._injections[activity]
        return ActivityFailure(message, error_code=code, retryable=retryable)

    def _may_differ(self, run: _Run) -> bool:
        """Whether the next attempt of a failing activity may not fail the same way."""
        if run.act is not None and run.act.name in self._injections:
            return True
        return run.fail_version is None or run.fail_version != self.bank.version

    def _fail_child(
        self, inst: _Instance, stage: _Stage, at: datetime, error: str, history_error: str | None
    ) -> None:
        stage.terminated_at = at
        stage.error = error
        if history_error is not None and history_error != error:
            stage.history_error = history_error
        self._terminate(inst, at, error, _CHILD_ERROR_TYPE)

    def _terminate(self, inst: _Instance, at: datetime, error: str, error_type: str | None) -> None:
        run = inst.run
        if run is None:
            return
        if run.wait in (_TIMER, _RETRY):
            self._timers.cancel(inst)
        if run.gen is not None:
            with contextlib.suppress(RuntimeError):
                run.gen.close()
        inst.run = None
        inst.terminated_at = at
        inst.error = error
        inst.error_type = error_type
        self._running -= 1

    def _pump(self) -> None:
        """Run every timer due by ``clock.now()``, in due order, each at its due time."""
        now = self.clock.now()
        pumped_to, self._pumped_to = self._pumped_to, now
        self._sync_parked(now if pumped_to is None else pumped_to)  # the bank changed in between
        timers = self._timers
        first = timers.next_due()
        if first is None or first > now:
            return
        try:
            while (item := timers.pop_due(now)) is not None:
                inst, due = item
                self._sim_now = due
                try:
                    self._fire(inst, due)
                except Exception as exc:  # a bug must not leave the instance waiting for ever
                    self._crashed(inst, due, exc)
                self._sync_parked(due)
        finally:
            self._sim_now = None
        self._cond.notify_all()

    def _fire(self, inst: _Instance, due: datetime) -> None:
        """What happens when the instance's timer fires at ``due``: a delay ends, or a retry runs."""
        run = inst.run
        assert run is not None
        if run.wait == _TIMER:
            run.wait = _NOTHING
            run.due = None
            inst.stages[-1].terminated_at = due
            self._continue(inst, due)
        elif run.wait == _RETRY:
            if not self._may_differ(run):
                self._park(inst, run, due)
                return
            advance = self._attempt(inst, run, due)
            if advance is not None and self._drive_send(inst, run, due, advance):
                inst.stages[-1].terminated_at = due
                self._continue(inst, due)

    def _crashed(self, inst: _Instance, at: datetime, exc: Exception) -> None:
        """End an instance whose timer raised (a bug of the fake), with the error as its error."""
        message = f"{type(exc).__name__}: {exc}"
        if inst.stages and inst.stages[-1].terminated_at is None:
            inst.stages[-1].terminated_at = at
            inst.stages[-1].error = message
        self._terminate(inst, at, message, _CHILD_ERROR_TYPE)

    # -----------------------------------------------------------------------------------------------
    # wait=true

    def _wait_until_done(self, inst: _Instance) -> None:
        budget = self.wait_timeout
        started = time.monotonic()
        while True:
            self._pump()
            if self._instances.get(inst.id) is not inst:  # reset() while waiting
                raise ServiceError("Instance not found")
            run = inst.run
            if run is None:
                return
            due, _ = self._retry_state(inst, run)
            if (
                due is not None
                and (run.wait == _TIMER or (run.wait == _RETRY and self._may_differ(run)))
                and self._skip_to(due)
            ):
                continue
            timeout: float | None = None
            if budget is not None:
                timeout = budget - (time.monotonic() - started)
                if timeout <= 0:
                    raise WaitTimeout(
                        f"fakeserver: instance {inst.id} still waiting on {self._waiting_on(run, due)} after "
                        f"{budget:g}s; send the event or abort from another thread, or raise "
                        "Engine.wait_timeout"
                    )
            if due is not None:
                if not self.clock.virtual:
                    left = max((due - self.clock.now()).total_seconds(), 0.0) + 0.001
                    timeout = left if timeout is None else min(timeout, left)
                elif run.wait == _RETRY:
                    timeout = _POLL_SECONDS if timeout is None else min(timeout, _POLL_SECONDS)
            self._cond.wait(timeout)

    def _skip_to(self, due: datetime) -> bool:
        """Move a virtual clock to ``due`` (and run what fell due); ``False`` if it cannot be moved."""
        if not self.clock.virtual:
            return False
        move_to = getattr(self.clock, "set", None)
        if move_to is None:
            return False
        with contextlib.suppress(ValueError):  # another thread moved it past ``due`` already
            move_to(due)
        self._pump()
        return self.clock.now() >= due

    def _waiting_on(self, run: _Run, due: datetime | None) -> str:
        if run.wait == _EVENT:
            return f'the event "{run.event}"'
        if run.wait == _RETRY and run.act is not None:
            return f'a retry of {run.act.name} (last failure: "{run.last_failure}")'
        if due is not None:
            end: datetime | None = getattr(self.clock, "end", None)
            if end is not None and due > end:
                return f"a timer due at {due.isoformat()}, past the virtual clock's end ({end.isoformat()})"
            return f"a timer due at {due.isoformat()}"
        return "the instance"

    @staticmethod
    def _wait_error(inst: _Instance) -> str:
        if not inst.error or inst.error_type is None:
            return inst.error
        return f"{inst.error} (type: {inst.error_type}, retryable: true)"

    # -----------------------------------------------------------------------------------------------
    # Views

    def _instance_view(self, inst: _Instance) -> InstanceView:
        view = inst.view
        if view is not None:
            return view
        status = tuple(
            StageStatusView(
                stage=number,
                instance_id=inst.id,
                started_at=stage.started_at,
                terminated_at=stage.terminated_at,
                error=stage.error,
            )
            for number, stage in enumerate(inst.stages)
        )
        view = InstanceView(
            workflow_id=inst.workflow_id,
            id=inst.id,
            created_at=inst.created_at,
            updated_at=inst.created_at,
            terminated=inst.terminated_at is not None,
            terminated_at=inst.terminated_at,
            error=inst.error,
            status=status or None,
            workflow=self._workflows[inst.workflow_id].view,
        )
        if inst.run is None:
            inst.view = view
        return view

    def _list_view(self, inst: _Instance) -> InstanceView:
        view = inst.list_view
        if view is not None:
            return view
        view = InstanceView(
            workflow_id=inst.workflow_id,
            id=inst.id,
            created_at=inst.created_at,
            updated_at=inst.created_at,
            terminated=inst.terminated_at is not None,
            terminated_at=inst.terminated_at,
            error=inst.error,
            status=None,
            workflow=self._workflows[inst.workflow_id].view,
        )
        if inst.run is None:
            inst.list_view = view
        return view
