"""How two answers to the same request are compared, and how volatile values are normalised.

Compared, in this order: the status code; the media type of ``Content-Type`` (not when both bodies
are empty); whether the body is JSON; then, at every path of the JSON, the key sets of objects, the
type of every value, the length of lists and every value once normalised by the rules below.

Normalisation rules (applied to each side's answer with that side's own ids; see :data:`RULES`):
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["RULES", "Answer", "Difference", "compare", "normalise"]

#: Every rule that makes a volatile value comparable, as printed in the report and the README.
RULES: tuple[tuple[str, str], ...] = (
    (
        "ids",
        "a workflow or instance id the run learnt (from a create or run answer) becomes <workflow:ROLE> "
        "or <instance:ROLE>, where it is a whole value and inside texts; the random unknown id "
        "becomes <unknown-id>; any other UUID becomes <uuid>",
    ),
    (
        "timestamps",
        "an RFC 3339 date-time string becomes <timestamp> (Go's zero time 0001-01-01T00:00:00Z "
        "is kept: it means 'not set')",
    ),
    (
        "ledger ids",
        "txid, and the id of an object with postings (a ledger transaction), become <txid>: the "
        "ledger numbers transactions itself",
    ),
    ("server version", "the version of GET /_info becomes <version> (the report names the target's)"),
    (
        "durations",
        "none is normalised: no answer of the scenario carries a measured duration, and every "
        "duration it reads back (a delay stage's) is one it sent",
    ),
    (
        "lists",
        "a list of workflows or instances keeps only the items this run created, sorted by role "
        "(a real stack holds others')",
    ),
)

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_ZERO_TIME = re.compile(r"^0001-01-01T00:00:00(\.0+)?Z$")
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")


@dataclass(frozen=True)
class Answer:
    """One raw HTTP answer.

    :param status: the status code.
    :param content_type: the ``Content-Type`` header (``""`` when absent).
    :param body: the raw body.
    :param location: the ``Location`` header (redirects).
    """

    status: int
    content_type: str
    body: bytes
    location: str = ""

    @property
    def media_type(self) -> str:
        """The content type without parameters, lower case."""
        return self.content_type.split(";", 1)[0].strip().lower()

    def json(self) -> tuple[bool, Any]:
        """``(True, value)`` when the body is JSON, else ``(False, None)``."""
        import json

        if not self.body.strip():
            return False, None
        try:
            return True, json.loads(self.body)
        except ValueError:
            return False, None

    def excerpt(self, limit: int = 60) -> str:
        """The start of the body, on one line."""
        text = " ".join(self.body.decode("utf-8", errors="replace").split())
        return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Difference:
    """One way the target's answer differs from the fake's.

    :param path: where: ``status``, ``content-type``, ``body``, ``poll`` or a JSON path (``data.id``).
    :param kind: ``status``, ``content-type``, ``body``, ``poll``, ``missing`` (only the fake has the
        key), ``extra`` (only the target has it), ``type``, ``length`` or ``value``.
    :param target: what the target answered there (normalised), as text.
    :param fake: what the fake answered there (normalised), as text.
    """

    path: str
    kind: str
    target: str
    fake: str

    def describe(self) -> str:
        """One short line."""
        if self.kind == "missing":
            return f"{self.path}: missing on the target (fake: {self.fake})"
        if self.kind == "extra":
            return f"{self.path}: only on the target ({self.target})"
        return f"{self.path}: target {self.target}, fake {self.fake}"

    def to_dict(self) -> dict[str, str]:
        """The JSON form."""
        return {"path": self.path, "kind": self.kind, "target": self.target, "fake": self.fake}


def normalise(value: Any, labels: Mapping[str, str], *, server_info: bool = False) -> Any:
    """A copy of a decoded answer with volatile values replaced (see :data:`RULES`).

    :param value: the decoded JSON.
    :param labels: ``id -> label`` of the side that answered.
    :param server_info: the answer of ``GET /_info`` (its ``version`` is normalised).
    """
    if server_info and isinstance(value, dict) and isinstance(value.get("version"), str):
        value = {**value, "version": "<version>"}
    return _normalise(value, labels, None)


def _normalise(value: Any, labels: Mapping[str, str], key: str | None) -> Any:
    if isinstance(value, dict):
        transaction = "postings" in value
        out: dict[str, Any] = {}
        for name, item in value.items():
            if name == "txid" or (transaction and name == "id"):
                out[name] = "<txid>" if item is not None else None
            else:
                out[name] = _normalise(item, labels, name)
        return out
    if isinstance(value, list):
        return [_normalise(item, labels, key) for item in value]
    if isinstance(value, str):
        return _text(value, labels)
    return value


def _text(text: str, labels: Mapping[str, str]) -> str:
    label = labels.get(text)
    if label is not None:
        return label
    if _TIMESTAMP.match(text):
        return text if _ZERO_TIME.match(text) else "<timestamp>"
    if _UUID.search(text):
        return _UUID.sub(lambda m: labels.get(m.group(0), "<uuid>"), text)
    return text


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _shown(value: Any, limit: int = 50) -> str:
    import json

    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    text = json.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def compare_json(target: Any, fake: Any, path: str = "") -> list[Difference]:
    """Differences between two normalised JSON values, depth first, keys in the fake's order."""
    where = path or "body"
    kind_t, kind_f = _type(target), _type(fake)
    if kind_t != kind_f:
        return [Difference(where, "type", f"{kind_t} {_shown(target)}", f"{kind_f} {_shown(fake)}")]
    if isinstance(target, dict) and isinstance(fake, dict):
        out: list[Difference] = []
        for key, value in fake.items():
            if key not in target:
                out.append(Difference(_join(path, key), "missing", "", _shown(value)))
            else:
                out.extend(compare_json(target[key], value, _join(path, key)))
        for key, value in target.items():
            if key not in fake:
                out.append(Difference(_join(path, key), "extra", _shown(value), ""))
        return out
    if isinstance(target, list) and isinstance(fake, list):
        out = []
        for index, (left, right) in enumerate(zip(target, fake, strict=False)):
            out.extend(compare_json(left, right, f"{path}[{index}]"))
        if len(target) != len(fake):
            out.append(Difference(where, "length", f"{len(target)} items", f"{len(fake)} items"))
        return out
    if target != fake:
        return [Difference(where, "value", _shown(target), _shown(fake))]
    return []


