"""Smoke test of ``python -m benchmarks``: the smallest mode runs every area and writes the JSON report.

Nothing is timed and no figure is judged here (PASS or MISS are both fine): ``--smoke`` runs the real
code paths of every area at tiny sizes, one round, in a fresh interpreter.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

CALLS = {"get_instance", "list_workflows", "stage_history", "list_instances"}
EXPECTED_IDS = {
    *(f"client.{call}" for call in CALLS),
    *(f"client.{call}.heap1m" for call in CALLS),
    *(f"sdk.{call}" for call in CALLS),
    "decode.instance",
    "decode.workflows",
    "decode.stage_history",
    "decode.instances",
    "decode.memory_workflows",
    "read.workflows_body",
    "routes.loads_paused.workflows",
    "routes.loads_paused.instances",
    "routes.msgspec.workflows",
    "routes.msgspec.instances",
    "routes.msgspec_paused.workflows",
    "routes.builder.workflows",
    "routes.builder.instances",
    "routes.timestamp_cache",
    "routes.cattrs_gen.workflows",
    "routes.cattrs_gen.instances",
    "routes.freeze.heap1m",
    "fake.get_instance",
    "fake.list_instances",
    "fake.run_workflow",
    "fake.scenario",
    "http.get_instance",
    "scale.seed_rate",
    "scale.get_instance.large",
    "scale.list_by_workflow.large",
    "scale.get_instance.huge",
    "scale.list_by_workflow.huge",
    "scale.memory_per_instance",
    "scale.memory_per_send_instance",
    "timers.retry_skip",
    "timers.retry_skip_1k",
    "import.package",
}
RESULT_KEYS = {
    "id",
    "area",
    "title",
    "unit",
    "subject_label",
    "subject",
    "baseline_label",
    "baseline",
    "ratio_label",
    "ratio",
    "target",
    "status",
    "note",
    "extra",
    "gc_share",
}


def _check_stats(stats: Any, where: str) -> None:
    assert set(stats) == {"median", "min", "max"}, where
    assert all(isinstance(stats[key], float | int) and math.isfinite(stats[key]) for key in stats), where
    assert stats["min"] <= stats["median"] <= stats["max"], where


def test_smoke_mode_runs_every_area_and_writes_the_json_report(tmp_path: Path) -> None:
    report = tmp_path / "nested" / "bench.json"
    process = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--json", str(report)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-5000:]

    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["schema"] == 1
    assert document["mode"] == "smoke"
    assert {"started", "elapsed_s", "python", "platform", "cpus", "rounds", "summary"} <= set(document)
    ids = [result["id"] for result in document["results"]]
    assert sorted(ids) == sorted(EXPECTED_IDS)
    for result in document["results"]:
        where = result["id"]
        assert set(result) == RESULT_KEYS, where
        assert result["area"] == where.split(".")[0]
        if result["status"] == "SKIP":  # only the optional SDK baseline, and it says why
            assert (
                result["area"] == "sdk" and "formance-sdk-python" in result["note"] + result["baseline_label"]
            )
            continue
        assert result["status"] in {"PASS", "MISS", "INFO"}, (where, result["note"])
        _check_stats(result["subject"], where)
        if result["area"] == "client":  # timed with the collector on: its share of each side
            _check_stats(result["gc_share"]["subject"], where)
            _check_stats(result["gc_share"]["baseline"], where)
        if result["baseline"] is not None:
            _check_stats(result["baseline"], where)
            _check_stats(result["ratio"], where)
        if result["target"] is not None:
            assert result["status"] in {"PASS", "MISS"}, where
            assert result["target"]["op"] in {"<=", ">=", "<"}, where
    # Every target-bearing line judged, and the summary agrees with the lines.
    statuses = [result["status"] for result in document["results"]]
    assert {key: value for key, value in document["summary"].items() if value} == {
        status: statuses.count(status) for status in set(statuses)
    }
    # The same figures are printed as a table, with the verdicts.
    for id_ in EXPECTED_IDS:
        assert id_ in process.stdout
    assert "client/bare" in process.stdout


def test_the_sdk_row_s_history_body_is_in_the_later_shapes_and_the_client_reads_it_typed() -> None:
    from benchmarks._bodies import encode, sdk_readable_history, stage_history_body
    from formance_orchestration import RawActivity
    from formance_orchestration._converter import structure
    from formance_orchestration.models import GetWorkflowInstanceHistoryStageResponse

    original = stage_history_body(12)
    body = sdk_readable_history(original)
    assert original != body and "accountID" in json.dumps(original)  # a copy: the original is kept
    names = set()
    for item in body["data"]:
        name = item["name"]
        names.add(name)
        data = (item.get("output") or {}).get(name, {}).get("data")
        if name == "CreateTransaction" and data is not None:
            assert data["id"] == data["txid"] and data["reverted"] is False
        if name == "GetPayment" and data is not None:
            assert "accountID" not in data and data["amount"] == data["initialAmount"]
        wallet = item["input"][name].get("data") or {}
        assert wallet.get("metadata", {}) is not None and wallet.get("sources", []) is not None
    assert {"CreateTransaction", "GetPayment", "DebitWallet", "CreditWallet"} <= names
    decoded = structure(json.loads(encode(body)), GetWorkflowInstanceHistoryStageResponse)
    assert len(decoded.data) == 12  # (no round trip: the body's timestamps have nanoseconds)
    assert not any(
        isinstance(x.input, RawActivity) or isinstance(x.output, RawActivity) for x in decoded.data
    )
