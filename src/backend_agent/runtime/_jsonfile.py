"""JSON settings files: parse one, turning a syntax error into a ConfigError at file:line:column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from backend_agent.errors import ConfigError, Location, Problem


def read_json_file(
    path: Path,
    *,
    message: str = "{path} is not valid JSON",
    expected: str | None = None,
    hint: str | None = None,
) -> Any:
    """The parsed content of ``path``; invalid JSON raises ConfigError located where parsing stopped.

    ``message`` may use ``{path}``, ``{line}``, ``{column}`` and ``{msg}`` (the parser's complaint).
    OSError from reading the file is not caught.
    """
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(
            message.format(path=path, line=exc.lineno, column=exc.colno, msg=exc.msg),
            problems=[Problem(exc.msg, Location(str(path), exc.lineno, exc.colno), expected=expected)],
            hint=hint,
        ) from exc


__all__ = ["read_json_file"]
