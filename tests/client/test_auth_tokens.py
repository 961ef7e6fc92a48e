"""Static bearer tokens and OAuth2 client credentials (fetch, cache, expiry, 401 refetch, secrets)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import responses

from formance_orchestration._auth import Auth, BearerToken, ClientCredentials, Secret, TokenFetcher
from formance_orchestration._client import OrchestrationClient
from formance_orchestration._exceptions import (
    AuthenticationError,
    ConnectionFailed,
    DecodeError,
    OrchestrationError,
    ServerError,
)

BASE = "http://orch.test"
ROOT = BASE + "/api/orchestration"
TOKEN_URL = BASE + "/api/auth/oauth/token"
SECRET = "s3cr3t-CLIENT-value"
MakeClient = Callable[..., OrchestrationClient]


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TokenServer:
    """Answers the token endpoint with tok-1, tok-2, ... and records the forms it received."""

    def __init__(self, rsps: responses.RequestsMock, *, expires_in: Any = 3600, url: str = TOKEN_URL) -> None:
        self.forms: list[dict[str, list[str]]] = []
        self.requests: list[requests.PreparedRequest] = []
        self.expires_in = expires_in
        self.delay = 0.0
        rsps.add_callback(responses.POST, url, callback=self._answer)

    def _answer(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        if self.delay:
            time.sleep(self.delay)
        body = request.body if isinstance(request.body, str) else (request.body or b"").decode()
        self.forms.append(parse_qs(body))
        self.requests.append(request)
        token: dict[str, Any] = {"access_token": f"tok-{len(self.forms)}", "token_type": "Bearer"}
        if self.expires_in is not None:
            token["expires_in"] = self.expires_in
        return 200, {"Content-Type": "application/json"}, json.dumps(token)

    @property
    def count(self) -> int:
        return len(self.forms)


def api_auth(rsps: responses.RequestsMock) -> list[str]:
    """The Authorization headers the API calls carried (token calls excluded)."""
    return [
        c.request.headers.get("Authorization", "")
        for c in rsps.calls
        if not (c.request.url or "").endswith("/oauth/token")
    ]


class TestStaticToken:
    def test_sent_on_every_request(self, make_client: MakeClient, rsps: responses.RequestsMock) -> None:
        client = make_client(token="tok-static")
        rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
        rsps.add(responses.POST, ROOT + "/instances/i/events", status=204)
        rsps.add(responses.PUT, ROOT + "/instances/i/abort", status=204)
        client.list_workflows()
        client.send_event("i", "go")
        client.cancel_event("i")
        assert api_auth(rsps) == ["Bearer tok-static"] * 3

    def test_401_is_final(self, make_client: MakeClient, rsps: responses.RequestsMock) -> None:
        client = make_client(token="tok-static")
        rsps.add(responses.GET, ROOT + "/workflows", status=401, body="")
        with pytest.raises(AuthenticationError) as info:
            client.list_workflows()
        assert info.value.status_code == 401
        assert len(rsps.calls) == 1

    def test_403(self, make_client: MakeClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.GET, ROOT + "/workflows", status=403, body="forbidden")
        with pytest.raises(AuthenticationError):
            make_client(token="t").list_workflows()

    def test_no_auth_sends_no_header(self, client: OrchestrationClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
        client.list_workflows()
        assert api_auth(rsps) == [""]

    def test_netrc_cannot_replace_the_token(
        self,
        make_client: MakeClient,
        rsps: responses.RequestsMock,
        tmp_path: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        netrc = tmp_path / "netrc"
        netrc.write_text("machine orch.test login someone password other\n")
        netrc.chmod(0o600)
        monkeypatch.setenv("NETRC", str(netrc))
        rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
        make_client(token="tok-static").list_workflows()
        assert api_auth(rsps) == ["Bearer tok-static"]

    def test_custom_provider(self, make_client: MakeClient, rsps: responses.RequestsMock) -> None:
        class Rotating(Auth):
            def __init__(self) -> None:
                self.n = 0

            def authorization(self, fetch: TokenFetcher) -> str:
                self.n += 1
                return f"Custom {self.n}"

        rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
        client = make_client(auth=Rotating())
        client.list_workflows()
        client.list_workflows()
        assert api_auth(rsps) == ["Custom 1", "Custom 2"]


class TestClientCredentials:
    def test_first_use_fetches_a_token(self, make_client: MakeClient, rsps: responses.RequestsMock) -> None:
        tokens = TokenServer(rsps)
        rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
        client = make_client(client_id="my-client", client_secret=SECRET)
        assert tokens.count == 0  # nothing fetched before the first request
        client.list_workflows()
        assert tokens.forms == [
            {"grant_type": ["client_credentials"], "client_id": ["my-client"], "client_secret": [SECRET]}
        ]
        token_request = tokens.requests[0]
        assert token_request.method == "POST"
        assert token_request.url == TOKEN_URL
        assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert token_request.headers["Accept"] == "application/json"
        assert "Authorization" not in token_request.headers  # credentials go in the form body
        assert api_auth(rsps) == ["Bearer tok-1"]

    def test_token_url_and_scope(self, make_client: MakeClient, rsps: responses.RequestsMock) -> None:
        tokens = TokenServer(rsps, url="https://auth.example.com/oauth/token")
        rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
        client = make_client(
            client_id="c", client_secret=SECRET, token_url="https://auth.example.com/oauth/token", scope="a b"
        )
        client.list_workflows()
        assert tokens.forms[0]["scope"] == ["a b"]

    def test_token_url_follows_base_url_not_prefix(
        self, make_client: MakeClient, rsps: responses.RequestsMock
    ) -> None:
        tokens = TokenServer(rsps, url="http://stack:8080/api/auth/oauth/token")
        rsps.add(responses.GET, "http://stack:8080/workflows", json={"data": []})
        client = make_client(base_url="http://stack:8080/", prefix="", client_id="c", client_secret=SECRET)
        client.list_workflows()
        assert tokens.count == 1

    def test_token_is_cached(self, make_client: MakeClient, rsps: responses.RequestsMock) -> None:
        tokens = TokenServer(rsps)
        rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
        rsps.add(responses.POST, ROOT + "/workflows", status=201, json={"data": None})
        client = make_client(client_id="c", client_secret=SECRET)
        for _ in range(3):
            client.list_workflows()
        assert tokens.count == 1
        assert api_auth(rsps) == ["Bearer tok-1"] * 3

    def test_renewed_shortly_before_expiry(
        self, make_client: MakeClient, rsps: responses.RequestsMock
    ) -> None:
        clock = Clock()
        tokens = TokenServer(rsps, expires_in=3600)
        rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
        client = make_client(client_id="c", client_secret=SECRET, monotonic=clock)
        client.list_workflows()
        clock.now += 3569  # 31 s left: still good
        client.list_workflows()
        assert tokens.count == 1
        clock.now += 2  # 29 s left: within the 30 s margin
        client.list_workflows()
        assert tokens.count == 2
        assert api_auth(rsps) == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]

    def test_short_lifetime_margin_is_a_tenth(
        self, make_client: MakeClient, rsps: responses.RequestsMock
    ) -> None:
        clock = Clock()
        tokens = TokenServer(rsps, expires_in="60")  # numeric strings are accepted
        rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
        client = make_client(client_id="c", client_secret=SECRET, monotonic=clock)
        client.list_workflows()
        clock.now += 53.9
        client.list_workflows()
        assert tokens.count == 1
        clock.now += 0.2
        client.list_workflows()
        assert tokens.count == 2

    def test_without_expires_in_kept_until_401(
        self, make_client: MakeClient, rsps: responses.RequestsMock
    ) -> None:
        clock = Clock()
        tokens = TokenServer(rsps, expires_in=None)
        rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
        client = make_client(client_id="c", client_secret=SECRET, monotonic=clock)
        client.list_workflows()
        clock.now += 10**9
        client.list_workflows()
        assert tokens.count == 1

    def test_401_refetches_once_and_resends(
        self, make_client: MakeClient, rsps: responses.RequestsMock
    ) -> None:
        tokens = TokenServer(rsps)
        rsps.add(responses.GET, ROOT + "/workflows", status=401, body="")
        rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
        client = make_client(client_id="c", client_secret=SECRET)
        assert client.list_workflows().data == []
        assert tokens.count == 2
        assert api_auth(rsps) == ["Bearer tok-1", "Bearer tok-2"]

    def test_401_on_a_post_is_resent_once(
        self, make_client: MakeClient, rsps: responses.RequestsMock, sleeps: list[float]
    ) -> None:
        tokens = TokenServer(rsps)
        rsps.add(responses.POST, ROOT + "/instances/i/events", status=401, body="")
        rsps.add(responses.POST, ROOT + "/instances/i/events", status=204)
        client = make_client(client_id="c", client_secret=SECRET)
        client.send_event("i", "go")
        assert tokens.count == 2
        assert api_auth(rsps) == ["Bearer tok-1", "Bearer tok-2"]
        assert [c.request.body for c in rsps.calls if (c.request.url or "").endswith("/events")] == [
            b'{"name":"go"}'
        ] * 2
        assert sleeps == []

    def test_second_401_raises(self, make_client: MakeClient, rsps: responses.RequestsMock) -> None:
        tokens = TokenServer(rsps)
        rsps.add(responses.GET, ROOT + "/workflows", status=401, body="")
        client = make_client(client_id="c", client_secret=SECRET)
        with pytest.raises(AuthenticationError) as info:
            client.list_workflows()
        assert info.value.operation == "listWorkflows"
        assert tokens.count == 2
        assert api_auth(rsps) == ["Bearer tok-1", "Bearer tok-2"]

    def test_each_request_gets_its_own_single_refetch(
        self, make_client: MakeClient, rsps: responses.RequestsMock
    ) -> None:
        tokens = TokenServer(rsps)
        rsps.add(responses.GET, ROOT + "/workflows", status=401, body="")
        client = make_client(client_id="c", client_secret=SECRET)
        for _ in range(2):
            with pytest.raises(AuthenticationError):
                client.list_workflows()
        assert tokens.count == 3  # first fetch, then one refetch per request (the 2nd request reuses tok-2)

    @pytest.mark.parametrize(
        ("status", "body", "code", "message"),
        [
            (
                401,
                {"error": "invalid_client", "error_description": "bad secret"},
                "invalid_client",
                "bad secret",
            ),
            (400, {"error": "invalid_request"}, "invalid_request", None),
            (403, {}, None, None),
        ],
    )
    def test_bad_credentials(
        self,
        make_client: MakeClient,
        rsps: responses.RequestsMock,
        status: int,
        body: dict[str, str],
        code: str | None,
        message: str | None,
    ) -> None:
        rsps.add(responses.POST, TOKEN_URL, status=status, json=body)
        rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
        client = make_client(client_id="c", client_secret=SECRET)
        with pytest.raises(AuthenticationError) as info:
            client.list_workflows()
        err = info.value
        assert err.operation == "fetchToken"
        assert err.status_code == status
        assert (err.error_code, err.error_message) == (code, message)
        assert err.method == "POST" and err.url == TOKEN_URL
        assert len(rsps.calls) == 1  # the API was never called, the token request not retried
        assert SECRET not in str(err) and SECRET not in repr(err)

    def test_token_endpoint_retried_like_a_get(
        self, make_client: MakeClient, rsps: responses.RequestsMock, sleeps: list[float]
    ) -> None:
        rsps.add(responses.POST, TOKEN_URL, status=503, body="")
        rsps.add(responses.POST, TOKEN_URL, body=requests.ConnectionError("reset"))
        rsps.add(responses.POST, TOKEN_URL, json={"access_token": "tok-x", "expires_in": 60})
        rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
        make_client(client_id="c", client_secret=SECRET).list_workflows()
        assert sleeps == [0.5, 1.0]
        assert api_auth(rsps) == ["Bearer tok-x"]

    def test_token_endpoint_5xx_is_a_server_error(
        self, make_client: MakeClient, rsps: responses.RequestsMock
    ) -> None:
        rsps.add(responses.POST, TOKEN_URL, status=500, body="")
        with pytest.raises(ServerError) as info:
            make_client(client_id="c", client_secret=SECRET).list_workflows()
        assert info.value.operation == "fetchToken"

    def test_token_endpoint_unreachable(self, make_client: MakeClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.POST, TOKEN_URL, body=requests.ConnectionError("refused"))
        with pytest.raises(ConnectionFailed, match="fetchToken"):
            make_client(client_id="c", client_secret=SECRET, retry=None).list_workflows()

    @pytest.mark.parametrize(
        "body",
        ["not json", "[]", '{"token_type": "Bearer"}', '{"access_token": ""}', '{"access_token": 5}'],
    )
    def test_unusable_token_answer(
        self, make_client: MakeClient, rsps: responses.RequestsMock, body: str
    ) -> None:
        rsps.add(responses.POST, TOKEN_URL, body=body, content_type="application/json")
        with pytest.raises(DecodeError, match="fetchToken") as info:
            make_client(client_id="c", client_secret=SECRET).list_workflows()
        assert info.value.operation == "fetchToken"

    def test_failed_fetch_is_not_cached(self, make_client: MakeClient, rsps: responses.RequestsMock) -> None:
        rsps.add(responses.POST, TOKEN_URL, status=401, json={"error": "invalid_client"})
        rsps.add(responses.POST, TOKEN_URL, json={"access_token": "tok-late"})
        rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
        client = make_client(client_id="c", client_secret=SECRET)
        with pytest.raises(AuthenticationError):
            client.list_workflows()
        client.list_workflows()
        assert api_auth(rsps) == ["Bearer tok-late"]

    def test_concurrent_first_use_fetches_once(
        self, make_client: MakeClient, rsps: responses.RequestsMock
    ) -> None:
        tokens = TokenServer(rsps)
        tokens.delay = 0.05  # keep the first fetch in flight while the other threads arrive
        rsps.add(responses.GET, ROOT + "/workflows", json={"data": []})
        client = make_client(client_id="c", client_secret=SECRET)
        errors: list[BaseException] = []
        start = threading.Barrier(8)

        def work() -> None:
            try:
                start.wait()
                client.list_workflows()
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert tokens.count == 1
        assert api_auth(rsps) == ["Bearer tok-1"] * 8


class TestProviderUnits:
    def test_refresh_on_401_keeps_a_newer_token(self) -> None:
        answers = iter(["A", "B", "C"])

        def fetch(url: str, form: Mapping[str, str]) -> Mapping[str, Any]:
            return {"access_token": next(answers), "expires_in": 3600}

        auth = ClientCredentials("c", SECRET, TOKEN_URL)
        assert auth.authorization(fetch) == "Bearer A"
        assert auth.refresh_on_401("Bearer A") is True
        assert auth.authorization(fetch) == "Bearer B"
        # a thread that still holds the stale token reports its 401: the newer token stays
        auth.refresh_on_401("Bearer A")
        assert auth.authorization(fetch) == "Bearer B"
        auth.invalidate()
        assert auth.authorization(fetch) == "Bearer C"
        assert auth.fetch_count == 3

    def test_static_token_never_refreshes(self) -> None:
        auth = BearerToken("abc")
        assert auth.authorization(lambda url, form: {}) == "Bearer abc"
        assert auth.refresh_on_401("Bearer abc") is False
        assert auth.refreshable is False

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"client_id": "", "client_secret": "s", "token_url": "u"},
            {"client_id": "c", "client_secret": "", "token_url": "u"},
            {"client_id": "c", "client_secret": "s", "token_url": ""},
            {"client_id": "c", "client_secret": "s", "token_url": "u", "leeway": -1},
        ],
    )
    def test_client_credentials_validation(self, kwargs: dict[str, Any]) -> None:
        with pytest.raises(ValueError):
            ClientCredentials(**kwargs)

    def test_empty_token_refused(self) -> None:
        with pytest.raises(ValueError):
            BearerToken("")

    def test_secret_wrapper(self) -> None:
        secret = Secret("hunter2")
        assert secret.reveal() == "hunter2"
        assert "hunter2" not in repr(secret) and "hunter2" not in str(secret)
        assert secret == Secret("hunter2") and secret != Secret("other")


class TestClientOptions:
    @pytest.mark.parametrize(
        "kwargs",
        [
            {"token": "t", "client_id": "c", "client_secret": "s"},
            {"token": "t", "auth": BearerToken("x")},
            {"client_id": "c"},
            {"client_secret": "s"},
            {"token_url": "http://x/token"},
            {"scope": "a"},
        ],
    )
    def test_conflicting_or_incomplete_options(self, kwargs: dict[str, Any]) -> None:
        with pytest.raises(ValueError):
            OrchestrationClient(BASE, **kwargs)

    def test_auth_property(self) -> None:
        client = OrchestrationClient(BASE, client_id="c", client_secret=SECRET)
        assert isinstance(client.auth, ClientCredentials)
        assert client.auth.token_url == TOKEN_URL
        assert client.auth.client_id == "c"
        assert OrchestrationClient(BASE).auth is None
        client.close()


def test_secrets_never_leak(
    make_client: MakeClient, rsps: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token_value = "tok-LEAK-CANARY"
    rsps.add(responses.POST, TOKEN_URL, json={"access_token": token_value, "expires_in": 3600})
    rsps.add(responses.GET, ROOT + "/workflows", status=401, body="")
    not_found = {"errorCode": "INTERNAL_ERROR", "errorMessage": "Instance not found"}
    rsps.add(responses.GET, ROOT + "/instances/x", status=500, json=not_found)
    rsps.add(responses.GET, ROOT + "/_info", body=requests.ConnectionError("reset"))
    client = make_client(client_id="c", client_secret=SECRET, retry=None)
    static = make_client(token="static-LEAK-CANARY")
    texts = [repr(client), repr(client.auth), repr(static), repr(static.auth), str(client.auth)]
    for call in (client.list_workflows, lambda: client.get_instance("x"), client.get_server_info):
        with pytest.raises(OrchestrationError) as info:
            call()
        texts += [str(info.value), repr(info.value)]
    assert isinstance(client.auth, ClientCredentials)
    client.auth.invalidate()
    rsps.replace(responses.POST, TOKEN_URL, status=401, json={"error": "invalid_client"})
    with pytest.raises(AuthenticationError) as info:
        client.list_workflows()
    texts += [str(info.value), repr(info.value), caplog.text]
    joined = "\n".join(texts)
    for secret in (SECRET, token_value, "static-LEAK-CANARY"):
        assert secret not in joined
