"""Auto-activation triggers written in a prompt body (SuperClaude style) or given as a front-matter map.

A body section such as ``## Auto-Activation Triggers`` with sub-headings or labels for file
extensions, directory patterns and keywords is read into :class:`Triggers`.
"""

from __future__ import annotations

import re
from typing import Any

from backend_agent.agents.definition import SourceIssue, Triggers

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BOLD_LABEL = re.compile(r"^\s*[-*]?\s*\*\*(.+?)\*\*\s*:?\s*(.*)$")
_SECTION = re.compile(r"auto[- ]?activation|activation triggers|^triggers?\b|\btriggers\s*$", re.IGNORECASE)
_INLINE_LABEL = re.compile(r"^\s*[-*]?\s*(?:\*\*)?([A-Za-z][A-Za-z /&-]{2,40}?)(?:\*\*)?\s*:\s*(.+)$")
_TICKED = re.compile(r"`([^`]+)`")
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”")
_BARE_EXT = re.compile(r"(?<![\w/])(\.[A-Za-z0-9]{1,10})(?![\w.])")
_BARE_DIR = re.compile(r"(?<![\w.])(/?[\w*.-]+(?:/[\w*.-]+)*/)(?!\w)")


def _category(label: str) -> str | None:
    text = label.lower()
    if "extension" in text or "file type" in text:
        return "extensions"
    if "director" in text or "path" in text or "folder" in text:
        return "directories"
    if "keyword" in text or "context" in text or "phrase" in text or "term" in text:
        return "keywords"
    return None


def extract_triggers(body: str) -> Triggers:
    """Triggers found in the body's auto-activation section; empty when there is none."""
    lines = body.split("\n")
    found = Triggers()
    in_section = False
    section_level = 0
    category: str | None = None
    in_fence = False
    for line in lines:
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        heading = _HEADING.match(line)
        bold = _BOLD_LABEL.match(line) if not heading else None
        if heading:
            level, title = len(heading.group(1)), heading.group(2).strip("* ")
            if _SECTION.search(title):
                in_section, section_level, category = True, level, None
                continue
            if in_section and level <= section_level:
                in_section = False
            if in_section:
                category = _category(title)
            continue
        if bold and _SECTION.search(bold.group(1).strip(": ")):
            in_section, section_level, category = True, 7, None
            rest = bold.group(2)
            if rest:
                _collect(found, rest, category)
            continue
        if not in_section:
            continue
        inline = _INLINE_LABEL.match(line)
        if inline and _category(inline.group(1)):
            _collect(found, inline.group(2), _category(inline.group(1)))
            continue
        if bold and _category(bold.group(1)):
            category = _category(bold.group(1))
            if bold.group(2):
                _collect(found, bold.group(2), category)
            continue
        if line.strip():
            _collect(found, line, category)
    return found


def _collect(found: Triggers, text: str, category: str | None) -> None:
    if category is None:
        return
    ticked = _TICKED.findall(text)
    quoted = [a or b for a, b in _QUOTED.findall(text)]
    values = ticked + quoted
    if category == "extensions":
        candidates = values or _BARE_EXT.findall(text)
        for value in candidates:
            for part in re.split(r"[,\s]+", value):
                ext = part.strip()
                if re.fullmatch(r"\*?\.[A-Za-z0-9]{1,10}", ext):
                    _add(found.extensions, ext.lstrip("*").lower())
    elif category == "directories":
        for value in values or _BARE_DIR.findall(text):
            for part in re.split(r"[,\s]+", value):
                if part.strip():
                    _add(found.directories, part.strip())
    else:
        if not values:
            stripped = re.sub(r"^\s*[-*]\s*", "", text)
            values = [v.strip(" .") for v in stripped.split(",")]
        for value in values:
            if value.strip():
                _add(found.keywords, value.strip())


def _add(target: list[str], value: str) -> None:
    if value not in target:
        target.append(value)


def triggers_from_mapping(value: Any, *, line: int | None) -> tuple[Triggers, list[SourceIssue]]:
    """A front-matter ``triggers`` map (keywords/extensions/directories), backend-agent's own extension key."""
    if not isinstance(value, dict):
        issue = SourceIssue(
            severity="warning",
            line=line,
            field="triggers",
            message="'triggers' must be a map with keywords, extensions and directories lists; ignored",
        )
        return Triggers(), [issue]
    issues: list[SourceIssue] = []
    result: dict[str, list[str]] = {}
    for key in ("keywords", "extensions", "directories"):
        raw = value.get(key, [])
        items = [part.strip() for part in raw.split(",")] if isinstance(raw, str) else raw
        if not isinstance(items, list):
            issues.append(
                SourceIssue(severity="warning", line=line, field=f"triggers.{key}", message="expected a list; ignored")
            )
            continue
        result[key] = [str(item) for item in items if str(item).strip()]
    result["extensions"] = ["." + ext.lstrip("*.").lower() for ext in result.get("extensions", [])]
    for key in value:
        if key not in ("keywords", "extensions", "directories"):
            issues.append(
                SourceIssue(
                    severity="warning",
                    line=line,
                    field=f"triggers.{key}",
                    message="unknown trigger kind; expected keywords, extensions or directories",
                )
            )
    return Triggers(**result), issues


def merge_triggers(first: Triggers, second: Triggers) -> Triggers:
    merged = Triggers(
        keywords=list(first.keywords), extensions=list(first.extensions), directories=list(first.directories)
    )
    for source, target in (
        (second.keywords, merged.keywords),
        (second.extensions, merged.extensions),
        (second.directories, merged.directories),
    ):
        for value in source:
            _add(target, value)
    return merged


__all__ = ["extract_triggers", "merge_triggers", "triggers_from_mapping"]
