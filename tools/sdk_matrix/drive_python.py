"""Run the matrix scenario with one formance-sdk-python release (inside that release's own venv).

Usage: ``python drive_python.py SCENARIO_JSON`` (written by ``run.py``); prints one JSON object of
step results. Only the standard library and the SDK are imported: the SDK's API shape (``sdk`` or
``formance_sdk_python`` package, ``sdk.flows`` / ``sdk.orchestration`` / ``sdk.orchestration.v1``,
dataclass or pydantic request classes, raising or returning errors) is found by introspection.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import inspect
import json
import sys
import traceback
import typing
import urllib.request
import warnings
from typing import Any

_ENVELOPE = {"status_code", "content_type", "raw_response", "headers", "http_meta"}


class StepFailed(Exception):
    """A step's outcome that is not what the scenario expects (no SDK exception involved)."""


class Blocked(Exception):
    """A step that cannot run because an earlier one failed to give the id it needs."""


class Driver:
    def __init__(self, scenario: dict[str, Any]) -> None:
        self.scenario = scenario
        self.url = scenario["url"]
        self.module = _import_sdk()
        self.client = _make_client(self.module, self.url)
        root = getattr(self.client, "orchestration", None) or self.client.flows
        self.api = getattr(root, "v1", None) or root
        self.results: list[dict[str, Any]] = []

    # -- the fake's control API ------------------------------------------------------------------
    def control(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"content-type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read() or b"null")

    def last_call(self) -> dict[str, Any]:
        calls = self.control("GET", "/_fake/calls")["data"]
        return calls[-1] if calls else {}

    def calls_seen(self) -> int:
        stats = self.control("GET", "/_fake/calls/stats")["data"]
        return int(stats["kept"]) + int(stats["dropped"])

    # -- SDK calls -------------------------------------------------------------------------------
    def method(self, operation: str) -> Any:
        names = self.scenario["methods"].get(operation, [operation])
        for name in names:
            if hasattr(self.api, name):
                return getattr(self.api, name)
        raise StepFailed(f"the SDK has no method among {names}")

    def call(self, operation: str, args: dict[str, Any] | None) -> Any:
        function = self.method(operation)
        # 8.0.0 ignores SDK(server_url=) (each operation defaults to its own http://localhost:8080):
        # a method that takes server_url= gets it, which changes nothing for the other releases.
        extra = {"server_url": self.url} if "server_url" in inspect.signature(function).parameters else {}
        if args is None:
            return function(**extra)
        return function(request=_build(_request_type(function), args), **extra)

    def step(self, spec: dict[str, Any]) -> None:
        name, operation = spec["name"], spec["operation"]
        result: dict[str, Any] = {"step": name, "operation": operation}
        before = self.calls_seen()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result.update(self.attempt(spec))
            except Blocked as exc:
                result.update(ok=False, blocked=True, message=str(exc))
            except Exception as exc:
                result.update(ok=False, errorClass=_class_name(exc), message=_message(exc))
        if caught:  # e.g. dataclasses_json's "None of a non-optional type": decoded, but said so
            result["warnings"] = sorted({str(w.message) for w in caught})
        for control in spec.get("after") or []:
            self.control(*control)
        result["sent"] = self.calls_seen() > before
        if self.scenario.get("proxy"):  # behind run.py's rewriting proxy: what it changed for this step
            result["rewrites"] = self.control("GET", "/_proxy/fired")["data"]
        self.results.append(result)

    def attempt(self, spec: dict[str, Any]) -> dict[str, Any]:
        args = _substitute(spec.get("args"), self.scenario["ids"])
        expect = spec.get("expectError")
        if expect is not None:
            return self.expect_error(spec["operation"], args, expect)
        answer = self.call(spec["operation"], args)
        _check_success(answer)
        for key, path in (spec.get("save") or {}).items():
            self.scenario["ids"][key] = _read(answer, path)
        return {"ok": True}

    def expect_error(self, operation: str, args: Any, expect: dict[str, Any]) -> dict[str, Any]:
        status, code = expect["status"], expect["errorCode"]
        try:
            answer = self.call(operation, args)
        except Exception as exc:
            got_status = _status_of(exc) or self.last_call().get("status")
            got_code = _error_code(exc)
            base = {"errorClass": _class_name(exc), "message": _message(exc)}
            if got_status == status and got_code == code:
                return {"ok": True, **base, "note": f"raised {base['errorClass']} {status} {code}"}
            generic = "Validation" not in type(exc).__name__ and type(exc).__name__.endswith("SDKError")
            if generic and got_status == status and got_code is None and code in _body_text(exc):
                # the SDK raises its generic error for every status it has no model for
                return {"ok": True, **base, "note": f"raised untyped {base['errorClass']} {status}"}
            return {"ok": False, **base}
        # Early SDKs return the error in the response object instead of raising it.
        error = getattr(answer, "error", None)
        got_status = getattr(answer, "status_code", None)
        if got_status == status and error is not None and _plain(getattr(error, "error_code", None)) == code:
            return {"ok": True, "note": f"returned {type(error).__name__} {status} {code}"}
        raise StepFailed(f"expected {status} {code}, got status {got_status} with error {error!r}")

    def run(self) -> dict[str, Any]:
        for method, path, body in self.scenario["setup"]:
            self.control(method, path, body)
        for spec in self.scenario["steps"]:
            if spec["operation"] == "deleteWorkflow" and not _has_any(self.api, self.scenario, spec):
                self.results.append({"step": spec["name"], "operation": spec["operation"], "skipped": True})
                continue
            self.step(spec)
        return {
            "sdk": "formance-sdk-python",
            "version": importlib.metadata.version("formance-sdk-python"),
            "results": self.results,
        }


# ---------------------------------------------------------------------------------------------


def _import_sdk() -> Any:
    for name in ("formance_sdk_python", "sdk"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError("neither formance_sdk_python nor sdk is importable")


def _make_client(module: Any, url: str) -> Any:
    parameters = inspect.signature(module.SDK).parameters
    required = [
        name
        for name, p in parameters.items()
        if p.default is inspect.Parameter.empty and p.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    kwargs: dict[str, Any] = {"server_url": url}
    if "authorization" in required:  # 2.x: a bearer string is required (the fake has no auth here)
        kwargs["authorization"] = "Bearer matrix"
    return module.SDK(**kwargs)


def _has_any(api: Any, scenario: dict[str, Any], spec: dict[str, Any]) -> bool:
    return any(hasattr(api, name) for name in scenario["methods"].get(spec["operation"], [spec["operation"]]))


def _request_type(function: Any) -> Any:
    try:
        hints = typing.get_type_hints(function)
        return hints.get("request")
    except Exception:
        return inspect.signature(function).parameters["request"].annotation


def _model_classes(tp: Any) -> list[Any]:
    if typing.get_origin(tp) is typing.Union:
        return [c for arg in typing.get_args(tp) for c in _model_classes(arg)]
    if isinstance(tp, type) and (dataclasses.is_dataclass(tp) or hasattr(tp, "model_fields")):
        return [tp]
    return []


def _build(tp: Any, value: Any) -> Any:
    """``value`` (snake_case dicts) as the SDK's request class ``tp``, recursively."""
    classes = _model_classes(tp)
    if not isinstance(value, dict) or not classes:
        return value
    cls = classes[0]
    if hasattr(cls, "model_fields"):  # pydantic: validates nested dicts itself
        return cls(**value)
    try:
        hints = typing.get_type_hints(cls)
    except Exception:
        hints = {f.name: f.type for f in dataclasses.fields(cls)}
    return cls(**{key: _build(hints.get(key), item) for key, item in value.items()})


def _substitute(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        if value[1:] not in ids:
            raise Blocked(f"needs {value[1:]}, which an earlier step did not give")
        return ids[value[1:]]
    if isinstance(value, dict):
        return {key: _substitute(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, ids) for item in value]
    return value


def _payload(answer: Any) -> Any:
    """The decoded body of a response object (its one non-envelope field that is set)."""
    names = list(getattr(type(answer), "model_fields", {}) or {})
    if not names and dataclasses.is_dataclass(answer):
        names = [f.name for f in dataclasses.fields(answer)]
    for name in names:
        if name not in _ENVELOPE and name != "error" and getattr(answer, name, None) is not None:
            return getattr(answer, name)
    return None


def _read(answer: Any, path: str) -> Any:
    value = _payload(answer)
    for part in path.split("."):
        if value is None:
            raise StepFailed(f"no {path} in the answer {answer!r:.300}")
        value = value.get(part) if isinstance(value, dict) else getattr(value, _field(value, part), None)
    if value is None:
        raise StepFailed(f"no {path} in the answer {answer!r:.300}")
    return value


def _field(model: Any, wire_name: str) -> str:
    """The attribute holding the JSON key ``wire_name`` (8.1.0+ name ``data`` e.g. ``workflow``)."""
    for name, info in (getattr(type(model), "model_fields", None) or {}).items():
        if getattr(info, "alias", None) == wire_name:
            return name
    return wire_name


def _check_success(answer: Any) -> None:
    status = getattr(answer, "status_code", None)
    if status is not None and not 200 <= status < 300:
        raise StepFailed(f"status {status}: {getattr(answer, 'error', None)!r:.500}")


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def _status_of(exc: BaseException) -> int | None:
    for holder in (exc, getattr(exc, "raw_response", None), getattr(exc, "http_res", None)):
        status = getattr(holder, "status_code", None)
        if isinstance(status, int):
            return status
    return None


def _error_code(exc: BaseException) -> Any:
    for holder in (exc, getattr(exc, "data", None)):
        code = getattr(holder, "error_code", None)
        if code is not None:
            return _plain(code)
    return None


def _body_text(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if body is None:
        body = getattr(getattr(exc, "raw_response", None), "text", "")
    return str(body)


def _class_name(exc: BaseException) -> str:
    cls = type(exc)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"


def _message(exc: BaseException) -> str:
    text = str(exc) or repr(exc)
    if isinstance(exc, (AttributeError, KeyError, TypeError, IndexError)):
        frames = traceback.extract_tb(exc.__traceback__)[-3:]
        text += " at " + " <- ".join(f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno}" for f in frames[::-1])
    return text[:4000]


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as file:
        scenario = json.load(file)
    print(json.dumps(Driver(scenario).run()))


if __name__ == "__main__":
    main()
