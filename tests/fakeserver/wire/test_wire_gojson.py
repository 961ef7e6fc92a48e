"""Request-body decoding: the Go service's values and error texts, without HTTP."""

from __future__ import annotations

import pytest

from fakeserver._errors import InvalidRequest
from fakeserver._gojson import (
    GoPanic,
    decode_event,
    decode_json_value,
    decode_variables,
    decode_workflow_config,
)

PREFIX = "unmarshalling json body: "
STAGE_FIELD = "Go struct field Config.stages of type"
YAML_ERRORS = "unmarshalling yaml: yaml: unmarshal errors:\n  "


def _config_error(body: bytes, content_type: str | None = None) -> str:
    with pytest.raises(InvalidRequest) as caught:
        decode_workflow_config(body, content_type)
    return caught.value.message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "EOF"),
        (b" \n\t\r ", "EOF"),
        (b"{", "unexpected EOF"),
        (b'{"name":"x"', "unexpected EOF"),
        (b'{"name":"x', "unexpected EOF"),
        (b"tru", "unexpected EOF"),
        (b"-", "unexpected EOF"),
        (b"1.", "unexpected EOF"),
        (b"x", "invalid character 'x' looking for beginning of value"),
        (b"NaN", "invalid character 'N' looking for beginning of value"),
        (b'{"stages":[Infinity]}', "invalid character 'I' looking for beginning of value"),
        (b"{,}", "invalid character ',' looking for beginning of object key string"),
        (b'{"a" 1}', "invalid character '1' after object key"),
        (b'{"a":1 "b":2}', "invalid character '\"' after object key:value pair"),
        (b"[1 2]", "invalid character '2' after array element"),
        (b"[1,]", "invalid character ']' looking for beginning of value"),
        (b"[01]", "invalid character '1' after array element"),
        (b"1.x", "invalid character 'x' after decimal point in numeric literal"),
        (b"[1ex]", "invalid character 'x' in exponent of numeric literal"),
        (b"[-x]", "invalid character 'x' in numeric literal"),
        (b"trux", "invalid character 'x' in literal true (expecting 'e')"),
        (b"fals0", "invalid character '0' in literal false (expecting 'e')"),
        (b"nUll", "invalid character 'U' in literal null (expecting 'u')"),
        (b'{"a":"\x01"}', "invalid character '\\x01' in string literal"),
        (b'{"a":"\n"}', "invalid character '\\n' in string literal"),
        (b'{"a":"\\q"}', "invalid character 'q' in string escape code"),
        (b'{"a":"\\u12g4"}', "invalid character 'g' in \\u hexadecimal character escape"),
        (b"'x'", "invalid character '\\'' looking for beginning of value"),
        (b"\xc3\xa9", "invalid character '\xc3' looking for beginning of value"),
        (b"[" * 10001, "invalid character '[' exceeded max depth"),
    ],
)
def test_syntax_errors_are_go_texts(body: bytes, message: str) -> None:
    assert _config_error(body) == PREFIX + message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[]", "json: cannot unmarshal array into Go value of type workflow.Config"),
        (b'"x"', "json: cannot unmarshal string into Go value of type workflow.Config"),
        (b"12", "json: cannot unmarshal number into Go value of type workflow.Config"),
        (b"true", "json: cannot unmarshal bool into Go value of type workflow.Config"),
        (b'{"name":1}', "json: cannot unmarshal number into Go struct field Config.name of type string"),
        (b'{"NAME":{}}', "json: cannot unmarshal object into Go struct field Config.name of type string"),
        (
            b'{"stages":"x"}',
            "json: cannot unmarshal string into Go struct field Config.stages of type []workflow.RawStage",
        ),
        (
            b'{"stages":{}}',
            "json: cannot unmarshal object into Go struct field Config.stages of type []workflow.RawStage",
        ),
        (
            b'{"stages":["x"]}',
            "json: cannot unmarshal string into Go struct field Config.stages of type workflow.RawStage",
        ),
        (
            b'{"stages":[[]]}',
            "json: cannot unmarshal array into Go struct field Config.stages of type workflow.RawStage",
        ),
        (
            b'{"stages":[{"delay":"10s"}]}',
            f"json: cannot unmarshal string into {STAGE_FIELD} map[string]interface {{}}",
        ),
        (
            b'{"stages":[{"delay":5}]}',
            f"json: cannot unmarshal number into {STAGE_FIELD} map[string]interface {{}}",
        ),
        (
            b'{"stages":[{"send":{"amount":{"amount":1e400}}}]}',
            "json: cannot unmarshal number 1e400 into Go struct field Config.stages of type float64",
        ),
        # the first error in document order wins
        (
            b'{"stages":"x","name":1}',
            "json: cannot unmarshal string into Go struct field Config.stages of type []workflow.RawStage",
        ),
    ],
)
def test_type_errors_are_go_texts(body: bytes, message: str) -> None:
    assert _config_error(body) == PREFIX + message


def test_config_values() -> None:
    assert decode_workflow_config(b"{}") == {"name": "", "stages": None}
    assert decode_workflow_config(b"null") == {"name": "", "stages": None}
    assert decode_workflow_config(b'{"stages":[]}') == {"name": "", "stages": []}
    assert decode_workflow_config(b'{"stages":[null,{"noop":null}]}')["stages"] == [None, {"noop": None}]
    # field names match case-insensitively; unknown keys and trailing bytes are ignored
    decoded = decode_workflow_config(b' {"Name":"n","Stages":[{"noop":{}}],"other":[1,{}]} trailing')
    assert decoded == {"name": "n", "stages": [{"noop": {}}]}


