"""Workflow files, and how failures become one line and an exit code."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import requests

from formance_orchestration import _exceptions as errors
from formance_orchestration.cli._errors import CliError, ExitCode, UsageError, describe_exception, redact
from formance_orchestration.cli._files import load_workflow_config, parse_workflow_config

# -- workflow files --------------------------------------------------------------------------------

YAML_CONFIG = """\
name: payout
stages:
  - send:
      source: {account: {id: "users:${user}"}}
      destination: {account: {id: bank}}
      amount: {amount: "${amount}", asset: USD/2}
  - delay:
      until: 2023-06-01T00:00:00Z
  - wait_event: {event: approved}
"""


def test_yaml_is_read_and_timestamps_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(YAML_CONFIG)
    config = load_workflow_config(str(path), io.StringIO())
    assert config["name"] == "payout"
    assert config["stages"][0]["send"]["amount"] == {"amount": "${amount}", "asset": "USD/2"}
    assert config["stages"][1] == {"delay": {"until": "2023-06-01T00:00:00Z"}}


def test_json_is_read_from_stdin() -> None:
    config = load_workflow_config("-", io.StringIO('{"name": "x", "stages": [{"noop": {}}]}'))
    assert config == {"name": "x", "stages": [{"noop": {}}]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("- a\n- b\n", "got a list"),
        ("42", "got int"),
        ("name: x\nstages: nope\n", "'stages' must be a list"),
        ("name: [unclosed\n", "not valid YAML or JSON (line"),
    ],
)
def test_bad_files_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_workflow_config(text, "flow.yaml")
    assert caught.value.message.startswith("flow.yaml: ")
    assert message in caught.value.message


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        load_workflow_config(str(tmp_path / "missing.yaml"), io.StringIO())
    with pytest.raises(UsageError, match="is a directory"):
        load_workflow_config(str(tmp_path), io.StringIO())


# -- one-line errors -------------------------------------------------------------------------------


def test_api_error_line_has_status_code_and_message() -> None:
    exc = errors.NotFoundServerError(
        status_code=500,
        error_code="INTERNAL_ERROR",
        error_message="Instance not found",
        operation="getInstance",
    )
    assert describe_exception(exc) == (
        "not found (HTTP 500 INTERNAL_ERROR: Instance not found)",
        ExitCode.API_ERROR,
    )


def test_api_error_message_on_several_lines_becomes_one() -> None:
    exc = errors.ServerError(status_code=500, error_code="INTERNAL_ERROR", error_message="a\nb")
    assert describe_exception(exc)[0] == "HTTP 500 INTERNAL_ERROR: a b"


def test_api_errors_without_envelope() -> None:
    assert describe_exception(errors.AuthenticationError(status_code=401))[0] == (
        "HTTP 401: not authorized (check --token or --client-id/--client-secret)"
    )
    assert describe_exception(errors.NotFoundError(status_code=404, body="404 page not found\n"))[0] == (
        "HTTP 404: 404 page not found"
    )
    assert describe_exception(errors.NotFoundError(status_code=404))[0] == (
        "HTTP 404: not found (check --base-url and --prefix)"
    )
    assert describe_exception(errors.ServerError(status_code=500))[0] == "HTTP 500: empty answer"


def test_connection_refused_names_url_and_cause() -> None:
    cause = requests.ConnectionError(
        "HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded "
        "(Caused by NewConnectionError('[Errno 111] Connection refused'))"
    )
    exc = errors.ConnectionFailed(
        "listWorkflows: GET http://127.0.0.1:9/x failed", url="http://127.0.0.1:9/x"
    )
    exc.__cause__ = cause
    assert describe_exception(exc) == (
        "cannot connect to http://127.0.0.1:9/x: connection refused",
        ExitCode.API_ERROR,
    )


def test_timeouts() -> None:
    read = errors.ReadTimeout("slow", url="http://h/x")
    connect = errors.ConnectTimeout("never", url="http://h/x")
    assert describe_exception(read)[0] == "no answer from http://h/x within the timeout (see --http-timeout)"
    assert describe_exception(connect)[0].startswith("cannot connect to http://h/x: no connection")


def test_other_errors() -> None:
    assert describe_exception(UsageError("bad")) == ("bad", ExitCode.USAGE)
    assert describe_exception(CliError("late", ExitCode.WAIT_TIMEOUT)) == ("late", ExitCode.WAIT_TIMEOUT)
    assert describe_exception(errors.DecodeError("getInstance: not JSON"))[0] == (
        "unexpected answer from the server: getInstance: not JSON"
    )
    wait = errors.WaitTimeoutError("still running", instance_id="i", timeout=1.0)
    assert describe_exception(wait) == ("wait timed out: still running", ExitCode.WAIT_TIMEOUT)
    assert describe_exception(ValueError("nope")) == ("ValueError: nope", ExitCode.API_ERROR)


def test_redact_removes_secrets_and_url_credentials() -> None:
    text = "failed for https://user:pw@host/x with token abcd1234 and secret s3cret!"
    assert redact(text, ["abcd1234", "s3cret!", None, ""]) == (
        "failed for https://***@host/x with token *** and secret ***"
    )
