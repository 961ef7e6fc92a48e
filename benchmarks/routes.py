"""Area 2b: the routes tried to make decoding cheap, each measured against its alternative (issue 12).

Every row is INFO (the targets are area 1's); the note says what the figure decided.

* ``routes.loads_paused.*``: ``json.loads`` with the cyclic collector paused vs on (route 1).
* ``routes.msgspec.*``: the ``msgspec`` parser vs ``json.loads``, both with the collector on (route 2).
* ``routes.msgspec_paused.*``: ``msgspec`` with the collector paused vs ``json.loads`` with it on.
* ``routes.builder.*``: structuring (collector off) with the same-layout builders vs with a slot
  ``__set__`` call per field, the former construction (route 3).
* ``routes.timestamp_cache``: parsing the instances' timestamps with ``datetime.fromisoformat`` and a
  per-decode dict cache vs without it (route 3: timestamps).
* ``routes.cattrs_gen.*``: structuring (collector off) with ``cattrs.gen.make_dict_structure_fn`` and
  ``override(rename=...)`` for every model vs the generated functions of ``_converter`` (route 4: the
  library's functions would replace the emitter if within 10%).
* ``routes.freeze.heap1m``: ``json.loads`` with a million live objects moved out of the collector's
  sight by ``gc.freeze()`` vs seen by it (why the client does not freeze: it is process-wide).
"""

from __future__ import annotations

import functools
import gc
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from unittest import mock

from benchmarks._harness import Result, Settings, compare, live_objects, result_from_pair
from benchmarks.client_overhead import HEAP_OBJECTS, bodies_for

__all__ = ["AREA", "EXPECTED", "run"]

AREA = "routes"
EXPECTED = (
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
)


@contextmanager
def _paused() -> Iterator[None]:
    from formance_orchestration._decoding import paused_collector

    with paused_collector:
        yield


def _row(
    id_: str,
    title: str,
    subject: tuple[str, Callable[[], object]],
    baseline: tuple[str, Callable[[], object]],
    settings: Settings,
    *,
    collector: bool,
    note: str = "",
) -> Result:
    pair = compare(subject[1], baseline[1], settings, collector=collector)
    return result_from_pair(
        pair,
        id=id_,
        title=title + ("" if collector else " (collector off)"),
        subject_label=subject[0],
        baseline_label=baseline[0],
        ratio_label="time ratio",
        unit="us/call",
        note=note,
    )


def _cattrs_converter() -> Any:
    """A converter with this client's hooks, but ``make_dict_structure_fn`` for every model."""
    import attrs
    import cattrs
    from cattrs.gen import make_dict_structure_fn, override

    from formance_orchestration._converter import _is_model, configure_converter, wire_name

    c = cattrs.Converter(detailed_validation=False, forbid_extra_keys=False)
    configure_converter(c)

    def model(cls: Any) -> Any:
        renames: dict[str, Any] = {a.name: override(rename=wire_name(a)) for a in attrs.fields(cls)}
        return make_dict_structure_fn(cls, c, _cattrs_detailed_validation=False, **renames)

    c.register_structure_hook_factory(_is_model, model)  # later registrations win
    return c


def _one_argument(fn: Callable[[Any, Any], object]) -> Callable[[Any], object]:
    return lambda data: fn(data, None)


def _timestamps(instances: dict[str, Any]) -> list[str]:
    keys = ("createdAt", "updatedAt", "terminatedAt")
    return [item[key] for item in instances["data"] for key in keys if key in item]


