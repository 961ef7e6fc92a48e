"""The fast path of decoding: msgspec parses a body straight into mirror structs of the models.

For a model whose converter function is generated (``make_structure_fn`` of the converter),
:func:`typed_decoder` builds, once, a ``msgspec.Struct`` *mirror* of it (fields named as the model's,
renamed to their wire names by :func:`~formance_orchestration._converter.wire_name`, so the wire names
are still known in one place) and a generated function that turns a decoded mirror into the model.
msgspec then checks the JSON types in C while it parses, and builds no dict per object; the
generated function only moves values, parses timestamps and fills defaults.

The fast path is *narrower* than the converter, never different: anything its mirror refuses (a
numeric string for an integer, an unknown activity name, a missing key, a value the converter would
keep raw...) makes it raise :class:`Fallback`, and the caller decodes the body the ordinary way
(``loads`` then ``structure``), which gives the model or the error. Types the mirror does not
describe (stages, subjects, activity wrappers and unions) are parsed untyped and handed to the
converter's own function for that type, as the ordinary path does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from types import MemberDescriptorType
from typing import TYPE_CHECKING, Any, TypeVar, get_args, get_origin

import attrs

from formance_orchestration._converter import (
    _INLINE_TYPE,
    _SET_SENT,
    _builder,
    _CodeGen,
    _converter,
    _list_arg,
    _new,
    _optional_arg,
    _structure_amount,
    _structure_datetime,
    field_hooks_of,
    wire_name,
)
from formance_orchestration.models._common import AS_SENT

if TYPE_CHECKING:
    import cattrs

__all__ = ["Fallback", "typed_decoder"]

T = TypeVar("T")


class Fallback(Exception):
    """The fast path cannot decode this body: decode it the ordinary way."""


# cls -> its decoder (None: no fast path for it)
_decoders: dict[Any, Callable[[bytes, bool], Any] | None] = {}
_lock = threading.Lock()


def typed_decoder(cls: type[T]) -> Callable[[bytes, bool], T] | None:
    """The fast decoder of ``cls`` (bytes -> model, or :class:`Fallback`), or ``None`` if it has none.

    :param cls: a model class whose converter function is generated.
    """
    try:
        return _decoders[cls]
    except KeyError:
        pass
    with _lock:
        if cls not in _decoders:
            _decoders[cls] = _build(cls)
    return _decoders[cls]


def _build(cls: Any) -> Callable[[bytes, bool], Any] | None:
    try:
        import msgspec
    except ImportError:  # a dependency, but the ordinary path does without it
        return None
    mirrors = _Mirrors(_converter(), msgspec)
    if not mirrors.mirrorable(cls):
        return None
    try:
        struct, convert, _ = mirrors.model(cls)
        decode = msgspec.json.Decoder(struct).decode
    except TypeError:  # a mirror msgspec does not take: no fast path for this model
        return None
    # the envelope's "data" member: the ordinary path refuses a body without it, and a mirror holds
    # UNSET for a factory-default field that was not sent
    data = next((f for f in attrs.fields(cls) if wire_name(f) == "data"), None)
    data_name = None if data is None else data.name
    unset = msgspec.UNSET

    def decode_typed(content: bytes, envelope: bool = False) -> Any:
        try:
            mirror = decode(content)
        except (ValueError, RecursionError) as exc:  # msgspec.DecodeError / ValidationError
            raise Fallback from exc
        if envelope and (data_name is None or getattr(mirror, data_name) is unset):
            raise Fallback  # the ordinary path names the missing "data" member
        try:
            return convert(mirror)
        except Exception as exc:  # a converter hook refused a part: the ordinary path says why
            raise Fallback from exc

    return decode_typed


_PASSTHROUGH = {str: str, bool: bool, int: int, Any: Any, dict[str, Any]: dict[str, Any]}
# metadata: the converter only checks that it is an object (values are kept as decoded)
_PASSTHROUGH[dict[str, str]] = dict[str, Any]


def _list_of(t: Any) -> Any:
    return list[t]


def _dict_of(t: Any) -> Any:
    return dict[str, t]


class _Mirrors(_CodeGen):
    """Builds the mirror struct and the converting function of each model, once per decoder."""

    def __init__(self, c: cattrs.Converter, msgspec: Any) -> None:
        self.c = c
        self.msgspec = msgspec
        self.done: dict[Any, tuple[Any, Callable[[Any], Any], Callable[[list[Any]], list[Any]]]] = {}
        self.building: set[Any] = set()
        super().__init__({"__ts": _structure_datetime, "__unset": msgspec.UNSET, "__fallback": Fallback})

    def mirrorable(self, t: Any) -> bool:
        """Whether ``t`` is a model whose converter function is generated (and not being mirrored)."""
        if not (isinstance(t, type) and attrs.has(t)) or t in self.building:
            return False
        return (
            getattr(self.c.get_structure_hook(t), _INLINE_TYPE, None) is t
            or field_hooks_of(self.c, t) is not None
        )

    def local(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def mirror(self, t: Any) -> tuple[Any, Callable[[str], str] | None]:
        """The msgspec type of a ``t`` value, and the expression turning such a decoded ``var`` into
        a ``t`` (``None``: the value is already right)."""
        if t in _PASSTHROUGH:
            return _PASSTHROUGH[t], None
        if t == int | str and self.c.get_structure_hook(t) is _structure_amount:
            return int | str, lambda var: f"__amount({var}, None)"
        if t is datetime:
            return str, lambda var: f"__ts({var}, None)"
        inner = _optional_arg(t)
        if inner is not None:
            mt, expr = self.mirror(inner)
            if expr is None:
                return mt | None, None
            return mt | None, lambda var: f"(None if {var} is None else {expr(var)})"
        if self.mirrorable(t):
            struct, convert, _ = self.model(t)
            fn = self.name("conv", convert)
            return struct, lambda var: f"{fn}({var})"
        item = _list_arg(t)
        if item is not None and self.mirrorable(item):  # null gives [] (the converter's rule)
            struct, _, convert_list = self.model(item)
            fn = self.name("conv", convert_list)
            return _list_of(struct) | None, lambda var: f"([] if {var} is None else {fn}({var}))"
        if get_origin(t) is dict and get_args(t)[0] is str:  # dict[str, X]: string keys, X values
            mt, expr = self.mirror(get_args(t)[1])
            if expr is None:
                return _dict_of(mt), None
            k, i = self.local("k"), self.local("i")
            return _dict_of(mt), lambda var: f"{{{k}: {expr(i)} for {k}, {i} in {var}.items()}}"
        # anything else (stages, subjects, unions...) is parsed untyped and given to its converter hook
        return Any, self.delegate(self.c.get_structure_hook(t), t)

    def delegate(self, hook: Callable[[Any, Any], Any], t: Any) -> Callable[[str], str]:
        fn, tname = self.name("h", hook), self.name("t", t)
        return lambda var: f"{fn}({var}, {tname})"

    def model(self, cls: Any) -> tuple[Any, Callable[[Any], Any], Callable[[list[Any]], list[Any]]]:
        """The mirror struct of the model ``cls``, the function turning one into a ``cls`` and the
        function turning a list of them into a list of ``cls``."""
        if cls in self.done:
            return self.done[cls]
        self.building.add(cls)
        try:
            built = self._model(cls)
        finally:
            self.building.discard(cls)
        self.done[cls] = built
        return built

    def _model(self, cls: Any) -> tuple[Any, Callable[[Any], Any], Callable[[list[Any]], list[Any]]]:
        msgspec = self.msgspec
        fields = attrs.fields(attrs.resolve_types(cls))
        name = f"{cls.__name__}Mirror"
        if not fields:  # immutable and empty: one shared instance will do
            empty = _new(cls)
            return msgspec.defstruct(name, [], gc=False), lambda _: empty, lambda items: [empty] * len(items)
        hooks = field_hooks_of(self.c, cls) or {}
        builder = _builder(cls)
        cl = self.name("cl", cls)
        out = [f"  x = {self.name('bl', builder)}()" if builder else f"  x = __new({cl})"]
        kept = any(f.metadata.get(AS_SENT) for f in fields)
        if kept:
            out.append("  sent = ()")
        if any(datetime in (f.type, _optional_arg(f.type)) for f in fields):
            out.append("  r = d = None")  # the last timestamp text and value: updatedAt == createdAt
        specs: list[tuple[Any, ...]] = []
        unset = msgspec.UNSET
        for f in fields:
            slot = getattr(cls, f.name, None)
            if not isinstance(slot, MemberDescriptorType):
                raise TypeError(f"{cls.__name__}.{f.name}: only slotted attrs models work here")
            key = wire_name(f)
            default = f.default
            inner = f.type if default is attrs.NOTHING else (_optional_arg(f.type) or f.type)
            hook = hooks.get(f.name)
            mt: Any
            if hook is not None:
                mt, convert = Any, self.delegate(hook, None)
            elif inner is datetime:
                mt, convert = str, None
            else:
                mt, convert = self.mirror(inner)
            lines = (
                self.timestamp()
                if (inner is datetime and hook is None)
                else ([f"v = {convert('v')}"] if convert else [])
            )
            out.append(f"  v = s.{f.name}")
            if default is attrs.NOTHING:
                specs.append((f.name, mt))
                out.extend("  " + line for line in lines)
            elif default is None:
                if f.metadata.get(AS_SENT):  # null and absent differ: absent is UNSET
                    specs.append((f.name, mt | None | msgspec.UnsetType, unset))
                    out.append("  if v is __unset: v = None")
                    out.append(f"  elif v is None: sent += ({key!r},)")
                    if lines:
                        out.append("  else:")
                else:
                    specs.append((f.name, mt | None, None))
                    if lines:
                        out.append("  if v is not None:")
                out.extend("    " + line for line in lines)
            elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                factory = self.name("f", default.factory)
                specs.append((f.name, mt | None | msgspec.UnsetType, unset))
                out.append("  if v is __unset:")
                if f.metadata.get(AS_SENT):  # the key was not sent
                    out.append(f"    sent += ({key!r},)")
                out.append(f"    v = {factory}()")
                out.append(f"  elif v is None: v = {factory}()")
                out.append("  else:")
                out.extend("    " + line for line in lines or ["pass"])
            else:
                specs.append((f.name, mt | msgspec.UnsetType, unset))
                out.append(f"  if v is __unset: v = {self.name('d', default)}")
                out.append("  else:")
                out.extend("    " + line for line in lines or ["pass"])
            if builder is None:
                out.append(f"  {self.name('s', slot.__set__)}(x, v)")
            else:
                out.append(f"  x.{f.name} = v")
        if kept:
            out.append(f"  if sent: {self.name('sent', _SET_SENT)}(x, sent)")
        if builder is not None:
            out.append(f"  x.__class__ = {cl}")
        struct = msgspec.defstruct(
            name, specs, rename={f.name: wire_name(f) for f in fields}, kw_only=True, gc=False
        )
        # one function for an object, one for a list of them (its loop runs the same code inline and
        # empties the list as it goes: each mirror is freed once its model is built, so that the
        # peak memory of a large decode stays that of the parsed body)
        lines = [f"def convert_{cls.__name__}(s):", *out, "  return x"]
        lines += [f"def convert_list_{cls.__name__}(items):", "  result = []", "  append = result.append"]
        lines += ["  items.reverse()", "  pop = items.pop", "  while items:", "    s = pop()"]
        lines += [*("  " + line for line in out), "    append(x)", "  return result"]
        source = "\n".join(lines) + "\n"
        filename = f"<formance_orchestration typed {cls.__module__}.{cls.__qualname__}>"
        self.run(source, filename)
        return (
            struct,
            self.globs.pop(f"convert_{cls.__name__}"),
            self.globs.pop(f"convert_list_{cls.__name__}"),
        )

    @staticmethod
    def timestamp() -> list[str]:
        """Lines parsing the timestamp text ``v`` (once when it equals the previous one)."""
        return [
            "if v == r: v = d",
            "else:",
            "  r = v",
            "  try: v = __fromiso(v)",
            "  except ValueError: v = __parse_dt(v)",
            "  if v.tzinfo is None: v = v.replace(tzinfo=__utc)",
            "  d = v",
        ]
