"""Timeout and RetryPolicy value objects."""

from __future__ import annotations

import attrs
import pytest

from formance_orchestration._config import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT,
    DEFAULT_TOTAL_TIMEOUT,
    DEFAULT_USER_AGENT,
    DEFAULT_WAIT_READ_TIMEOUT,
    UNSET,
    RetryPolicy,
    Timeout,
    resolve_timeout,
)


class TestTimeout:
    def test_defaults_are_the_named_constants(self) -> None:
        t = Timeout()
        assert (t.connect, t.read, t.wait_read) == (
            DEFAULT_CONNECT_TIMEOUT,
            DEFAULT_READ_TIMEOUT,
            DEFAULT_WAIT_READ_TIMEOUT,
        )
        assert (t.connect, t.read, t.wait_read) == (5.0, 30.0, 300.0)
        assert t == DEFAULT_TIMEOUT

    def test_one_default_for_every_phase(self) -> None:
        t = Timeout(10)
        assert (t.connect, t.read, t.wait_read, t.total) == (10.0, 10.0, 10.0, 10.0)

    def test_total_default_and_override(self) -> None:
        assert Timeout().total == DEFAULT_TOTAL_TIMEOUT == 120.0
        assert Timeout(connect=1).total == 120.0
        assert Timeout(10, total=60).total == 60.0
        assert Timeout(None).total is None
        assert Timeout().replace(total=None).total is None
        assert Timeout(Timeout(total=7)).total == 7.0
        with pytest.raises(ValueError):
            Timeout(total=0)

    def test_deadline_of_a_call_and_of_a_waiting_run(self) -> None:
        t = Timeout(10, wait_read=600)
        assert t.deadline() == 10.0
        assert t.deadline(wait=True) == 610.0  # the wait itself comes on top of the call's budget
        assert Timeout(10, wait_read=None).deadline(wait=True) is None
        assert Timeout(10, total=None).deadline() is None
        assert Timeout(10, total=None).deadline(wait=True) is None

    def test_default_plus_overrides(self) -> None:
        t = Timeout(10, wait_read=600, connect=2)
        assert (t.connect, t.read, t.wait_read) == (2.0, 10.0, 600.0)

    def test_override_without_default_keeps_named_defaults(self) -> None:
        t = Timeout(connect=1.5)
        assert (t.connect, t.read, t.wait_read) == (1.5, 30.0, 300.0)

    def test_none_disables_every_phase(self) -> None:
        t = Timeout(None)
        assert (t.connect, t.read, t.wait_read) == (None, None, None)
        assert t.as_requests() is None
        assert t.as_requests(wait=True) is None

    def test_none_for_one_phase(self) -> None:
        t = Timeout(5, wait_read=None)
        assert t.as_requests() == (5.0, 5.0)
        assert t.as_requests(wait=True) == (5.0, None)

    def test_copy(self) -> None:
        t = Timeout(3, read=4)
        assert Timeout(t) == t
        with pytest.raises(TypeError):
            Timeout(t, read=1)

    def test_replace(self) -> None:
        t = Timeout().replace(read=1, wait_read=None)
        assert (t.connect, t.read, t.wait_read) == (5.0, 1.0, None)

    def test_as_requests(self) -> None:
        t = Timeout(connect=1, read=2, wait_read=3)
        assert t.as_requests() == (1.0, 2.0)
        assert t.as_requests(wait=True) == (1.0, 3.0)

    def test_frozen(self) -> None:
        t = Timeout()
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            t.read = 1  # type: ignore[misc]
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            del t.read

    def test_equality_hash_repr(self) -> None:
        assert Timeout(1) == Timeout(connect=1, read=1, wait_read=1, total=1)
        assert Timeout(1) != Timeout(connect=1, read=1, wait_read=1)  # total: the named default
        assert Timeout(1) != Timeout(2)
        assert hash(Timeout(1)) == hash(Timeout(1.0))
        assert Timeout(1) != (1, 1)
        assert repr(Timeout(1)) == "Timeout(timeout=1.0)"
        assert repr(Timeout()) == "Timeout(connect=5.0, read=30.0, wait_read=300.0, total=120.0)"

    @pytest.mark.parametrize("bad", [0, -1, float("nan")])
    def test_rejects_non_positive(self, bad: float) -> None:
        with pytest.raises(ValueError):
            Timeout(bad)
        with pytest.raises(ValueError):
            Timeout(read=bad)

    @pytest.mark.parametrize("bad", ["5", True, [1]])
    def test_rejects_non_numbers(self, bad: object) -> None:
        with pytest.raises(TypeError):
            Timeout(bad)  # type: ignore[arg-type]