def run(settings: Settings) -> list[Result]:
    """Measure every route on the 1,000-workflow and 1,000-instance bodies."""
    from formance_orchestration import _converter
    from formance_orchestration._converter import converter, make_structure_fn, structure
    from formance_orchestration._decoding import loads
    from formance_orchestration.models import ListRunsResponse, ListWorkflowsResponse

    bodies = bodies_for(settings)
    raw = {"workflows": bodies.workflows_bytes, "instances": bodies.instances_bytes}
    classes: dict[str, type[Any]] = {"workflows": ListWorkflowsResponse, "instances": ListRunsResponse}
    parsed = {name: json.loads(body) for name, body in raw.items()}
    results: list[Result] = []

    def paused(fn: Callable[[], object]) -> Callable[[], object]:
        def call() -> object:
            with _paused():
                return fn()

        return call

    def bound(fn: Callable[[Any], object], arg: Any) -> Callable[[], object]:
        return lambda: fn(arg)

    for name in ("workflows", "instances"):
        results.append(
            _row(
                f"routes.loads_paused.{name}",
                f"json.loads of the {name} body, collector paused vs on",
                ("json.loads, paused", paused(bound(json.loads, raw[name]))),
                ("json.loads", bound(json.loads, raw[name])),
                settings,
                collector=True,
            )
        )
    for name in ("workflows", "instances"):
        results.append(
            _row(
                f"routes.msgspec.{name}",
                f"parse the {name} body: msgspec vs json.loads",
                ("msgspec", bound(loads, raw[name])),
                ("json.loads", bound(json.loads, raw[name])),
                settings,
                collector=True,
            )
        )
    results.append(
        _row(
            "routes.msgspec_paused.workflows",
            "parse the workflows body: msgspec, collector paused vs json.loads",
            ("msgspec, paused", paused(lambda: loads(raw["workflows"]))),
            ("json.loads", lambda: json.loads(raw["workflows"])),
            settings,
            collector=True,
        )
    )
    for name in ("workflows", "instances"):
        cls, data = classes[name], parsed[name]
        with mock.patch.object(_converter, "_builder", lambda cls: None):
            slot_set = make_structure_fn(cls, converter)
        builders = make_structure_fn(cls, converter)
        if slot_set(data, None) != builders(data, None):
            raise RuntimeError("the two constructions disagree")
        results.append(
            _row(
                f"routes.builder.{name}",
                f"structure the {name}: builders + __class__ vs a slot __set__ per field",
                ("builders", bound(_one_argument(builders), data)),
                ("slot __set__", bound(_one_argument(slot_set), data)),
                settings,
                collector=False,
            )
        )
    texts = _timestamps(parsed["instances"])
    fromiso = datetime.fromisoformat

    def cached() -> object:
        cache: dict[str, datetime] = {}
        out = []
        for text in texts:
            value = cache.get(text)
            if value is None:
                value = cache[text] = fromiso(text)
            out.append(value)
        return out

    results.append(
        _row(
            "routes.timestamp_cache",
            f"parse the {len(texts):,} timestamps of the instances body: dict cache vs none",
            ("fromisoformat + cache", cached),
            ("fromisoformat", lambda: [fromiso(text) for text in texts]),
            settings,
            collector=False,
            note=f"{len(set(texts)):,} distinct texts of {len(texts):,}",
        )
    )
    library = _cattrs_converter()
    for name in ("workflows", "instances"):
        cls, data = classes[name], parsed[name]
        if library.structure(data, cls) != structure(data, cls):
            raise RuntimeError("cattrs' functions and the emitter's disagree")
        pair_row = _row(
            f"routes.cattrs_gen.{name}",
            f"structure the {name}: cattrs make_dict_structure_fn vs the emitter",
            ("cattrs.gen", bound(functools.partial(library.structure, cl=cls), data)),
            ("emitter", bound(functools.partial(structure, cls=cls), data)),
            settings,
            collector=False,
        )
        ratio = pair_row.ratio.median if pair_row.ratio else float("nan")
        pair_row.note = f"{'within' if ratio <= 1.10 else 'not within'} 10% of the emitter"
        results.append(pair_row)
    heap = int(settings.pick(HEAP_OBJECTS, HEAP_OBJECTS, 10_000))
    body = raw["workflows"]
    with live_objects(heap):

        def frozen() -> object:
            gc.freeze()
            try:
                return json.loads(body)
            finally:
                gc.unfreeze()

        results.append(
            _row(
                "routes.freeze.heap1m",
                f"json.loads of the workflows body, {heap:,} live objects: frozen vs seen",
                ("gc.freeze()", frozen),
                ("json.loads", lambda: json.loads(body)),
                settings,
                collector=True,
            )
        )
    return results
