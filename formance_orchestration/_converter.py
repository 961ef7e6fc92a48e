"""The one cattrs converter of the client, built and configured once, on first use.

``structure(data, cls)`` turns decoded JSON into models, ``unstructure(obj)`` turns models into
JSON-ready values with the API's wire names. Importing this module does not import ``cattrs``: the
converter is built, and its hooks registered, by the first call that needs it (``structure``,
``unstructure``, ``warm_up`` or reading :data:`converter`), under a lock, exactly once. The function
of each model is generated the first time the model is used, then cached by the converter (call
:func:`warm_up` to generate them all at once). Structuring functions come from
:func:`make_structure_fn` (the equivalent of ``cattrs.gen.make_dict_structure_fn`` without detailed
validation, specialised for speed), unstructuring ones from ``cattrs.gen.make_dict_unstructure_fn``
with ``override(rename=..., omit_if_default=...)``.

Hooks registered by :func:`configure_converter`:

* attrs models (frozen, slotted): generated functions. The wire name of a field is its camelCase
  name with a trailing ``_id`` written ``ID`` (``workflow_id`` -> ``workflowID``), unless its
  metadata names it under ``"wire"``. Unknown keys are ignored. Unstructuring omits a field
  whose default is ``None`` when it is ``None``.
* ``list[Model]`` (and ``list[Model] | None``): generated functions; ``null`` gives ``[]`` (``None``
  for the optional form), anything but an array is refused.
* ``dict[str, X]`` for other ``X`` than ``Any``/``str`` (balances, volumes): generated functions;
  keys must be strings, values follow the hook of ``X``.
* ``str``, ``bool``: the value must already have that type (no coercion, so ``null`` is refused).
* ``int``: JSON integers of any size; numeric strings and integral floats are accepted too.
* ``int | str`` (``Monetary.amount``): as ``int``, but a non-numeric string (``${amount}``) is kept.
* ``datetime``: :func:`formance_orchestration._datetime.parse_datetime` /
  :func:`~formance_orchestration._datetime.format_datetime`.
* ``dict[str, Any]`` / ``dict[str, str]`` (metadata) and ``Any``: kept as decoded, not copied.
* ``X | None``: ``None`` stays ``None``. A ``null`` for a field with a factory default (the
  ``data`` lists of the responses, metadata) gives that default (``[]``, ``{}``).
* ``Stage``: a one-key object ``{"send": {...}}`` <-> the typed stage (see :func:`structure_stage`).
* ``Subject``: discriminated by ``type`` (``ACCOUNT`` / ``WALLET``).
* ``WorkflowInstanceHistory.input``: typed from the item's ``name``; bare parameters on the wire.
* ``WorkflowInstanceHistoryStage.input`` / ``.output``: typed from the one-key wrapper.

Generated functions inline the code of the types they contain (nested models, their lists and
mappings, stage lists, activity wrappers) when the converter's hook for that type is itself one of
these generated functions (a marker on the function says which type its code decodes).
"""

from __future__ import annotations

import linecache
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import MemberDescriptorType, NoneType, UnionType
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, Union, get_args, get_origin

import attrs

from formance_orchestration import models
from formance_orchestration._datetime import format_datetime, parse_datetime
from formance_orchestration.models import (
    ACTIVITY_INPUT_TYPES,
    ACTIVITY_OUTPUT_TYPES,
    HISTORY_STAGE_TYPES,
    STAGE_TYPES,
    LedgerAccountSubject,
    RawActivity,
    RawStage,
    Stage,
    StripeTransferRequest,
    Subject,
    WalletSubject,
    WorkflowInstanceHistory,
    WorkflowInstanceHistoryStage,
)
from formance_orchestration.models import __all__ as _model_names
from formance_orchestration.models._common import AS_SENT

if TYPE_CHECKING:
    import cattrs

    converter: cattrs.Converter
    """The client's converter (built on first use); do not register more hooks on it at run time."""

__all__ = [
    "configure_converter",
    "converter",
    "field_hooks_of",
    "make_structure_fn",
    "structure",
    "structure_owned",
    "structure_stage",
    "unstructure",
    "unstructure_stage",
    "warm_up",
    "wire_name",
]

T = TypeVar("T")
StructureHook = Callable[[Any, Any], Any]

_fromisoformat = datetime.fromisoformat
_new = object.__new__
# stores the wire keys a decoded model had among its fields written as sent (Model's slot)
_SET_SENT = models.Model._sent.__set__  # type: ignore[attr-defined]

# Marker on a generated function: the type whose code it runs (other functions may inline it).
_INLINE_TYPE = "_formance_inline_type"
# Marker on the stage list hook and the activity wrapper hooks: what inlining them needs.
_INLINE_STAGES = "_formance_inline_stages"
_INLINE_WRAPPED = "_formance_inline_wrapped"
# Marker on a generated function given field hooks: (its type, the hooks), for the typed fast path.
_FIELD_HOOKS = "_formance_field_hooks"


def wire_name(field: attrs.Attribute[Any]) -> str:
    """The JSON key of a model field: ``metadata["wire"]``, else camelCase with ``_id`` -> ``ID``.

    :param field: an attrs field of a model.
    """
    explicit = field.metadata.get("wire")
    if explicit:
        return str(explicit)
    head, *rest = field.name.split("_")
    if rest and rest[-1] == "id":
        rest[-1] = "ID"
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# ---------------------------------------------------------------------------------------------
# Scalar hooks. They are called with (value, type); generated functions inline the calls.