def test_stage_objects_come_back_sorted_with_go_numbers() -> None:
    body = (
        b'{"stages":[{"send":{"source":{"account":{"id":"a"}},"amount":{"asset":"EUR/2","amount":1.0e2},'
        b'"destination":{"account":{"id":"b"}},"big":12345678901234567890,"frac":2.5}}]}'
    )
    stage = decode_workflow_config(body)["stages"][0]["send"]
    assert list(stage) == ["amount", "big", "destination", "frac", "source"]
    assert list(stage["amount"]) == ["amount", "asset"]
    assert stage["amount"]["amount"] == 100
    assert isinstance(stage["amount"]["amount"], int)
    assert stage["big"] == 12345678901234567000  # what a float64 re-encodes to
    assert stage["frac"] == 2.5


def test_lone_surrogate_escape_becomes_replacement_character() -> None:
    assert decode_workflow_config(b'{"name":"a\\ud800b"}')["name"] == "a\ufffdb"
    assert decode_workflow_config(b'{"name":"\\ud83d\\ude00"}')["name"] == "\U0001f600"


def test_decode_json_value_reads_only_the_first_value() -> None:
    assert decode_json_value(b"0123") == 0
    assert decode_json_value(b'{"a":[1,2.5,"x",true,null]}{') == {"a": [1, 2.5, "x", True, None]}
    with pytest.raises(InvalidRequest) as caught:
        decode_json_value(b"")
    assert caught.value.message == "EOF"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"a":"1","b":"x"}', {"a": "1", "b": "x"}),
        (b"null", {}),
        (b"{}", {}),
        (b'{"a":null}', {"a": ""}),
    ],
)
def test_variables(body: bytes, expected: dict[str, str]) -> None:
    assert decode_variables(body) == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"a":1}', "json: cannot unmarshal number into Go value of type string"),
        (b'{"a":true}', "json: cannot unmarshal bool into Go value of type string"),
        (b'{"a":{}}', "json: cannot unmarshal object into Go value of type string"),
        (b"[]", "json: cannot unmarshal array into Go value of type map[string]string"),
        (b'"x"', "json: cannot unmarshal string into Go value of type map[string]string"),
        (b'{"a":', "unexpected EOF"),
        (b"{x", "invalid character 'x' looking for beginning of object key string"),
        (b"  ", "EOF"),
    ],
)
def test_variable_errors(body: bytes, message: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        decode_variables(body)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("body", "name"),
    [(b'{"name":"go"}', "go"), (b'{"NAME":"go"}', "go"), (b"{}", ""), (b"null", ""), (b'{"name":null}', "")],
)
def test_event(body: bytes, name: str) -> None:
    assert decode_event(body) == name


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "EOF"),
        (b'{"name":1}', "json: cannot unmarshal number into Go struct field Event.name of type string"),
        (b"[]", "json: cannot unmarshal array into Go value of type workflow.Event"),
        (b'{"name":"x"', "unexpected EOF"),
        (b"go", "invalid character 'g' looking for beginning of value"),
    ],
)
def test_event_errors(body: bytes, message: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        decode_event(body)
    assert caught.value.message == message


YAML = "text/vnd.yaml"


def test_yaml_config() -> None:
    body = b"""
name: payout
stages:
  - send:
      amount: {amount: 100, asset: EUR/2}
      source: {account: {id: world}}
      destination: {account: {id: bank, ledger: default}}
  - wait_event: {event: yes}
  - delay: {until: 2023-06-01T00:00:00Z}
  - noop: ~
"""
    assert decode_workflow_config(body, YAML) == {
        "name": "payout",
        "stages": [
            {
                "send": {
                    "amount": {"amount": 100, "asset": "EUR/2"},
                    "destination": {"account": {"id": "bank", "ledger": "default"}},
                    "source": {"account": {"id": "world"}},
                }
            },
            {"wait_event": {"event": "yes"}},  # YAML 1.2: yes is a string, as in yaml.v3
            {"delay": {"until": "2023-06-01T00:00:00Z"}},  # timestamps stay strings
            {"noop": None},
        ],
    }


def test_yaml_only_with_the_exact_content_type() -> None:
    assert _config_error(b"name: x", "text/vnd.yaml; charset=utf-8") == (
        PREFIX + "invalid character 'a' in literal null (expecting 'u')"
    )
    assert decode_workflow_config(b"~", YAML) == {"name": "", "stages": None}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "unmarshalling yaml: EOF"),
        (b"# only a comment\n", "unmarshalling yaml: EOF"),
        (b"- a", YAML_ERRORS + "line 1: cannot unmarshal !!seq into map[string]interface {}"),
        (b"foo", YAML_ERRORS + "line 1: cannot unmarshal !!str `foo` into map[string]interface {}"),
        (b"a: b: c", "unmarshalling yaml: yaml: line 1: mapping values are not allowed in this context"),
        (b"name: a\nname: b\n", YAML_ERRORS + 'line 2: mapping key "name" already defined at line 1'),
        (
            b"name: 1",
            "unmarshalling workflow data: json: cannot unmarshal number into Go struct field Config.name"
            " of type string",
        ),
        (
            b"stages:\n  - delay: 10s\n",
            f"unmarshalling workflow data: json: cannot unmarshal string into {STAGE_FIELD}"
            " map[string]interface {}",
        ),
    ],
)
def test_yaml_errors(body: bytes, message: str) -> None:
    assert _config_error(body, YAML) == message


@pytest.mark.parametrize("body", [b"stages:\n  - noop: {1: 2}\n", b"stages:\n  - delay: {x: .nan}\n"])
def test_yaml_that_json_cannot_hold_panics(body: bytes) -> None:
    with pytest.raises(GoPanic):
        decode_workflow_config(body, YAML)
