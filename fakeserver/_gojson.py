"""Decode request bodies the way the Go service does, with its exact error texts.

The service decodes bodies with ``encoding/json``'s ``Decoder`` (one value is read; whatever follows it
is ignored), into Go types whose names appear in the errors:

* ``POST /workflows``: into ``workflow.Config{Name string; Stages []RawStage}`` with
  ``RawStage = map[string]map[string]any``; the errors are prefixed ``unmarshalling json body: ``.
  With ``Content-Type: text/vnd.yaml`` the body is first decoded as YAML (``gopkg.in/yaml.v3`` into a
  ``map[string]any``, errors prefixed ``unmarshalling yaml: ``), re-encoded as JSON and unmarshalled
  (errors prefixed ``unmarshalling workflow data: ``);
* ``POST /workflows/{id}/instances``: into ``map[string]string``, no prefix;
* ``POST /instances/{id}/events``: into ``workflow.Event{Name string}``, no prefix.

Syntax errors are Go's (``invalid character 'x' looking for beginning of value``, ``unexpected
EOF``; an empty body gives ``EOF``). Type errors are Go's ``UnmarshalTypeError`` texts, first one in
document order. Struct field names match case-insensitively, as in Go.

Numbers inside stage configurations become what a Go ``float64`` re-encodes to: integral values are
Python ``int`` (rendered as Go renders the float), the others ``float``. Stage objects come back with
their keys sorted (Go writes maps sorted), so the stored config renders like the service's.

Python's own JSON scanner does the work when the body is valid; a small port of Go's scanner state
machine only runs to word the error when it is not.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from decimal import Decimal
from typing import Any

import yaml

from fakeserver._errors import InvalidRequest

__all__ = [
    "GoPanic",
    "decode_event",
    "decode_json_value",
    "decode_variables",
    "decode_workflow_config",
    "go_type_error",
    "go_value_kind",
]

YAML_CONTENT_TYPE = "text/vnd.yaml"


class GoPanic(Exception):
    """The service would panic here (chi's ``Recoverer`` answers 500 with an empty body)."""


class _JSONError(Exception):
    """A Go decoding error; ``str(exc)`` is the Go text."""


class _Overflow:
    """A JSON number that does not fit a Go ``float64`` (e.g. ``1e400``)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


# -- numbers: what a Go float64 re-encodes to --------------------------------------------------------

_EXACT_INT_LIMIT = float(2**53)


def _go_number(text: str) -> int | float | _Overflow:
    number = float(text)
    if math.isinf(number):
        return _Overflow(text)
    if number.is_integer():
        if -_EXACT_INT_LIMIT < number < _EXACT_INT_LIMIT:
            return int(number)
        if abs(number) < 1e21:
            # Go writes the shortest round-trip digits padded with zeros: 12345678901234567000.
            return int(Decimal(repr(number)))
    return number


class _Rejected(ValueError):
    """NaN / Infinity: valid for Python's scanner, not for Go's."""


def _reject_constant(text: str) -> Any:
    raise _Rejected(text)


_DECODER = json.JSONDecoder(parse_int=_go_number, parse_float=_go_number, parse_constant=_reject_constant)

# -- Go's scanner, only to word the error of a body Python's scanner refused ---------------------

_SPACE = frozenset(b" \t\n\r")
_DIGITS = frozenset(b"0123456789")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_ESCAPES = frozenset(b'"\\/bfnrt')
_MAX_DEPTH = 10000
#: The deepest nesting of a request body the fake takes (objects and arrays). The service takes up to
#: Go's 10,000 levels; the fake's code walks values recursively, so it refuses what Python's stack
#: could not hold with a clear 400 instead of failing half-way.
FAKE_MAX_DEPTH = 128
_TOO_DEEP = (
    f"fakeserver: nested deeper than {FAKE_MAX_DEPTH} levels "
    f"(the fake's limit; the service takes up to {_MAX_DEPTH:,})"
)

(
    _BEGIN_VALUE,
    _BEGIN_VALUE_OR_EMPTY,
    _BEGIN_STRING_OR_EMPTY,
    _BEGIN_STRING,
    _END_VALUE,
    _IN_STRING,
    _IN_STRING_ESC,
    _IN_STRING_ESC_U,
    _NEG,
    _ZERO,
    _ONE,
    _DOT,
    _DOT0,
    _EXP,
    _EXP_SIGN,
    _EXP0,
    _LITERAL,
) = range(17)
_OBJECT_KEY, _OBJECT_VALUE, _ARRAY = range(3)
_NUMBER_END_STATES = frozenset({_ZERO, _ONE, _DOT0, _EXP0})

_QUOTE_SPECIAL = {
    0x07: "\\a",
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0B: "\\v",
    0x0C: "\\f",
    0x0D: "\\r",
    0x22: '"',
    0x27: "\\'",
    0x5C: "\\\\",
}


def _quote_char(byte: int) -> str:
    """Go's ``quoteChar``: the byte taken as a code point, quoted with single quotes."""
    special = _QUOTE_SPECIAL.get(byte)
    if special is not None:
        return f"'{special}'"
    if byte < 0x20 or byte == 0x7F:
        return f"'\\x{byte:02x}'"
    char = chr(byte)
    if byte >= 0x80 and not char.isprintable():
        return f"'\\u{byte:04x}'"
    return f"'{char}'"


def _invalid(byte: int, context: str) -> str:
    return f"invalid character {_quote_char(byte)} {context}"


def _scan(data: bytes) -> tuple[str | None, int]:
    """Scan the first JSON value of ``data`` (no leading whitespace) as Go's ``json.Decoder`` does.

    :returns: ``(None, end)`` when ``data[:end]`` is a complete value, else ``(error text, 0)``.
    """
    stack: list[int] = []
    state = _BEGIN_VALUE
    literal = b""
    position = 0  # index in the literal, or hex digits read in a \\u escape
    index = 0
    size = len(data)
    while index < size:
        byte = data[index]
        if state == _IN_STRING:
            if byte == 0x22:
                state = _END_VALUE
            elif byte == 0x5C:
                state = _IN_STRING_ESC
            elif byte < 0x20:
                return _invalid(byte, "in string literal"), 0
        elif state == _END_VALUE:
            if not stack:
                return None, index
            if byte not in _SPACE:
                top = stack[-1]
                if top == _OBJECT_KEY:
                    if byte != 0x3A:
                        return _invalid(byte, "after object key"), 0
                    stack[-1] = _OBJECT_VALUE
                    state = _BEGIN_VALUE
                elif top == _OBJECT_VALUE:
                    if byte == 0x2C:
                        stack[-1] = _OBJECT_KEY
                        state = _BEGIN_STRING
                    elif byte == 0x7D:
                        stack.pop()
                        if not stack:
                            return None, index + 1
                    else:
                        return _invalid(byte, "after object key:value pair"), 0
                elif byte == 0x2C:
                    state = _BEGIN_VALUE
                elif byte == 0x5D:
                    stack.pop()
                    if not stack:
                        return None, index + 1
                else:
                    return _invalid(byte, "after array element"), 0
        elif state in (_BEGIN_VALUE, _BEGIN_VALUE_OR_EMPTY):
            if byte in _SPACE:
                pass
            elif byte == 0x5D and state == _BEGIN_VALUE_OR_EMPTY:
                stack.pop()
                if not stack:
                    return None, index + 1
                state = _END_VALUE
            elif byte == 0x7B or byte == 0x5B:
                stack.append(_OBJECT_KEY if byte == 0x7B else _ARRAY)
                if len(stack) > _MAX_DEPTH:
                    return _invalid(byte, "exceeded max depth"), 0
                state = _BEGIN_STRING_OR_EMPTY if byte == 0x7B else _BEGIN_VALUE_OR_EMPTY
            elif byte == 0x22:
                state = _IN_STRING
            elif byte == 0x2D:
                state = _NEG
            elif byte == 0x30:
                state = _ZERO
            elif byte in _DIGITS:
                state = _ONE
            elif byte in b"tfn":
                literal = {0x74: b"true", 0x66: b"false", 0x6E: b"null"}[byte]
                position = 1
                state = _LITERAL
            else:
                return _invalid(byte, "looking for beginning of value"), 0
        elif state in (_BEGIN_STRING_OR_EMPTY, _BEGIN_STRING):
            if byte in _SPACE:
                pass
            elif byte == 0x7D and state == _BEGIN_STRING_OR_EMPTY:
                stack.pop()
                if not stack:
                    return None, index + 1
                state = _END_VALUE
            elif byte == 0x22:
                state = _IN_STRING
            else:
                return _invalid(byte, "looking for beginning of object key string"), 0
        elif state == _IN_STRING_ESC:
            if byte == 0x75:
                state = _IN_STRING_ESC_U
                position = 0
            elif byte in _ESCAPES:
                state = _IN_STRING
            else:
                return _invalid(byte, "in string escape code"), 0
        elif state == _IN_STRING_ESC_U:
            if byte not in _HEX:
                return _invalid(byte, "in \\u hexadecimal character escape"), 0
            position += 1
            if position == 4:
                state = _IN_STRING
        elif state == _LITERAL:
            if byte != literal[position]:
                name = literal.decode()
                expected = _quote_char(literal[position])
                return _invalid(byte, f"in literal {name} (expecting {expected})"), 0
            position += 1
            if position == len(literal):
                state = _END_VALUE
        elif state == _NEG:
            if byte == 0x30:
                state = _ZERO
            elif byte in _DIGITS:
                state = _ONE
            else:
                return _invalid(byte, "in numeric literal"), 0
        elif state in (_ONE, _ZERO):
            if state == _ONE and byte in _DIGITS:
                pass
            elif byte == 0x2E:
                state = _DOT
            elif byte in b"eE":
                state = _EXP
            else:
                state = _END_VALUE
                continue  # the byte ends the number: look at it again
        elif state == _DOT:
            if byte not in _DIGITS:
                return _invalid(byte, "after decimal point in numeric literal"), 0
            state = _DOT0
        elif state == _DOT0:
            if byte in b"eE":
                state = _EXP
            elif byte not in _DIGITS:
                state = _END_VALUE
                continue
        elif state in (_EXP, _EXP_SIGN):
            if state == _EXP and byte in b"+-":
                state = _EXP_SIGN
            elif byte in _DIGITS:
                state = _EXP0
            else:
                return _invalid(byte, "in exponent of numeric literal"), 0
        elif state == _EXP0 and byte not in _DIGITS:
            state = _END_VALUE
            continue
        index += 1
    if not stack and (state == _END_VALUE or state in _NUMBER_END_STATES):
        return None, size
    return "unexpected EOF", 0


_LONE_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _replace_surrogates(value: Any) -> Any:
    """Go decodes a lone surrogate escape as U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_replace_surrogates(key): _replace_surrogates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_surrogates(item) for item in value]
    return value


def decode_json_value(body: bytes) -> Any:
    """Decode the first JSON value of ``body`` as Go's ``json.Decoder.Decode`` into ``any`` would.

    Integral numbers come back as ``int``, the others as ``float``; a number too large for a
    ``float64`` comes back as an opaque marker that the typed decoders report.

    :param body: the raw request body.
    :raises InvalidRequest: with Go's text (``EOF``, ``unexpected EOF``, ``invalid character ...``).
    """
    try:
        return _decode(body)
    except _JSONError as exc:
        raise InvalidRequest(str(exc)) from None


def _decode(body: bytes) -> Any:
    data = body.lstrip(b" \t\n\r")
    if not data:
        raise _JSONError("EOF")
    if data[0] in b'{["':
        # Python's scanner accepts the same objects, arrays and strings as Go's (NaN and Infinity
        # excepted, and those raise _Rejected), and raw_decode ignores what follows, like Decoder.
        try:
            text = data.decode("utf-8")
            value, _ = _DECODER.raw_decode(text)
        except (ValueError, RecursionError):
            pass
        else:
            _check_depth(data, value)
            if "\\u" in text and _LONE_SURROGATE_ESCAPE.search(text) is not None:
                value = _replace_surrogates(value)
            return value
    message, end = _scan(data)
    if message is not None:
        raise _JSONError(message)
    text = data[:end].decode("utf-8", errors="replace")
    try:
        value, _ = _DECODER.raw_decode(text)
    except RecursionError:
        raise _JSONError(_TOO_DEEP) from None
    _check_depth(data, value)
    return _replace_surrogates(value)


def _check_depth(data: bytes, value: Any) -> None:
    """Refuse a value nested deeper than :data:`FAKE_MAX_DEPTH` (counted without recursion)."""
    if data.count(b"{") + data.count(b"[") <= FAKE_MAX_DEPTH:
        return  # cannot be that deep: the common case costs two byte counts
    level = [(value, 1)]
    while level:
        item, depth = level.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > FAKE_MAX_DEPTH:
                    raise _JSONError(_TOO_DEEP)
                level.append((child, depth + 1))


# -- Go type errors ------------------------------------------------------------------------------


def go_value_kind(value: Any) -> str:
    """The JSON kind Go names in an ``UnmarshalTypeError``: object, array, string, number, bool.

    :param value: a decoded JSON value (not ``None``).
    """
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "number"


def go_type_error(value: Any, go_type: str, field: str | None = None) -> str:
    """Go's ``UnmarshalTypeError`` text.

    :param value: the offending decoded value.
    :param go_type: the Go type it could not go into (``string``, ``workflow.Config``...).
    :param field: ``Struct.field`` when inside a struct field.
    """
    kind = go_value_kind(value)
    if field is None:
        return f"json: cannot unmarshal {kind} into Go value of type {go_type}"
    return f"json: cannot unmarshal {kind} into Go struct field {field} of type {go_type}"


def _fold(key: str) -> str:
    """Go matches JSON keys to struct fields case-insensitively (with Unicode simple folding)."""
    return key.lower().replace("\u017f", "s")


# -- workflow.Config -----------------------------------------------------------------------------


def _check_any(value: Any) -> str | None:
    """The first error decoding ``value`` into ``any`` inside ``Config.stages`` (too large numbers)."""
    if isinstance(value, _Overflow):
        return (
            f"json: cannot unmarshal number {value.text} into Go struct field Config.stages of type float64"
        )
    if isinstance(value, dict):
        for item in value.values():
            error = _check_any(item)
            if error is not None:
                return error
    elif isinstance(value, list):
        for item in value:
            error = _check_any(item)
            if error is not None:
                return error
    return None


def _sorted_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted_value(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_value(item) for item in value]
    return value


def _stages(items: list[Any]) -> list[dict[str, Any] | None]:
    stages: list[dict[str, Any] | None] = []
    for item in items:
        if item is None:
            stages.append(None)
            continue
        if not isinstance(item, dict):
            raise _JSONError(go_type_error(item, "workflow.RawStage", "Config.stages"))
        for params in item.values():
            if params is not None and not isinstance(params, dict):
                raise _JSONError(go_type_error(params, "map[string]interface {}", "Config.stages"))
            error = _check_any(params)
            if error is not None:
                raise _JSONError(error)
        stages.append(_sorted_value(item))
    return stages


def _config(value: Any) -> dict[str, Any]:
    name = ""
    stages: list[dict[str, Any] | None] | None = None
    if value is None:
        return {"name": name, "stages": stages}
    if not isinstance(value, dict):
        raise _JSONError(go_type_error(value, "workflow.Config"))
    for key, item in value.items():
        field = _fold(key)
        if field == "name":
            if isinstance(item, str):
                name = item
            elif item is not None:
                raise _JSONError(go_type_error(item, "string", "Config.name"))
        elif field == "stages":
            if item is None:
                stages = None
            elif isinstance(item, list):
                stages = _stages(item)
            else:
                raise _JSONError(go_type_error(item, "[]workflow.RawStage", "Config.stages"))
    return {"name": name, "stages": stages}


def decode_workflow_config(body: bytes, content_type: str | None = None) -> dict[str, Any]:
    """Decode a ``POST /workflows`` body into ``{"name": str, "stages": list | None}``.

    Stage items are ``None`` or one-key-or-more dicts whose values are ``None`` or dicts, keys sorted.

    :param body: the raw request body.
    :param content_type: the request's ``Content-Type``; exactly ``text/vnd.yaml`` selects YAML.
    :raises InvalidRequest: with the service's text (``unmarshalling json body: ...`` etc.).
    :raises GoPanic: where the service panics (YAML that JSON cannot represent).
    """
    if content_type == YAML_CONTENT_TYPE:
        payload = _yaml_payload(body)
        try:
            text = json.dumps(payload, allow_nan=False)
        except ValueError:
            raise GoPanic("json: unsupported value: NaN or Inf") from None
        try:
            return _config(_decode(text.encode("utf-8")))
        except _JSONError as exc:
            raise InvalidRequest(f"unmarshalling workflow data: {exc}") from None
    try:
        return _config(_decode(body))
    except _JSONError as exc:
        raise InvalidRequest(f"unmarshalling json body: {exc}") from None


# -- map[string]string and workflow.Event --------------------------------------------------------


def decode_variables(body: bytes) -> dict[str, str]:
    """Decode a run body (the variables) as the service's ``map[string]string``; ``null`` -> ``{}``.

    :param body: the raw request body (the routes only call this when Content-Length > 0).
    :raises InvalidRequest: with Go's text, no prefix.
    """
    try:
        value = _decode(body)
    except _JSONError as exc:
        raise InvalidRequest(str(exc)) from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidRequest(go_type_error(value, "map[string]string"))
    variables: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, str):
            variables[key] = item
        elif item is None:
            variables[key] = ""
        else:
            raise InvalidRequest(go_type_error(item, "string"))
    return variables


def decode_event(body: bytes) -> str:
    """Decode a ``POST /instances/{id}/events`` body (``workflow.Event``) and return the name.

    ``{}`` and ``null`` give ``""``.

    :param body: the raw request body.
    :raises InvalidRequest: with Go's text, no prefix (``EOF`` for an empty body).
    """
    try:
        value = _decode(body)
    except _JSONError as exc:
        raise InvalidRequest(str(exc)) from None
    name = ""
    if value is None:
        return name
    if not isinstance(value, dict):
        raise InvalidRequest(go_type_error(value, "workflow.Event"))
    for key, item in value.items():
        if _fold(key) == "name":
            if isinstance(item, str):
                name = item
            elif item is not None:
                raise InvalidRequest(go_type_error(item, "string", "Event.name"))
    return name


# -- YAML, as gopkg.in/yaml.v3 decodes it into map[string]any ------------------------------------

_PLAIN_TAG = "!fakeserver/plain"
_YAML_TAG = "tag:yaml.org,2002:"
_YAML_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_YAML_TRUE = frozenset({"true", "True", "TRUE"})
_YAML_FALSE = frozenset({"false", "False", "FALSE"})
_YAML_SPECIAL_FLOATS = {
    ".nan": math.nan,
    ".NaN": math.nan,
    ".NAN": math.nan,
    ".inf": math.inf,
    ".Inf": math.inf,
    ".INF": math.inf,
    "+.inf": math.inf,
    "+.Inf": math.inf,
    "+.INF": math.inf,
    "-.inf": -math.inf,
    "-.Inf": -math.inf,
    "-.INF": -math.inf,
}
_YAML_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)\Z")
_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_YAML_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?\Z")
_UINT64_MAX = 2**64 - 1
_INT64_MIN = -(2**63)

# PyYAML's problem texts -> libyaml's (which yaml.v3 ports), for the common mistakes.
_YAML_PROBLEMS = (
    (re.compile(r"mapping values are not allowed here"), "mapping values are not allowed in this context"),
    (
        re.compile(r"found character .* that cannot start any token"),
        "found character that cannot start any token",
    ),
    (re.compile(r"expected <block end>, but found .*"), "did not find expected key"),
    (re.compile(r"found undefined alias .*"), "unknown anchor referenced"),
    (re.compile(r"expected ',' or '\]', but got .*"), "did not find expected ',' or ']'"),
    (re.compile(r"expected ',' or '}', but got .*"), "did not find expected ',' or '}'"),
)


class _GoYamlLoader(yaml.SafeLoader):
    """Tags plain scalars for :func:`_plain_scalar` (yaml.v3's resolution, not PyYAML's YAML 1.1)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN_TAG
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]


