"""Auth over real HTTP: the gateway's 401, the OAuth2 token endpoint, and the client's token refresh."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from fakeserver._app import FakeApp
from fakeserver._auth import TokenAuthority
from fakeserver._clock import ManualClock
from fakeserver._engine import Engine
from fakeserver.server import FakeServer
from formance_orchestration._client import OrchestrationClient
from formance_orchestration._exceptions import AuthenticationError

TOKEN_URL = "/api/auth/oauth/token"
CREDENTIALS = {"grant_type": "client_credentials", "client_id": "app", "client_secret": "s3cret"}


@pytest.fixture
def server() -> Iterator[FakeServer]:
    clock = ManualClock()
    authority = TokenAuthority(clock, {"app": "s3cret"}, ttl=60, static_tokens=["static-token"])
    with FakeServer(FakeApp(Engine(clock=clock, stack_version="v1.0"), auth=authority)) as running:
        yield running


@pytest.fixture
def authority(server: FakeServer) -> TokenAuthority:
    assert server.auth is not None
    return server.auth


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def fetch_token(server: FakeServer, http: requests.Session) -> str:
    response = http.post(server.url + TOKEN_URL, data=CREDENTIALS, timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    payload = response.json()
    assert payload["token_type"] == "Bearer"
    assert payload["expires_in"] == 60
    return str(payload["access_token"])


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic YXBwOnMzY3JldA==", "static-token"])
def test_calls_without_a_valid_token_get_an_empty_401(
    server: FakeServer, http: requests.Session, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    for path in ("/api/orchestration/workflows", "/workflows", "/api/orchestration/nope"):
        response = http.get(server.url + path, headers=headers, timeout=5)
        assert response.status_code == 401
        assert response.content == b""
        assert response.headers["Content-Length"] == "0"
    assert [call.status for call in server.calls] == [401, 401, 401]
    assert server.calls[0].operation == "listWorkflows"


def test_a_static_token_is_accepted(server: FakeServer, http: requests.Session) -> None:
    response = http.get(
        server.url + "/api/orchestration/_info", headers={"Authorization": "Bearer static-token"}, timeout=5
    )
    assert response.status_code == 200
    assert response.json() == {"version": "develop"}


def test_an_issued_token_works_until_it_expires_on_the_fake_clock(
    server: FakeServer, http: requests.Session
) -> None:
    token = fetch_token(server, http)
    headers = {"Authorization": f"Bearer {token}"}
    assert http.get(server.url + "/workflows", headers=headers, timeout=5).status_code == 200
    server.advance(59)
    assert http.get(server.url + "/workflows", headers=headers, timeout=5).status_code == 200
    server.advance(1)
    assert http.get(server.url + "/workflows", headers=headers, timeout=5).status_code == 401


def test_the_token_endpoint_refuses_bad_requests_with_oauth2_errors(
    server: FakeServer, http: requests.Session
) -> None:
    wrong = http.post(server.url + TOKEN_URL, data={**CREDENTIALS, "client_secret": "x"}, timeout=5)
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    assert "WWW-Authenticate" in wrong.headers
    grant = http.post(server.url + TOKEN_URL, data={**CREDENTIALS, "grant_type": "password"}, timeout=5)
    assert (grant.status_code, grant.json()["error"]) == (400, "unsupported_grant_type")
    as_json = http.post(server.url + TOKEN_URL, json=CREDENTIALS, timeout=5)
    assert (as_json.status_code, as_json.json()["error"]) == (400, "invalid_request")
    basic = http.post(
        server.url + TOKEN_URL, data={"grant_type": "client_credentials"}, auth=("app", "s3cret"), timeout=5
    )
    assert basic.status_code == 200


def test_the_call_log_over_http_masks_credentials(server: FakeServer, http: requests.Session) -> None:
    token = fetch_token(server, http)
    http.get(server.url + "/workflows", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    bearer = {"Authorization": f"Bearer {token}"}
    listed = http.get(server.url + "/_fake/calls", headers=bearer, timeout=5).json()["data"]
    assert listed[0]["body"] == "grant_type=client_credentials&client_id=app&client_secret=***"
    assert listed[1]["headers"]["authorization"] == "Bearer ***"
    assert "s3cret" not in str(listed) and token not in str(listed)
    assert server.calls[1].headers["authorization"] == f"Bearer {token}"  # Python sees everything


def test_the_control_api_needs_the_api_token(server: FakeServer, http: requests.Session) -> None:
    # before: the whole control API (state dump, calls, reset, revoke, clock) answered without a token
    for path in ("/_fake/clock", "/api/orchestration/_fake/state", "/_fake/calls"):
        refused = http.get(server.url + path, timeout=5)
        assert refused.status_code == 401, path
        assert refused.headers["WWW-Authenticate"] == 'Bearer realm="fakeserver"'
        assert refused.json()["errorCode"] == "FAKE_UNAUTHORIZED"
    for method, path in (("POST", "/_fake/reset"), ("POST", "/api/orchestration/_fake/auth/revoke")):
        assert http.request(method, server.url + path, timeout=5).status_code == 401
    bearer = {"Authorization": "Bearer " + fetch_token(server, http)}
    assert http.get(server.url + "/_fake/clock", headers=bearer, timeout=5).status_code == 200
    forged = {"Authorization": "Bearer not-a-token"}
    assert (
        http.get(server.url + "/api/orchestration/_fake/clock", headers=forged, timeout=5).status_code == 401
    )


def test_revoking_tokens_over_the_control_api(server: FakeServer, http: requests.Session) -> None:
    first, second = fetch_token(server, http), fetch_token(server, http)
    bearer = {"Authorization": f"Bearer {second}"}
    revoked = http.post(server.url + "/_fake/auth/revoke", json={"token": first}, headers=bearer, timeout=5)
    assert revoked.status_code == 200
    assert (
        http.get(
            server.url + "/workflows", headers={"Authorization": f"Bearer {first}"}, timeout=5
        ).status_code
        == 401
    )
    assert (
        http.get(
            server.url + "/workflows", headers={"Authorization": f"Bearer {second}"}, timeout=5
        ).status_code
        == 200
    )
    revoked = http.post(server.url + "/_fake/auth/revoke", headers=bearer, timeout=5)
    assert revoked.json() == {"data": {"revoked": True}}
    assert (
        http.get(
            server.url + "/workflows", headers={"Authorization": f"Bearer {second}"}, timeout=5
        ).status_code
        == 401
    )


def test_reset_forgets_issued_tokens(server: FakeServer, http: requests.Session) -> None:
    token = fetch_token(server, http)
    bearer = {"Authorization": f"Bearer {token}"}
    assert http.post(server.url + "/_fake/reset", headers=bearer, timeout=5).status_code == 200
    assert (
        http.get(
            server.url + "/workflows", headers={"Authorization": f"Bearer {token}"}, timeout=5
        ).status_code
        == 401
    )


def test_the_client_fetches_a_token_once_and_reuses_it(server: FakeServer, authority: TokenAuthority) -> None:
    with OrchestrationClient(server.url, client_id="app", client_secret="s3cret") as client:
        assert client.list_workflows().data == []
        assert client.get_server_info().version == "develop"
    assert authority.issued == 1
    assert [call.status for call in server.calls] == [200, 200, 200]
    token_call, first, second = server.calls
    assert token_call.path == TOKEN_URL
    assert first.headers["authorization"] == second.headers["authorization"]


def test_the_client_refetches_after_the_token_expires_on_the_fake_clock(
    server: FakeServer, authority: TokenAuthority
) -> None:
    with OrchestrationClient(server.url, client_id="app", client_secret="s3cret") as client:
        client.list_workflows()
        server.advance(61)
        assert client.list_workflows().data == []
    assert authority.issued == 2
    statuses = [(call.path, call.status) for call in server.calls]
    assert statuses == [
        (TOKEN_URL, 200),
        ("/api/orchestration/workflows", 200),
        ("/api/orchestration/workflows", 401),
        (TOKEN_URL, 200),
        ("/api/orchestration/workflows", 200),
    ]
    assert server.calls[1].headers["authorization"] != server.calls[4].headers["authorization"]


def test_the_client_with_wrong_credentials_gets_an_authentication_error(
    server: FakeServer, authority: TokenAuthority
) -> None:
    with (
        OrchestrationClient(server.url, client_id="app", client_secret="wrong") as client,
        pytest.raises(AuthenticationError),
    ):
        client.list_workflows()
    assert authority.issued == 0


def test_the_client_with_a_static_token(server: FakeServer) -> None:
    with OrchestrationClient(server.url, token="static-token") as client:
        assert client.get_server_info().version == "develop"
    with OrchestrationClient(server.url, token="other") as client, pytest.raises(AuthenticationError):
        client.get_server_info()


def test_without_auth_there_is_no_token_endpoint_and_no_check(http: requests.Session) -> None:
    with FakeServer() as open_server:
        assert http.get(open_server.url + "/workflows", timeout=5).status_code == 200
        response = http.post(open_server.url + TOKEN_URL, data=CREDENTIALS, timeout=5)
        assert response.status_code == 404
        assert response.text == "404 page not found\n"
