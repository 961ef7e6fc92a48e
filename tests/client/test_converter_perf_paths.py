"""The converter's fast paths behave like the plain ones: inlined lists, mappings, stages, activity
wrappers and timestamps, the converter built on first use, integer texts without a regex."""

from __future__ import annotations

import re
import subprocess
import sys
import types
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from formance_orchestration._converter import (
    _is_integer_text,
    converter,
    make_structure_fn,
    structure,
    structure_stage,
)
from formance_orchestration.models import (
    AccountWithVolumesAndBalances,
    ActivityGetWallet,
    ListRunsResponse,
    ListWorkflowsResponse,
    Monetary,
    Posting,
    RawActivity,
    RawStage,
    Stage,
    StageDelay,
    StageSend,
    StageStatus,
    Transaction,
    WalletWithBalances,
    Workflow,
    WorkflowConfig,
    WorkflowInstance,
    WorkflowInstanceHistoryStage,
)

T1 = "2023-04-13T08:40:11.121544817Z"
T2 = "2023-04-13T08:41:00Z"


def _outcome(fn: Any, *args: Any) -> Any:
    """What ``fn(*args)`` gives: its value, or the type and text of what it raises."""
    try:
        return fn(*args)
    except Exception as exc:  # the very exception matters, not only that one is raised
        return (type(exc), str(exc))


STAGE_ITEMS: list[Any] = [
    {"send": {"amount": {"amount": 100, "asset": "EUR/2"}, "source": {"account": {"id": "world"}}}},
    {"send": {"destination": {"wallet": {"id": "w", "balance": "main"}}, "source": {"payment": {"id": "p"}}}},
    {"send": {"amount": {"amount": "${amount}", "asset": "EUR/2"}}},
    {"send": {}},
    {"send": None},
    {"send": {"amount": {"amount": 100, "asset": None}}},  # does not fit: raw
    {"send": {"source": "world"}},  # does not fit: raw
    {"send": [1]},  # params not an object: refused
    {"delay": {"duration": "10s"}},
    {"delay": {"until": T1}},
    {"delay": {"until": "next tuesday"}},  # does not fit: raw
    {"wait_event": {"event": "go"}},
    {"wait_event": {"event": 3}},  # does not fit: raw
    {"noop": {}},
    {"noop": None},
    {"noop": {"ignored": 1}},
    {"webhook": {"url": "https://x.invalid"}},  # unknown: raw
    {"webhook": None},  # unknown, null: raw with {}
    {"webhook": "x"},  # unknown, not an object: refused
    {"send": {}, "delay": {}},  # two keys: refused
    {},  # no key: refused
    "send",  # not an object: refused
    None,
]


@pytest.mark.parametrize("item", STAGE_ITEMS)
def test_stages_inlined_in_a_config_decode_as_structure_stage_does(item: Any) -> None:
    alone = _outcome(structure_stage, item)
    in_list = _outcome(lambda: structure({"stages": [item]}, WorkflowConfig).stages[0])
    in_body = _outcome(
        lambda: (
            structure(
                {"data": [{"id": "w", "config": {"stages": [item]}, "createdAt": T1, "updatedAt": T1}]},
                ListWorkflowsResponse,
            )
            .data[0]
            .config.stages[0]
        )
    )
    assert in_list == alone
    assert in_body == alone
    assert type(in_list) is type(alone)


def test_a_stage_list_mixes_every_kind_in_order() -> None:
    items = [item for item in STAGE_ITEMS[:19] if item not in ({"send": [1]}, {"webhook": "x"})]
    stages = structure({"stages": items}, WorkflowConfig).stages
    assert stages == [structure_stage(item) for item in items]
    assert structure(items, list[Stage]) == stages  # type: ignore[arg-type]


@pytest.mark.parametrize("stages", ["send", {"send": {}}, 3])
def test_stages_that_are_not_an_array_are_refused(stages: Any) -> None:
    with pytest.raises(TypeError, match="expected an array of stages"):
        structure({"stages": stages}, WorkflowConfig)
    with pytest.raises(TypeError, match="expected an array of stages"):
        structure(stages, list[Stage])  # type: ignore[arg-type]


def test_raw_stages_are_real_frozen_instances() -> None:
    stage = structure_stage({"webhook": {"url": "u"}})
    built = RawStage(type="webhook", params={"url": "u"})
    assert stage == built
    assert repr(stage) == repr(built)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        stage.type = "x"  # type: ignore[misc]


