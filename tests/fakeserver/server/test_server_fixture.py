"""The ``orchestration_server`` fixture (session server, reset per test), run in an inner pytest."""

from __future__ import annotations

import pytest

from fakeserver._clock import ManualClock
from fakeserver.server import FakeServer

pytest_plugins = ["pytester"]


def test_the_fixture_yields_a_running_server_on_a_manual_clock(orchestration_server: FakeServer) -> None:
    assert orchestration_server.is_running
    assert orchestration_server.url.startswith("http://127.0.0.1:")
    assert isinstance(orchestration_server.clock, ManualClock)
    assert orchestration_server.engine is orchestration_server.app.engine
    assert orchestration_server.bank is orchestration_server.engine.bank
    assert orchestration_server.auth is None


def test_one_server_per_session_and_a_reset_before_each_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import requests

        seen = []

        def test_first(orchestration_server):
            seen.append(orchestration_server)
            created = requests.post(orchestration_server.url + "/workflows", json={"stages": []}, timeout=5)
            assert created.status_code == 201
            orchestration_server.faults.add("listWorkflows", status=500)
            orchestration_server.bank.fund("users:1", "USD", 5)
            orchestration_server.advance(10)

        def test_second(orchestration_server):
            seen.append(orchestration_server)
            assert seen[0] is seen[1]
            assert requests.get(orchestration_server.url + "/workflows", timeout=5).json() == {"data": []}
            assert len(orchestration_server.calls) == 1
            assert orchestration_server.bank.balance("users:1", "USD") == 0
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=2)


def test_the_app_fixture_can_be_overridden_to_turn_auth_on(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from fakeserver._app import FakeApp
        from fakeserver._auth import TokenAuthority
        from fakeserver._clock import ManualClock
        from fakeserver._engine import Engine

        @pytest.fixture(scope="session")
        def orchestration_server_app():
            clock = ManualClock()
            return FakeApp(Engine(clock=clock), auth=TokenAuthority(clock, {"app": "pw"}, ttl=30))
        """
    )
    pytester.makepyfile(
        """
        import requests
        from formance_orchestration._client import OrchestrationClient

        def test_auth(orchestration_server):
            assert requests.get(orchestration_server.url + "/workflows", timeout=5).status_code == 401
            with OrchestrationClient(orchestration_server.url, client_id="app", client_secret="pw") as client:
                assert client.list_workflows().data == []
                orchestration_server.advance(31)
                assert client.list_workflows().data == []
            assert orchestration_server.auth.issued == 2

        def test_tokens_are_forgotten_between_tests(orchestration_server):
            assert orchestration_server.auth.issued == 0
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=2)


def test_the_listen_address_can_be_overridden(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import socket
        import pytest

        @pytest.fixture(scope="session")
        def orchestration_server_listen_address():
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            pytest.chosen_port = port
            return ("127.0.0.1", port)
        """
    )
    pytester.makepyfile(
        """
        import pytest

        def test_port(orchestration_server):
            assert orchestration_server.port == pytest.chosen_port
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=1)
