"""Workflow configs and stages: exact wire dicts, round trips, stored stages read back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from formance_orchestration import InvalidStageError, OrchestrationError
from formance_orchestration._converter import structure, structure_stage, unstructure, unstructure_stage
from formance_orchestration.models import (
    STAGE_TYPES,
    Monetary,
    RawStage,
    Stage,
    StageDelay,
    StageNoOp,
    StageSend,
    StageSendDestination,
    StageSendDestinationAccount,
    StageSendDestinationPayment,
    StageSendDestinationWallet,
    StageSendSource,
    StageSendSourceAccount,
    StageSendSourcePayment,
    StageSendSourceWallet,
    StageUpdate,
    StageWaitEvent,
    Workflow,
    WorkflowConfig,
)


def test_config_example_encodes_to_the_exact_wire_dict() -> None:
    config = WorkflowConfig(
        name="pay",
        stages=[
            StageSend(
                source=StageSendSource.of_account("world"),
                destination=StageSendDestination.of_account("bank", ledger="default"),
                amount=Monetary(asset="EUR/2", amount=100),
            ),
            StageDelay(duration="10s"),
            StageWaitEvent(event="go"),
        ],
    )
    wire = unstructure(config)
    assert wire == {
        "name": "pay",
        "stages": [
            {
                "send": {
                    "source": {"account": {"id": "world"}},
                    "destination": {"account": {"id": "bank", "ledger": "default"}},
                    "amount": {"asset": "EUR/2", "amount": 100},
                }
            },
            {"delay": {"duration": "10s"}},
            {"wait_event": {"event": "go"}},
        ],
    }
    assert structure(wire, WorkflowConfig) == config


SEND_KINDS: list[tuple[StageSend, dict[str, Any]]] = [
    (
        StageSend(
            source=StageSendSource(account=StageSendSourceAccount(id="users:001", ledger="l1")),
            destination=StageSendDestination(account=StageSendDestinationAccount(id="bank")),
            amount=Monetary(asset="USD/2", amount=5),
        ),
        {
            "source": {"account": {"id": "users:001", "ledger": "l1"}},
            "destination": {"account": {"id": "bank"}},
            "amount": {"asset": "USD/2", "amount": 5},
        },
    ),
    (
        StageSend(
            source=StageSendSource(wallet=StageSendSourceWallet(id="w1", balance="main")),
            destination=StageSendDestination(wallet=StageSendDestinationWallet(id="w2")),
            amount=Monetary(asset="USD/2", amount=7),
        ),
        {
            "source": {"wallet": {"id": "w1", "balance": "main"}},
            "destination": {"wallet": {"id": "w2"}},
            "amount": {"asset": "USD/2", "amount": 7},
        },
    ),
    (
        StageSend(
            source=StageSendSource(payment=StageSendSourcePayment(id="pay_1")),
            destination=StageSendDestination(payment=StageSendDestinationPayment(psp="stripe")),
        ),
        {"source": {"payment": {"id": "pay_1"}}, "destination": {"payment": {"psp": "stripe"}}},
    ),
    (
        StageSend(
            source=StageSendSource.of_wallet("w1"),
            destination=StageSendDestination.of_payment(metadata="connectID"),
            amount=Monetary(asset="EUR/2", amount="${amount}"),
        ),
        {
            "source": {"wallet": {"id": "w1"}},
            "destination": {"payment": {"psp": "stripe", "metadata": "connectID"}},
            "amount": {"asset": "EUR/2", "amount": "${amount}"},
        },
    ),
]


@pytest.mark.parametrize(("stage", "params"), SEND_KINDS)
def test_send_stage_round_trips_in_both_forms(stage: StageSend, params: dict[str, Any]) -> None:
    assert unstructure(stage) == params
    assert structure(params, StageSend) == stage
    assert unstructure_stage(stage) == {"send": params}
    assert structure_stage({"send": params}) == stage


OTHER_KINDS: list[tuple[Stage, dict[str, Any]]] = [
    (StageDelay(duration="1m30s"), {"delay": {"duration": "1m30s"}}),
    (
        StageDelay(until=datetime(2023, 6, 1, tzinfo=UTC)),
        {"delay": {"until": "2023-06-01T00:00:00Z"}},
    ),
    (
        StageDelay(until=datetime(2023, 6, 1, 8, 30, 0, 120000, tzinfo=timezone(timedelta(hours=2)))),
        {"delay": {"until": "2023-06-01T08:30:00.12+02:00"}},
    ),
    (StageWaitEvent(event="go"), {"wait_event": {"event": "go"}}),
    (StageNoOp(), {"noop": {}}),
    (
        RawStage(type="webhook", params={"url": "https://x.invalid", "n": [1, 2]}),
        {"webhook": {"url": "https://x.invalid", "n": [1, 2]}},
    ),
]


@pytest.mark.parametrize(("stage", "wire"), OTHER_KINDS)
def test_every_stage_kind_round_trips_through_a_config(stage: Stage, wire: dict[str, Any]) -> None:
    config = WorkflowConfig(stages=[stage])
    assert unstructure(config) == {"stages": [wire]}
    assert structure({"stages": [wire]}, WorkflowConfig) == config
    assert unstructure(stage, Stage) == wire
    assert structure(wire, Stage) == stage  # type: ignore[arg-type]


def test_stage_type_names() -> None:
    assert (StageSend.TYPE, StageDelay.TYPE, StageWaitEvent.TYPE, StageNoOp.TYPE) == (
        "send",
        "delay",
        "wait_event",
        "noop",
    )


def test_bare_unstructure_gives_the_parameters_and_raw_stage_the_one_key_form() -> None:
    assert unstructure(StageDelay(duration="10s")) == {"duration": "10s"}
    assert unstructure(StageNoOp()) == {}
    assert unstructure(RawStage(type="foo", params={"a": 1})) == {"foo": {"a": 1}}
    assert structure({"foo": {"a": 1}}, RawStage) == RawStage(type="foo", params={"a": 1})


def test_convenience_constructors_build_the_nested_objects() -> None:
    assert StageSendSource.of_account("a", ledger="l") == StageSendSource(
        account=StageSendSourceAccount(id="a", ledger="l")
    )
    assert StageSendSource.of_payment("p") == StageSendSource(payment=StageSendSourcePayment(id="p"))
    assert StageSendDestination.of_wallet("w", balance="b") == StageSendDestination(
        wallet=StageSendDestinationWallet(id="w", balance="b")
    )
    assert StageSendDestination.of_payment() == StageSendDestination(
        payment=StageSendDestinationPayment(psp="stripe")
    )


def test_config_omits_unset_fields_but_keeps_an_empty_stage_list() -> None:
    assert unstructure(WorkflowConfig()) == {}
    assert unstructure(WorkflowConfig(stages=[])) == {"stages": []}
    assert unstructure(WorkflowConfig(name="")) == {"name": ""}


def test_stored_config_with_null_stages_and_empty_name() -> None:
    config = structure({"name": "", "stages": None}, WorkflowConfig)
    assert config == WorkflowConfig(name="", stages=None)


def test_stored_stage_with_variables_keeps_them_typed() -> None:
    # The service stores stages raw (keys sorted), so variables stay where ints are expected.
    stored = {
        "send": {
            "amount": {"amount": "${amt}", "asset": "USD/2"},
            "destination": {"account": {"id": "users:${id}"}},
            "source": {"account": {"id": "world", "ledger": "${ledger}"}},
        }
    }
    stage = structure_stage(stored)
    assert stage == StageSend(
        source=StageSendSource.of_account("world", ledger="${ledger}"),
        destination=StageSendDestination.of_account("users:${id}"),
        amount=Monetary(asset="USD/2", amount="${amt}"),
    )
    assert unstructure_stage(stage) == stored


def test_numeric_string_amounts_and_big_ints_decode_to_int() -> None:
    big = 2**80 + 1
    stage = structure_stage({"send": {"amount": {"amount": str(big), "asset": "EUR/2"}}})
    assert isinstance(stage, StageSend)
    assert stage.amount == Monetary(asset="EUR/2", amount=big)
    stage = structure_stage({"send": {"amount": {"amount": big, "asset": "EUR/2"}}})
    assert isinstance(stage, StageSend)
    assert stage.amount is not None
    assert stage.amount.amount == big
    assert unstructure(stage)["amount"]["amount"] == big


@pytest.mark.parametrize("kind", ["send", "delay", "wait_event", "noop", "update"])
def test_null_stage_value_reads_as_an_empty_stage(kind: str) -> None:
    # the service treats a null stage value as {} and stores such a stage as given: read back, it is
    # typed with every field unset, though a builder would refuse it
    stage = structure_stage({kind: None})
    assert type(stage) is STAGE_TYPES[kind]
    assert attrs.asdict(stage) == dict.fromkeys(attrs.asdict(stage))  # type: ignore[arg-type]
    assert unstructure_stage(stage) == {kind: {}}


def test_null_fields_inside_a_stage_read_as_unset() -> None:
    stage = structure_stage({"send": {"amount": None, "destination": None, "source": {"account": None}}})
    assert isinstance(stage, StageSend)
    assert (stage.amount, stage.destination) == (None, None)
    assert stage.source is not None and attrs.asdict(stage.source) == dict.fromkeys(
        ["account", "wallet", "payment"]
    )
    delay = structure_stage({"delay": {"duration": None, "until": None}})
    assert isinstance(delay, StageDelay) and (delay.duration, delay.until) == (None, None)


ACCOUNT_A, ACCOUNT_B = StageSendSource.of_account("a"), StageSendDestination.of_account("b")
MONEY = Monetary(asset="USD/2", amount=1)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: StageSend(source=ACCOUNT_A, destination=ACCOUNT_B),
            "a send needs an amount unless its source is a payment",
        ),
        (
            lambda: StageSend(source=None, destination=ACCOUNT_B, amount=MONEY),
            "a send needs a source and a destination",
        ),
        (lambda: StageSendSource(), "a send source needs exactly one of account, wallet, payment; got none"),
        (
            lambda: StageSendDestination(
                account=StageSendDestinationAccount(id="a"), wallet=StageSendDestinationWallet(id="w")
            ),
            "a send destination needs exactly one of account, wallet, payment; got account and wallet",
        ),
        (lambda: StageSendSource.of_wallet(), "a send source wallet needs exactly one of id, name; got none"),
        (lambda: StageSendDestination.of_wallet("w1", name="main-wallet"), "got id and name"),
        (lambda: StageDelay(), "a delay needs exactly one of duration, until; got none"),
        (lambda: StageDelay(duration="1s", until=datetime(2030, 1, 1, tzinfo=UTC)), "got duration and until"),
        (lambda: StageWaitEvent(event=""), "a wait_event needs the name of the event"),
        (lambda: StageUpdate(account=None), "an update needs the account to change"),
    ],
)
def test_builders_refuse_what_the_service_would_fail_at_run_time(build: Any, message: str) -> None:
    with pytest.raises(InvalidStageError) as caught:
        build()
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, OrchestrationError)


def test_builders_accept_what_the_service_runs() -> None:
    payment = StageSend(source=StageSendSource.of_payment("p"), destination=ACCOUNT_B)  # its amount
    assert payment.amount is None
    assert StageSend(source=ACCOUNT_A, destination=ACCOUNT_B, amount=Monetary(asset="X", amount="${a}"))
    assert StageSendSource.of_wallet(name="main-wallet").wallet is not None
    assert StageDelay(duration="${wait}").duration == "${wait}"
    assert StageWaitEvent(event="go").event == "go"


def test_a_stage_the_service_would_refuse_is_still_sent_as_a_raw_stage() -> None:
    stage = RawStage(type="send", params={"source": {"account": {"id": "a"}}})
    assert unstructure(WorkflowConfig(stages=[stage])) == {
        "stages": [{"send": {"source": {"account": {"id": "a"}}}}]
    }


@pytest.mark.parametrize(
    "stored",
    [
        {"send": {"amount": {"amount": 100, "asset": None}}},  # null in a required string
        {"send": {"source": {"account": {"id": None}}}},
        {"send": {"amount": {"amount": True, "asset": "EUR/2"}}},
        {"send": {"source": "world"}},  # not an object
        {"delay": {"until": "next tuesday"}},
        {"wait_event": {"event": 3}},
    ],
)
def test_stage_that_does_not_fit_its_type_is_kept_raw(stored: dict[str, Any]) -> None:
    ((kind, params),) = stored.items()
    stage = structure_stage(stored)
    assert stage == RawStage(type=kind, params=params)
    assert unstructure_stage(stage) == stored


def test_unknown_stage_type_is_kept_raw_and_round_trips() -> None:
    wire = {
        "name": "mixed",
        "stages": [{"noop": {}}, {"webhook": {"method": "POST", "url": "https://x.invalid"}}],
    }
    config = structure(wire, WorkflowConfig)
    assert config.stages == [
        StageNoOp(),
        RawStage(type="webhook", params={"method": "POST", "url": "https://x.invalid"}),
    ]
    assert unstructure(config) == wire


def test_unknown_keys_inside_stages_are_ignored() -> None:
    assert structure_stage({"delay": {"duration": "7s", "seconds": "7d"}}) == StageDelay(duration="7s")


@pytest.mark.parametrize("item", [{}, {"delay": {}, "noop": {}}, None, "noop", ["noop"]])
def test_stage_item_that_is_not_a_one_key_object_is_refused(item: Any) -> None:
    with pytest.raises(ValueError, match="exactly one key"):
        structure_stage(item)


def test_stage_value_that_is_not_an_object_is_refused_for_unknown_types() -> None:
    with pytest.raises(TypeError):
        structure_stage({"webhook": "x"})


def test_delay_until_reads_nanoseconds_and_offsets() -> None:
    stage = structure_stage({"delay": {"until": "2023-06-01T10:00:00.123456789+02:00"}})
    assert isinstance(stage, StageDelay)
    assert stage.until == datetime(2023, 6, 1, 8, 0, 0, 123456, tzinfo=UTC)
    assert stage.until is not None
    assert stage.until.utcoffset() == timedelta(hours=2)


def test_workflow_read_back_with_stored_stages() -> None:
    body = {
        "id": "1b3c9a34-26cb-4a3b-9c3a-2d6c0b8e5f01",
        "config": {
            "name": "payout",
            "stages": [
                {
                    "send": {
                        "amount": {"amount": 100, "asset": "EUR/2"},
                        "destination": {"account": {"id": "bank", "ledger": "default"}},
                        "source": {"account": {"id": "world", "ledger": "default"}},
                    }
                },
                {"wait_event": {"event": "continue"}},
            ],
        },
        "createdAt": "2023-04-13T08:39:07.123456789Z",
        "updatedAt": "2023-04-13T08:39:07.123456789Z",
        "deletedAt": None,
    }
    workflow = structure(body, Workflow)
    assert workflow.id == "1b3c9a34-26cb-4a3b-9c3a-2d6c0b8e5f01"
    assert workflow.created_at == datetime(2023, 4, 13, 8, 39, 7, 123456, tzinfo=UTC)
    assert workflow.updated_at == workflow.created_at
    assert workflow.config.stages == [
        StageSend(
            source=StageSendSource.of_account("world", ledger="default"),
            destination=StageSendDestination.of_account("bank", ledger="default"),
            amount=Monetary(asset="EUR/2", amount=100),
        ),
        StageWaitEvent(event="continue"),
    ]
    again = unstructure(workflow)
    assert again["config"] == body["config"]
    assert again["createdAt"] == "2023-04-13T08:39:07.123456Z"
    assert again["deletedAt"] is None  # as the body had it


def test_models_are_frozen() -> None:
    stage = StageDelay(duration="1s")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        stage.duration = "2s"  # type: ignore[misc]
    decoded = structure_stage({"delay": {"duration": "1s"}})
    assert isinstance(decoded, StageDelay)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        decoded.duration = "2s"  # type: ignore[misc]
    assert decoded == stage
    assert hash(decoded) == hash(stage)


def test_stage_list_mixes_typed_raw_and_null_stages() -> None:
    bad_send = {"send": {"amount": {"amount": 1, "asset": None}}}
    wire = {"stages": [{"noop": None}, bad_send, {"delay": {"duration": "1s"}}, {"x": {}}]}
    config = structure(wire, WorkflowConfig)
    assert config.stages == [
        StageNoOp(),
        RawStage(type="send", params=bad_send["send"]),
        StageDelay(duration="1s"),
        RawStage(type="x", params={}),
    ]
    with pytest.raises(ValueError, match="exactly one key"):
        structure({"stages": [{"noop": {}}, {}]}, WorkflowConfig)
