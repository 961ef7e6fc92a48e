"""Benchmarks of the client and the fake: ``python -m benchmarks [--quick | --smoke] [--json PATH]``.

Run from the repository root, e.g. ``python -m benchmarks --json benchmarks/results.json`` (the
``benchmarks/results*.json`` files are ignored by git). The full run takes under two minutes on two
cores, ``--quick`` under twenty seconds; each prints a table (median [min..max] over interleaved
rounds, the ratio, the target and PASS/MISS) and writes the same figures as JSON.

One module per area, each with ``AREA`` (its key), ``EXPECTED`` (the ids of the results it reports)
and ``run(settings) -> list[Result]``:

- ``client_overhead``: the client's cost per call over bare ``requests`` (same no-op transport), with
  the collector on, in this interpreter and with a million more live objects;
- ``sdk_baseline``: the client against ``formance-sdk-python`` 9.0.1 on the same bodies (optional:
  SKIP rows when that SDK is not installed, which does not fail the run);
- ``read_path``: the client's read of a large body over a socket against ``requests``' own read;
- ``decoding``: the client's decode step (parse, structure) against ``json.loads`` of the same bytes,
  and its peak memory;
- ``routes``: each route tried for decoding speed (collector pause, parser, construction,
  timestamps, cattrs' own functions, ``gc.freeze``) against its alternative;
- ``fake_inprocess``: the fake through ``responses`` against static ``responses`` routes;
- ``fake_http``: the fake's HTTP server against a minimal stdlib keep-alive server;
- ``scale``: the fake's call costs against its store size, and its memory per instance;
- ``timers``: one clock skip of the fake with 10,000 instances retrying against 100;
- ``import_time``: what importing the package adds to ``import requests``.

Nothing here is part of the installed packages, and nothing in the test suite is timed: the smoke test
(``tests/benchmarks``) only checks that ``--smoke`` runs and writes the expected JSON.
"""

from __future__ import annotations

from benchmarks import (
    client_overhead,
    decoding,
    fake_http,
    fake_inprocess,
    import_time,
    read_path,
    routes,
    scale,
    sdk_baseline,
    timers,
)

__all__ = ["AREAS", "EXPECTED_IDS"]

#: The areas in the order they run.
AREAS = (
    client_overhead,
    sdk_baseline,
    read_path,
    decoding,
    routes,
    fake_inprocess,
    fake_http,
    scale,
    timers,
    import_time,
)
#: Every result id a complete run reports.
EXPECTED_IDS: tuple[str, ...] = tuple(id_ for area in AREAS for id_ in area.EXPECTED)
