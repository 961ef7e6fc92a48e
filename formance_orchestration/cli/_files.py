"""Reading a workflow config (``{name, stages}``) from a YAML or JSON file, or from stdin."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from formance_orchestration.cli._errors import UsageError

__all__ = ["load_workflow_config", "parse_workflow_config"]


def _yaml_load(text: str) -> Any:
    """YAML without implicit timestamps, so ``until: 2023-06-01T00:00:00Z`` stays the string written."""
    import yaml

    class _Loader(yaml.SafeLoader):
        """SafeLoader minus the timestamp resolver."""

    _Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return yaml.load(text, Loader=_Loader)


def parse_workflow_config(text: str, source: str) -> dict[str, Any]:
    """Parse ``text`` as JSON, or else as YAML, and check it is a workflow config mapping.

    :param text: the file's content.
    :param source: the file name for messages (``<stdin>`` for ``-``).
    """
    if not text.strip():
        raise UsageError(f"{source}: the file is empty, expected a workflow config ({{name, stages}})")
    data: Any
    try:
        data = _parse(text, source)
        json.dumps(data)  # what is sent must be JSON: no YAML alias that contains itself
    except RecursionError:
        raise UsageError(
            f"{source}: nested too deeply to read (a workflow config is a few levels deep)"
        ) from None
    except ValueError as exc:  # json.dumps: _parse turns its own ValueErrors into UsageError
        raise UsageError(f"{source}: cannot be sent as JSON: {exc} (a YAML alias inside itself?)") from None
    except TypeError as exc:  # e.g. a YAML !!binary or !!set value
        raise UsageError(f"{source}: cannot be sent as JSON: {exc}") from None
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else type(data).__name__
        raise UsageError(f"{source}: expected a mapping with 'name' and 'stages', got {kind}")
    stages = data.get("stages")
    if stages is not None and not isinstance(stages, list):
        raise UsageError(f"{source}: 'stages' must be a list of one-key mappings")
    return data


def _parse(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        import yaml

        try:
            return _yaml_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise UsageError(f"{source}: not valid YAML or JSON{where}: {problem}") from None
        except ValueError as exc:  # a value PyYAML cannot build, e.g. an integer of 5,000 digits
            raise UsageError(f"{source}: not valid YAML or JSON: {exc}") from None


def load_workflow_config(path: str, stdin: TextIO) -> dict[str, Any]:
    """Read and parse the workflow config at ``path`` (``-`` reads ``stdin``).

    :param path: the file given on the command line.
    :param stdin: the stream read for ``-``.
    """
    if path == "-":
        return parse_workflow_config(stdin.read(), "<stdin>")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None
    return parse_workflow_config(text, path)
