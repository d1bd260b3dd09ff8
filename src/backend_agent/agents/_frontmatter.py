"""Lenient front-matter handling: split the header from the body, parse YAML, repair what tools accept.

Claude Code and OpenCode read front matter more forgivingly than a strict YAML parser: files with a
BOM, CRLF line endings, or unquoted descriptions that contain ``: `` all work there. This module
recovers those files and records what it had to repair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from backend_agent.agents.definition import SourceIssue

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_YAML_HINT = (
    "write one 'key: value' per line (name, description, tools, model, ...), indent with spaces "
    "not tabs, and quote values that contain ': ' or start with a special character"
)
_FENCE = re.compile(r"^---[ \t]*$")
_TOP_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w.-]*)[ \t]*:(?:[ \t]+(?P<value>.*?))?[ \t]*$")


class FrontMatterError(Exception):
    """The header cannot be recovered; carries the 1-based file line of the problem."""

    def __init__(self, message: str, line: int | None, hint: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.hint = hint


@dataclass
class Split:
    """A file cut into its front matter and body, with line bookkeeping."""

    header: str | None  # None when the file has no front matter
    body: str
    header_line: int  # file line of the first header line (after the opening ---)
    body_line: int  # file line where the body starts


@dataclass
class Parsed:
    """The front-matter mapping plus where each top-level key sits and what was repaired."""

    data: dict[str, Any]
    key_lines: dict[str, int] = field(default_factory=dict)
    issues: list[SourceIssue] = field(default_factory=list)


def normalize_text(text: str) -> str:
    """Drop a BOM and turn CRLF/CR line endings into LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split(text: str) -> Split:
    """Split normalized text into header and body; raises FrontMatterError if the header is unclosed."""
    lines = text.split("\n")
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first >= len(lines) or not _FENCE.match(lines[first]):
        return Split(header=None, body=text, header_line=0, body_line=1)
    for end in range(first + 1, len(lines)):
        if _FENCE.match(lines[end]) or lines[end].rstrip() == "...":
            header = "\n".join(lines[first + 1 : end])
            body = "\n".join(lines[end + 1 :])
            return Split(header=header, body=body, header_line=first + 2, body_line=end + 2)
    raise FrontMatterError(
        "front matter opened with '---' is never closed; add a line with '---' after the last key",
        first + 1,
    )


def parse_header(header: str, *, header_line: int) -> Parsed:
    """Parse front matter YAML, repairing unquoted ``: `` values and falling back to ``key: value`` lines."""
    key_lines = _key_lines(header, header_line)
    try:
        data = _load(header)
        return Parsed(data=data, key_lines=key_lines)
    except yaml.YAMLError as exc:
        first_error = exc

    repaired, fixed_keys = _requote(header)
    if fixed_keys:
        try:
            data = _load(repaired)
        except yaml.YAMLError:
            pass
        else:
            issues = [
                SourceIssue(
                    severity="warning",
                    line=key_lines.get(key),
                    field=key,
                    message=f"'{key}' is not valid YAML (an unquoted value containing ': '); "
                    "read it as a block scalar. Quote the value to silence this warning",
                )
                for key in fixed_keys
            ]
            return Parsed(data=data, key_lines=key_lines, issues=issues)

    data = _line_fallback(header)
    line = _error_line(first_error, header_line)
    if not data:
        raise FrontMatterError(f"front matter is not valid YAML: {_error_text(first_error)}", line, hint=_YAML_HINT)
    issue = SourceIssue(
        severity="warning",
        line=line,
        message=f"front matter is not valid YAML ({_error_text(first_error)}); read it line by line as 'key: value'",
    )
    return Parsed(data=data, key_lines=key_lines, issues=[issue])


def _load(text: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_Loader)  # the C/Python *Safe* loader
    except (ValueError, IndexError, TypeError, AttributeError, OverflowError, RecursionError) as exc:
        # PyYAML's constructors crash on some tagged values (an empty "!!int"): treat them as bad YAML.
        raise yaml.YAMLError(f"a value cannot be read ({type(exc).__name__}: {exc})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise yaml.YAMLError(f"front matter must be a mapping of keys, got {type(data).__name__}")
    return {str(key): value for key, value in data.items()}


def _key_lines(header: str, header_line: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for offset, line in enumerate(header.split("\n")):
        match = _TOP_KEY.match(line)
        if match and match.group("key") not in found:
            found[match.group("key")] = header_line + offset
    return found


def _requote(header: str) -> tuple[str, list[str]]:
    """Rewrite top-level plain scalars that contain ``: `` (or a leading quote that never closes) as block scalars."""
    out: list[str] = []
    fixed: list[str] = []
    lines = header.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        match = _TOP_KEY.match(line)
        value = match.group("value") if match else None
        if not (match and value and _needs_requote(value)):
            out.append(line)
            continue
        # A plain scalar may continue on indented lines; they belong to the same value.
        continuation: list[str] = []
        while index < len(lines) and (lines[index][:1] in (" ", "\t") or not lines[index].strip()):
            if not lines[index].strip() and not any(later.strip() and later[:1] in " \t" for later in lines[index + 1 : index + 2]):
                break
            continuation.append(lines[index].strip())
            index += 1
        key = match.group("key")
        out.append(f"{key}: {'>-' if continuation else '|-'}")
        out.extend("  " + part if part else "" for part in [value, *continuation])
        fixed.append(key)
    return "\n".join(out), fixed


def _needs_requote(value: str) -> bool:
    if value[0] in "|>[{&*!%@`":
        return False
    if value[0] in "'\"":
        # A quoted scalar with text after its closing quote breaks strict YAML; a trailing comment does not.
        quote = value[0]
        return re.fullmatch(rf"{quote}.*{quote}\s*(#.*)?", value) is None
    return ": " in value or value.endswith(":")


def _line_fallback(header: str) -> dict[str, Any]:
    """Last resort: each ``key: value`` line at column 0 is one string field; indented lines continue it."""
    data: dict[str, Any] = {}
    current: str | None = None
    for line in header.split("\n"):
        match = _TOP_KEY.match(line)
        if match:
            current = match.group("key")
            data[current] = _unquote(match.group("value") or "")
        elif current and line.strip() and line[:1] in " \t":
            data[current] = (str(data[current]) + "\n" + line.strip()).strip()
    return data


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _error_line(exc: yaml.YAMLError, header_line: int) -> int | None:
    mark = getattr(exc, "problem_mark", None)
    if mark is None:
        return header_line
    return header_line + int(mark.line)


def _error_text(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    return str(problem) if problem else str(exc).splitlines()[0]


__all__ = ["FrontMatterError", "Parsed", "Split", "normalize_text", "parse_header", "split"]
