"""`OrchestrationClient`: one method per operation of the Formance Orchestration API v1."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Final
from urllib.parse import quote

import requests

from formance_orchestration._auth import TOKEN_PATH, Auth, BearerToken, ClientCredentials
from formance_orchestration._config import (
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_PREFIX,
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT,
    DEFAULT_USER_AGENT,
    UNSET,
    RetryPolicy,
    Timeout,
    TimeoutTypes,
    UnsetType,
)
from formance_orchestration._converter import unstructure
from formance_orchestration._exceptions import WaitTimeoutError
from formance_orchestration._http import Transport, redact_url
from formance_orchestration.models import (
    CreateWorkflowResponse,
    GetWorkflowInstanceHistoryResponse,
    GetWorkflowInstanceHistoryStageResponse,
    GetWorkflowInstanceResponse,
    GetWorkflowResponse,
    ListRunsResponse,
    ListWorkflowsResponse,
    RunWorkflowResponse,
    SendEventRequest,
    ServerInfo,
    WorkflowConfig,
    WorkflowInstance,
)

__all__ = ["DEFAULT_POLL_INTERVAL", "DEFAULT_WAIT_TIMEOUT", "OrchestrationClient"]

#: Seconds `OrchestrationClient.wait_for_instance` waits by default.
DEFAULT_WAIT_TIMEOUT: Final[float] = 60.0
#: Seconds between two polls of `OrchestrationClient.wait_for_instance`.
DEFAULT_POLL_INTERVAL: Final[float] = 1.0

#: Sent with each poll of `wait_for_instance`: the seconds the client will still wait (or ``none``).
#: The real service ignores it; a fake on a virtual clock skips to the instance's next timer within
#: that time and answers with `FAKE_CLOCK_HEADER` and `FAKE_SKIPPED_HEADER`.
WAIT_HEADER: Final[str] = "X-Orchestration-Wait"
FAKE_CLOCK_HEADER: Final[str] = "X-Fake-Clock"
FAKE_SKIPPED_HEADER: Final[str] = "X-Fake-Skipped"
#: Waits end when less than this is left (the hint's resolution; rounding never loops on a nanosecond).
_WAIT_RESOLUTION: Final[float] = 0.001


#: A ``${name}`` placeholder in a workflow's stages (as the service's interpolation reads them).
_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _header_seconds(response: requests.Response, name: str) -> float | None:
    """A header holding seconds, or ``None`` when absent or not a finite number."""
    value = response.headers.get(name)
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) else None


_encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _json(value: Any) -> bytes:
    return _encode_json(value).encode("utf-8")


def _segment(value: str, what: str) -> str:
    """Percent-encode one path segment (every reserved character, ``/`` included)."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{what} must not be empty")
    return quote(value, safe="")


