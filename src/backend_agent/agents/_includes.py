"""SuperClaude ``@include path.yml#Section.Sub`` directives, expanded in place.

Targets resolve relative to the including file. A directive may sit inside a code fence (it is
still expanded, indented like the directive). A missing file or section, or an include cycle,
is a warning: the directive line stays as written so the prompt is intact.
"""

from __future__ import annotations

import re
from pathlib import Path

from backend_agent.agents.definition import SourceIssue

_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)@include[ \t]+(?P<target>[^\s#]+)(?:#(?P<section>\S+))?[ \t]*$")
_MAX_DEPTH = 10


def expand_includes(
    text: str, *, base_dir: Path | None, first_line: int = 1, _stack: tuple[str, ...] = ()
) -> tuple[str, list[SourceIssue]]:
    """Replace every ``@include`` line with the referenced text; returns the text and any warnings."""
    if "@include" not in text:
        return text, []
    issues: list[SourceIssue] = []
    out: list[str] = []
    for offset, line in enumerate(text.split("\n")):
        match = _DIRECTIVE.match(line)
        if not match:
            out.append(line)
            continue
        replacement, problem = _resolve(match, base_dir=base_dir, stack=_stack)
        if problem is not None:
            issues.append(SourceIssue(severity="warning", line=first_line + offset, field="@include", message=problem))
            out.append(line)
            continue
        assert replacement is not None
        indent = match.group("indent")
        out.extend(indent + piece if piece else piece for piece in replacement.split("\n"))
    return "\n".join(out), issues


def _resolve(match: re.Match[str], *, base_dir: Path | None, stack: tuple[str, ...]) -> tuple[str | None, str | None]:
    target, section = match.group("target"), match.group("section")
    directive = f"@include {target}" + (f"#{section}" if section else "")
    if base_dir is None:
        return None, f"unresolved {directive}: the definition has no folder to resolve it against"
    path = (base_dir / target).resolve()
    key = f"{path}#{section or ''}"
    if key in stack:
        chain = " -> ".join([*stack, key])
        return None, f"unresolved {directive}: include cycle ({chain})"
    if len(stack) >= _MAX_DEPTH:
        return None, f"unresolved {directive}: includes nested deeper than {_MAX_DEPTH} levels"
    try:
        content = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return None, f"unresolved {directive}: {path} is not UTF-8 text; save it as UTF-8 (the directive is kept as written)"
    except OSError as exc:
        reason = "file not found" if isinstance(exc, FileNotFoundError) else exc.strerror or str(exc)
        return None, f"unresolved {directive}: {reason} ({path}); the directive is kept as written"
    if section:
        block = find_section(content, section)
        if block is None:
            return None, f"unresolved {directive}: section '{section}' not found in {path}"
        content = block
    expanded, nested = expand_includes(content, base_dir=path.parent, _stack=(*stack, key))
    if nested:
        return None, f"unresolved {directive}: " + "; ".join(issue.message for issue in nested)
    return expanded.rstrip("\n"), None


def find_section(text: str, section: str) -> str | None:
    """The YAML block under a dotted key path (``A.B.C``), found by indentation so non-YAML lines survive."""
    lines = text.split("\n")
    start, end, indent = 0, len(lines), -1
    parts = section.split(".")
    index = 0
    while index < len(parts):
        found = None
        # Keys may themselves contain dots: try the longest dotted prefix first.
        for width in range(len(parts) - index, 0, -1):
            name = ".".join(parts[index : index + width])
            found = _find_key(lines, start, end, indent, name)
            if found is not None:
                index += width
                break
        if found is None:
            return None
        key_line, key_indent = found
        start, indent = key_line, key_indent
        end = _block_end(lines, key_line, key_indent)
    return "\n".join(_dedent(lines[start:end]))


def _find_key(lines: list[str], start: int, end: int, parent_indent: int, name: str) -> tuple[int, int] | None:
    pattern = re.compile(rf"^(?P<indent>[ \t]*){re.escape(name)}[ \t]*:")
    first = start + 1 if parent_indent >= 0 else start
    child_indent: int | None = None
    for number in range(first, end):
        line = lines[number]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if indent <= parent_indent:
            continue
        if child_indent is None:
            child_indent = indent
        if indent == child_indent and pattern.match(line):
            return number, indent
    return None


def _block_end(lines: list[str], key_line: int, key_indent: int) -> int:
    for number in range(key_line + 1, len(lines)):
        line = lines[number]
        if line.strip() and not line.lstrip().startswith("#") and len(line) - len(line.lstrip()) <= key_indent:
            return number
    return len(lines)


def _dedent(block: list[str]) -> list[str]:
    while block and not block[-1].strip():
        block = block[:-1]
    widths = [len(line) - len(line.lstrip()) for line in block if line.strip()]
    cut = min(widths) if widths else 0
    return [line[cut:] for line in block]


__all__ = ["expand_includes", "find_section"]
