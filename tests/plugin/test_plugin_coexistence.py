"""The fixtures next to other HTTP mocks and real servers (issue 15, item 3), run in an inner pytest."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

_ARGS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


def test_responses_activate_in_the_test_still_reaches_the_fake(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import requests
        import responses

        @responses.activate
        def test_both(orchestration_client):
            responses.get("http://payments.test/ping", json={"ok": True})
            assert requests.get("http://payments.test/ping").json() == {"ok": True}
            assert orchestration_client.list_workflows().data == []

        def test_the_default_mock_is_left_clean(orchestration_fake):
            import responses
            assert responses.mock.registered() != []  # this test's fake, only
            assert len(responses.mock.registered()) == 1

        def test_nothing_left_after_the_fixtures():
            import responses
            assert responses.mock.registered() == []
        """
    )
    pytester.runpytest_inprocess(*_ARGS).assert_outcomes(passed=3)


def test_a_real_server_is_refused_with_the_fix_named_then_let_through(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        import requests

        def test_refused(orchestration_fake, orchestration_server):
            with pytest.raises(requests.ConnectionError) as refused:
                requests.get(orchestration_server.url + "/_fake/version", timeout=5)
            message = str(refused.value)
            assert "is not a call to the Orchestration fake" in message
            assert "orchestration_fake.mock.add_passthru" in message
            assert "Connection refused by Responses" in message  # responses' own text is kept

        def test_let_through(orchestration_fake, orchestration_server):
            orchestration_fake.mock.add_passthru("http://127.0.0.1")
            assert requests.get(orchestration_server.url + "/_fake/version", timeout=5).status_code == 200
        """
    )
    pytester.runpytest_inprocess(*_ARGS).assert_outcomes(passed=2)


def test_a_tests_own_requests_mock_takes_the_fake_route(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import requests
        import responses

        def test_own_mock(orchestration_fake, orchestration_client):
            with responses.RequestsMock() as mock:
                orchestration_fake.register(mock)
                mock.get("http://payments.test/ping", json={"ok": True})
                assert requests.get("http://payments.test/ping").json() == {"ok": True}
                assert orchestration_client.list_workflows().data == []
        """
    )
    pytester.runpytest_inprocess(*_ARGS).assert_outcomes(passed=1)