class OrchestrationClient:
    """Client of the Formance Orchestration API v1 (workflows, instances, events, histories).

    Paths are ``<base_url><prefix>/...``; the prefix defaults to ``/api/orchestration`` (the stack's
    gateway). Pass ``prefix=""`` to talk to the service directly. Authenticate with a static
    ``token=``, with OAuth2 client credentials (``client_id=``, ``client_secret=``, optional
    ``token_url=`` defaulting to ``<base_url>/api/auth/oauth/token``), or with any ``auth=`` provider.

    Use it as a context manager (or call `close`) to close the session it created; a session passed
    with ``session=`` belongs to the caller and is never closed.

    Every operation takes a keyword-only ``timeout=`` (a `Timeout`, seconds for every phase, or None
    for no limit) overriding the client's default for that call.

    :param base_url: URL of the stack (or of the service with ``prefix=""``), e.g. ``http://localhost``.
    :param prefix: path prefix of the orchestration service.
    :param token: a static bearer token.
    :param client_id: OAuth2 client id (client credentials grant).
    :param client_secret: OAuth2 client secret.
    :param token_url: OAuth2 token endpoint; defaults to ``<base_url>/api/auth/oauth/token``.
    :param scope: OAuth2 scopes to request, space separated.
    :param auth: a token provider (`BearerToken`, `ClientCredentials` or your own `Auth`).
    :param timeout: default timeouts (`Timeout`, seconds, or None for no limit).
    :param retry: retry policy; None (or ``RetryPolicy.disabled()``) never retries.
    :param session: a `requests.Session` to use and leave open.
    :param verify: TLS verification: True, False, or a CA bundle path.
    :param max_body_size: largest answer body read, in bytes once decompressed (default 64 MiB;
        None = no limit); a larger one raises `BodyTooLargeError`.
    :param user_agent: the User-Agent header.
    :param sleep: sleep function used between retries and polls (injectable for tests).
    :param monotonic: monotonic clock used by `wait_for_instance` and the token cache.
    """

    def __init__(
        self,
        base_url: str = "http://localhost",
        *,
        prefix: str = DEFAULT_PREFIX,
        token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        token_url: str | None = None,
        scope: str | None = None,
        auth: Auth | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = DEFAULT_RETRY,
        session: requests.Session | None = None,
        verify: bool | str = True,
        max_body_size: int | None = DEFAULT_MAX_BODY_SIZE,
        user_agent: str = DEFAULT_USER_AGENT,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            shown = redact_url(str(base_url))
            raise ValueError(f"base_url must be an http:// or https:// URL, got {shown!r}")
        base_url = base_url.rstrip("/")
        prefix = prefix.strip("/")
        prefix = "/" + prefix if prefix else ""
        self._base_url = base_url
        self._prefix = prefix
        self._root = base_url + prefix
        self._sleep = sleep
        self._monotonic = monotonic
        self._closed = False

        given = [name for name, value in (("token", token), ("auth", auth)) if value is not None]
        if client_id is not None or client_secret is not None:
            given.append("client_id/client_secret")
        if len(given) > 1:
            raise ValueError(f"give only one way to authenticate, not {' and '.join(given)}")
        if token is not None:
            auth = BearerToken(token)
        elif client_id is not None or client_secret is not None:
            if not client_id or not client_secret:
                raise ValueError("client credentials need both client_id and client_secret")
            auth = ClientCredentials(
                client_id,
                client_secret,
                token_url or base_url + TOKEN_PATH,
                scope=scope,
                clock=monotonic,
            )
        elif token_url is not None or scope is not None:
            raise ValueError("token_url and scope need client_id and client_secret")

        self._transport = Transport(
            session=session,
            auth=auth,
            timeout=Timeout(timeout),
            retry=retry,
            user_agent=user_agent,
            verify=None if verify is True else verify,
            max_body_size=max_body_size,
            sleep=sleep,
        )

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The base URL (without trailing slash)."""
        return self._base_url

    @property
    def prefix(self) -> str:
        """The path prefix of the service (``""`` when the service is reached directly)."""
        return self._prefix

    @property
    def session(self) -> requests.Session:
        """The `requests.Session` in use."""
        return self._transport.session

    @property
    def auth(self) -> Auth | None:
        """The token provider, or None."""
        return self._transport.auth

    @property
    def timeout(self) -> Timeout:
        """The default timeouts."""
        return self._transport.timeout

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy (``RetryPolicy.disabled()`` when built with ``retry=None``)."""
        return self._transport.retry

    def close(self) -> None:
        """Close the session, unless it was passed in by the caller."""
        if not self._closed:
            self._closed = True
            self._transport.close()

    def __enter__(self) -> OrchestrationClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"OrchestrationClient(base_url={redact_url(self._base_url)!r}, prefix={self._prefix!r}, "
            f"auth={self._transport.auth!r})"
        )

    # -- operations -------------------------------------------------------------------------------

    def get_server_info(self, *, timeout: TimeoutTypes | UnsetType = UNSET) -> ServerInfo:
        """Return the server version (``GET /_info``; the body is not wrapped in ``data``)."""
        return self._transport.call(
            "getServerInfo", "GET", self._root + "/_info", ServerInfo,
            idempotent=True, timeout=timeout, envelope=False,
        )  # fmt: skip

    def list_workflows(self, *, timeout: TimeoutTypes | UnsetType = UNSET) -> ListWorkflowsResponse:
        """List every workflow (``GET /workflows``; no pagination)."""
        return self._transport.call(
            "listWorkflows", "GET", self._root + "/workflows", ListWorkflowsResponse,
            idempotent=True, timeout=timeout,
        )  # fmt: skip

    def create_workflow(
        self, config: WorkflowConfig | Mapping[str, Any], *, timeout: TimeoutTypes | UnsetType = UNSET
    ) -> CreateWorkflowResponse:
        """Create a workflow (``POST /workflows``); a plain mapping is sent as given. Never retried.

        :param config: the workflow config, typed or as a JSON-ready mapping in wire form.
        """
        if isinstance(config, WorkflowConfig):
            payload: Any = unstructure(config)
        elif isinstance(config, Mapping):
            payload = dict(config)
        else:
            raise TypeError(f"config must be a WorkflowConfig or a mapping, not {type(config).__name__}")
        return self._transport.call(
            "createWorkflow", "POST", self._root + "/workflows", CreateWorkflowResponse,
            body=_json(payload), idempotent=False, timeout=timeout,
        )  # fmt: skip

    def get_workflow(self, flow_id: str, *, timeout: TimeoutTypes | UnsetType = UNSET) -> GetWorkflowResponse:
        """Return one workflow (``GET /workflows/{id}``); an unknown id raises `NotFoundError`.

        :param flow_id: the workflow id.
        """
        return self._transport.call(
            "getWorkflow", "GET", self._root + "/workflows/" + _segment(flow_id, "flow_id"),
            GetWorkflowResponse, idempotent=True, timeout=timeout,
        )  # fmt: skip

    def run_workflow(
        self,
        workflow_id: str,
        variables: Mapping[str, str] | None = None,
        *,
        wait: bool | None = None,
        timeout: TimeoutTypes | UnsetType = UNSET,
        check_variables: bool = False,
    ) -> RunWorkflowResponse:
        """Start an instance of a workflow (``POST /workflows/{id}/instances``). Never retried.

        The service replaces a ``${name}`` the run does not give with ``""``, silently. With
        ``check_variables=True`` the client first reads the workflow (``get_workflow``) and raises
        ``ValueError`` naming every ``${name}`` of its stages that ``variables`` lacks.

        With ``wait=True`` the server answers only once the instance has ended (``?wait=true``); the
        read timeout is then `Timeout.wait_read`. The answer's ``error`` is then the wait error
        (absent on success).

        :param workflow_id: the workflow id.
        :param variables: values for the ``${name}`` placeholders; None sends no body.
        :param wait: block until the instance terminates.
        """
        if check_variables:
            stages = unstructure(self.get_workflow(workflow_id, timeout=timeout).data.config)
            missing = sorted(set(_VARIABLE.findall(json.dumps(stages))) - set(variables or {}))
            if missing:
                names = ", ".join("${" + name + "}" for name in missing)
                raise ValueError(f"workflow {workflow_id!r} uses {names}, not given in variables")
        url = self._root + "/workflows/" + _segment(workflow_id, "workflow_id") + "/instances"
        if wait is True:
            url += "?wait=true"
        body = None if variables is None else _json(dict(variables))
        return self._transport.call(
            "runWorkflow", "POST", url, RunWorkflowResponse,
            body=body, idempotent=False, timeout=timeout, wait=wait is True,
        )  # fmt: skip

    def list_instances(
        self,
        workflow_id: str | None = None,
        running: bool | None = None,
        *,
        timeout: TimeoutTypes | UnsetType = UNSET,
    ) -> ListRunsResponse:
        """List instances (``GET /instances``), optionally of one workflow and/or only running ones.

        Items never carry ``status`` (the server does not load it; use `get_instance`).

        :param workflow_id: keep only this workflow's instances (None or "" = every workflow).
        :param running: True sends ``running=true`` (only instances not terminated). None and False
            send nothing and so return every instance: the server has no "terminated only" filter.
        """
        url = self._root + "/instances"
        if workflow_id:
            url += "?workflowID=" + quote(workflow_id, safe="")
            if running is True:
                url += "&running=true"
        elif running is True:
            url += "?running=true"
        return self._transport.call(
            "listInstances", "GET", url, ListRunsResponse, idempotent=True, timeout=timeout
        )

    def get_instance(
        self, instance_id: str, *, timeout: TimeoutTypes | UnsetType = UNSET
    ) -> GetWorkflowInstanceResponse:
        """Return one instance with its stage statuses (``GET /instances/{id}``).

        :param instance_id: the instance id.
        """
        return self._transport.call(
            "getInstance", "GET", self._root + "/instances/" + _segment(instance_id, "instance_id"),
            GetWorkflowInstanceResponse, idempotent=True, timeout=timeout,
        )  # fmt: skip

    def send_event(
        self,
        instance_id: str,
        name: str | SendEventRequest,
        *,
        timeout: TimeoutTypes | UnsetType = UNSET,
    ) -> None:
        """Send an event to the instance's current stage (``POST /instances/{id}/events``, 204).

        Never retried once it may have reached the server.

        Only a ``wait_event`` stage waiting for that name consumes it; otherwise it is lost.

        :param instance_id: the instance id.
        :param name: the event name, or a `SendEventRequest`.
        """
        payload: Any = unstructure(name) if isinstance(name, SendEventRequest) else {"name": name}
        self._transport.call_no_content(
            "sendEvent", "POST",
            self._root + "/instances/" + _segment(instance_id, "instance_id") + "/events",
            body=_json(payload), idempotent=False, timeout=timeout,
        )  # fmt: skip

    def cancel_event(self, instance_id: str, *, timeout: TimeoutTypes | UnsetType = UNSET) -> None:
        """Abort an instance (``PUT /instances/{id}/abort``, 204; also 204 when already terminated).

        :param instance_id: the instance id.
        """
        self._transport.call_no_content(
            "cancelEvent", "PUT",
            self._root + "/instances/" + _segment(instance_id, "instance_id") + "/abort",
            idempotent=True, timeout=timeout,
        )  # fmt: skip

    def get_instance_history(
        self, instance_id: str, *, timeout: TimeoutTypes | UnsetType = UNSET
    ) -> GetWorkflowInstanceHistoryResponse:
        """Return one item per stage started so far (``GET /instances/{id}/history``).

        :param instance_id: the instance id.
        """
        return self._transport.call(
            "getInstanceHistory", "GET",
            self._root + "/instances/" + _segment(instance_id, "instance_id") + "/history",
            GetWorkflowInstanceHistoryResponse, idempotent=True, timeout=timeout,
        )  # fmt: skip

    def get_instance_stage_history(
        self, instance_id: str, number: int, *, timeout: TimeoutTypes | UnsetType = UNSET
    ) -> GetWorkflowInstanceHistoryStageResponse:
        """Return the activities of one stage (``GET /instances/{id}/stages/{number}/history``).

        A stage that has not started (or does not exist) raises `NotFoundError`.

        :param instance_id: the instance id.
        :param number: the stage number, from 0.
        """
        if isinstance(number, bool) or not isinstance(number, int):
            raise TypeError(f"number must be an int, not {type(number).__name__}")
        url = (
            self._root + "/instances/" + _segment(instance_id, "instance_id")
            + "/stages/" + str(number) + "/history"
        )  # fmt: skip
        return self._transport.call(
            "getInstanceStageHistory", "GET", url, GetWorkflowInstanceHistoryStageResponse,
            idempotent=True, timeout=timeout,
        )  # fmt: skip

    # -- helpers ----------------------------------------------------------------------------------

    def wait_for_instance(
        self,
        instance_id: str,
        *,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        request_timeout: TimeoutTypes | UnsetType = UNSET,
    ) -> WorkflowInstance:
        """Poll `get_instance` until the instance is terminated and return it.

        Raises `WaitTimeoutError` (a `TimeoutError`) when ``timeout`` seconds pass first. Errors of
        `get_instance` (e.g. `NotFoundError`) propagate.

        Against the fake on a virtual clock, waiting takes the fake's time: each poll tells the fake
        how long the client will still wait (the `WAIT_HEADER`), the fake skips to the instance's
        next timer within that time, and the client polls again at once; the timeout counts the
        fake's time as well as real time. A real service ignores the header.

        :param instance_id: the instance id.
        :param timeout: seconds to wait in total (None = no limit).
        :param poll_interval: seconds between two polls.
        :param request_timeout: per-request timeout of each poll.
        """
        if not poll_interval > 0:
            raise ValueError("poll_interval must be positive")
        if timeout is not None and (math.isnan(timeout) or timeout < 0):
            raise ValueError("timeout must be >= 0 or None")
        url = self._root + "/instances/" + _segment(instance_id, "instance_id")
        started = self._monotonic()
        limit = math.inf if timeout is None else timeout
        fake_started: float | None = None  # the fake's clock at the first poll, if it sends it
        waited = 0.0
        polls = 0
        while True:
            hint = "none" if timeout is None else f"{max(limit - waited, 0.0):.3f}"
            response = self._transport.send(
                "getInstance", "GET", url, idempotent=True, timeout=request_timeout,
                extra_headers={WAIT_HEADER: hint},
            )  # fmt: skip
            instance = self._transport.decode("getInstance", response, GetWorkflowInstanceResponse).data
            polls += 1
            if instance.terminated:
                return instance
            fake_now = _header_seconds(response, FAKE_CLOCK_HEADER)
            skipped = _header_seconds(response, FAKE_SKIPPED_HEADER) or 0.0
            if fake_now is not None and fake_started is None:
                fake_started = fake_now - skipped
            fake_waited = 0.0 if fake_now is None or fake_started is None else fake_now - fake_started
            waited = max(self._monotonic() - started, fake_waited)
            remaining = limit - waited
            if remaining < _WAIT_RESOLUTION:
                raise WaitTimeoutError(
                    f"instance {instance_id!r} still running after {timeout} s ({polls} polls)",
                    instance_id=instance_id,
                    timeout=float(limit),
                    last=instance,
                )
            if skipped <= 0:  # (the fake skipped to a timer: look again at once)
                self._sleep(min(poll_interval, remaining))