def _instance(**extra: Any) -> dict[str, Any]:
    return {"workflowID": "w", "id": "i", "createdAt": T1, "updatedAt": T1, "terminated": False, **extra}


def test_model_lists_decode_item_by_item() -> None:
    items = [_instance(), _instance(id="j", terminatedAt=T2, terminated=True, error="")]
    body = structure({"data": items}, ListRunsResponse)
    assert body.data == [structure(item, WorkflowInstance) for item in items]
    assert structure(items, list[WorkflowInstance]) == body.data


@pytest.mark.parametrize(("data", "expected"), [(None, []), ([], [])])
def test_model_lists_null_gives_the_default(data: Any, expected: list[Any]) -> None:
    assert structure({"data": data}, ListRunsResponse).data == expected
    assert structure({}, ListRunsResponse).data == expected


def test_required_model_list_null_gives_an_empty_list() -> None:
    body = {"postings": None, "timestamp": T1, "txid": 1}
    assert structure(body, Transaction).postings == []
    assert structure(None, list[Posting]) == []  # type: ignore[arg-type]
    assert structure(None, list[Posting] | None) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("data", ["x", {"a": 1}, 3, (1,)])
def test_model_lists_refuse_what_is_not_an_array(data: Any) -> None:
    with pytest.raises(TypeError, match="expected an array, got"):
        structure({"data": data}, ListRunsResponse)
    with pytest.raises(TypeError, match="expected an array, got"):
        structure(_instance(status=data), WorkflowInstance)


def test_model_list_items_may_be_mappings_but_not_other_values() -> None:
    row = {"stage": 0, "instanceID": "i", "startedAt": T1}
    decoded = structure(_instance(status=[types.MappingProxyType(row)]), WorkflowInstance)
    assert decoded.status == [structure(row, StageStatus)]
    with pytest.raises(TypeError, match="StageStatus: expected an object"):
        structure(_instance(status=[None]), WorkflowInstance)
    with pytest.raises(KeyError):
        structure(_instance(status=[{"stage": 0}]), WorkflowInstance)


def test_mappings_check_keys_and_convert_values() -> None:
    wire = {
        "address": "a",
        "balances": {"USD/2": 5, "EUR/2": "7", "BTC/8": 2**80},
        "volumes": {"USD/2": {"input": "3", "output": 4.0}},
    }
    account = structure(wire, AccountWithVolumesAndBalances)
    assert account.balances == {"USD/2": 5, "EUR/2": 7, "BTC/8": 2**80}
    assert account.volumes == {"USD/2": {"input": 3, "output": 4}}
    assert all(type(v) is int for v in account.volumes["USD/2"].values())
    assert structure({"address": "a", "balances": None}, AccountWithVolumesAndBalances).balances == {}
    assert structure(
        {"address": "a", "balances": types.MappingProxyType({"X": 1})}, AccountWithVolumesAndBalances
    ).balances == {"X": 1}
    with pytest.raises(TypeError, match="expected a string"):
        structure({"address": "a", "balances": {1: 2}}, AccountWithVolumesAndBalances)
    with pytest.raises(TypeError, match="expected an integer"):
        structure({"address": "a", "balances": {"X": "1.5"}}, AccountWithVolumesAndBalances)
    with pytest.raises((AttributeError, TypeError)):
        structure({"address": "a", "volumes": ["x"]}, AccountWithVolumesAndBalances)


def test_mappings_of_models() -> None:
    wire = {
        "id": "w",
        "name": "n",
        "ledger": "l",
        "createdAt": T1,
        "balances": {"main": {"assets": {"USD/2": 1}}, "savings": {"assets": None}, "empty": {}},
    }
    wallet = structure(wire, WalletWithBalances)
    assert {name: holder.assets for name, holder in wallet.balances.items()} == {
        "main": {"USD/2": 1},
        "savings": {},
        "empty": {},
    }
    assert structure(wire["balances"], dict[str, Any]) is wire["balances"]  # metadata-like: kept
    with pytest.raises(TypeError, match="AssetHolder: expected an object"):
        structure({**wire, "balances": {"main": 3}}, WalletWithBalances)


def _activity(**extra: Any) -> dict[str, Any]:
    return {
        "name": "GetWallet",
        "input": {"GetWallet": {"id": "w"}},
        "terminated": True,
        "startedAt": T1,
        "attempt": 1,
        **extra,
    }


