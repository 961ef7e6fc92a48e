"""Small objects shared by every area: server info, the error envelope and monetary values.

Wire names: a model field is written on the wire under its camelCase name (``created_at`` ->
``createdAt``), with a trailing ``_id`` written ``ID`` (``workflow_id`` -> ``workflowID``). A field
whose wire name does not follow that rule declares it in its metadata under the key ``"wire"``.
"""

import reprlib
from collections.abc import Callable
from operator import attrgetter
from typing import Any

import attrs

from formance_orchestration._exceptions import UntypedValueError

__all__ = ["AS_SENT", "Error", "Model", "Monetary", "ServerInfo", "untyped_error"]

AS_SENT = "as_sent"
"""Field metadata key: the field is written back as the body had it. Some keys are absent in one
stack version and ``null`` (or ``{}``) in another (``deletedAt``, a payment's ``raw``...): a
decoded model remembers which it had, so that ``unstructure(structure(body)) == body``."""

# class -> function returning the tuple of its field values (built on first use)
_VALUES: dict[type[Any], Callable[[Any], tuple[Any, ...]]] = {}


def _values_getter(cls: type[Any]) -> Callable[[Any], tuple[Any, ...]]:
    names = [field.name for field in attrs.fields(cls)]
    if not names:
        getter: Callable[[Any], tuple[Any, ...]] = lambda _: ()  # noqa: E731
    elif len(names) == 1:
        single = attrgetter(names[0])
        getter = lambda obj: (single(obj),)  # noqa: E731
    else:
        getter = attrgetter(*names)
    _VALUES[cls] = getter
    return getter


class Model:
    """Base of every wire model: field-wise ``==``, ``hash`` and an attrs-style ``repr``.

    The models are ``attrs.frozen(kw_only=True, repr=False, eq=False)`` classes: these three methods
    are shared here instead of being generated per class (which would double the import time).
    """

    # The weakref slot lives here rather than in each model, so that every model adds only its
    # fields to this base: the converter builds models as same-layout builder classes (same base,
    # same slots) and then assigns their ``__class__``, which CPython allows only between those.
    # ``_sent``: for a decoded model with fields written as sent (metadata ``AS_SENT``), which of
    # their wire keys the body had; unset on a model built in code (equality and copies ignore it).
    __slots__ = ("__weakref__", "_sent")

    def _values(self) -> tuple[Any, ...]:
        getter = _VALUES.get(self.__class__) or _values_getter(self.__class__)
        return getter(self)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((self.__class__, *self._values()))

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        cls: Any = self.__class__
        fields = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in attrs.fields(cls))
        return f"{self.__class__.__qualname__}({fields})"


@attrs.frozen(kw_only=True, repr=False, eq=False)
class ServerInfo(Model):
    """What ``GET /_info`` answers (no ``data`` wrapper).

    :param version: the service's build version (``develop`` for untagged builds).
    """

    version: str


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Error(Model):
    """The error envelope ``{"errorCode", "errorMessage"}``; the service omits a key when it is empty.

    :param error_code: ``VALIDATION``, ``NOT_FOUND``, ``INTERNAL_ERROR``, ... (any string is kept).
    :param error_message: the service's error text.
    """

    error_code: str = ""
    error_message: str = ""


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Monetary(Model):
    """An amount of an asset, e.g. ``Monetary(asset="USD/2", amount=100)``.

    :param asset: the asset code with its precision, e.g. ``EUR/2``.
    :param amount: a Python ``int`` of any size. JSON numbers and numeric strings decode to ``int``.
        Inside a workflow stage it may also be a ``${variable}`` string, which the service resolves
        when the workflow runs; such strings are kept as ``str``.
    """

    asset: str
    amount: int | str


def untyped_error(what: str, name: str, holder: str) -> UntypedValueError:
    """The error of reading the typed field ``name`` from a value kept raw.

    :param what: what was kept raw, e.g. ``stage 'foo'`` or ``output of activity 'Foo'``.
    :param name: the attribute asked for.
    :param holder: the attribute that holds the raw JSON.
    """
    return UntypedValueError(
        f"the {what} could not be typed by this client (it is kept raw, its JSON is in .{holder}): "
        f"it has no typed field {name!r}"
    )
