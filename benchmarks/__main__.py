"""Command line: run the benchmarks, print the table, optionally write the figures as JSON.

``python -m benchmarks`` (full, under two minutes on two cores), ``--quick`` (under 20 seconds),
``--smoke`` (tiny sizes, one round: the smoke test's mode; its figures mean nothing), ``--json PATH``,
``--only AREA`` (repeatable: client, sdk, read, decode, routes, fake, http, scale, timers, import),
``--rounds N``.
Exit status: 0 when every area ran (misses included; an optional area's SKIP too, e.g. the SDK
baseline without the SDK installed), 1 when an area failed or could not run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import AREAS
from benchmarks._harness import MODES, Result, Status, format_table

__all__ = ["main", "run_areas"]

SCHEMA = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="Run the benchmarks of the client and the fake."
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--quick",
        action="store_const",
        const="quick",
        dest="mode",
        help="smaller sizes and fewer rounds (under 20 s)",
    )
    size.add_argument(
        "--smoke",
        action="store_const",
        const="smoke",
        dest="mode",
        help="tiny sizes, one round: checks that every code path runs",
    )
    parser.add_argument("--json", metavar="PATH", type=Path, help="write the figures as JSON to PATH")
    parser.add_argument(
        "--only",
        metavar="AREA",
        action="append",
        choices=[area.AREA for area in AREAS],
        help="run only this area (repeatable)",
    )
    parser.add_argument("--rounds", type=int, metavar="N", help="rounds per comparison (default per mode)")
    parser.set_defaults(mode="full")
    return parser


def run_areas(
    mode: str, *, only: Sequence[str] | None = None, rounds: int | None = None, progress: bool = True
) -> list[Result]:
    """Run the areas (all, or ``only``) in ``mode``; an area that fails gives ERROR lines, not a crash."""
    settings = MODES[mode]
    if rounds is not None:
        settings = dataclasses.replace(settings, rounds=max(1, rounds))
    results: list[Result] = []
    for area in AREAS:
        if only and area.AREA not in only:
            continue
        started = time.perf_counter()
        try:
            area_results = area.run(settings)
        except Exception as exc:  # one broken area must not hide the others
            if progress:
                traceback.print_exc(file=sys.stderr)
            status: Status = "SKIP" if isinstance(exc, ImportError) else "ERROR"
            area_results = [
                Result(
                    id=id_,
                    area=area.AREA,
                    title="",
                    unit="-",
                    subject_label="",
                    status=status,
                    note=f"{type(exc).__name__}: {exc}",
                )
                for id_ in area.EXPECTED
            ]
        results.extend(area_results)
        if progress:
            seconds = time.perf_counter() - started
            print(f"[benchmarks] {area.AREA}: {seconds:.1f} s", file=sys.stderr, flush=True)
    return results


def _legend(results: Sequence[Result]) -> str:
    lines = ["", "what is measured (subject vs baseline):"]
    for result in results:
        if result.title:
            versus = f" vs {result.baseline_label}" if result.baseline_label else ""
            lines.append(f"  {result.id}: {result.title} [{result.subject_label}{versus}]")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m benchmarks``; returns the exit status."""
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    results = run_areas(args.mode, only=args.only, rounds=args.rounds)
    elapsed = time.perf_counter() - started
    print(format_table(results))
    print(_legend(results))
    counts = {
        status: sum(result.status == status for result in results)
        for status in ("PASS", "MISS", "INFO", "SKIP", "ERROR")
    }
    print(f"\nmode {args.mode}, {elapsed:.1f} s; " + ", ".join(f"{k} {v}" for k, v in counts.items() if v))
    if args.json is not None:
        document: dict[str, Any] = {
            "schema": SCHEMA,
            "mode": args.mode,
            "started": stamp,
            "elapsed_s": elapsed,
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "rounds": args.rounds or MODES[args.mode].rounds,
            "summary": counts,
            "results": [result.to_json() for result in results],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    optional = {area.AREA for area in AREAS if getattr(area, "OPTIONAL", False)}
    failed = [r for r in results if r.status == "ERROR" or (r.status == "SKIP" and r.area not in optional)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