class _YamlTypeError(Exception):
    pass


def _plain_scalar(text: str) -> tuple[str, Any]:
    """yaml.v3's resolution of an untagged plain scalar: ``(short tag, value)``."""
    if text in _YAML_NULL:
        return "null", None
    if text in _YAML_TRUE:
        return "bool", True
    if text in _YAML_FALSE:
        return "bool", False
    special = _YAML_SPECIAL_FLOATS.get(text)
    if special is not None:
        return "float", special
    first = text[0]
    if first == ".":
        if _YAML_DOT_FLOAT.match(text):
            return "float", float(text)
        return "str", text
    if first in "+-0123456789":
        plain = text.replace("_", "")
        match = _YAML_INT.match(plain)
        if match is not None:
            sign, digits = match.groups()
            if len(digits) > 1 and digits[0] == "0" and digits[1] in "01234567":
                digits = "0o" + digits[1:]
            number = int(sign + digits, 0)
            if _INT64_MIN <= number <= _UINT64_MAX or digits[:2] not in ("0x", "0X", "0o", "0O", "0b", "0B"):
                return "int", number
            return "str", text
        if _YAML_FLOAT.match(plain):
            number_f = float(plain)
            if not math.isinf(number_f):
                return "float", number_f
    return "str", text


def _scalar(node: yaml.ScalarNode) -> tuple[str, Any]:
    tag = node.tag
    text = str(node.value)
    if tag == _PLAIN_TAG:
        return _plain_scalar(text)
    if not tag.startswith(_YAML_TAG):
        return "str", text
    short = tag[len(_YAML_TAG) :]
    if short in ("int", "float", "bool", "null") and text:
        resolved_tag, value = _plain_scalar(text)
        if resolved_tag == short or (short == "float" and resolved_tag == "int"):
            return short, value
    if short == "binary":
        try:
            return "str", base64.b64encode(base64.b64decode("".join(text.split()))).decode("ascii")
        except (binascii.Error, ValueError):
            return "str", text
    return "str", text