class TestResolveTimeout:
    def test_unset_uses_default(self) -> None:
        default = Timeout(connect=1, read=2, wait_read=3)
        assert resolve_timeout(UNSET, default) is default

    def test_number_sets_every_phase(self) -> None:
        assert resolve_timeout(7, DEFAULT_TIMEOUT) == Timeout(7)
        assert resolve_timeout(7, DEFAULT_TIMEOUT).as_requests(wait=True) == (7.0, 7.0)
        assert resolve_timeout(7, DEFAULT_TIMEOUT).deadline() == 7.0

    def test_none_means_no_limit(self) -> None:
        resolved = resolve_timeout(None, DEFAULT_TIMEOUT)
        assert resolved.as_requests() is None
        assert resolved.deadline() is None

    def test_timeout_object(self) -> None:
        assert resolve_timeout(Timeout(2, wait_read=9), DEFAULT_TIMEOUT).as_requests(wait=True) == (2.0, 9.0)

    def test_rejects_bad_value(self) -> None:
        with pytest.raises(ValueError):
            resolve_timeout(-1, DEFAULT_TIMEOUT)


class TestRetryPolicy:
    def test_defaults(self) -> None:
        p = RetryPolicy()
        assert p == DEFAULT_RETRY
        assert p.max_attempts == 3
        assert p.backoff_factor == 0.5
        assert p.max_backoff == 8.0
        assert p.jitter == 0.5
        assert p.retry_statuses == frozenset({429, 502, 503, 504})
        assert p.max_retry_after == 60.0
        assert p.enabled

    def test_disabled(self) -> None:
        p = RetryPolicy.disabled()
        assert p.max_attempts == 1
        assert not p.enabled

    def test_frozen_and_hashable(self) -> None:
        p = RetryPolicy()
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            p.max_attempts = 5  # type: ignore[misc]
        assert hash(p) == hash(RetryPolicy())

    def test_statuses_converted_to_frozenset(self) -> None:
        p = RetryPolicy(retry_statuses=[503])
        assert p.retry_statuses == frozenset({503})

    def test_exponential_backoff_capped(self) -> None:
        p = RetryPolicy(backoff_factor=0.5, max_backoff=3.0, jitter=0)
        assert [p.backoff(n, lambda: 0.99) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]

    def test_jitter_shortens_by_at_most_the_fraction(self) -> None:
        p = RetryPolicy(backoff_factor=1.0, jitter=0.5)
        assert p.backoff(2, lambda: 0.0) == 2.0
        assert p.backoff(2, lambda: 1.0) == 1.0
        assert p.backoff(2, lambda: 0.5) == 1.5

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"max_attempts": 0},
            {"max_attempts": True},
            {"backoff_factor": -1},
            {"max_backoff": -0.1},
            {"jitter": 1.5},
            {"max_retry_after": float("nan")},
            {"retry_statuses": [99]},
            {"retry_statuses": ["503"]},
        ],
    )
    def test_validation(self, kwargs: dict[str, object]) -> None:
        with pytest.raises(ValueError):
            RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_user_agent_names_the_library() -> None:
    assert DEFAULT_USER_AGENT.startswith("formance-orchestration-python/")
    assert "python-requests/" in DEFAULT_USER_AGENT
