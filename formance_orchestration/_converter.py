"""The one cattrs converter of the client, configured once at import.

``structure(data, cls)`` turns decoded JSON into models, ``unstructure(obj)`` turns models into
JSON-ready values with the API's wire names. The hooks are registered once, at import; the function
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
"""

import linecache
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import MemberDescriptorType, NoneType, UnionType
from typing import Any, NoReturn, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from formance_orchestration import models
from formance_orchestration._datetime import format_datetime, parse_datetime
from formance_orchestration.models import (
    ACTIVITY_INPUT_TYPES,
    ACTIVITY_OUTPUT_TYPES,
    HISTORY_STAGE_TYPES,
    STAGE_TYPES,
    LedgerAccountSubject,
    RawStage,
    Stage,
    StripeTransferRequest,
    Subject,
    WalletSubject,
    WorkflowInstanceHistory,
    WorkflowInstanceHistoryStage,
)
from formance_orchestration.models import __all__ as _model_names

__all__ = [
    "configure_converter",
    "converter",
    "make_structure_fn",
    "structure",
    "structure_stage",
    "unstructure",
    "unstructure_stage",
    "warm_up",
    "wire_name",
]

T = TypeVar("T")

_fromisoformat = datetime.fromisoformat
_INTEGER = re.compile(r"[+-]?[0-9]+")
# what a typed decode of a stage or an activity may raise before falling back to the raw form
_FALLBACK = (KeyError, TypeError, ValueError, AttributeError, cattrs.BaseValidationError)


def wire_name(field: "attrs.Attribute[Any]") -> str:
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
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise TypeError(f"expected an integer, got {value!r}")


def _structure_amount(value: Any, _: Any) -> int | str:
    if value.__class__ is int:
        return value
    if isinstance(value, str) and not _INTEGER.fullmatch(value):
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


def _bad(value: Any, where: str, expected: str) -> NoReturn:
    raise TypeError(f"{where}: expected {expected}, got {type(value).__name__}")


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
_INLINE_MODEL = "_formance_inline_model"