def _short(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return "!!" + _scalar(node)[0]
    return "!!seq" if isinstance(node, yaml.SequenceNode) else "!!map"


def _yaml_terror(node: yaml.Node, target: str) -> str:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        text = str(node.value)
        shown = f" `{text[:7]}...`" if len(text) > 10 else f" `{text}`"
        return f"line {line}: cannot unmarshal {_short(node)}{shown} into {target}"
    return f"line {line}: cannot unmarshal {_short(node)} into {target}"


def _mapping_pairs(node: yaml.MappingNode, errors: list[str]) -> list[tuple[yaml.Node, yaml.Node]]:
    """The key/value node pairs of a mapping with ``<<`` merges applied (explicit keys win)."""
    pairs: list[tuple[yaml.Node, yaml.Node]] = []
    merged: list[tuple[yaml.Node, yaml.Node]] = []
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _PLAIN_TAG and key_node.value == "<<":
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in sources:
                if isinstance(source, yaml.MappingNode):
                    merged.extend(_mapping_pairs(source, errors))
                else:
                    line = source.start_mark.line + 1
                    errors.append(f"line {line}: map merge requires map or sequence of maps as the value")
            continue
        pairs.append((key_node, value_node))
    if merged:
        explicit = {str(key.value) for key, _ in pairs if isinstance(key, yaml.ScalarNode)}
        pairs.extend(pair for pair in merged if str(pair[0].value) not in explicit)
    return pairs


def _yaml_mapping(node: yaml.MappingNode, errors: list[str], depth: int, *, top: bool) -> dict[str, Any]:
    """A mapping as yaml.v3 decodes it: into ``map[string]any`` at the top (keys taken as text), into
    ``any`` below, where a non-string key makes a ``map[any]any`` that JSON cannot encode (panic)."""
    mapping: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for key_node, value_node in _mapping_pairs(node, errors):
        if not isinstance(key_node, yaml.ScalarNode):
            if not top:
                raise GoPanic("json: unsupported type: map[interface {}]interface {}")
            errors.append(_yaml_terror(key_node, "string"))
            continue
        key_tag = _scalar(key_node)[0]
        if key_tag != "str" and not top:
            raise GoPanic("json: unsupported type: map[interface {}]interface {}")
        key = "" if key_tag == "null" else str(key_node.value)
        line = key_node.start_mark.line + 1
        if key in seen:
            errors.append(f"line {line}: mapping key {json.dumps(key)} already defined at line {seen[key]}")
            continue
        seen[key] = line
        mapping[key] = _yaml_value(value_node, errors, depth + 1)
    return mapping


def _yaml_value(node: yaml.Node, errors: list[str], depth: int = 0) -> Any:
    """The value yaml.v3 decodes into ``any``."""
    if depth >= FAKE_MAX_DEPTH:
        raise InvalidRequest(f"unmarshalling yaml: {_TOO_DEEP}")
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)[1]
    if isinstance(node, yaml.SequenceNode):
        return [_yaml_value(item, errors, depth + 1) for item in node.value]
    if isinstance(node, yaml.MappingNode):
        return _yaml_mapping(node, errors, depth, top=False)
    raise GoPanic(f"yaml: unexpected node {node!r}")


