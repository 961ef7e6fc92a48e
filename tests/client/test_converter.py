"""The converter's building blocks: timestamps, integers, wire names, generated functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import cattrs
import pytest

from formance_orchestration._converter import (
    converter,
    make_structure_fn,
    structure,
    unstructure,
    warm_up,
    wire_name,
)
from formance_orchestration._datetime import format_datetime, parse_datetime
from formance_orchestration.models import (
    ActivityRevertTransaction,
    Monetary,
    Posting,
    StageStatus,
    Workflow,
    WorkflowInstance,
    WorkflowInstanceHistoryStageInput,
)

PLUS2 = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-04-13T08:40:11Z", datetime(2023, 4, 13, 8, 40, 11, tzinfo=UTC)),
        ("2023-04-13T08:40:11.1Z", datetime(2023, 4, 13, 8, 40, 11, 100000, tzinfo=UTC)),
        ("2023-04-13T08:40:11.1234Z", datetime(2023, 4, 13, 8, 40, 11, 123400, tzinfo=UTC)),
        ("2023-04-13T08:40:11.121544Z", datetime(2023, 4, 13, 8, 40, 11, 121544, tzinfo=UTC)),
        ("2023-04-13T08:40:11.1215448Z", datetime(2023, 4, 13, 8, 40, 11, 121544, tzinfo=UTC)),
        ("2023-04-13T08:40:11.12154481Z", datetime(2023, 4, 13, 8, 40, 11, 121544, tzinfo=UTC)),
        ("2023-04-13T08:40:11.121544817Z", datetime(2023, 4, 13, 8, 40, 11, 121544, tzinfo=UTC)),
        ("2023-04-13T08:40:11.999999999Z", datetime(2023, 4, 13, 8, 40, 11, 999999, tzinfo=UTC)),
        ("2023-04-13T10:40:11+02:00", datetime(2023, 4, 13, 10, 40, 11, tzinfo=PLUS2)),
        ("2023-04-13T10:40:11.121544817+02:00", datetime(2023, 4, 13, 10, 40, 11, 121544, tzinfo=PLUS2)),
        (
            "2023-04-13T01:10:11-07:30",
            datetime(2023, 4, 13, 1, 10, 11, tzinfo=timezone(-timedelta(hours=7.5))),
        ),
        ("2023-04-13t08:40:11.5z", datetime(2023, 4, 13, 8, 40, 11, 500000, tzinfo=UTC)),
        ("2023-04-13T08:40:11", datetime(2023, 4, 13, 8, 40, 11, tzinfo=UTC)),
    ],
)
def test_parse_datetime(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is not None
    assert parsed.utcoffset() == expected.utcoffset()
    # the converter's inlined path agrees with parse_datetime
    row = structure({"stage": 0, "instanceID": "i", "startedAt": text, "terminatedAt": text}, StageStatus)
    assert row.started_at == expected
    assert row.terminated_at == expected
    assert row.started_at.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("text", ["", "yesterday", "2023-13-01T00:00:00Z", "2023-04-13T08:40:11+2"])
def test_parse_datetime_refuses_non_timestamps(text: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(text)


def test_parse_datetime_refuses_non_strings() -> None:
    with pytest.raises(TypeError):
        parse_datetime(12)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2023, 4, 13, 8, 40, 11, tzinfo=UTC), "2023-04-13T08:40:11Z"),
        (datetime(2023, 4, 13, 8, 40, 11, 120000, tzinfo=UTC), "2023-04-13T08:40:11.12Z"),
        (datetime(2023, 4, 13, 8, 40, 11, 121544, tzinfo=UTC), "2023-04-13T08:40:11.121544Z"),
        (datetime(2023, 4, 13, 8, 40, 11, 1, tzinfo=PLUS2), "2023-04-13T08:40:11.000001+02:00"),
        (
            datetime(2023, 4, 13, 8, 40, 11, tzinfo=timezone(-timedelta(hours=7, minutes=30))),
            "2023-04-13T08:40:11-07:30",
        ),
        (datetime(2023, 4, 13, 8, 40, 11), "2023-04-13T08:40:11Z"),  # naive: taken as UTC
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00Z"),
    ],
)
def test_format_datetime(value: datetime, text: str) -> None:
    assert format_datetime(value) == text
    assert parse_datetime(text) == value.replace(tzinfo=value.tzinfo or UTC)


def test_timestamps_encode_as_rfc3339() -> None:
    status = StageStatus(stage=0, instance_id="i", started_at=datetime(2023, 4, 13, 10, 0, tzinfo=PLUS2))
    assert unstructure(status) == {"stage": 0, "instanceID": "i", "startedAt": "2023-04-13T10:00:00+02:00"}


@pytest.mark.parametrize(
    ("field", "wire"),
    [
        (attrs.fields(WorkflowInstance).workflow_id, "workflowID"),
        (attrs.fields(WorkflowInstance).created_at, "createdAt"),
        (attrs.fields(WorkflowInstance).terminated_at, "terminatedAt"),
        (attrs.fields(WorkflowInstance).id, "id"),
        (attrs.fields(StageStatus).instance_id, "instanceID"),
        (attrs.fields(ActivityRevertTransaction).tx_id, "txId"),
        (attrs.fields(WorkflowInstanceHistoryStageInput).create_transaction, "CreateTransaction"),
    ],
)
def test_wire_names(field: attrs.Attribute[Any], wire: str) -> None:
    assert wire_name(field) == wire


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (100, 100),
        (2**100, 2**100),
        ("123456789012345678901234567890", 123456789012345678901234567890),
        ("-5", -5),
        ("+7", 7),
        (3.0, 3),
    ],
)
def test_integers_accept_numbers_and_numeric_strings(value: Any, expected: int) -> None:
    posting = structure({"amount": value, "asset": "EUR/2", "source": "a", "destination": "b"}, Posting)
    assert posting.amount == expected
    assert type(posting.amount) is int


@pytest.mark.parametrize("value", [True, None, "12a", "1_000", 1.5, "", [1]])
def test_integers_refuse_other_values(value: Any) -> None:
    with pytest.raises(TypeError):
        structure({"amount": value, "asset": "EUR/2", "source": "a", "destination": "b"}, Posting)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(100, 100), ("100", 100), ("${amount}", "${amount}"), ("1${x}", "1${x}"), (2**70, 2**70)],
)
def test_monetary_amount_keeps_variables(value: Any, expected: int | str) -> None:
    money = structure({"asset": "EUR/2", "amount": value}, Monetary)
    assert money.amount == expected
    assert type(money.amount) is type(expected)
    assert unstructure(money) == {"asset": "EUR/2", "amount": expected}


def test_top_level_lists_and_optionals() -> None:
    rows = [{"stage": i, "instanceID": "i", "startedAt": "2023-04-13T08:40:11Z"} for i in range(3)]
    decoded = structure(rows, list[StageStatus])
    assert [row.stage for row in decoded] == [0, 1, 2]
    assert structure(None, StageStatus | None) is None  # type: ignore[arg-type]
    assert unstructure(decoded) == rows


def test_every_model_is_frozen_slotted_and_its_functions_are_cached() -> None:
    import formance_orchestration.models as models

    warm_up()
    for name in models.__all__:
        model = getattr(models, name)
        if isinstance(model, type) and attrs.has(model):
            assert converter.get_structure_hook(model) is converter.get_structure_hook(model)
            assert converter.get_unstructure_hook(model) is converter.get_unstructure_hook(model)
            assert "__slots__" in model.__dict__
            assert all(field.kw_only for field in attrs.fields(model))
            instance: Any = object.__new__(model)
            with pytest.raises(attrs.exceptions.FrozenInstanceError):
                instance.x = 1


def test_generated_structure_builds_equal_objects_to_init() -> None:
    body = {
        "id": "w",
        "config": {"name": "n"},
        "createdAt": "2023-04-13T08:40:11Z",
        "updatedAt": "2023-04-13T08:40:11Z",
    }
    decoded = structure(body, Workflow)
    built = Workflow(
        id="w",
        config=decoded.config,
        created_at=datetime(2023, 4, 13, 8, 40, 11, tzinfo=UTC),
        updated_at=datetime(2023, 4, 13, 8, 40, 11, tzinfo=UTC),
    )
    assert decoded == built
    assert repr(decoded) == repr(built)
    assert attrs.evolve(decoded, id="x").id == "x"


def test_make_structure_fn_refuses_classes_it_cannot_build() -> None:
    @attrs.define(slots=False)
    class NotSlotted:
        a: int

    @attrs.frozen
    class Validated:
        a: int = attrs.field(validator=attrs.validators.gt(0))

    c = cattrs.Converter(detailed_validation=False)
    for cls in (NotSlotted, Validated):
        with pytest.raises(TypeError, match="only frozen slotted"):
            make_structure_fn(cls, c)


def test_make_structure_fn_ignores_unknown_keys_and_fills_defaults() -> None:
    @attrs.frozen(kw_only=True)
    class Item:
        name: str
        tags: list[str] = attrs.field(factory=list)
        note: str | None = None
        kind: str = "plain"

    fn = make_structure_fn(Item, converter)
    assert fn({"name": "a", "extra": 1}, None) == Item(name="a")
    assert fn({"name": "a", "tags": None, "kind": "k"}, None) == Item(name="a", kind="k")
    assert fn({"name": "a", "tags": ["x"], "note": "n"}, None) == Item(name="a", tags=["x"], note="n")
    with pytest.raises(TypeError, match=r"Item\.name: expected a string"):
        fn({"name": 1}, None)