class _StructureEmitter:
    """Writes the source of one structuring function; nested models are written inline."""

    def __init__(self, c: cattrs.Converter, field_hooks: Mapping[str, Callable[[Any, Any], Any]]) -> None:
        self.c = c
        self.field_hooks = field_hooks
        self.lines: list[str] = []
        self.globs: dict[str, Any] = {
            "__new": object.__new__,
            "__as_dict": _as_dict,
            "__bad": _bad,
            "__coerce_int": _coerce_int,
            "__fromiso": _fromisoformat,
            "__parse_dt": parse_datetime,
            "__utc": UTC,
        }
        self.count = 0
        self.reuse_timestamps: dict[int, bool] = {}

    def name(self, prefix: str, value: Any) -> str:
        self.count += 1
        name = f"__{prefix}{self.count}"
        self.globs[name] = value
        return name

    def inlinable(self, t: Any) -> bool:
        return _is_model(t) and getattr(self.c.get_structure_hook(t), _INLINE_MODEL, None) is t

    def model(self, cls: Any, depth: int, indent: str, top: bool) -> None:
        """Build ``x{depth}`` of ``cls`` from the dict ``o{depth}``."""
        o, x, v = f"o{depth}", f"x{depth}", f"v{depth}"
        out = self.lines
        fields = attrs.fields(attrs.resolve_types(cls))
        if not fields:  # immutable and empty: one shared instance will do
            out.append(f"{indent}{x} = {self.name('empty', object.__new__(cls))}")
            return
        out.append(f"{indent}{x} = __new({self.name('cl', cls)})")
        # createdAt/updatedAt are usually the same text: parse it once (r: last text, d: its value)
        timestamps = [f for f in fields if datetime in (f.type, _optional_arg(f.type))]
        self.reuse_timestamps[depth] = len(timestamps) > 1
        if len(timestamps) > 1:
            out.append(f"{indent}r{depth} = None")
        for field in fields:
            slot = getattr(cls, field.name, None)
            if not isinstance(slot, MemberDescriptorType) or field.validator or field.converter:
                raise TypeError(f"{cls.__name__}.{field.name}: only frozen slotted attrs models work here")
            hook = self.field_hooks.get(field.name) if top else None
            key = wire_name(field)
            default = field.default
            where = f"{cls.__name__}.{field.name}"
            if default is attrs.NOTHING:
                out.append(f"{indent}{v} = {o}[{key!r}]")
                self.value(field.type, hook, depth, indent, where)
            elif default is None:
                out.append(f"{indent}{v} = {o}.get({key!r})")
                inner = _optional_arg(field.type)
                mark = len(out)
                self.value(field.type if inner is None else inner, hook, depth, indent + "  ", where)
                if len(out) > mark:
                    out.insert(mark, f"{indent}if {v} is not None:")
            elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                out.append(f"{indent}{v} = {o}.get({key!r})")
                out.append(f"{indent}if {v} is None: {v} = {self.name('f', default.factory)}()")
                mark = len(out)
                self.value(field.type, hook, depth, indent + "  ", where)
                if len(out) > mark:
                    out.insert(mark, f"{indent}else:")
            else:
                out.append(f"{indent}{v} = {o}.get({key!r}, {self.name('d', default)})")
                self.value(field.type, hook, depth, indent, where)
            out.append(f"{indent}{self.name('s', slot.__set__)}({x}, {v})")

    def value(
        self, t: Any, hook: Callable[[Any, Any], Any] | None, depth: int, indent: str, where: str
    ) -> None:
        """Turn ``v{depth}`` (not ``None`` unless ``t`` allows it) into a value of type ``t``."""
        v, out = f"v{depth}", self.lines
        if hook is not None:
            out.append(f"{indent}{v} = {self.name('h', hook)}({v}, None)")
        elif t is Any:
            pass
        elif t is int:
            out.append(f"{indent}if {v}.__class__ is not int: {v} = __coerce_int({v})")
        elif t is datetime:
            reuse = self.reuse_timestamps.get(depth, False)
            if reuse:
                out.append(f"{indent}if {v} == r{depth}: {v} = d{depth}")
                out.append(f"{indent}else:")
                indent += "  "
                out.append(f"{indent}r{depth} = {v}")
            out.append(f"{indent}try: {v} = __fromiso({v})")
            out.append(f"{indent}except ValueError: {v} = __parse_dt({v})")
            out.append(f"{indent}if {v}.tzinfo is None: {v} = {v}.replace(tzinfo=__utc)")
            if reuse:
                out.append(f"{indent}d{depth} = {v}")
        elif t in _INLINE_CHECKS:
            expected = _INLINE_CHECKS[t]
            check = "dict" if expected == "an object" else t.__name__
            out.append(f"{indent}if {v}.__class__ is not {check}: __bad({v}, {where!r}, {expected!r})")
        elif self.inlinable(t):
            inner = f"o{depth + 1}"
            cl = self.name("cl", t)
            out.append(f"{indent}{inner} = {v} if {v}.__class__ is dict else __as_dict({v}, {cl})")
            self.model(t, depth + 1, indent, top=False)
            out.append(f"{indent}{v} = x{depth + 1}")
        else:
            hook_name = self.name("h", self.c.get_structure_hook(t))
            out.append(f"{indent}{v} = {hook_name}({v}, {self.name('t', t)})")


def make_structure_fn(
    cls: type[T], c: cattrs.Converter, field_hooks: Mapping[str, Callable[[Any, Any], Any]] | None = None
) -> Callable[[Any, Any], T]:
    """Generate the function that structures a dict into the frozen, slotted model ``cls``.

    Like ``cattrs.gen.make_dict_structure_fn`` without detailed validation, with the wire names of
    :func:`wire_name`, but specialised for speed: ``str``/``bool``/``int``/``datetime``/metadata
    values are handled inline, nested models are built inline (no call per object), ``X | None``
    fields convert only non-``None`` values, a ``null`` for a field with a factory default gives the
    default, a timestamp equal to the previous one of the object (``updatedAt == createdAt``) is
    parsed once, and instances are built by setting their slots (a frozen attrs ``__init__`` costs
    more than the rest of the decoding). Unknown keys are ignored.

    :param cls: an attrs class built with ``attrs.frozen`` (slotted, no validators or converters).
    :param c: the converter that provides the hooks of the other types.
    :param field_hooks: per field name of ``cls``, a hook ``(value, None) -> value`` to use instead.
    """
    attrs.resolve_types(cls)  # type: ignore[type-var]
    emitter = _StructureEmitter(c, field_hooks or {})
    cl = emitter.name("cl", cls)
    emitter.lines.append(f"def structure_{cls.__name__}(o0, _=None):")
    emitter.lines.append(f"  if o0.__class__ is not dict: o0 = __as_dict(o0, {cl})")
    emitter.model(cls, 0, "  ", top=True)
    emitter.lines.append("  return x0")
    source = "\n".join(emitter.lines) + "\n"
    filename = f"<formance_orchestration structure {cls.__module__}.{cls.__qualname__}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), emitter.globs)
    fn: Callable[[Any, Any], T] = emitter.globs[f"structure_{cls.__name__}"]
    if not field_hooks:
        setattr(fn, _INLINE_MODEL, cls)  # other models may inline this one's code
    return fn


