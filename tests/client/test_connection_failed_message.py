"""ConnectionFailed says what the OS said, not urllib3's retry text (issue 15, item 6)."""

from __future__ import annotations

import socket

import pytest

from formance_orchestration import ConnectionFailed, OrchestrationClient


def test_a_refused_connection_reads_in_one_short_line() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        OrchestrationClient(f"http://127.0.0.1:{port}", retry=None) as client,
        pytest.raises(ConnectionFailed) as e,
    ):
        client.get_server_info()
    message = str(e.value)
    assert message.startswith(
        f"getServerInfo: GET http://127.0.0.1:{port}/api/orchestration/_info failed: could not"
    )
    assert "Connection refused" in message and "Max retries" not in message and len(message) < 160
