"""The pytest plugin costs next to nothing in a run that uses none of its fixtures (issue 15, item 2).

The plugin is loaded in every pytest run of an environment where the package is installed. What it
imports is checked, not how long it takes (times are measured in benchmarks, never in tests): a run
without our fixtures must not import the fake, the client, ``requests``, ``responses``, ``attrs``,
``cattrs`` or ``yaml``.
"""

from __future__ import annotations

import sys

import pytest

import fakeserver

pytest_plugins = ["pytester"]

_HEAVY = ("requests", "responses", "attrs", "cattrs", "yaml", "msgspec", "formance_orchestration")

_REPORTER = f"""
import sys

def pytest_collection_finish(session):
    heavy = {_HEAVY!r}
    loaded = sorted(
        name for name in sys.modules
        if name.split(".")[0] in heavy or (name.startswith("fakeserver.") and name not in (
            "fakeserver.pytest_plugin", "fakeserver._server_fixture"))
    )
    print("LOADED:", ",".join(loaded))
"""


def _loaded(result: pytest.RunResult) -> list[str]:
    (line,) = [line for line in result.outlines if line.startswith("LOADED:")]
    return [name for name in line.removeprefix("LOADED:").strip().split(",") if name]


def test_a_run_without_our_fixtures_imports_nothing_heavy(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(_REPORTER)
    pytester.makepyfile("def test_plain():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=1)
    assert _loaded(result) == []


def test_the_plugin_is_active_in_that_run_and_its_fixtures_import_on_use(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(_REPORTER)
    pytester.makepyfile(
        """
        def test_fake(orchestration_client):
            assert orchestration_client.get_server_info().version
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s", "--fixtures")
    assert "orchestration_fake" in result.stdout.str()
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=1)


def test_minus_p_no_fakeserver_leaves_the_plugin_out(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_fake(orchestration_fake):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:fakeserver")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'orchestration_fake' not found*"])


def test_the_package_imports_its_names_on_first_use() -> None:
    assert sorted(fakeserver._LAZY) == sorted(fakeserver.__all__)
    for name in fakeserver.__all__:
        assert getattr(fakeserver, name) is not None
    assert fakeserver.FakeOrchestration.__module__ == "fakeserver.responses_adapter"
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        fakeserver.Nope  # noqa: B018
    assert "Engine" in dir(fakeserver)
    assert "fakeserver.responses_adapter" in sys.modules