StructureHook = Callable[[Any, Any], Any]


class _HookTable(dict[str, StructureHook | None]):
    """Name -> the structuring function of its class, generated on first lookup (``None`` if unknown)."""

    def __init__(self, c: cattrs.Converter, types: Mapping[str, type[Any]]) -> None:
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
    # kind / name -> the generated function of its class (they ignore their second argument)
    stage_hooks = _HookTable(c, STAGE_TYPES)
    history_stage_hooks = _HookTable(c, HISTORY_STAGE_TYPES)
    input_hooks = _HookTable(c, ACTIVITY_INPUT_TYPES)
    output_hooks = _HookTable(c, ACTIVITY_OUTPUT_TYPES)
    subject_hooks = _HookTable(c, {"ACCOUNT": LedgerAccountSubject, "WALLET": WalletSubject})
    activity_names: dict[type[Any], str] = {}

    # -- stages --------------------------------------------------------------------------------

    def raw_stage(kind: str, params: Any) -> RawStage:
        if params.__class__ is not dict:
            raise TypeError(f"stage {kind!r}: expected an object, got {type(params).__name__}")
        return RawStage(type=kind, params=params)

    def typed_stage(hooks: _HookTable, kind: str, params: Any) -> Stage:
        if params is None:
            params = {}  # the service treats a null stage value as an empty object
        hook = hooks[kind]
        if hook is not None:
            try:
                return hook(params, None)  # type: ignore[no-any-return]
            except _FALLBACK:
                pass
        return raw_stage(kind, params)

    def structure_stage_item(value: Any, _: Any) -> Stage:
        if value.__class__ is not dict or len(value) != 1:
            raise ValueError(f"a stage must be an object with exactly one key, got {value!r}")
        ((kind, params),) = value.items()
        return typed_stage(stage_hooks, kind, params)

    def structure_stage_list(value: Any, _: Any) -> list[Stage]:
        if value.__class__ is not list:
            raise TypeError(f"expected an array of stages, got {type(value).__name__}")
        stages: list[Stage] = []
        append = stages.append
        for item in value:  # the common case of structure_stage_item, inlined: this loop is hot
            if item.__class__ is dict and len(item) == 1:
                for kind, params in item.items():
                    hook = stage_hooks[kind]
                    if hook is not None and params.__class__ is dict:
                        try:
                            append(hook(params, None))
                        except _FALLBACK:
                            append(raw_stage(kind, params))
                    else:
                        append(typed_stage(stage_hooks, kind, params))
                continue
            append(structure_stage_item(item, None))
        return stages

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
            input=typed_stage(history_stage_hooks, name, value["input"]),
            terminated=_structure_bool(value["terminated"], None),
            started_at=_structure_datetime(value["startedAt"], None),
            error=None if error is None else _structure_str(error, None),
            terminated_at=None if terminated_at is None else _structure_datetime(terminated_at, None),
        )

    # -- activities and subjects ---------------------------------------------------------------

    def structure_wrapped(hooks: _HookTable, value: Any) -> Any:
        if value.__class__ is not dict:
            raise TypeError(f"expected an object, got {type(value).__name__}")
        if len(value) == 1:
            ((name, inner),) = value.items()
            hook = hooks[name]
            if hook is not None and inner is not None:
                try:
                    return hook(inner, None)
                except _FALLBACK:
                    pass
        return value

    def structure_activity_input(value: Any, _: Any) -> Any:
        return structure_wrapped(input_hooks, value)

    def structure_activity_output(value: Any, _: Any) -> Any:
        if value is None:
            return None
        return structure_wrapped(output_hooks, value)

    def unstructure_wrapped(value: Any) -> Any:
        if value is None or value.__class__ is dict:
            return c.unstructure(value)
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

    # -- factories -----------------------------------------------------------------------------

    def model_structure(cls: Any) -> Callable[[Any, Any], Any]:
        field_hooks: dict[str, Callable[[Any, Any], Any]] = {}
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
        return make_dict_unstructure_fn(cls, c, **overrides)

    def optional_model_structure(t: Any) -> Callable[[Any, Any], Any]:
        inner = _optional_arg(t)
        hook = c.get_structure_hook(inner)

        def structure_optional(value: Any, _: Any) -> Any:
            if value is None:
                return None
            return hook(value, inner)

        return structure_optional

    def model_list_structure(t: Any) -> Callable[[Any, Any], Any]:
        optional = _optional_arg(t) is not None
        item = _list_arg(_optional_arg(t) if optional else t)
        hook = c.get_structure_hook(item)

        def structure_list(value: Any, _: Any) -> Any:
            if value is None:
                return None if optional else []
            if value.__class__ is not list:
                raise TypeError(f"expected an array, got {type(value).__name__}")
            return [hook(element, item) for element in value]

        return structure_list

    # -- registration (later registrations win over earlier ones) ------------------------------

    c.register_structure_hook_factory(_is_model, model_structure)
    c.register_unstructure_hook_factory(_is_model, model_unstructure)
    c.register_structure_hook_factory(_is_optional_model, optional_model_structure)
    c.register_structure_hook_factory(_is_model_list, model_list_structure)

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
    c.register_structure_hook_func(_equals(list[Stage]), structure_stage_list)
    c.register_unstructure_hook_func(_equals(Stage), unstructure_stage_item)
    c.register_unstructure_hook_func(_equals(list[Stage] | None), unstructure_stage_list)
    c.register_structure_hook(RawStage, structure_raw_stage)
    c.register_unstructure_hook(RawStage, unstructure_stage_item)
    c.register_structure_hook(WorkflowInstanceHistory, structure_history)
    c.register_structure_hook(Subject, structure_subject)
    c.register_structure_hook(Subject | None, structure_optional_subject)

    # -- the activity names of the classes (functions are generated on first use, then cached) ---

    for table in (ACTIVITY_INPUT_TYPES, ACTIVITY_OUTPUT_TYPES):
        for name, activity_cls in table.items():
            activity_names[activity_cls] = name
    # the plain schema classes, should a caller build a history item with them
    activity_names.setdefault(StripeTransferRequest, "StripeTransfer")
    for activity_cls in ACTIVITY_OUTPUT_TYPES.values():
        activity_names.setdefault(activity_cls.__mro__[1], activity_names[activity_cls])