def compare(
    target: Answer,
    fake: Answer,
    target_json: Any,
    fake_json: Any,
) -> list[Difference]:
    """Every difference between two answers to the same request.

    :param target: the target's raw answer.
    :param fake: the fake's raw answer.
    :param target_json: the target's body decoded and normalised (``None`` if not JSON).
    :param fake_json: the fake's body decoded and normalised (``None`` if not JSON).
    """
    out: list[Difference] = []
    if target.status != fake.status:
        out.append(Difference("status", "status", str(target.status), str(fake.status)))
    empty_t, empty_f = not target.body.strip(), not fake.body.strip()
    if not (empty_t and empty_f) and target.media_type != fake.media_type:
        out.append(
            Difference("content-type", "content-type", target.media_type or "none", fake.media_type or "none")
        )
    is_json_t, _ = target.json()
    is_json_f, _ = fake.json()
    if is_json_t and is_json_f:
        out.extend(compare_json(target_json, fake_json))
    elif is_json_t != is_json_f or empty_t != empty_f:
        out.append(Difference("body", "body", _body_kind(target, is_json_t), _body_kind(fake, is_json_f)))
    elif target.body.strip() != fake.body.strip():
        out.append(Difference("body", "value", repr(target.excerpt()), repr(fake.excerpt())))
    return out


def _body_kind(answer: Answer, is_json: bool) -> str:
    if not answer.body.strip():
        return "empty"
    if is_json:
        return "JSON"
    return f"not JSON ({answer.excerpt(40)!r})"