def _is_integer_text(text: str) -> bool:
    """Whether ``text`` is an optional sign then ASCII digits (what ``int()`` should be given)."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    return digits.isascii() and digits.isdigit()


def _structure_str(value: Any, _: Any) -> str:
    if value.__class__ is str:
        return value
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _structure_optional_str(value: Any, _: Any) -> str | None:
    if value is None or value.__class__ is str:
        return value
    raise TypeError(f"expected a string or null, got {type(value).__name__}")


def _structure_bool(value: Any, _: Any) -> bool:
    if value.__class__ is bool:
        return value
    raise TypeError(f"expected a boolean, got {type(value).__name__}")


def _structure_int(value: Any, _: Any) -> int:
    if value.__class__ is int:
        return value
    return _coerce_int(value)


def _coerce_int(value: Any) -> int:
    if isinstance(value, str) and _is_integer_text(value):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise TypeError(f"expected an integer, got {value!r}")


def _structure_amount(value: Any, _: Any) -> int | str:
    if value.__class__ is int:
        return value
    if isinstance(value, str) and not _is_integer_text(value):
        return value  # a ${variable}, resolved by the service at run time
    return _coerce_int(value)


def _structure_datetime(value: Any, _: Any) -> datetime:
    try:
        parsed = _fromisoformat(value)
    except ValueError:
        return parse_datetime(value)
    if parsed.tzinfo is None:
        return parse_datetime(value)
    return parsed


def _structure_optional_datetime(value: Any, _: Any) -> datetime | None:
    if value is None:
        return None
    return _structure_datetime(value, None)


def _structure_object(value: Any, _: Any) -> Any:
    if value.__class__ is dict:
        return value
    raise TypeError(f"expected an object, got {type(value).__name__}")


def _structure_optional_object(value: Any, _: Any) -> Any:
    if value is None or value.__class__ is dict:
        return value
    raise TypeError(f"expected an object or null, got {type(value).__name__}")


# ---------------------------------------------------------------------------------------------
# Predicates on types.


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and attrs.has(t)


def _optional_arg(t: Any) -> Any:
    """``X`` for ``X | None`` (exactly two members), else ``None``."""
    if get_origin(t) in (UnionType, Union):
        args = get_args(t)
        if len(args) == 2 and NoneType in args:
            return args[0] if args[1] is NoneType else args[1]
    return None


def _list_arg(t: Any) -> Any:
    if get_origin(t) is list:
        return get_args(t)[0]
    return None


def _equals(expected: Any) -> Callable[[Any], bool]:
    return lambda t: bool(t == expected)


def _is_optional_model(t: Any) -> bool:
    return _is_model(_optional_arg(t))


def _is_model_list(t: Any) -> bool:
    inner = _optional_arg(t)
    item = _list_arg(t if inner is None else inner)
    return item is not None and (_is_model(item) or item == Subject)


# The unions of one activity's shapes across stack versions (``X | Y``, alone or ``| None``).
_ACTIVITY_UNIONS = frozenset(
    t for table in (ACTIVITY_INPUT_TYPES, ACTIVITY_OUTPUT_TYPES) for t in table.values() if get_args(t)
)


def _is_activity_union(t: Any) -> bool:
    """``X | Y`` or ``X | Y | None`` for a union of :data:`_ACTIVITY_UNIONS`."""
    if get_origin(t) not in (UnionType, Union):
        return False
    return Union[tuple(m for m in get_args(t) if m is not NoneType)] in _ACTIVITY_UNIONS  # noqa: UP007


def _is_str_mapping(t: Any) -> bool:
    """``dict[str, X]`` whose values need work (metadata, ``dict[str, Any | str]``, is kept as is)."""
    if get_origin(t) is not dict:
        return False
    args = get_args(t)
    return len(args) == 2 and args[0] is str and args[1] is not Any and args[1] is not str


# ---------------------------------------------------------------------------------------------
# Helpers the generated code calls on its slow paths (errors, non-dict mappings).


def _bad(value: Any, where: str, expected: str) -> NoReturn:
    raise TypeError(f"{where}: expected {expected}, got {type(value).__name__}")


def _not_array(value: Any, what: str) -> NoReturn:
    raise TypeError(f"expected an array{what}, got {type(value).__name__}")


def _not_object(value: Any) -> NoReturn:
    raise TypeError(f"expected an object, got {type(value).__name__}")


def _as_dict(value: Any, cls: type[Any]) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{cls.__name__}: expected an object, got {type(value).__name__}")


_INLINE_CHECKS = {
    str: "a string",
    bool: "a boolean",
    dict[str, Any]: "an object",
    dict[str, str]: "an object",
}


# class -> its builder class (None when CPython refuses the swap; see _builder)
_BUILDERS: dict[type[Any], type[Any] | None] = {}


def _builder(cls: type[Any]) -> type[Any] | None:
    """A plain (not frozen) slotted class with the layout of the model ``cls``, or ``None``.

    A frozen attrs ``__init__`` stores each field through ``object.__setattr__`` and a slot's
    ``__set__`` costs a call per field (about 55 ns); an instance of the builder takes plain
    attribute stores (about 10 ns each), then becomes a ``cls`` by one ``__class__`` assignment,
    which CPython allows between classes of the same layout (same base, same slots) and refuses
    otherwise (a model that adds fields to another model: the slow way is kept for it).
    """
    try:
        return _BUILDERS[cls]
    except KeyError:
        pass
    names = tuple(sorted(field.name for field in attrs.fields(cls)))
    builder = type(f"{cls.__name__}Builder", (models.Model,), {"__slots__": names})
    probe: Any = _new(builder)
    try:
        probe.__class__ = cls
    except TypeError:
        _BUILDERS[cls] = None
        return None
    _BUILDERS[cls] = builder
    return builder


class _StageCodec:
    """What generated code needs to decode a ``list[Stage]`` inline (see ``configure_converter``)."""

    __slots__ = ("fallback", "item", "raw", "typed", "types")

    def __init__(
        self,
        types: Mapping[str, type[Any]],
        raw: Callable[[str, Any], RawStage],
        typed: Callable[[str, Any], Stage],
        item: StructureHook,
        fallback: tuple[type[BaseException], ...],
    ) -> None:
        self.types = types  # kind -> typed stage class
        self.raw = raw  # (kind, params) -> RawStage; refuses non-dict params
        self.typed = typed  # (kind, params) -> typed stage, else RawStage (null params -> {})
        self.item = item  # the hook of one stage item (refuses what is not a one-key object)
        self.fallback = fallback  # what a typed decode may raise before the raw form is kept


class _WrappedCodec:
    """What generated code needs to decode a one-key activity wrapper inline."""

    __slots__ = ("fallback", "hooks", "nullable", "raw")

    def __init__(
        self,
        hooks: Mapping[str, StructureHook | None],
        fallback: tuple[type[BaseException], ...],
        nullable: bool,
        raw: Callable[[dict[str, Any]], RawActivity],
    ) -> None:
        self.hooks = hooks  # name -> the generated function of its class, None when unknown
        self.fallback = fallback
        self.nullable = nullable  # whether null is kept (output) rather than refused (input)
        self.raw = raw  # wrapper -> RawActivity (what this client could not type)


class _CodeGen:
    """What the two code generators (this emitter and ``_typed``'s mirrors) share: the generated
    code's globals, a fresh global name per value, and compiling source that tracebacks can show."""

    def __init__(self, globs: Mapping[str, Any]) -> None:
        self.globs: dict[str, Any] = {
            "__new": _new,
            "__amount": _structure_amount,
            "__fromiso": _fromisoformat,
            "__parse_dt": parse_datetime,
            "__utc": UTC,
            **globs,
        }
        self.count = 0

    def name(self, prefix: str, value: Any) -> str:
        self.count += 1
        name = f"__{prefix}{self.count}"
        self.globs[name] = value
        return name

    def run(self, source: str, filename: str) -> None:
        """Execute ``source`` in the globals, registered with ``linecache`` under ``filename``."""
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(compile(source, filename, "exec"), self.globs)


class _StructureEmitter(_CodeGen):
    """Writes the source of one structuring function; the code of nested types is written inline.

    Variables by depth ``d``: ``o{d}`` the dict of the model built at ``d``, ``x{d}`` that model,
    ``v{d}`` the value being converted; ``r{d}``/``d{d}`` the last timestamp text of the model and
    its parsed value; ``l{d}``/``m{d}`` a list/dict being filled, ``e{d}``/``k{d}``/... loop items.
    """

    def __init__(
        self, c: cattrs.Converter, field_hooks: Mapping[str, StructureHook], *, consume: bool = False
    ) -> None:
        self.c = c
        self.field_hooks = field_hooks
        self.consume = consume  # empty the top-level lists while decoding them (see structure_owned)
        self.lines: list[str] = []
        super().__init__(
            {
                "__as_dict": _as_dict,
                "__bad": _bad,
                "__not_array": _not_array,
                "__not_object": _not_object,
                "__coerce_int": _coerce_int,
                "__str": _structure_str,
            }
        )

    def marker(self, t: Any, marker: str) -> Any:
        """The ``marker`` attribute of the converter's hook for ``t`` (``None`` when it has none)."""
        return getattr(self.c.get_structure_hook(t), marker, None)

    def inlinable(self, t: Any) -> bool:
        """Whether the converter's hook for ``t`` runs the code this emitter writes for ``t``."""
        return bool(self.marker(t, _INLINE_TYPE) == t)

    def model(self, cls: Any, depth: int, indent: str, top: bool) -> None:
        """Build ``x{depth}`` of ``cls`` from the dict ``o{depth}``."""
        o, x, v = f"o{depth}", f"x{depth}", f"v{depth}"
        out = self.lines
        fields = attrs.fields(attrs.resolve_types(cls))
        if not fields:  # immutable and empty: one shared instance will do
            out.append(f"{indent}{x} = {self.name('empty', _new(cls))}")
            return
        builder = _builder(cls)  # x is built as a builder (no __init__ of its own), then given its class
        if builder is None:
            out.append(f"{indent}{x} = __new({self.name('cl', cls)})")
        else:
            out.append(f"{indent}{x} = {self.name('bl', builder)}()")
        # createdAt/updatedAt are usually the same text: parse it once. The first timestamp of
        # the object records its text and value, the next ones compare their text with it.
        kept = any(f.metadata.get(AS_SENT) for f in fields)
        if kept:  # see _unstructure_as_sent
            out.append(f"{indent}s{depth} = ()")
        timestamps = [f for f in fields if datetime in (f.type, _optional_arg(f.type))]
        reuse = {f.name: ("first" if i == 0 else "next") for i, f in enumerate(timestamps)}
        if len(timestamps) < 2:
            reuse = {}
        elif timestamps[0].default is not attrs.NOTHING:
            out.append(f"{indent}r{depth} = None")  # the first one may be absent
        for field in fields:
            slot = getattr(cls, field.name, None)
            if not isinstance(slot, MemberDescriptorType) or field.validator or field.converter:
                raise TypeError(f"{cls.__name__}.{field.name}: only frozen slotted attrs models work here")
            hook = self.field_hooks.get(field.name) if top else None
            key = wire_name(field)
            default = field.default
            where = f"{cls.__name__}.{field.name}"
            ts = reuse.get(field.name)
            if default is attrs.NOTHING:
                out.append(f"{indent}{v} = {o}[{key!r}]")
                self.value(field.type, hook, depth, indent, where, maybe_none=True, ts=ts)
            elif default is None:
                out.append(f"{indent}{v} = {o}.get({key!r})")
                if field.metadata.get(AS_SENT):  # a null sent, to be written back
                    out.append(f"{indent}if {v} is None and {key!r} in {o}: s{depth} += ({key!r},)")
                inner = _optional_arg(field.type)
                inner = field.type if inner is None else inner
                if hook is None and inner in _INLINE_CHECKS:  # one test when it holds a value
                    expected = _INLINE_CHECKS[inner]
                    check = "dict" if expected == "an object" else inner.__name__
                    out.append(
                        f"{indent}if {v}.__class__ is not {check} and {v} is not None: "
                        f"__bad({v}, {where!r}, {expected!r})"
                    )
                else:
                    mark = len(out)
                    self.value(inner, hook, depth, indent + "  ", where, maybe_none=False, ts=ts)
                    if len(out) > mark:
                        out.insert(mark, f"{indent}if {v} is not None:")
            elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                out.append(f"{indent}{v} = {o}.get({key!r})")
                if field.metadata.get(AS_SENT):  # a key not sent, to be left out again
                    out.append(f"{indent}if {v} is None and {key!r} not in {o}: s{depth} += ({key!r},)")
                out.append(f"{indent}if {v} is None: {v} = {self.name('f', default.factory)}()")
                mark = len(out)
                self.value(field.type, hook, depth, indent + "  ", where, maybe_none=False, ts=ts)
                if len(out) > mark:
                    out.insert(mark, f"{indent}else:")
            else:
                out.append(f"{indent}{v} = {o}.get({key!r}, {self.name('d', default)})")
                self.value(field.type, hook, depth, indent, where, maybe_none=True, ts=ts)
            if builder is None:
                out.append(f"{indent}{self.name('s', slot.__set__)}({x}, {v})")
            else:
                out.append(f"{indent}{x}.{field.name} = {v}")
        if kept:  # the keys whose wire form differs from what the value alone writes
            out.append(f"{indent}if s{depth}: {self.name('sent', _SET_SENT)}({x}, s{depth})")
        if builder is not None:
            out.append(f"{indent}{x}.__class__ = {self.name('cl', cls)}")

    def value(
        self,
        t: Any,
        hook: StructureHook | None,
        depth: int,
        indent: str,
        where: str,
        *,
        maybe_none: bool,
        ts: str | None = None,
    ) -> None:
        """Turn ``v{depth}`` into a value of type ``t``.

        :param maybe_none: ``v{depth}`` may still be ``None`` (not filtered by an optional field).
        :param ts: for a timestamp field of a model with several: ``"first"`` or ``"next"``.
        """
        v, out = f"v{depth}", self.lines
        if hook is not None:
            wrapped = getattr(hook, _INLINE_WRAPPED, None)
            if wrapped is not None:
                self.wrapped_code(wrapped, depth, indent, maybe_none)
            else:
                out.append(f"{indent}{v} = {self.name('h', hook)}({v}, None)")
        elif t is Any:
            pass
        elif t is int:
            out.append(f"{indent}if {v}.__class__ is not int: {v} = __coerce_int({v})")
        elif t == int | str and self.c.get_structure_hook(t) is _structure_amount:
            out.append(f"{indent}if {v}.__class__ is not int: {v} = __amount({v}, None)")
        elif t is datetime:
            self.timestamp(depth, indent, ts)
        elif t in _INLINE_CHECKS:
            expected = _INLINE_CHECKS[t]
            check = "dict" if expected == "an object" else t.__name__
            out.append(f"{indent}if {v}.__class__ is not {check}: __bad({v}, {where!r}, {expected!r})")
        elif _is_model(t) and self.inlinable(t):
            inner = f"o{depth + 1}"
            cl = self.name("cl", t)
            out.append(f"{indent}{inner} = {v} if {v}.__class__ is dict else __as_dict({v}, {cl})")
            self.model(t, depth + 1, indent, top=False)
            out.append(f"{indent}{v} = x{depth + 1}")
        elif _list_arg(t) is not None and self.inlinable(t):
            self.list_code(t, depth, indent, where)
        elif _is_str_mapping(t) and self.inlinable(t):
            self.mapping_code(t, depth, indent, where)
        elif (stages := self.marker(t, _INLINE_STAGES)) is not None:
            self.stages_code(stages, depth, indent)
        else:
            hook_name = self.name("h", self.c.get_structure_hook(t))
            out.append(f"{indent}{v} = {hook_name}({v}, {self.name('t', t)})")

    def timestamp(self, depth: int, indent: str, ts: str | None) -> None:
        v, out = f"v{depth}", self.lines
        if ts == "next":
            out.append(f"{indent}if {v} == r{depth}: {v} = d{depth}")
            out.append(f"{indent}else:")
            indent += "  "
        if ts is not None:
            out.append(f"{indent}r{depth} = {v}")
        out.append(f"{indent}try: {v} = __fromiso({v})")
        out.append(f"{indent}except ValueError: {v} = __parse_dt({v})")
        out.append(f"{indent}if {v}.tzinfo is None: {v} = {v}.replace(tzinfo=__utc)")
        if ts is not None:
            out.append(f"{indent}d{depth} = {v}")

    def list_code(self, t: Any, depth: int, indent: str, where: str) -> None:
        """``list[X]``: ``null`` gives ``[]``, anything but a list is refused."""
        v, item, lst, out = f"v{depth}", f"v{depth + 1}", f"l{depth}", self.lines
        out.append(f"{indent}if {v}.__class__ is list:")
        out.append(f"{indent}  {lst} = []")
        if self.consume and depth == 0:  # each item's JSON is freed once it is decoded
            out.append(f"{indent}  {v}.reverse()")
            out.append(f"{indent}  while {v}:")
            out.append(f"{indent}    {item} = {v}.pop()")
        else:
            out.append(f"{indent}  for {item} in {v}:")
        self.value(_list_arg(t), None, depth + 1, indent + "    ", where, maybe_none=True)
        out.append(f"{indent}    {lst}.append({item})")
        out.append(f"{indent}  {v} = {lst}")
        out.append(f"{indent}elif {v} is None: {v} = []")
        out.append(f"{indent}else: __not_array({v}, '')")

    def mapping_code(self, t: Any, depth: int, indent: str, where: str) -> None:
        """``dict[str, X]``: string keys, values of ``X`` (anything without ``items()`` is refused)."""
        v, item, key, res, out = f"v{depth}", f"v{depth + 1}", f"k{depth}", f"m{depth}", self.lines
        out.append(f"{indent}{res} = {{}}")
        out.append(f"{indent}for {key}, {item} in {v}.items():")
        out.append(f"{indent}  if {key}.__class__ is not str: {key} = __str({key}, None)")
        self.value(get_args(t)[1], None, depth + 1, indent + "  ", where, maybe_none=True)
        out.append(f"{indent}  {res}[{key}] = {item}")
        out.append(f"{indent}{v} = {res}")

    def stages_code(self, codec: _StageCodec, depth: int, indent: str) -> None:
        """``list[Stage]``: one-key objects, typed when their kind is known and their values fit.

        Each known kind is tested by membership (cheaper than taking the one key out of the dict)
        and its stage is built inline; an unknown kind, or params that are not an object, go
        through ``codec.typed``, and what is not a one-key object through ``codec.item``.
        """
        v, e, k, p, y, lst = (f"{n}{depth}" for n in ("v", "e", "k", "p", "y", "l"))
        o, out = f"o{depth + 1}", self.lines
        fallback = self.name("fallback", codec.fallback)
        raw, typed = self.name("raw", codec.raw), self.name("typed", codec.typed)
        out.append(f"{indent}if {v}.__class__ is not list: __not_array({v}, ' of stages')")
        out.append(f"{indent}{lst} = []")
        out.append(f"{indent}for {e} in {v}:")
        out.append(f"{indent}  if {e}.__class__ is dict and len({e}) == 1:")
        for i, (kind, cls) in enumerate(codec.types.items()):
            out.append(f"{indent}    {'elif' if i else 'if'} {kind!r} in {e}:")
            out.append(f"{indent}      {o} = {e}[{kind!r}]")
            out.append(f"{indent}      if {o}.__class__ is dict:")
            out.append(f"{indent}        try:")
            if self.inlinable(cls):
                self.model(cls, depth + 1, indent + "          ", top=False)
                out.append(f"{indent}          {y} = x{depth + 1}")
            else:
                hook = self.name("h", self.c.get_structure_hook(cls))
                out.append(f"{indent}          {y} = {hook}({o}, None)")
            out.append(f"{indent}        except {fallback}: {y} = {raw}({kind!r}, {o})")
            out.append(f"{indent}      else: {y} = {typed}({kind!r}, {o})")
        out.append(f"{indent}    else:  # a kind this client does not know: kept raw")
        out.append(f"{indent}      ({k}, {p}), = {e}.items()")
        out.append(f"{indent}      {y} = {raw}({k}, {{}} if {p} is None else {p})")
        out.append(f"{indent}  else: {y} = {self.name('item', codec.item)}({e}, None)")
        out.append(f"{indent}  {lst}.append({y})")
        out.append(f"{indent}{v} = {lst}")

    def wrapped_code(self, codec: _WrappedCodec, depth: int, indent: str, maybe_none: bool) -> None:
        """A one-key activity wrapper: the typed object when the name is known and it fits, else a
        :class:`RawActivity` holding the wrapper."""
        v, k, p, f, out = f"v{depth}", f"k{depth}", f"p{depth}", f"f{depth}", self.lines
        raw = self.name("raw", codec.raw)
        out.append(f"{indent}if {v}.__class__ is dict:")
        out.append(f"{indent}  if len({v}) == 1:")
        out.append(f"{indent}    {k}, = {v}")
        out.append(f"{indent}    {p} = {v}[{k}]")
        out.append(f"{indent}    {f} = {self.name('hooks', codec.hooks)}[{k}]")
        out.append(f"{indent}    if {f} is not None and {p} is not None:")
        out.append(f"{indent}      try: {v} = {f}({p}, None)")
        out.append(f"{indent}      except {self.name('fallback', codec.fallback)}: {v} = {raw}({v})")
        out.append(f"{indent}    else: {v} = {raw}({v})")
        out.append(f"{indent}  else: {v} = {raw}({v})")
        if codec.nullable and maybe_none:
            out.append(f"{indent}elif {v} is not None: __not_object({v})")
        else:
            out.append(f"{indent}else: __not_object({v})")

    def compile_fn(self, name: str, filename: str) -> Callable[[Any, Any], Any]:
        self.run("\n".join(self.lines) + "\n", filename)
        fn: Callable[[Any, Any], Any] = self.globs[name]
        return fn


def make_structure_fn(
    cls: type[T],
    c: cattrs.Converter,
    field_hooks: Mapping[str, StructureHook] | None = None,
    *,
    consume: bool = False,
) -> Callable[[Any, Any], T]:
    """Generate the function that structures a dict into the frozen, slotted model ``cls``.

    Like ``cattrs.gen.make_dict_structure_fn`` without detailed validation, with the wire names of
    :func:`wire_name`, but specialised for speed: ``str``/``bool``/``int``/``datetime``/metadata
    values are handled inline, nested models and their lists are built inline (no call per
    object), ``X | None`` fields convert only non-``None`` values, a ``null`` for a field with a
    factory default gives the default, a timestamp equal to the previous one of the object
    (``updatedAt == createdAt``) is parsed once, and instances are built as a same-layout builder
    class by plain attribute stores, then given their class (see :func:`_builder`; a frozen attrs
    ``__init__`` costs more than the rest of the decoding). Unknown keys are ignored.

    :param cls: an attrs class built with ``attrs.frozen`` (slotted, no validators or converters).
    :param c: the converter that provides the hooks of the other types.
    :param field_hooks: per field name of ``cls``, a hook ``(value, None) -> value`` to use instead.
    :param consume: empty the lists held by the dict's own keys as their items are decoded (for
        data nobody else holds: the decoded JSON is freed as the models are built).
    """
    attrs.resolve_types(cls)  # type: ignore[type-var]
    emitter = _StructureEmitter(c, field_hooks or {}, consume=consume)
    cl = emitter.name("cl", cls)
    emitter.lines.append(f"def structure_{cls.__name__}(o0, _=None):")
    emitter.lines.append(f"  if o0.__class__ is not dict: o0 = __as_dict(o0, {cl})")
    emitter.model(cls, 0, "  ", top=True)
    emitter.lines.append("  return x0")
    fn = emitter.compile_fn(
        f"structure_{cls.__name__}", f"<formance_orchestration structure {cls.__module__}.{cls.__qualname__}>"
    )
    if not field_hooks and not consume:
        setattr(fn, _INLINE_TYPE, cls)  # other functions may inline this one's code
    elif not consume:
        setattr(fn, _FIELD_HOOKS, (cls, dict(field_hooks or {})))
    return fn


def field_hooks_of(c: cattrs.Converter, cls: type[Any]) -> dict[str, StructureHook] | None:
    """The field hooks of the generated function the converter ``c`` has for ``cls`` (``None`` when
    its function is not generated with field hooks)."""
    marker = getattr(c.get_structure_hook(cls), _FIELD_HOOKS, None)
    return marker[1] if marker is not None and marker[0] is cls else None


def _make_value_fn(t: Any, c: cattrs.Converter, *, optional: bool = False) -> StructureHook:
    """Generate the function of a container type (``list[X]``, ``dict[str, X]``), ``X | None`` if
    ``optional``; other functions inline its code when they hold a ``t`` (not when optional)."""
    emitter = _StructureEmitter(c, {})
    out = emitter.lines
    out.append("def structure_value(v0, _=None):")
    if optional:
        out.append("  if v0 is None: return None")
    if _list_arg(t) is not None:  # its own code (asking the converter for its hook would recurse)
        emitter.list_code(t, 0, "  ", str(t))
    else:
        emitter.mapping_code(t, 0, "  ", str(t))
    out.append("  return v0")
    fn = emitter.compile_fn("structure_value", f"<formance_orchestration structure {t!r}>")
    if not optional:
        setattr(fn, _INLINE_TYPE, t)
    return fn


def _make_stage_list_fn(c: cattrs.Converter, codec: _StageCodec) -> StructureHook:
    """Generate the function of ``list[Stage]``; other functions inline its code."""
    emitter = _StructureEmitter(c, {})
    emitter.lines.append("def structure_stage_list(v0, _=None):")
    emitter.stages_code(codec, 0, "  ")
    emitter.lines.append("  return v0")
    fn = emitter.compile_fn("structure_stage_list", "<formance_orchestration structure list[Stage]>")
    setattr(fn, _INLINE_STAGES, codec)
    return fn


def _unstructure_as_sent(
    fn: Callable[[Any], Any], kept: tuple[tuple[str, bool], ...]
) -> Callable[[Any], Any]:
    """Wrap the unstructuring function of a model with fields written as sent (``AS_SENT``).

    A decoded model writes such a field exactly as its body had it: a ``null`` (where ``None`` is
    otherwise omitted) is written back, a key the body did not have (where a factory default is
    otherwise written) is left out. The structuring code records those keys, and only those, in the
    model's ``_sent`` slot; a model built in code (or a copy) has none and writes as usual.

    :param fn: the generated function.
    :param kept: per such field, its wire name and whether ``None`` is its default.
    """

    def unstructure_as_sent(obj: Any) -> Any:
        out = fn(obj)
        sent = getattr(obj, "_sent", None)
        if sent:
            for key, none_default in kept:
                if key in sent:
                    if none_default:
                        out[key] = None  # the body had null
                    else:
                        out.pop(key, None)  # the body did not have the key
        return out

    return unstructure_as_sent


class _HookTable(dict[str, StructureHook | None]):
    """Name -> the structuring function of its class, generated on first lookup (``None`` if unknown)."""

    def __init__(self, c: cattrs.Converter, types: Mapping[str, Any]) -> None:
        super().__init__()
        self.c = c
        self.types = types

    def __missing__(self, key: str) -> StructureHook | None:
        cls = self.types.get(key)
        if cls is None:
            return None  # not cached: unknown names must not grow the table
        hook: StructureHook = self.c.get_structure_hook(cls)
        self[key] = hook
        return hook


def configure_converter(c: cattrs.Converter) -> None:
    """Register every hook listed in the module docstring on ``c`` (functions are generated lazily).

    :param c: a converter built with ``detailed_validation=False``.
    """
    import cattrs
    from cattrs.gen import make_dict_unstructure_fn, override

    # what a typed decode of a stage or an activity may raise before falling back to the raw form
    fallback = (KeyError, TypeError, ValueError, AttributeError, cattrs.BaseValidationError)

    # kind / name -> the generated function of its class (they ignore their second argument)
    stage_hooks = _HookTable(c, STAGE_TYPES)
    history_stage_hooks = _HookTable(c, HISTORY_STAGE_TYPES)
    input_hooks = _HookTable(c, ACTIVITY_INPUT_TYPES)
    output_hooks = _HookTable(c, ACTIVITY_OUTPUT_TYPES)
    subject_hooks = _HookTable(c, {"ACCOUNT": LedgerAccountSubject, "WALLET": WalletSubject})
    activity_names: dict[type[Any], str] = {}
    raw_builder = _builder(RawStage)
    assert raw_builder is not None, "RawStage must be a direct Model subclass"

    # -- stages --------------------------------------------------------------------------------

    def raw_stage(kind: str, params: Any) -> RawStage:
        if params.__class__ is not dict:
            raise TypeError(f"stage {kind!r}: expected an object, got {type(params).__name__}")
        stage = raw_builder()  # what RawStage(type=kind, params=params) gives, faster
        stage.type = kind
        stage.params = params
        stage.__class__ = RawStage
        return stage  # type: ignore[no-any-return]

    def typed_stage_of(hooks: _HookTable, kind: str, params: Any) -> Stage:
        if params is None:
            params = {}  # the service treats a null stage value as an empty object
        hook = hooks[kind]
        if hook is not None:
            try:
                return hook(params, None)  # type: ignore[no-any-return]
            except fallback:
                pass
        return raw_stage(kind, params)

    def typed_stage(kind: str, params: Any) -> Stage:
        return typed_stage_of(stage_hooks, kind, params)

    def structure_stage_item(value: Any, _: Any) -> Stage:
        if value.__class__ is not dict or len(value) != 1:
            raise ValueError(f"a stage must be an object with exactly one key, got {value!r}")
        ((kind, params),) = value.items()
        return typed_stage(kind, params)

    def structure_raw_stage(value: Any, _: Any) -> RawStage:
        if value.__class__ is not dict or len(value) != 1:
            raise ValueError(f"a stage must be an object with exactly one key, got {value!r}")
        ((kind, params),) = value.items()
        return raw_stage(kind, {} if params is None else params)

    def unstructure_stage_item(stage: Stage) -> dict[str, Any]:
        if isinstance(stage, RawStage):
            return {stage.type: c.unstructure(stage.params)}
        return {stage.TYPE: c.unstructure(stage)}

    def unstructure_stage_list(stages: list[Stage] | None) -> list[dict[str, Any]] | None:
        if stages is None:
            return None
        return [unstructure_stage_item(stage) for stage in stages]

    def unstructure_stage_params(stage: Stage) -> Any:
        if stage.__class__ is RawStage:
            return c.unstructure(stage.params)
        return c.unstructure(stage)

    def structure_history(value: Any, _: Any) -> WorkflowInstanceHistory:
        if value.__class__ is not dict:
            value = _as_dict(value, WorkflowInstanceHistory)
        name = _structure_str(value["name"], None)
        terminated_at = value.get("terminatedAt")
        error = value.get("error")
        return WorkflowInstanceHistory(
            name=name,
            input=typed_stage_of(history_stage_hooks, name, value["input"]),
            terminated=_structure_bool(value["terminated"], None),
            started_at=_structure_datetime(value["startedAt"], None),
            error=None if error is None else _structure_str(error, None),
            terminated_at=None if terminated_at is None else _structure_datetime(terminated_at, None),
        )

    # -- activities and subjects ---------------------------------------------------------------

    def raw_activity(value: dict[str, Any]) -> RawActivity:
        return RawActivity(raw=value)

    def structure_wrapped(hooks: _HookTable, value: Any) -> Any:
        if value.__class__ is not dict:
            _not_object(value)
        if len(value) == 1:
            ((name, inner),) = value.items()
            hook = hooks[name]
            if hook is not None and inner is not None:
                try:
                    return hook(inner, None)
                except fallback:
                    pass
        return raw_activity(value)

    def structure_activity_input(value: Any, _: Any) -> Any:
        return structure_wrapped(input_hooks, value)

    def structure_activity_output(value: Any, _: Any) -> Any:
        if value is None:
            return None
        return structure_wrapped(output_hooks, value)

    def unstructure_wrapped(value: Any) -> Any:
        if value is None or value.__class__ is dict:
            return c.unstructure(value)
        if value.__class__ is RawActivity:
            return c.unstructure(value.raw)
        for cls in value.__class__.__mro__:
            name = activity_names.get(cls)
            if name is not None:
                return {name: c.unstructure(value)}
        raise TypeError(f"not an activity input or output: {type(value).__name__}")

    def structure_subject(value: Any, _: Any) -> Subject:
        hook = subject_hooks[value["type"]]
        if hook is None:
            raise ValueError(f"unknown subject type {value['type']!r}")
        return hook(value, None)  # type: ignore[no-any-return]

    def structure_optional_subject(value: Any, _: Any) -> Subject | None:
        return None if value is None else structure_subject(value, None)

    # generated code inlines these (the marker says how)
    stage_codec = _StageCodec(STAGE_TYPES, raw_stage, typed_stage, structure_stage_item, fallback)
    setattr(
        structure_activity_input, _INLINE_WRAPPED, _WrappedCodec(input_hooks, fallback, False, raw_activity)
    )
    setattr(
        structure_activity_output, _INLINE_WRAPPED, _WrappedCodec(output_hooks, fallback, True, raw_activity)
    )

    # -- unions of models (one activity's shapes in different stack versions) -----------------

    def model_union_structure(t: Any) -> StructureHook:
        def list_keys(m: Any) -> tuple[str, ...]:
            return tuple(wire_name(a) for a in attrs.fields(m) if _list_arg(_optional_arg(a.type) or a.type))

        # members with list fields first: {"data": [...]} picks the list shape without a failed try
        members = sorted((m for m in get_args(t) if m is not NoneType), key=lambda m: -len(list_keys(m)))
        shapes = [
            (frozenset(wire_name(a) for a in attrs.fields(m)), list_keys(m), c.get_structure_hook(m))
            for m in members
        ]
        optional = NoneType in get_args(t)

        def structure_union(value: Any, _: Any) -> Any:
            """The first member that has every key sent and lists where it has list fields, if its
            values fit; else the first member whose values fit."""
            if value.__class__ is dict:
                for keys, lists, hook in shapes:
                    if keys.issuperset(value):
                        for key in lists:
                            item = value.get(key)
                            if item is not None and item.__class__ is not list:
                                break
                        else:
                            try:
                                return hook(value, None)
                            except fallback:
                                break
            elif value is None and optional:
                return None
            else:
                _not_object(value)
            for _keys, _lists, hook in shapes[:-1]:
                try:
                    return hook(value, None)
                except fallback:
                    pass
            return shapes[-1][2](value, None)

        return structure_union

    # -- factories -----------------------------------------------------------------------------

    def model_structure(cls: Any) -> StructureHook:
        field_hooks: dict[str, StructureHook] = {}
        if cls is WorkflowInstanceHistoryStage:
            field_hooks = {"input": structure_activity_input, "output": structure_activity_output}
        return make_structure_fn(cls, c, field_hooks)

    def model_unstructure(cls: Any) -> Callable[[Any], Any]:
        overrides: dict[str, Any] = {}
        for a in attrs.fields(cls):
            hook: Callable[[Any], Any] | None = None
            if cls is WorkflowInstanceHistory and a.name == "input":
                hook = unstructure_stage_params
            elif cls is WorkflowInstanceHistoryStage and a.name in ("input", "output"):
                hook = unstructure_wrapped
            overrides[a.name] = override(
                rename=wire_name(a), omit_if_default=a.default is None, unstruct_hook=hook
            )
        fn = make_dict_unstructure_fn(cls, c, **overrides)
        kept = tuple((wire_name(a), a.default is None) for a in attrs.fields(cls) if a.metadata.get(AS_SENT))
        return _unstructure_as_sent(fn, kept) if kept else fn

    def optional_model_structure(t: Any) -> StructureHook:
        inner = _optional_arg(t)
        hook = c.get_structure_hook(inner)

        def structure_optional(value: Any, _: Any) -> Any:
            if value is None:
                return None
            return hook(value, inner)

        return structure_optional

    def model_list_structure(t: Any) -> StructureHook:
        inner = _optional_arg(t)
        return _make_value_fn(t if inner is None else inner, c, optional=inner is not None)

    def mapping_structure(t: Any) -> StructureHook:
        return _make_value_fn(t, c)

    def stage_list_structure(_: Any) -> StructureHook:
        return _make_stage_list_fn(c, stage_codec)

    # -- registration (later registrations win over earlier ones) ------------------------------

    c.register_structure_hook_factory(_is_model, model_structure)
    c.register_unstructure_hook_factory(_is_model, model_unstructure)
    c.register_structure_hook_factory(_is_optional_model, optional_model_structure)
    c.register_structure_hook_factory(_is_model_list, model_list_structure)
    c.register_structure_hook_factory(_is_str_mapping, mapping_structure)
    c.register_structure_hook_factory(_is_activity_union, model_union_structure)

    c.register_structure_hook(str, _structure_str)
    c.register_structure_hook(str | None, _structure_optional_str)
    c.register_structure_hook(bool, _structure_bool)
    c.register_structure_hook(int, _structure_int)
    c.register_structure_hook(int | str, _structure_amount)
    c.register_structure_hook(datetime, _structure_datetime)
    c.register_structure_hook(datetime | None, _structure_optional_datetime)
    c.register_unstructure_hook(datetime, format_datetime)
    for metadata in (dict[str, Any], dict[str, str]):
        c.register_structure_hook_func(_equals(metadata), _structure_object)
        c.register_structure_hook(metadata | None, _structure_optional_object)

    c.register_structure_hook(Stage, structure_stage_item)
    c.register_structure_hook_factory(_equals(list[Stage]), stage_list_structure)
    c.register_unstructure_hook_func(_equals(Stage), unstructure_stage_item)
    c.register_unstructure_hook_func(_equals(list[Stage] | None), unstructure_stage_list)
    c.register_structure_hook(RawStage, structure_raw_stage)
    c.register_unstructure_hook(RawStage, unstructure_stage_item)
    c.register_structure_hook(WorkflowInstanceHistory, structure_history)
    c.register_structure_hook(Subject, structure_subject)
    c.register_structure_hook(Subject | None, structure_optional_subject)

    # -- the activity names of the classes (functions are generated on first use, then cached) ---

    for table in (ACTIVITY_INPUT_TYPES, ACTIVITY_OUTPUT_TYPES):
        for name, activity_type in table.items():
            for activity_cls in get_args(activity_type) or (activity_type,):
                activity_names[activity_cls] = name
    # the plain schema classes, should a caller build a history item with them
    activity_names.setdefault(StripeTransferRequest, "StripeTransfer")
    for activity_type in ACTIVITY_OUTPUT_TYPES.values():
        for activity_cls in get_args(activity_type) or (activity_type,):
            activity_names.setdefault(activity_cls.__mro__[1], activity_names[activity_cls])


# ---------------------------------------------------------------------------------------------
# The converter, built on first use.

_built: cattrs.Converter | None = None
_build_lock = threading.Lock()


def _converter() -> cattrs.Converter:
    """The converter, built and configured by the first caller (the others wait for it)."""
    global _built
    c = _built
    if c is None:
        with _build_lock:
            c = _built
            if c is None:
                import cattrs

                c = cattrs.Converter(detailed_validation=False, forbid_extra_keys=False)
                configure_converter(c)
                globals()["converter"] = c  # later reads of the attribute skip __getattr__
                _built = c
    return c


def __getattr__(name: str) -> Any:
    """Build :data:`converter` when it is first read."""
    if name == "converter":
        return _converter()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def warm_up(c: cattrs.Converter | None = None) -> None:
    """Generate the functions of every model now instead of on first use (import stays cheap).

    :param c: the converter to warm up (default: :data:`converter`).
    """
    c = _converter() if c is None else c
    for name in _model_names:
        model = getattr(models, name)
        if _is_model(model):
            c.get_structure_hook(model)
            c.get_unstructure_hook(model)


def structure(data: Any, cls: type[T]) -> T:
    """Decode JSON data (as ``json.loads`` returns it) into ``cls``.

    :param data: the decoded JSON value.
    :param cls: a model class, ``list[Model]``, or ``Stage`` for a one-key stage object.
    :raises KeyError: a required key is missing.
    :raises TypeError: a value has the wrong JSON type.
    :raises ValueError: a value cannot be parsed (timestamp, integer, stage shape).
    """
    return (_built or _converter()).structure(data, cls)


def unstructure(obj: Any, unstructure_as: Any = None) -> Any:
    """Encode a model (or list/dict of models) into JSON-ready values with the wire names.

    Optional fields left at ``None`` are omitted. A typed stage on its own gives its parameters
    object; ``unstructure(stage, Stage)`` gives the one-key form used in ``WorkflowConfig.stages``.

    :param obj: the value to encode.
    :param unstructure_as: encode as this type instead of ``type(obj)``.
    """
    return (_built or _converter()).unstructure(obj, unstructure_as)


_owned_hooks: dict[Any, StructureHook] = {}


def structure_owned(data: Any, cls: type[T]) -> T:
    """:func:`structure` for decoded JSON that nobody else holds: ``data`` may be left emptied.

    A model whose converter hook is generated by :func:`make_structure_fn` gets a variant that pops
    the items of its top-level lists (the ``data`` of the list responses) as it decodes them, so
    that each item's JSON is freed as soon as its model is built: the peak memory of a large decode
    stays that of the parsed JSON alone.
    """
    hook = _owned_hooks.get(cls)
    if hook is None:
        c = _built or _converter()
        hook = c.get_structure_hook(cls)
        if getattr(hook, _INLINE_TYPE, None) is cls:
            hook = make_structure_fn(cls, c, consume=True)
        _owned_hooks[cls] = hook
    return hook(data, cls)  # type: ignore[no-any-return]


def structure_stage(value: Any) -> Stage:
    """Decode a one-key stage object (``{"delay": {"duration": "10s"}}``) into a typed stage.

    An unknown type, or a known type whose values do not fit the typed stage, gives a
    :class:`~formance_orchestration.models.RawStage`; a ``null`` value counts as ``{}``.

    :param value: the decoded JSON of one ``WorkflowConfig.stages`` item.
    :raises ValueError: when ``value`` is not an object with exactly one key.
    """
    return _converter().structure(value, Stage)  # type: ignore[arg-type]


def unstructure_stage(stage: Stage) -> dict[str, Any]:
    """Encode a stage as its one-key object, e.g. ``{"wait_event": {"event": "go"}}``.

    :param stage: a typed stage or a :class:`~formance_orchestration.models.RawStage`.
    """
    return _converter().unstructure(stage, Stage)  # type: ignore[no-any-return]
