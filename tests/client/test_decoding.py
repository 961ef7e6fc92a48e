"""The decode step: the parser gives exactly what ``json.loads`` gives, and the cyclic collector is
paused for the span of one decode, restored on errors and shared correctly between threads."""

from __future__ import annotations

import gc
import json
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from formance_orchestration import _decoding, _http
from formance_orchestration._client import OrchestrationClient
from formance_orchestration._decoding import loads, paused_collector
from formance_orchestration._exceptions import DecodeError

BASE = "http://orch.test"

ROOT = BASE + "/api/orchestration"

DOCUMENTS: list[bytes] = [
    b'{"data": [{"id": "w", "n": 1, "f": 1.5, "t": true, "z": null}]}',
    b'{"amount": 123456789012345678901234567890}',  # exact, not a float
    b"-9223372036854775809",
    b'{"a": 1, "a": 2}',
    b'{"a": NaN, "b": Infinity, "c": 1e400}',
    b'"\\ud800"',  # a lone surrogate
    b'{"\\u00e9": "\xc3\xbc"}',
    '{"é": "ü"}'.encode("utf-16"),
    b"  [1, 2.0, -0]\n",
]
BAD: list[bytes] = [b"", b"[1, 2", b"\xef\xbb\xbf{}", b'"a\x01b"', b"\xff\xfe\x00", b"nul", b'{"a" 1}']


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    """Every test starts with the collector on and leaves it as it found it."""
    was = gc.isenabled()
    gc.enable()
    yield
    assert paused_collector._depth == 0  # no pause leaked
    (gc.enable if was else gc.disable)()


def _outcome(fn: Any, content: bytes) -> Any:
    try:
        return ("value", repr(fn(content)))
    except ValueError as exc:
        return (type(exc), str(exc))


@pytest.mark.parametrize("content", DOCUMENTS + BAD)
def test_loads_gives_what_json_loads_gives(content: bytes) -> None:
    assert _outcome(loads, content) == _outcome(json.loads, content)


def test_loads_without_msgspec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "msgspec", None)  # import msgspec fails
    monkeypatch.setitem(sys.modules, "msgspec.json", None)
    monkeypatch.setattr(_decoding, "_parse", None)
    assert loads(b'{"a": [1]}') == {"a": [1]}
    assert _decoding._parse is json.loads


def test_the_collector_is_off_inside_and_on_after() -> None:
    with paused_collector:
        assert not gc.isenabled()
        with paused_collector:  # nested in one thread
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_restored_on_errors() -> None:
    with pytest.raises(KeyError), paused_collector:
        raise KeyError("x")
    assert gc.isenabled()


def test_a_collector_the_user_disabled_stays_disabled() -> None:
    gc.disable()
    with paused_collector:
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_concurrent_decodes_share_one_pause() -> None:
    """Threads enter and leave in every order; the collector is off while any is inside, and on at
    the end (it was on when the first one came in)."""
    threads = 8
    inside = threading.Barrier(threads)
    seen: list[bool] = []
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            for _ in range(200):
                with paused_collector:
                    seen.append(gc.isenabled())
            with paused_collector:
                inside.wait(timeout=10)  # all threads inside at once
                seen.append(gc.isenabled())
                if index % 2:
                    raise RuntimeError("decode failed")
        except RuntimeError:
            pass
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert len(seen) == threads * 201 and not any(seen)
    assert gc.isenabled()


def _record_collector(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    states: list[bool] = []
    structure = _http.structure_owned

    def recording(data: Any, cls: Any) -> Any:
        states.append(gc.isenabled())
        return structure(data, cls)

    monkeypatch.setattr(_http, "structure_owned", recording)
    typed_decoder = _http.typed_decoder

    def recording_typed(cls: Any) -> Any:
        fast = typed_decoder(cls)
        if fast is None:
            return None

        def decode(content: bytes, envelope: bool) -> Any:
            states.append(gc.isenabled())
            return fast(content, envelope)

        return decode

    monkeypatch.setattr(_http, "typed_decoder", recording_typed)
    return states


def test_the_client_decodes_with_the_collector_paused(
    client: OrchestrationClient, rsps: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = _record_collector(monkeypatch)
    rsps.add(responses.GET, ROOT + "/workflows", body=b'{"data": []}')
    assert client.list_workflows().data == []
    assert states == [False]
    assert gc.isenabled()


@pytest.mark.parametrize("body", [b"not json", b'{"data": [{"id": 1}]}', b"[]"])
def test_a_failed_decode_restores_the_collector(
    client: OrchestrationClient, rsps: responses.RequestsMock, body: bytes
) -> None:
    rsps.add(responses.GET, ROOT + "/workflows", body=body)
    with pytest.raises(DecodeError):
        client.list_workflows()
    assert gc.isenabled()


def test_big_amounts_stay_exact_through_the_client(
    client: OrchestrationClient, rsps: responses.RequestsMock
) -> None:
    amount = 2**80 + 1
    body = (
        b'{"data": [{"id": "w", "createdAt": "2023-04-13T08:40:11Z", "updatedAt": "2023-04-13T08:40:11Z",'
        b' "config": {"stages": [{"send": {"amount": {"amount": %d, "asset": "EUR/2"}}}]}}]}' % amount
    )
    rsps.add(responses.GET, ROOT + "/workflows", body=body)
    stage: Any = client.list_workflows().data[0].config.stages[0]  # type: ignore[index]
    assert stage.amount.amount == amount


def test_owned_decoding_empties_the_top_level_list_and_gives_the_same_models() -> None:
    from formance_orchestration._converter import structure, structure_owned
    from formance_orchestration.models import ListRunsResponse, ServerInfo

    at = "2023-04-13T08:40:11Z"
    item = {"workflowID": "w", "id": "i", "createdAt": at, "updatedAt": at, "terminated": False}
    payload = {"data": [dict(item, id=str(index)) for index in range(5)]}
    expected = structure(payload, ListRunsResponse)
    assert len(payload["data"]) == 5  # structure() leaves the caller's data alone
    assert structure_owned(payload, ListRunsResponse) == expected
    assert [run.id for run in expected.data] == ["0", "1", "2", "3", "4"]
    assert payload["data"] == []
    assert structure_owned({"version": "v"}, ServerInfo) == ServerInfo(version="v")


def test_threads_decoding_at_once_get_their_models_and_leave_the_collector_on() -> None:
    from formance_orchestration._config import DEFAULT_TIMEOUT
    from formance_orchestration.models import ListRunsResponse

    at = "2023-04-13T08:40:11Z"
    transport = _http.Transport(timeout=DEFAULT_TIMEOUT, retry=None, user_agent="t")
    answers: dict[int, list[str]] = {}

    def work(index: int) -> None:
        item = {"workflowID": "w", "createdAt": at, "updatedAt": at, "terminated": False}
        items = [dict(item, id=f"{index}-{n}") for n in range(50)]
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps({"data": items}).encode()
        for _ in range(50):
            decoded = transport.decode("listInstances", response, ListRunsResponse)
        answers[index] = [run.id for run in decoded.data]

    workers = [threading.Thread(target=work, args=(index,)) for index in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert answers == {index: [f"{index}-{n}" for n in range(50)] for index in range(6)}
    assert gc.isenabled()
