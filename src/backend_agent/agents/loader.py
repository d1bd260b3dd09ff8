"""Load one agent definition from text or a file, whatever format it was written in."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from backend_agent.agents._dialects import Mapped, detect_frontmatter_dialect, map_claude, map_opencode
from backend_agent.agents._examples import parse_examples
from backend_agent.agents._frontmatter import FrontMatterError, normalize_text, parse_header, split
from backend_agent.agents._includes import expand_includes
from backend_agent.agents._triggers import extract_triggers, merge_triggers
from backend_agent.agents.definition import AgentDefinition, SourceIssue, Triggers
from backend_agent.errors import DefinitionError, Location

_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_METADATA = re.compile(r"^\s*(\*\*[^*]+\*\*\s*:|[-*_]{3,}\s*$|>|\||<!--|!\[|```|[-*+]\s|\d+\.\s)")
_FILE_REF = re.compile(r"^\{file:(?P<path>[^}]+)\}$")


def definition_error(source: str, line: int | None, reason: str, *, hint: str | None = None) -> DefinitionError:
    """A DefinitionError whose message starts with ``file:line`` and carries one located problem."""
    return DefinitionError(f"{Location(file=source, line=line)}: {reason}", hint=hint)


def parse_definition(
    text: str, *, source: str, name_hint: str | None = None, base_dir: Path | None = None
) -> AgentDefinition:
    """Parse a definition (Claude Code, OpenCode or body-only) from its text.

    ``source`` names the file in messages; ``@include`` targets resolve against ``base_dir``
    (default: the folder of ``source`` when it is an existing path). Recoverable problems become
    warnings in ``issues``; an unrecoverable one raises :class:`DefinitionError` with file:line.
    """
    text = normalize_text(text)
    if not text.strip():
        raise definition_error(source, 1, "the file is empty", hint="write front matter with name and description, then the prompt")
    if base_dir is None:
        parent = Path(source).parent
        base_dir = parent if source and parent.is_dir() else None
    try:
        parts = split(text)
        parsed = parse_header(parts.header, header_line=parts.header_line) if parts.header is not None else None
    except FrontMatterError as exc:
        raise definition_error(source, exc.line, str(exc), hint=exc.hint) from None

    issues: list[SourceIssue] = []
    body, include_issues = expand_includes(parts.body, base_dir=base_dir, first_line=parts.body_line)
    issues.extend(include_issues)

    if parsed is None:
        fmt = "body-only"
        mapped = Mapped()
        mapped.fields["description"] = _body_description(body)
    else:
        issues.extend(parsed.issues)
        fmt = detect_frontmatter_dialect(parsed.data, path_hint=source)
        mapped = (map_claude if fmt == "claude-code" else map_opencode)(parsed.data, parsed.key_lines)
        if fmt == "opencode":
            _opencode_prompt(mapped, parsed.data, body, base_dir=base_dir, source=source)
    issues.extend(mapped.issues)
    fields = mapped.fields

    header_line = parts.header_line - 1 if parsed is not None else None  # the opening '---'
    name = _choose_name(fields, fmt=fmt, name_hint=name_hint, source=source, issues=issues, line=header_line)
    fields["name"] = name
    fields.setdefault("system_prompt", body.strip())
    if not fields.get("description"):
        issues.append(SourceIssue(severity="warning", field="description", line=header_line, message="no description: routing and delegation cannot pick this agent well; add one"))
    if not fields["system_prompt"]:
        issues.append(SourceIssue(severity="warning", line=parts.body_line, message="the prompt body is empty; the agent gets no instructions; write them below the front matter"))
    fields["examples"] = parse_examples(fields.get("description", ""))
    body_triggers = extract_triggers(body)
    fields["triggers"] = merge_triggers(fields.get("triggers", Triggers()), body_triggers)
    fields["format"] = fmt
    fields["source_path"] = source
    fields["issues"] = issues
    try:
        return AgentDefinition(**fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        line = parsed.key_lines.get(str(error["loc"][0])) if parsed else None
        raise definition_error(
            source, line, f"field '{where}': {error['msg']}", hint=f"fix or remove the '{error['loc'][0]}' value"
        ) from None


def load_definition(path: Path, *, name_hint: str | None = None) -> AgentDefinition:
    """Load a definition file (any extension); raises DefinitionError with file:line when it cannot be read."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise definition_error(source, None, "is a folder, not a definition file") from None
    except OSError as exc:
        raise definition_error(source, None, f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise definition_error(
            source, line, f"is not UTF-8 text (byte {exc.start})", hint="save the file as UTF-8"
        ) from None
    return parse_definition(text, source=source, name_hint=name_hint or path.stem, base_dir=path.parent)


def definition_from_config(
    name: str, entry: Any, *, source: str, base_dir: Path
) -> AgentDefinition:
    """One entry of the ``agent`` map of an ``opencode.json`` file."""
    if not isinstance(entry, dict):
        raise definition_error(source, None, f"agent '{name}' must be an object with description, prompt, ...")
    mapped = map_opencode({str(k): v for k, v in entry.items()}, {})
    _opencode_prompt(mapped, entry, "", base_dir=base_dir, source=source)
    fields = mapped.fields
    fields["name"] = name
    fields.setdefault("system_prompt", "")
    fields["examples"] = parse_examples(fields.get("description", ""))
    fields["triggers"] = merge_triggers(fields.get("triggers", Triggers()), extract_triggers(fields["system_prompt"]))
    fields["format"] = "opencode"
    fields["source_path"] = source
    fields["issues"] = mapped.issues
    try:
        return AgentDefinition(**fields)
    except ValidationError as exc:
        raise definition_error(source, None, f"agent '{name}': {exc.errors()[0]['msg']}") from None


def _opencode_prompt(mapped: Mapped, data: dict[str, Any], body: str, *, base_dir: Path | None, source: str) -> None:
    prompt = data.get("prompt")
    if prompt is None:
        return
    if body.strip():
        mapped.warn("prompt", "both a 'prompt' key and a body are present; the body is used")
        return
    text = str(prompt)
    ref = _FILE_REF.match(text.strip())
    if ref:
        target = Path(ref.group("path")).expanduser()
        if not target.is_absolute() and base_dir is not None:
            target = base_dir / target
        try:
            text = target.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            reason = "is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else f"cannot be read ({exc.strerror or exc})"
            mapped.warn("prompt", f"prompt file {target} {reason}; the agent gets no instructions. Fix the {{file:...}} path or the file")
            text = ""
    mapped.fields["system_prompt"] = normalize_text(text).strip()


def _choose_name(
    fields: dict[str, Any], *, fmt: str, name_hint: str | None, source: str, issues: list[SourceIssue], line: int | None
) -> str:
    declared = fields.get("name") or None
    fallback = name_hint or Path(source).stem or "agent"
    if fmt == "opencode":
        return name_hint or declared or fallback
    if declared:
        return str(declared)
    if fmt == "claude-code" and not any(issue.field == "name" for issue in issues):
        issues.append(SourceIssue(severity="warning", field="name", line=line, message=f"no 'name' in the front matter; using '{fallback}' from the file name; add 'name: {fallback}' to silence this"))
    return fallback


def _body_description(body: str) -> str:
    """First heading plus first prose paragraph, skipping metadata lines, lists and fences."""
    heading: str | None = None
    paragraph: list[str] = []
    in_fence = False
    for line in body.split("\n"):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            if paragraph:
                break
            continue
        if in_fence:
            continue
        match = _HEADING.match(line)
        if match:
            if paragraph:
                break
            if heading is None:
                heading = match.group(1).strip("* ")
            continue
        if not line.strip():
            if paragraph:
                break
            continue
        if not paragraph and _METADATA.match(line):
            continue
        paragraph.append(line.strip())
    text = " ".join(paragraph)
    if heading and text:
        return heading + (" " if heading[-1] in ".:!?" else ". ") + text
    return heading or text


__all__ = ["definition_error", "definition_from_config", "load_definition", "parse_definition"]