def warm_up(c: cattrs.Converter | None = None) -> None:
    """Generate the functions of every model now instead of on first use (import stays cheap).

    :param c: the converter to warm up (default: :data:`converter`).
    """
    c = converter if c is None else c
    for name in _model_names:
        model = getattr(models, name)
        if _is_model(model):
            c.get_structure_hook(model)
            c.get_unstructure_hook(model)


converter = cattrs.Converter(detailed_validation=False, forbid_extra_keys=False)
"""The client's converter; do not register more hooks on it at run time."""
configure_converter(converter)


def structure(data: Any, cls: type[T]) -> T:
    """Decode JSON data (as ``json.loads`` returns it) into ``cls``.

    :param data: the decoded JSON value.
    :param cls: a model class, ``list[Model]``, or ``Stage`` for a one-key stage object.
    :raises KeyError: a required key is missing.
    :raises TypeError: a value has the wrong JSON type.
    :raises ValueError: a value cannot be parsed (timestamp, integer, stage shape).
    """
    return converter.structure(data, cls)


def unstructure(obj: Any, unstructure_as: Any = None) -> Any:
    """Encode a model (or list/dict of models) into JSON-ready values with the wire names.

    Optional fields left at ``None`` are omitted. A typed stage on its own gives its parameters
    object; ``unstructure(stage, Stage)`` gives the one-key form used in ``WorkflowConfig.stages``.

    :param obj: the value to encode.
    :param unstructure_as: encode as this type instead of ``type(obj)``.
    """
    return converter.unstructure(obj, unstructure_as)


def structure_stage(value: Any) -> Stage:
    """Decode a one-key stage object (``{"delay": {"duration": "10s"}}``) into a typed stage.

    An unknown type, or a known type whose values do not fit the typed stage, gives a
    :class:`~formance_orchestration.models.RawStage`; a ``null`` value counts as ``{}``.

    :param value: the decoded JSON of one ``WorkflowConfig.stages`` item.
    :raises ValueError: when ``value`` is not an object with exactly one key.
    """
    return converter.structure(value, Stage)  # type: ignore[arg-type]


def unstructure_stage(stage: Stage) -> dict[str, Any]:
    """Encode a stage as its one-key object, e.g. ``{"wait_event": {"event": "go"}}``.

    :param stage: a typed stage or a :class:`~formance_orchestration.models.RawStage`.
    """
    return converter.unstructure(stage, Stage)  # type: ignore[no-any-return]