@pytest.mark.parametrize(
    ("wrapper", "expected"),
    [
        ({"GetWallet": {"id": "w"}}, ActivityGetWallet(id="w")),
        ({"GetWallet": {"id": 3}}, RawActivity(raw={"GetWallet": {"id": 3}})),  # does not fit: kept
        ({"GetWallet": None}, RawActivity(raw={"GetWallet": None})),
        ({"Unknown": {"id": "w"}}, RawActivity(raw={"Unknown": {"id": "w"}})),
        ({"GetWallet": {"id": "w"}, "Other": {}}, RawActivity(raw={"GetWallet": {"id": "w"}, "Other": {}})),
        ({}, RawActivity(raw={})),
    ],
)
def test_activity_wrappers(wrapper: dict[str, Any], expected: Any) -> None:
    assert structure(_activity(input=wrapper), WorkflowInstanceHistoryStage).input == expected


@pytest.mark.parametrize("wrapper", [None, "GetWallet", ["GetWallet"]])
def test_activity_input_must_be_an_object(wrapper: Any) -> None:
    with pytest.raises(TypeError, match="expected an object"):
        structure(_activity(input=wrapper), WorkflowInstanceHistoryStage)


def test_activity_output_may_be_null_but_not_another_value() -> None:
    assert structure(_activity(output=None), WorkflowInstanceHistoryStage).output is None
    assert structure(_activity(), WorkflowInstanceHistoryStage).output is None
    with pytest.raises(TypeError, match="expected an object"):
        structure(_activity(output="x"), WorkflowInstanceHistoryStage)


def test_equal_timestamps_of_one_object_are_parsed_once() -> None:
    instance = structure(_instance(terminatedAt=T1), WorkflowInstance)
    assert instance.created_at == datetime(2023, 4, 13, 8, 40, 11, 121544, tzinfo=UTC)
    assert instance.updated_at is instance.created_at
    assert instance.terminated_at is instance.created_at
    other = structure(_instance(updatedAt=T2, terminatedAt=T1), WorkflowInstance)
    assert other.updated_at == datetime(2023, 4, 13, 8, 41, tzinfo=UTC)
    assert other.terminated_at == other.created_at
    workflow = structure({"id": "w", "config": {}, "createdAt": T1, "updatedAt": T1}, Workflow)
    assert workflow.updated_at is workflow.created_at


def test_timestamp_reuse_when_the_first_timestamp_is_optional() -> None:
    @attrs.frozen(kw_only=True)
    class Span:
        opened_at: datetime | None = None
        closed_at: datetime | None = None
        seen_at: datetime

    fn = make_structure_fn(Span, converter)
    only_seen = fn({"seenAt": T1}, None)
    assert only_seen == Span(seen_at=datetime(2023, 4, 13, 8, 40, 11, 121544, tzinfo=UTC))
    closed = fn({"closedAt": T2, "seenAt": T2}, None)
    assert closed.opened_at is None
    assert closed.seen_at is closed.closed_at
    opened = fn({"openedAt": T1, "closedAt": T2, "seenAt": T1}, None)
    assert opened.closed_at == datetime(2023, 4, 13, 8, 41, tzinfo=UTC)
    assert opened.seen_at == opened.opened_at
    lower = fn({"openedAt": "2023-04-13t08:40:11z", "seenAt": "2023-04-13t08:40:11z"}, None)
    assert lower.seen_at == datetime(2023, 4, 13, 8, 40, 11, tzinfo=UTC)
    with pytest.raises(ValueError):
        fn({"openedAt": T1, "seenAt": "soon"}, None)


def test_optional_strings_are_checked_in_one_test() -> None:
    assert structure({"name": None}, WorkflowConfig).name is None
    assert structure({"name": "n"}, WorkflowConfig).name == "n"
    with pytest.raises(TypeError, match=r"WorkflowConfig\.name: expected a string, got int"):
        structure({"name": 1}, WorkflowConfig)


_INTEGER = re.compile(r"[+-]?[0-9]+")


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "12",
        "+7",
        "-5",
        "007",
        "",
        "+",
        "-",
        "+-1",
        " 1",
        "1 ",
        "1_000",
        "1.0",
        "1e3",
        "0x10",
        "\u0661\u0662",
        "\u00b2",
        "\uff11",
        "${amount}",
        "12a",
        "9" * 50,
    ],
)
def test_integer_texts_are_what_the_former_regex_accepted(text: str) -> None:
    assert _is_integer_text(text) is bool(_INTEGER.fullmatch(text))
    money = structure({"asset": "EUR/2", "amount": text}, Monetary)
    assert money.amount == (int(text) if _INTEGER.fullmatch(text) else text)
    if not _INTEGER.fullmatch(text):
        with pytest.raises(TypeError):
            structure({"amount": text, "asset": "EUR/2", "source": "a", "destination": "b"}, Posting)


