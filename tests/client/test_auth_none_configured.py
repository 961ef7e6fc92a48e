"""A 401 for a client without credentials says none were configured (issue 15, item 6)."""

from __future__ import annotations

import pytest
import responses

from formance_orchestration import AuthenticationError, OrchestrationClient


@responses.activate
def test_a_401_without_credentials_says_so() -> None:
    responses.get("http://auth.test/api/orchestration/_info", status=401)
    with OrchestrationClient("http://auth.test") as bare, pytest.raises(AuthenticationError) as refused:
        bare.get_server_info()
    assert "this client has no credentials" in str(refused.value)
    with (
        OrchestrationClient("http://auth.test", token="t0k") as tokened,
        pytest.raises(AuthenticationError) as refused,
    ):
        tokened.get_server_info()
    assert "no credentials" not in str(refused.value) and "t0k" not in str(refused.value)
