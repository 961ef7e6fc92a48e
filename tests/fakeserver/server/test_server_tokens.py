"""TokenAuthority in isolation: the OAuth2 token endpoint and the bearer check on a ManualClock."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest

from fakeserver._auth import TokenAuthority
from fakeserver._clock import ManualClock
from fakeserver._types import FakeRequest, FakeResponse

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2023, 6, 1, tzinfo=UTC))


@pytest.fixture
def authority(clock: ManualClock) -> TokenAuthority:
    return TokenAuthority(clock, {"app": "s3cret", "other": "pw:with:colons"}, ttl=60, static_tokens=["tok"])


def token_request(
    form: dict[str, str] | None = None,
    *,
    basic: tuple[str, str] | None = None,
    content_type: str = FORM,
    body: bytes | None = None,
    method: str = "POST",
) -> FakeRequest:
    headers = {"content-type": content_type}
    if basic is not None:
        headers["authorization"] = "Basic " + base64.b64encode(":".join(basic).encode()).decode()
    raw = body if body is not None else urlencode(form or {}).encode()
    return FakeRequest(method=method, path="/api/auth/oauth/token", headers=headers, body=raw)


def json_body(response: FakeResponse) -> Any:
    assert response.headers["content-type"] == "application/json"
    return json.loads(response.body)


def test_client_credentials_in_the_form_get_a_bearer_token(authority: TokenAuthority) -> None:
    response = authority.issue(
        token_request({"grant_type": "client_credentials", "client_id": "app", "client_secret": "s3cret"})
    )
    assert response.status == 200
    assert response.headers["cache-control"] == "no-store"
    payload = json_body(response)
    assert set(payload) == {"access_token", "token_type", "expires_in"}
    assert payload["token_type"] == "Bearer"
    assert payload["expires_in"] == 60
    assert authority.is_authorized("Bearer " + payload["access_token"])
    assert authority.issued == 1


def test_http_basic_credentials_work_too_and_scope_is_echoed(authority: TokenAuthority) -> None:
    response = authority.issue(
        token_request(
            {"grant_type": "client_credentials", "scope": "orchestration:read"},
            basic=("other", "pw:with:colons"),
        )
    )
    assert response.status == 200
    payload = json_body(response)
    assert payload["scope"] == "orchestration:read"
    assert authority.is_authorized(f"bearer {payload['access_token']}")


def test_basic_credentials_may_be_form_encoded_as_rfc6749_says(clock: ManualClock) -> None:
    authority = TokenAuthority(clock, {"my app": "a+b"})
    response = authority.issue(token_request({"grant_type": "client_credentials"}, basic=("my+app", "a%2Bb")))
    assert response.status == 200


def test_tokens_expire_on_the_fakes_clock(authority: TokenAuthority, clock: ManualClock) -> None:
    token = authority.create_token("app")
    assert authority.expires_at(token) == datetime(2023, 6, 1, 0, 1, tzinfo=UTC)
    clock.advance(59)
    assert authority.is_authorized(f"Bearer {token}")
    clock.advance(1)
    assert not authority.is_authorized(f"Bearer {token}")


def test_static_tokens_never_expire(authority: TokenAuthority, clock: ManualClock) -> None:
    clock.advance(10**6)
    assert authority.is_authorized("Bearer tok")


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic tok", "tok", "Bearer nope"])
def test_missing_or_malformed_authorization_is_refused(authority: TokenAuthority, header: str | None) -> None:
    assert not authority.is_authorized(header)


def test_revoke_and_reset(authority: TokenAuthority) -> None:
    one, two = authority.create_token(), authority.create_token()
    authority.revoke(one)
    assert not authority.is_authorized(f"Bearer {one}")
    assert authority.is_authorized(f"Bearer {two}")
    authority.reset()
    assert not authority.is_authorized(f"Bearer {two}")
    assert authority.issued == 0
    assert authority.is_authorized("Bearer tok")


@pytest.mark.parametrize(
    ("form", "basic", "error"),
    [
        (
            {"grant_type": "client_credentials", "client_id": "app", "client_secret": "wrong"},
            None,
            "invalid_client",
        ),
        (
            {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "s3cret"},
            None,
            "invalid_client",
        ),
        ({"grant_type": "client_credentials"}, None, "invalid_client"),
        ({"grant_type": "client_credentials"}, ("app", "wrong"), "invalid_client"),
    ],
)
def test_bad_client_credentials_are_invalid_client(
    authority: TokenAuthority, form: dict[str, str], basic: tuple[str, str] | None, error: str
) -> None:
    response = authority.issue(token_request(form, basic=basic))
    assert response.status == 401
    assert response.headers["www-authenticate"].startswith("Basic")
    payload = json_body(response)
    assert payload["error"] == error
    assert payload["error_description"]
    assert authority.issued == 0


def test_malformed_basic_header_is_invalid_client(authority: TokenAuthority) -> None:
    request = FakeRequest(
        method="POST",
        path="/api/auth/oauth/token",
        headers={"content-type": FORM, "authorization": "Basic !!!not-base64"},
        body=b"grant_type=client_credentials",
    )
    response = authority.issue(request)
    assert response.status == 401
    assert json_body(response)["error"] == "invalid_client"


@pytest.mark.parametrize("grant", ["password", "authorization_code", "refresh_token"])
def test_other_grants_are_unsupported(authority: TokenAuthority, grant: str) -> None:
    form = {"grant_type": grant, "client_id": "app", "client_secret": "s3cret"}
    response = authority.issue(token_request(form))
    assert response.status == 400
    assert json_body(response)["error"] == "unsupported_grant_type"


@pytest.mark.parametrize(
    "request_",
    [
        token_request({"client_id": "app", "client_secret": "s3cret"}),
        token_request({"grant_type": ""}),
        token_request(body=b"grant_type=client_credentials&grant_type=client_credentials"),
        token_request(content_type="application/json", body=b'{"grant_type": "client_credentials"}'),
        token_request(body=b"\xff\xfe"),
        token_request(
            {"grant_type": "client_credentials", "client_secret": "s3cret"}, basic=("app", "s3cret")
        ),
    ],
    ids=["no-grant", "empty-grant", "repeated", "json", "not-utf8", "two-methods"],
)
def test_malformed_token_requests_are_invalid_request(
    authority: TokenAuthority, request_: FakeRequest
) -> None:
    response = authority.issue(request_)
    assert response.status == 400
    assert json_body(response)["error"] == "invalid_request"


def test_form_content_type_with_charset_is_accepted(authority: TokenAuthority) -> None:
    response = authority.issue(
        token_request(
            {"grant_type": "client_credentials", "client_id": "app", "client_secret": "s3cret"},
            content_type=FORM + "; charset=utf-8",
        )
    )
    assert response.status == 200


def test_only_post_is_served(authority: TokenAuthority) -> None:
    response = authority.issue(token_request(method="GET"))
    assert response.status == 405
    assert response.headers["allow"] == "POST"
    assert response.body == b""


def test_a_non_positive_ttl_is_refused(clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="ttl"):
        TokenAuthority(clock, {}, ttl=0)
