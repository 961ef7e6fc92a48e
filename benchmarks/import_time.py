"""Area 6: what importing ``formance_orchestration`` adds to ``import requests``.

Each round is a fresh interpreter running ``python -X importtime -c "import requests; import
formance_orchestration; ..."``. The baseline is the cumulative time of the top-level ``requests`` entry;
the subject is the sum of the cumulative times of the top-level entries that follow it, i.e. exactly
the modules the package brings in beyond ``requests`` (attrs, cattrs, the models, the client...).
``-X importtime`` itself adds a little to both sides. Byte code is cached (in a temporary
``PYTHONPYCACHEPREFIX``) and one warm-up run fills the cache.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks._harness import Result, Settings, Stats, Target

__all__ = ["AREA", "EXPECTED", "ROOT", "measure_once", "run"]

AREA = "import"
EXPECTED = ("import.package",)

TARGET_MS = 60.0
ROOT = Path(__file__).resolve().parent.parent
#: Byte code of the measured interpreters goes here (not into the checkout), so that imports are
#: measured as users see them: from cached byte code, even where PYTHONDONTWRITEBYTECODE is set.
PYCACHE = Path(tempfile.gettempdir()) / "formance-orchestration-bench-pycache"
#: Also names the client and models modules, so the figure is right before and after the package's
#: ``__init__`` re-exports them (modules imported already add nothing).
STATEMENT = (
    "import requests; import formance_orchestration; import formance_orchestration._client; "
    "import formance_orchestration.models"
)


def measure_once() -> tuple[float, float, dict[str, float]]:
    """One fresh interpreter: ms of ``import requests``, ms the package adds, and the ms (self time) of
    each module the package adds, from ``-X importtime``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPROFILEIMPORTTIME", "PYTHONDONTWRITEBYTECODE")
    }
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    process = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", STATEMENT],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
        timeout=60,
    )
    if process.returncode != 0:
        raise RuntimeError(f"import failed: {process.stderr.strip().splitlines()[-1:]}")
    requests_us: int | None = None
    added_us = 0
    modules: dict[str, float] = {}
    for line in process.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2]
        top_level = len(name) - len(name.lstrip(" ")) == 1
        if requests_us is not None:
            modules[name.strip()] = int(parts[0]) / 1000
            if top_level:
                added_us += int(parts[1])
        elif top_level and name.strip() == "requests":
            requests_us = int(parts[1])
    if requests_us is None:
        raise RuntimeError("no top-level 'requests' entry in the -X importtime output")
    return requests_us / 1000, added_us / 1000, modules


def run(settings: Settings) -> list[Result]:
    """Median over fresh interpreters (15 full, 7 quick, 1 smoke) after one warm-up run."""
    rounds = int(settings.pick(15, 7, 1))
    if settings.mode != "smoke":
        measure_once()  # byte-compile and warm the file cache
    samples = [measure_once() for _ in range(rounds)]
    baseline = [requests_ms for requests_ms, _, _ in samples]
    added = [added_ms for _, added_ms, _ in samples]
    ratios = [added_ms / requests_ms for requests_ms, added_ms, _ in samples]
    names = {name for _, _, modules in samples for name in modules}
    self_ms = {name: statistics.median(modules.get(name, 0.0) for _, _, modules in samples) for name in names}
    heaviest = dict(sorted(self_ms.items(), key=lambda item: -item[1])[:12])
    return [
        Result(
            id="import.package",
            area=AREA,
            title=f"import formance_orchestration on top of requests (-X importtime, {rounds} interpreters)",
            unit="ms",
            subject_label="added by the package",
            subject=Stats.of(added),
            baseline_label="import requests",
            baseline=Stats.of(baseline),
            ratio_label="added/requests",
            ratio=Stats.of(ratios),
            target=Target("<=", TARGET_MS, metric="subject"),
            note=f"{len(names)} modules added; heaviest (self ms): "
            + ", ".join(f"{name} {ms:.1f}" for name, ms in list(heaviest.items())[:6]),
            extra={"modules_added": len(names), "heaviest_self_ms": heaviest},
        ).judge()
    ]
