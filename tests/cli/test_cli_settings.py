"""Options, environment variables and their precedence; usage errors exit 2 with one line."""

from __future__ import annotations

import argparse

import pytest

from formance_orchestration.cli import main
from formance_orchestration.cli._errors import UsageError
from formance_orchestration.cli._parser import build_parser
from formance_orchestration.cli._settings import Settings, resolve_settings

ENV_NAMES = (
    "FORMANCE_ORCHESTRATION_URL",
    "FORMANCE_ORCHESTRATION_PREFIX",
    "FORMANCE_TOKEN",
    "FORMANCE_CLIENT_ID",
    "FORMANCE_CLIENT_SECRET",
    "FORMANCE_TOKEN_URL",
    "FORMANCE_ORCHESTRATION_TIMEOUT",
    "FORMANCE_ORCHESTRATION_OUTPUT",
    "FORMANCE_ORCHESTRATION_RETRIES",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


def settings_for(argv: list[str], environ: dict[str, str] | None = None) -> Settings:
    namespace = build_parser().parse_args(argv)
    return resolve_settings(namespace, environ or {})


def test_defaults() -> None:
    settings = settings_for(["workflows", "list"])
    assert settings.base_url == "http://localhost"
    assert settings.prefix == "/api/orchestration"
    assert settings.token is None and settings.client_id is None
    assert settings.timeout is None and settings.retries is None
    assert settings.output == "table"
    assert settings.fake is False


def test_environment_is_read() -> None:
    settings = settings_for(
        ["workflows", "list"],
        {
            "FORMANCE_ORCHESTRATION_URL": "https://acme.sandbox.formance.cloud/",
            "FORMANCE_ORCHESTRATION_PREFIX": "orchestration/",
            "FORMANCE_TOKEN": "tok-123456",
            "FORMANCE_ORCHESTRATION_TIMEOUT": "2.5",
            "FORMANCE_ORCHESTRATION_OUTPUT": "json",
            "FORMANCE_ORCHESTRATION_RETRIES": "0",
        },
    )
    assert settings.base_url == "https://acme.sandbox.formance.cloud"
    assert settings.prefix == "/orchestration"
    assert settings.token == "tok-123456"
    assert settings.timeout == 2.5
    assert settings.output == "json"
    assert settings.retries == 0


def test_options_win_over_environment_before_or_after_the_command() -> None:
    environ = {"FORMANCE_ORCHESTRATION_URL": "http://from-env", "FORMANCE_ORCHESTRATION_OUTPUT": "json"}
    before = settings_for(["--base-url", "http://before", "-o", "table", "workflows", "list"], environ)
    after = settings_for(["workflows", "list", "--url", "http://after", "--output", "table"], environ)
    assert (before.base_url, before.output) == ("http://before", "table")
    assert (after.base_url, after.output) == ("http://after", "table")


def test_empty_prefix_means_no_prefix() -> None:
    assert settings_for(["--prefix", "", "server-info"]).prefix == ""
    assert settings_for(["server-info", "--prefix", "/"]).prefix == ""


def test_http_timeout_and_wait_timeout_are_different_options() -> None:
    namespace = build_parser().parse_args(
        ["--http-timeout", "3", "instances", "wait", "abc", "--timeout", "60", "--interval", "0.5"]
    )
    settings = resolve_settings(namespace, {})
    assert settings.timeout == 3.0
    assert namespace.wait_timeout == 60.0
    assert namespace.wait_interval == 0.5
    assert settings_for(["instances", "show", "x", "--http-timeout", "7"]).timeout == 7.0


def test_timeout_before_the_command_is_refused_with_the_option_to_use(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # It used to be the HTTP timeout there and the wait limit after the command: one option, one meaning.
    code = main(["--timeout", "3", "instances", "wait", "abc", "--timeout", "60"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert "--timeout before the command is not an option: use --http-timeout SECONDS" in err


def test_global_help_lists_one_timeout_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out, _ = capsys.readouterr()
    assert "--http-timeout SECONDS" in out
    assert "--timeout" not in out.replace("--http-timeout", "")
    assert "same as" not in out


def test_client_credentials_from_environment() -> None:
    settings = settings_for(
        ["server-info"],
        {
            "FORMANCE_CLIENT_ID": "cli",
            "FORMANCE_CLIENT_SECRET": "s3cr3t-value",
            "FORMANCE_TOKEN_URL": "http://auth/token",
        },
    )
    assert (settings.client_id, settings.client_secret, settings.token_url) == (
        "cli",
        "s3cr3t-value",
        "http://auth/token",
    )
    assert "s3cr3t-value" not in repr(settings)
    assert "s3cr3t-value" in settings.secrets


def test_token_is_not_in_repr() -> None:
    settings = settings_for(["--token", "very-secret-token", "server-info"])
    assert "very-secret-token" not in repr(settings)


@pytest.mark.parametrize(
    ("argv", "environ", "message"),
    [
        (["--client-id", "x", "server-info"], {}, "--client-secret"),
        (["--client-secret", "y", "server-info"], {}, "--client-id"),
        (["--token", "t", "--client-id", "x", "--client-secret", "y", "server-info"], {}, "not both"),
        (["--base-url", "localhost:8080", "server-info"], {}, "http://"),
        (["--http-timeout", "0", "server-info"], {}, "--http-timeout"),
        (["server-info"], {"FORMANCE_ORCHESTRATION_TIMEOUT": "soon"}, "FORMANCE_ORCHESTRATION_TIMEOUT"),
        (["server-info"], {"FORMANCE_ORCHESTRATION_OUTPUT": "yaml"}, "table, json"),
        (["--retries", "-1", "server-info"], {}, "--retries"),
        (["server-info"], {"FORMANCE_ORCHESTRATION_RETRIES": "many"}, "FORMANCE_ORCHESTRATION_RETRIES"),
    ],
)
def test_bad_settings_are_usage_errors(argv: list[str], environ: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        settings_for(argv, environ)
    assert message in caught.value.message
    assert caught.value.code == 2


def test_usage_error_through_main_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--client-id", "x", "server-info"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("formance-orchestration: error: client credentials need both")


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["workflows"],
        ["workflows", "frobnicate"],
        ["instances", "stage-history", "abc", "one"],
        ["workflows", "run", "wf", "--var", "novalue"],
        ["instances", "wait", "i", "--timeout", "-3"],
        ["--output", "yaml", "workflows", "list"],
    ],
)
def test_argparse_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "usage: formance-orchestration" in err


def test_help_and_version_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out, _ = capsys.readouterr()
    assert "FORMANCE_ORCHESTRATION_URL" in out and "exit codes" in out
    assert main(["--version"]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith("formance-orchestration ")
    assert main(["instances", "wait", "--help"]) == 0
    out, _ = capsys.readouterr()
    assert "--timeout" in out and "--base-url" in out


def test_var_parses_name_and_value_keeping_equals_signs() -> None:
    namespace = build_parser().parse_args(["workflows", "run", "wf", "--var", "a=1", "--var", "expr=x=y"])
    assert namespace.variables == [("a", "1"), ("expr", "x=y")]


def test_empty_ids_are_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["instances", "show", ""]) == 2
    assert "must not be empty" in capsys.readouterr().err


def test_namespace_has_no_connection_attributes_unless_given() -> None:
    namespace = build_parser().parse_args(["workflows", "list"])
    assert isinstance(namespace, argparse.Namespace)
    assert not hasattr(namespace, "base_url") and not hasattr(namespace, "token")