def _top_mapping(node: yaml.Node) -> dict[str, Any] | None:
    """Decode the document's root into ``map[string]any`` as yaml.v3 does."""
    errors: list[str] = []
    result: dict[str, Any] | None = None
    if isinstance(node, yaml.MappingNode):
        result = _yaml_mapping(node, errors, 0, top=True)
    elif not (isinstance(node, yaml.ScalarNode) and _scalar(node)[0] == "null"):
        errors.append(_yaml_terror(node, "map[string]interface {}"))
    if errors:
        raise _YamlTypeError("yaml: unmarshal errors:\n  " + "\n  ".join(errors))
    return result


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        problem = exc.problem or "unknown problem parsing YAML content"
        for pattern, replacement in _YAML_PROBLEMS:
            if pattern.match(problem):
                problem = replacement
                break
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            return f"yaml: line {mark.line + 1}: {problem}"
        return f"yaml: {problem}"
    return f"yaml: {exc}"


def _yaml_payload(body: bytes) -> dict[str, Any] | None:
    loader = _GoYamlLoader(body)
    try:
        if not loader.check_node():
            raise InvalidRequest("unmarshalling yaml: EOF")
        node = loader.get_node()
        if node is None:
            raise InvalidRequest("unmarshalling yaml: EOF")
    except yaml.YAMLError as exc:
        raise InvalidRequest(f"unmarshalling yaml: {_yaml_problem(exc)}") from None
    except RecursionError:  # PyYAML composes nodes recursively
        raise InvalidRequest(f"unmarshalling yaml: {_TOO_DEEP}") from None
    finally:
        loader.dispose()
    try:
        return _top_mapping(node)
    except _YamlTypeError as exc:
        raise InvalidRequest(f"unmarshalling yaml: {exc}") from None
