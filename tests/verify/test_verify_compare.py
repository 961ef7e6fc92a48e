"""The comparison and normalisation rules of verify, on hand-made answers."""

from __future__ import annotations

from formance_orchestration.verify import RULES, Answer
from formance_orchestration.verify._compare import compare, compare_json, normalise

WF = "7d8269a8-59dc-401d-b620-c9229ff4ed37"
OTHER = "0b7e1f7c-5f8e-4c8a-9d3b-2a1f0c9e8d7a"


def test_known_ids_become_roles_and_other_uuids_become_uuid() -> None:
    labels = {WF: "<workflow:delay>"}
    value = {"id": WF, "message": f"workflow {WF} of {OTHER}", "other": OTHER}
    assert normalise(value, labels) == {
        "id": "<workflow:delay>",
        "message": "workflow <workflow:delay> of <uuid>",
        "other": "<uuid>",
    }


def test_timestamps_are_normalised_but_the_zero_time_is_kept() -> None:
    value = {
        "a": "2026-12-05T10:26:37Z",
        "b": "2023-06-01T12:00:00.123456+02:00",
        "z": "0001-01-01T00:00:00Z",
    }
    assert normalise(value, {}) == {"a": "<timestamp>", "b": "<timestamp>", "z": "0001-01-01T00:00:00Z"}


def test_ledger_transaction_ids_and_the_server_version() -> None:
    tx = {"data": [{"id": 41, "txid": 41, "postings": [], "reverted": False}]}
    assert normalise(tx, {}) == {
        "data": [{"id": "<txid>", "txid": "<txid>", "postings": [], "reverted": False}]
    }
    assert normalise({"version": "v2.0.9"}, {}, server_info=True) == {"version": "<version>"}
    assert normalise({"id": 3}, {}) == {"id": 3}  # an id outside a transaction is compared


def test_every_rule_is_written_down() -> None:
    assert [name for name, _ in RULES] == [
        "ids",
        "timestamps",
        "ledger ids",
        "server version",
        "durations",
        "lists",
    ]
    assert all(len(text) > 40 for _, text in RULES)


def test_key_sets_types_lengths_and_values_at_every_path() -> None:
    fake = {"data": {"a": 1, "b": [1, 2], "c": {"d": "x"}, "gone": None}}
    target = {"data": {"a": "1", "b": [1], "c": {"d": "y"}, "new": True}}
    found = {(d.path, d.kind) for d in compare_json(target, fake)}
    assert found == {
        ("data.a", "type"),
        ("data.b", "length"),
        ("data.c.d", "value"),
        ("data.gone", "missing"),
        ("data.new", "extra"),
    }
    assert compare_json(fake, fake) == []


def test_status_content_type_and_body_kind() -> None:
    fake = Answer(200, "application/json", b'{"data":[]}')
    html = Answer(502, "text/html; charset=utf-8", b"<html>Bad gateway</html>")
    found = [(d.path, d.target, d.fake) for d in compare(html, fake, None, {"data": []})]
    assert found == [
        ("status", "502", "200"),
        ("content-type", "text/html", "application/json"),
        ("body", "not JSON ('<html>Bad gateway</html>')", "JSON"),
    ]


def test_content_type_is_not_compared_between_two_empty_bodies() -> None:
    assert compare(Answer(204, "", b""), Answer(204, "application/json", b""), None, None) == []
    found = compare(Answer(204, "", b""), Answer(200, "application/json", b"{}"), None, {})
    assert [d.path for d in found] == ["status", "content-type", "body"]
