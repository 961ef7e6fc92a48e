"""The shared ``Model`` base: equality, hashing and repr behave like attrs' generated methods."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from formance_orchestration.models import (
    Model,
    Monetary,
    RawStage,
    StageNoOp,
    StageSendDestinationAccount,
    StageSendSourceAccount,
    StageStatus,
    WorkflowConfig,
)


def test_equality_is_field_wise_and_class_strict() -> None:
    assert Monetary(asset="EUR/2", amount=1) == Monetary(asset="EUR/2", amount=1)
    assert Monetary(asset="EUR/2", amount=1) != Monetary(asset="EUR/2", amount=2)
    # same fields, different classes
    assert StageSendSourceAccount(id="a") != StageSendDestinationAccount(id="a")
    assert Monetary(asset="EUR/2", amount=1) != ("EUR/2", 1)
    assert StageNoOp() == StageNoOp()


def test_hash_follows_equality() -> None:
    assert hash(Monetary(asset="EUR/2", amount=1)) == hash(Monetary(asset="EUR/2", amount=1))
    distinct = {StageNoOp(), StageNoOp(), StageSendSourceAccount(id="a"), StageSendSourceAccount(id="a")}
    assert len(distinct) == 2
    with pytest.raises(TypeError):  # a list field makes the object unhashable, as with attrs
        hash(WorkflowConfig(stages=[]))


def test_repr_is_attrs_style() -> None:
    assert repr(Monetary(asset="EUR/2", amount=1)) == "Monetary(asset='EUR/2', amount=1)"
    assert repr(StageNoOp()) == "StageNoOp()"
    row = StageStatus(stage=0, instance_id="i", started_at=datetime(2023, 1, 1, tzinfo=UTC))
    assert repr(row) == (
        "StageStatus(stage=0, instance_id='i', started_at=datetime.datetime(2023, 1, 1, 0, 0, "
        "tzinfo=datetime.timezone.utc), terminated_at=None, error=None)"
    )


def test_recursive_repr_does_not_loop() -> None:
    params: dict[str, object] = {}
    stage = RawStage(type="x", params=params)
    params["self"] = stage
    assert repr(stage) == "RawStage(type='x', params={'self': ...})"


def test_attrs_helpers_work() -> None:
    money = Monetary(asset="EUR/2", amount=1)
    assert isinstance(money, Model)
    assert attrs.evolve(money, amount=2) == Monetary(asset="EUR/2", amount=2)
    assert attrs.asdict(money) == {"asset": "EUR/2", "amount": 1}
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        money.amount = 3  # type: ignore[misc]
