"""Every command through ``main([...])``, in both output formats, against the fake intercepting requests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import responses

from fakeserver.responses_adapter import FakeOrchestration
from formance_orchestration._converter import structure
from formance_orchestration.models import (
    ServerInfo,
    Workflow,
    WorkflowInstance,
    WorkflowInstanceHistory,
    WorkflowInstanceHistoryStage,
)

Runner = Callable[..., Any]
MakeWorkflow = Callable[..., str]

FLOW_YAML = """\
name: payout
stages:
  - send:
      source: {account: {id: world}}
      destination: {account: {id: "users:${user}"}}
      amount: {amount: "${amount}", asset: EUR/2}
  - delay: {duration: 10m}
  - wait_event: {event: approved}
"""


def _run_instance(fake: FakeOrchestration, workflow_id: str, variables: dict[str, str] | None = None) -> str:
    return str(fake.engine.run_workflow(workflow_id, variables).instance.id)


@pytest.fixture
def flow_file(tmp_path: Path) -> Path:
    path = tmp_path / "payout.yaml"
    path.write_text(FLOW_YAML)
    return path


# -- server-info -----------------------------------------------------------------------------------


def test_server_info(fake: FakeOrchestration, cli: Runner) -> None:
    table = cli("server-info")
    assert table.code == 0
    assert "Version  develop" in table.out
    assert "http://localhost/api/orchestration" in table.out
    as_json = cli("server-info", "-o", "json")
    assert json.loads(as_json.out) == {"version": "develop"}
    assert structure(json.loads(as_json.out), ServerInfo).version == "develop"


# -- workflows -------------------------------------------------------------------------------------


def test_workflows_create_from_yaml_table(fake: FakeOrchestration, cli: Runner, flow_file: Path) -> None:
    result = cli("workflows", "create", str(flow_file))
    assert result.code == 0, result.err
    (workflow,) = fake.engine.list_workflows()
    assert result.out.startswith(f"Created workflow {workflow.id}\n")
    assert "Name      payout" in result.out
    assert "world -> users:${user}  ${amount} EUR/2" in result.out
    assert "for 10m" in result.out
    assert "for event 'approved'" in result.out
    # the file went to the server as JSON, exactly as written
    body = json.loads(fake.calls[-1].body)
    assert body["stages"][1] == {"delay": {"duration": "10m"}}


def test_workflows_create_json_round_trips(fake: FakeOrchestration, cli: Runner, flow_file: Path) -> None:
    result = cli("-o", "json", "workflows", "create", str(flow_file))
    assert result.code == 0
    data = json.loads(result.out)
    assert set(data) >= {"id", "config", "createdAt", "updatedAt"}
    assert data["config"]["stages"][2] == {"wait_event": {"event": "approved"}}
    workflow = structure(data, Workflow)
    assert workflow.id == fake.engine.list_workflows()[0].id


def test_workflows_create_quiet_from_stdin(
    fake: FakeOrchestration, cli: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO('{"name": "n", "stages": [{"noop": {}}]}'))
    result = cli("workflows", "create", "-", "-q")
    assert result.code == 0
    assert result.out == fake.engine.list_workflows()[0].id + "\n"


def test_workflows_create_rejected_by_the_server(
    fake: FakeOrchestration, cli: Runner, tmp_path: Path
) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"stages": [{"teleport": {}}]}')
    result = cli("workflows", "create", str(path))
    assert result.code == 1
    assert result.out == ""
    assert result.err == (
        "formance-orchestration: error: HTTP 500 INTERNAL_ERROR: "
        "creating workflow: unable to resolve schema teleport\n"
    )


def test_workflows_create_bad_file_is_usage_error(
    fake: FakeOrchestration, cli: Runner, tmp_path: Path
) -> None:
    result = cli("workflows", "create", str(tmp_path / "nope.yaml"))
    assert result.code == 2
    assert result.err.endswith("nope.yaml: no such file\n")
    assert fake.calls == []


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_workflows_create_file_nested_too_deep_is_one_usage_line(
    fake: FakeOrchestration, cli: Runner, tmp_path: Path, suffix: str
) -> None:
    depth = 200_000
    path = tmp_path / f"deep.{suffix}"
    nested = "[" * depth + "]" * depth
    path.write_text('{"name": "x", "stages": ' + nested + "}" if suffix == "json" else f"stages: {nested}\n")
    result = cli("workflows", "create", str(path))
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"formance-orchestration: error: {path}: nested too deeply to read "
        "(a workflow config is a few levels deep)\n"
    )
    assert "Recursion" not in result.err
    assert fake.calls == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: x\nstages:\n  - noop: {}\n    n: " + "9" * 5000 + "\n",
            "not valid YAML or JSON: Exceeds the limit",
        ),
        ("name: x\nstages: &s\n  - send: *s\n", "cannot be sent as JSON: Circular reference detected"),
        ("name: x\nstages:\n  - noop: !!binary aGk=\n", "cannot be sent as JSON: Object of type bytes"),
    ],
)
def test_workflows_create_file_that_is_not_json_data_is_one_usage_line(
    fake: FakeOrchestration, cli: Runner, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(text)
    result = cli("workflows", "create", str(path))
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith(f"formance-orchestration: error: {path}: {message}")
    assert result.err.count("\n") == 1 and "ValueError" not in result.err
    assert fake.calls == []


def test_workflows_list(
    fake: FakeOrchestration, cli: Runner, make_workflow: MakeWorkflow, send_stage: dict[str, Any]
) -> None:
    assert cli("workflows", "list").out == "No workflows.\n"
    assert json.loads(cli("workflows", "list", "-o", "json").out) == []
    first = make_workflow(send_stage, {"delay": {"duration": "1s"}}, name="one")
    second = make_workflow(name="two")
    table = cli("workflows", "list")
    assert table.code == 0
    lines = table.out.splitlines()
    assert lines[0].split() == ["ID", "NAME", "STAGES", "CREATED", "(UTC)"]
    assert any(line.startswith(first) and "one" in line and "send, delay" in line for line in lines)
    assert any(line.startswith(second) and "two" in line for line in lines)
    data = json.loads(cli("workflows", "list", "-o", "json").out)
    assert sorted(item["id"] for item in data) == sorted([first, second])
    assert [structure(item, Workflow).id for item in data]


def test_workflows_show(
    fake: FakeOrchestration, cli: Runner, make_workflow: MakeWorkflow, send_stage: dict[str, Any]
) -> None:
    workflow_id = make_workflow(send_stage, {"wait_event": {"event": "go"}}, name="shown")
    table = cli("workflows", "show", workflow_id)
    assert table.code == 0
    assert f"Workflow  {workflow_id}" in table.out
    assert "Stages    2" in table.out
    assert "world -> bank  100 EUR/2" in table.out
    data = json.loads(cli("workflows", "show", workflow_id, "--output", "json").out)
    assert data["id"] == workflow_id and data["config"]["name"] == "shown"


def test_workflows_show_unknown_is_one_line(fake: FakeOrchestration, cli: Runner) -> None:
    result = cli("workflows", "show", "nope")
    assert result.code == 1
    assert result.out == ""
    assert result.err == (
        "formance-orchestration: error: not found (HTTP 500 INTERNAL_ERROR: sql: no rows in result set)\n"
    )


def test_workflows_run_sends_variables(
    fake: FakeOrchestration, cli: Runner, make_workflow: MakeWorkflow
) -> None:
    workflow_id = make_workflow({"wait_event": {"event": "${event}"}})
    result = cli("workflows", "run", workflow_id, "--var", "event=go", "--var", "unused=a=b", "-o", "json")
    assert result.code == 0, result.err
    instance = json.loads(result.out)
    assert instance["workflowID"] == workflow_id and instance["terminated"] is False
    assert structure(instance, WorkflowInstance).id == instance["id"]
    run_call = fake.calls[-1]
    assert run_call.method == "POST" and json.loads(run_call.body) == {"event": "go", "unused": "a=b"}
    assert fake.engine.waiting_event(instance["id"]) == "go"
    table = cli("workflows", "run", workflow_id)
    assert table.out.startswith("Started instance ") and f"of workflow {workflow_id}" in table.out
    quiet = cli("workflows", "run", workflow_id, "-q")
    assert len(quiet.out.strip()) == 36


def test_workflows_run_wait_success(
    fake: FakeOrchestration, cli: Runner, make_workflow: MakeWorkflow, send_stage: dict[str, Any]
) -> None:
    workflow_id = make_workflow(send_stage, {"delay": {"duration": "5s"}}, name="quick")
    result = cli("workflows", "run", workflow_id, "--wait", "--interval", "1")
    assert result.code == 0, result.err
    assert "Status    succeeded" in result.out
    assert "0  send   succeeded" in " ".join(result.out.split("\n"))
    assert "stage 1 (2 of 2): delay for 5s" in result.err  # progress
    assert "succeeded" in result.err.splitlines()[-1]
    assert fake.bank.balance("bank", "EUR/2") == 100


def test_workflows_run_wait_failure_exits_3(
    fake: FakeOrchestration, cli: Runner, make_workflow: MakeWorkflow
) -> None:
    workflow_id = make_workflow({"wait_event": {}})  # fails validation at run time
    result = cli("-o", "json", "workflows", "run", workflow_id, "--wait")
    assert result.code == 3
    instance = json.loads(result.out)
    assert instance["terminated"] is True
    assert "'required' tag" in instance["error"]
    assert "instance " in result.err and " failed: Key: 'WaitEvent.Event'" in result.err


def test_workflows_create_run_wait(fake: FakeOrchestration, cli: Runner, flow_file: Path) -> None:
    result = cli(
        "workflows",
        "create",
        str(flow_file),
        "--run",
        "--var",
        "user=7",
        "--var",
        "amount=40",
        "--wait",
        "--timeout",
        "900",
        "--interval",
        "30",
    )
    # the wait_event stage never gets its event: the wait times out (virtual time) with exit 4
    assert result.code == 4
    assert "Created workflow" in result.out and "Started instance" in result.out
    assert "stage 2 (3 of 3): wait_event for event 'approved'" in result.err
    assert result.err.splitlines()[-1].startswith("formance-orchestration: error: instance ")
    assert "still running after 15m" in result.err
    assert fake.bank.balance("users:7", "EUR/2") == 40


def test_create_options_need_run(fake: FakeOrchestration, cli: Runner, flow_file: Path) -> None:
    result = cli("workflows", "create", str(flow_file), "--wait")
    assert result.code == 2 and "--wait needs --run" in result.err


# -- instances -------------------------------------------------------------------------------------


def test_instances_list(
    fake: FakeOrchestration, cli: Runner, make_workflow: MakeWorkflow, send_stage: dict[str, Any]
) -> None:
    assert cli("instances", "list").out == "No instances.\n"
    assert cli("instances", "list", "--running").out == "No running instances.\n"
    done_flow = make_workflow(send_stage)
    waiting_flow = make_workflow({"wait_event": {"event": "go"}})
    done = _run_instance(fake, done_flow)
    waiting = _run_instance(fake, waiting_flow)
    table = cli("instances", "list").out
    assert any(line.startswith(done) and "succeeded" in line for line in table.splitlines())
    assert any(line.startswith(waiting) and "running" in line for line in table.splitlines())
    running = json.loads(cli("instances", "list", "--running", "-o", "json").out)
    assert [item["id"] for item in running] == [waiting]
    by_workflow = json.loads(cli("instances", "list", "--workflow", done_flow, "-o", "json").out)
    assert [structure(item, WorkflowInstance).id for item in by_workflow] == [done]
    assert "workflowID=" + done_flow in fake.calls[-1].query


def test_instances_show(
    fake: FakeOrchestration, cli: Runner, make_workflow: MakeWorkflow, send_stage: dict[str, Any]
) -> None:
    instance_id = _run_instance(fake, make_workflow(send_stage, {"delay": {"duration": "1h"}}, name="nice"))
    table = cli("instances", "show", instance_id)
    assert table.code == 0
    assert f"Instance  {instance_id}" in table.out
    assert "(nice)" in table.out
    assert "Status    running" in table.out
    rows = [line.split() for line in table.out.splitlines() if line[:5].strip().isdigit()]
    assert rows[0][:3] == ["0", "send", "succeeded"]
    assert rows[1][:3] == ["1", "delay", "running"]
    data = json.loads(cli("instances", "show", instance_id, "-o", "json").out)
    assert [row["stage"] for row in data["status"]] == [0, 1]
    assert structure(data, WorkflowInstance).status is not None


def test_instances_show_unknown_is_one_line(fake: FakeOrchestration, cli: Runner) -> None:
    result = cli("instances", "show", "does-not-exist")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "formance-orchestration: error: not found (HTTP 500 INTERNAL_ERROR: Instance not found)\n"
    )


def test_instances_history_shows_what_moved(
    fake: FakeOrchestration, cli: Runner, make_workflow: MakeWorkflow, send_stage: dict[str, Any]
) -> None:
    instance_id = _run_instance(fake, make_workflow(send_stage, {"wait_event": {"event": "go"}}))
    table = cli("instances", "history", instance_id)
    assert table.code == 0, table.err
    assert "world -> bank  100 EUR/2" in table.out
    assert "Stage 0 activities:" in table.out
    assert "CreateTransaction default: world -> bank 100 EUR/2" in table.out
    assert "tx 0" in table.out or "tx 1" in table.out
    assert "for event 'go'" in table.out
    data = json.loads(cli("instances", "history", instance_id, "-o", "json").out)
    assert [item["name"] for item in data] == ["RunSend", "RunWaitEvent"]
    assert data[0]["input"]["amount"] == {"amount": 100, "asset": "EUR/2"}
    assert [structure(item, WorkflowInstanceHistory).name for item in data] == ["RunSend", "RunWaitEvent"]


def test_instances_stage_history(
    fake: FakeOrchestration, cli: Runner, make_workflow: MakeWorkflow, send_stage: dict[str, Any]
) -> None:
    instance_id = _run_instance(fake, make_workflow(send_stage, {"delay": {"duration": "1s"}}))
    table = cli("instances", "stage-history", instance_id, "0")
    assert table.code == 0
    assert "CreateTransaction default: world -> bank 100 EUR/2" in table.out
    assert "done" in table.out
    data = json.loads(cli("-o", "json", "instances", "stage-history", instance_id, "0").out)
    assert data[0]["name"] == "CreateTransaction"
    assert data[0]["input"]["CreateTransaction"]["ledger"] == "default"
    assert structure(data[0], WorkflowInstanceHistoryStage).attempt == 1
    assert cli("instances", "stage-history", instance_id, "1").out.startswith("No activities")
    missing = cli("instances", "stage-history", instance_id, "7")
    assert missing.code == 1
    assert missing.err == (
        "formance-orchestration: error: not found (HTTP 404 NOT_FOUND: resource not found)\n"
    )


def test_pending_activity_shows_retrying(
    fake: FakeOrchestration, cli: Runner, make_workflow: MakeWorkflow
) -> None:
    stage = {
        "send": {
            "source": {"account": {"id": "empty:account"}},
            "destination": {"account": {"id": "bank"}},
            "amount": {"amount": 100, "asset": "EUR/2"},
        }
    }
    instance_id = _run_instance(fake, make_workflow(stage))
    fake.advance(4)
    table = cli("instances", "stage-history", instance_id, "0")
    assert "retrying (attempt" in table.out
    assert "insufficient fund" in table.out


def test_send_event(fake: FakeOrchestration, cli: Runner, make_workflow: MakeWorkflow) -> None:
    instance_id = _run_instance(fake, make_workflow({"wait_event": {"event": "go"}}))
    wrong = cli("-o", "json", "instances", "send-event", instance_id, "stop")
    assert (wrong.code, wrong.out) == (0, "")
    assert fake.engine.waiting_event(instance_id) == "go"
    right = cli("instances", "send-event", instance_id, "go")
    assert right.out == f"Sent event 'go' to instance {instance_id}.\n"
    assert json.loads(fake.calls[-1].body) == {"name": "go"}
    assert fake.engine.get_instance(instance_id).terminated


def test_abort_then_wait_exits_3(fake: FakeOrchestration, cli: Runner, make_workflow: MakeWorkflow) -> None:
    instance_id = _run_instance(fake, make_workflow({"wait_event": {"event": "go"}}))
    abort = cli("instances", "abort", instance_id)
    assert abort.code == 0 and abort.out.startswith(f"Abort requested for instance {instance_id}")
    assert fake.calls[-1].method == "PUT"
    waited = cli("instances", "wait", instance_id)
    assert waited.code == 3
    assert "Status    aborted" in waited.out
    assert "Error     canceled" in waited.out
    assert waited.err.splitlines()[-1] == f"instance {instance_id} aborted"
    shown = json.loads(cli("instances", "show", instance_id, "-o", "json").out)
    assert shown["error"] == "canceled"


def test_wait_reports_progress_and_succeeds(
    fake: FakeOrchestration, cli: Runner, make_workflow: MakeWorkflow
) -> None:
    instance_id = _run_instance(fake, make_workflow({"delay": {"duration": "3s"}}, {"noop": {}}))
    result = cli("instances", "wait", instance_id, "--interval", "1", "-o", "json")
    assert result.code == 0
    assert json.loads(result.out)["terminated"] is True
    progress = result.err.splitlines()
    assert progress[0] == f"waiting for instance {instance_id} (up to 5m, Ctrl-C to stop)"
    assert "stage 0 (1 of 2): delay for 3s" in progress[1]
    assert progress[-1].endswith("] succeeded")
    assert progress[-1].startswith("[")


def test_wait_timeout_exits_4(fake: FakeOrchestration, cli: Runner, make_workflow: MakeWorkflow) -> None:
    instance_id = _run_instance(fake, make_workflow({"wait_event": {"event": "go"}}))
    result = cli("instances", "wait", instance_id, "--timeout", "5", "--no-progress")
    assert result.code == 4
    assert result.out == ""
    assert result.err == (
        f"formance-orchestration: error: instance {instance_id} still running after 5s "
        f"(stage 0 (1 of 1): wait_event for event 'go'); raise --timeout or check it with: "
        f"instances show {instance_id}\n"
    )


def test_wait_unknown_instance(fake: FakeOrchestration, cli: Runner) -> None:
    result = cli("instances", "wait", "ghost", "--no-progress")
    assert result.code == 1
    assert result.err == (
        "formance-orchestration: error: not found (HTTP 500 INTERNAL_ERROR: Instance not found)\n"
    )


# -- errors, secrets, --fake, fake serve -----------------------------------------------------------


def test_connection_refused_is_one_line(cli: Runner, closed_port: int) -> None:
    result = cli("--base-url", f"http://127.0.0.1:{closed_port}", "workflows", "list")
    assert result.code == 1
    assert result.out == ""
    assert result.err == (
        f"formance-orchestration: error: cannot connect to http://127.0.0.1:{closed_port}"
        f"/api/orchestration/workflows: connection refused\n"
    )


def test_secrets_are_never_printed(cli: Runner) -> None:
    token = "tok-very-secret-123"
    with responses.RequestsMock() as mock:
        mock.get(
            "http://localhost/api/orchestration/workflows",
            status=500,
            json={"errorCode": "INTERNAL_ERROR", "errorMessage": f"bad token {token}"},
        )
        result = cli("--token", token, "workflows", "list")
        assert mock.calls[0].request.headers["Authorization"] == f"Bearer {token}"
    assert result.code == 1
    assert token not in result.err and token not in result.out
    assert result.err == "formance-orchestration: error: HTTP 500 INTERNAL_ERROR: bad token ***\n"


def test_non_json_error_body(cli: Runner) -> None:
    with responses.RequestsMock() as mock:
        mock.get(
            "http://localhost/api/orchestration/_info",
            status=404,
            body="404 page not found\n",
            content_type="text/plain; charset=utf-8",
        )
        result = cli("server-info")
    assert (result.code, result.err) == (
        1,
        "formance-orchestration: error: HTTP 404: 404 page not found\n",
    )


def test_prefix_and_base_url_are_used(cli: Runner) -> None:
    with responses.RequestsMock() as mock:
        mock.get("https://stack.example/orch/_info", json={"version": "v2.0.0"})
        result = cli("--base-url", "https://stack.example/", "--prefix", "orch", "server-info", "-o", "json")
    assert json.loads(result.out) == {"version": "v2.0.0"}


def test_fake_flag_runs_against_an_embedded_fake(cli: Runner, flow_file: Path) -> None:
    info = cli("--fake", "server-info")
    assert info.code == 0 and "embedded fake" in info.out
    result = cli(
        "--fake",
        "-o",
        "json",
        "workflows",
        "create",
        str(flow_file),
        "--run",
        "--var",
        "user=9",
        "--var",
        "amount=5",
        "--wait",
        "--timeout",
        "60",
        "--no-progress",
    )
    assert result.code == 4  # the event never comes: the wait times out on the fake's virtual clock
    assert "still running" in result.err
    empty = cli("--fake", "workflows", "list")
    assert empty.out == "No workflows.\n"  # state lives for one command only


def test_fake_flag_with_a_workflow_that_ends(cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "flow.json"
    path.write_text(json.dumps({"name": "f", "stages": [{"delay": {"duration": "1h"}}, {"noop": {}}]}))
    result = cli(
        "workflows",
        "create",
        str(path),
        "--run",
        "--wait",
        "--fake",
        "--timeout",
        "7200",
        "--interval",
        "120",
    )
    assert result.code == 0, result.err
    assert "Status    succeeded" in result.out
    assert "still at stage 0 (1 of 2): delay for 1h" in result.err  # heartbeat while nothing changes


def test_fake_serve_delegates_to_fakeserver_main(cli: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    import fakeserver.__main__ as fakeserver_main

    seen: list[list[str]] = []

    def fake_main(argv: list[str], *, prog: str) -> int:
        assert prog == "formance-orchestration fake serve"
        seen.append(list(argv))
        return 0

    monkeypatch.setattr(fakeserver_main, "main", fake_main)
    assert cli("fake", "serve", "--port", "0", "--quiet").code == 0
    assert cli("fake", "serve").code == 0
    assert seen == [["--port", "0", "--quiet"], []]


def test_ctrl_c_exits_130(fake: FakeOrchestration, cli: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    from formance_orchestration.cli import _commands

    def interrupted(*args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setitem(_commands.COMMANDS, "server_info", interrupted)
    result = cli("server-info")
    assert (result.code, result.out, result.err) == (130, "", "formance-orchestration: interrupted\n")


def test_debug_variable_adds_a_redacted_traceback(
    fake: FakeOrchestration, cli: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet = cli("--token", "tok-abcdef", "instances", "show", "ghost")
    assert "Traceback" not in quiet.err
    monkeypatch.setenv("FORMANCE_ORCHESTRATION_DEBUG", "1")
    loud = cli("--token", "tok-abcdef", "instances", "show", "ghost")
    assert loud.code == 1
    assert loud.err.startswith(
        "formance-orchestration: error: not found (HTTP 500 INTERNAL_ERROR: Instance not found)\n"
    )
    assert "Traceback (most recent call last)" in loud.err
    assert "tok-abcdef" not in loud.err


def test_wait_names_a_send_stuck_retrying(
    fake: FakeOrchestration, cli: Runner, make_workflow: MakeWorkflow
) -> None:
    stage = {
        "send": {
            "source": {"account": {"id": "users:broke"}},
            "destination": {"account": {"id": "bank"}},
            "amount": {"amount": 100, "asset": "EUR/2"},
        }
    }
    instance_id = _run_instance(fake, make_workflow(stage))
    result = cli("instances", "wait", instance_id, "--timeout", "40", "--interval", "10")
    assert result.code == 4
    lines = result.err.splitlines()
    assert "stage 0 (1 of 1): send, retrying CreateTransaction (attempt " in lines[1]
    assert lines[1].endswith("): account had insufficient funds")
    assert any(line.split("] ", 1)[1].startswith("still at stage 0") for line in lines[2:-1])
    assert lines[-1].endswith(
        f"insufficient funds); raise --timeout or check it with: instances show {instance_id}"
    )