def test_stage_amounts_keep_variables_inline() -> None:
    stage = structure({"stages": [{"send": {"amount": {"amount": "${a}", "asset": "X"}}}]}, WorkflowConfig)
    assert stage.stages is not None and isinstance(stage.stages[0], StageSend)
    assert stage.stages[0].amount == Monetary(asset="X", amount="${a}")
    delay = structure({"stages": [{"delay": {"until": T2}}]}, WorkflowConfig).stages
    assert delay == [StageDelay(until=datetime(2023, 4, 13, 8, 41, tzinfo=UTC))]


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_the_package_does_not_import_cattrs_or_msgspec() -> None:
    out = _python(
        "import sys\n"
        "import formance_orchestration, formance_orchestration._client, formance_orchestration.models\n"
        "print('cattrs' in sys.modules, 'msgspec' in sys.modules)\n"
        "from formance_orchestration import structure, ServerInfo\n"
        "print(structure({'version': 'v'}, ServerInfo).version, 'cattrs' in sys.modules)\n"
        "from formance_orchestration._decoding import loads\n"
        "print(loads(b'[1]'), 'msgspec' in sys.modules)\n"
    )
    assert out.splitlines() == ["False False", "v True", "[1] True"]


def test_the_converter_is_built_once_even_by_concurrent_first_calls() -> None:
    out = _python(
        "import threading\n"
        "import formance_orchestration._converter as conv\n"
        "from formance_orchestration.models import ServerInfo\n"
        "barrier = threading.Barrier(8)\n"
        "seen = []\n"
        "def first():\n"
        "    barrier.wait()\n"
        "    assert conv.structure({'version': 'v'}, ServerInfo).version == 'v'\n"
        "    seen.append(conv._converter())\n"
        "threads = [threading.Thread(target=first) for _ in range(8)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "print(len(seen), len({id(c) for c in seen}), conv.converter is seen[0])\n"
    )
    assert out == "8 1 True"


def test_the_converter_attribute_is_the_one_structure_uses() -> None:
    import formance_orchestration._converter as conv

    assert conv.converter is converter
    assert conv.converter is conv._converter()
    with pytest.raises(AttributeError):
        conv.no_such_attribute  # noqa: B018


def test_every_model_is_built_through_a_same_layout_builder() -> None:
    from formance_orchestration import models
    from formance_orchestration._converter import _builder

    def adds_to_a_model(cls: type[Any]) -> bool:  # the one layout a builder cannot take
        return any(attrs.has(base) and attrs.fields(base) for base in cls.__mro__[1:])

    classes = [getattr(models, name) for name in models.__all__]
    slow = [cls.__name__ for cls in classes if attrs.has(cls) and attrs.fields(cls) and _builder(cls) is None]
    assert slow == [name for name in slow if adds_to_a_model(getattr(models, name))]
    assert _builder(WorkflowInstance) is not None


def test_built_models_are_the_real_frozen_class() -> None:
    decoded = structure(
        _instance(status=[{"stage": 0, "instanceID": "i", "startedAt": T1}]), WorkflowInstance
    )
    assert type(decoded) is WorkflowInstance
    assert type(decoded.status[0]) is StageStatus
    assert decoded == WorkflowInstance(
        workflow_id="w",
        id="i",
        created_at=datetime(2023, 4, 13, 8, 40, 11, 121544, tzinfo=UTC),
        updated_at=datetime(2023, 4, 13, 8, 40, 11, 121544, tzinfo=UTC),
        terminated=False,
        status=[StageStatus(stage=0, instance_id="i", started_at=decoded.created_at)],
    )
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        decoded.id = "x"  # type: ignore[misc]


def test_a_model_that_adds_fields_to_another_model_is_built_the_slow_way() -> None:
    @attrs.frozen(kw_only=True)
    class Tagged(Monetary):
        tag: str = ""

    fn = make_structure_fn(Tagged, converter)
    tagged = fn({"amount": 5, "asset": "EUR/2", "tag": "t"}, None)
    assert type(tagged) is Tagged
    assert (tagged.amount, tagged.asset, tagged.tag) == (5, "EUR/2", "t")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        tagged.tag = "u"  # type: ignore[misc]
