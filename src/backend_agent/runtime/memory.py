"""Project and user memory: CLAUDE.md and AGENTS.md, loaded as Claude Code and OpenCode load them.

Claude Code reads the user's ``~/.claude/CLAUDE.md``, then every ``CLAUDE.md`` (also
``.claude/CLAUDE.md`` and ``CLAUDE.local.md``) from the outermost folder above the workspace down to
the workspace itself. OpenCode reads ``~/.config/opencode/AGENTS.md`` and the project's
``AGENTS.md`` files the same way. Both are read here, outermost first, so the closest file speaks
last. A memory file may import others with ``@path`` (relative to the importing file, or ``~/``),
up to five levels deep, never inside code spans or fenced code blocks. An import stays inside the
folder of the file that started it (the home folder for user memory), so a repository cannot pull
the user's files into the prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MAX_IMPORT_DEPTH = 5
MAX_FILE_BYTES = 256 * 1024
PROJECT_NAMES = ("CLAUDE.md", ".claude/CLAUDE.md", "CLAUDE.local.md", "AGENTS.md")
USER_FILES = (".claude/CLAUDE.md", ".config/opencode/AGENTS.md")

# `@path` where the @ starts a word (so e-mail addresses and decorators inside words don't match).
_IMPORT = re.compile(r"(?<![\w@`])@((?:~/|\.{1,2}/|/)?[\w.\-/]+[\w/])")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"`[^`\n]*`")


@dataclass(frozen=True)
class MemoryFile:
    """One memory file as it enters the prompt: where it came from and why it was read."""

    path: Path
    kind: str  # "user", "project" or "import"
    text: str
    imported_by: Path | None = None


def memory_files(workspace: Path, home: Path | None = None) -> list[MemoryFile]:
    """Every memory file for a run in ``workspace``: user files, then project files outermost first."""
    home = home if home is not None else Path.home()
    seen: set[Path] = set()
    found: list[MemoryFile] = []
    for name in USER_FILES:
        _add(home / name, "user", found, seen, home=home, root=home)
    for folder in _folders_down_to(workspace.resolve()):
        if folder == home.resolve():
            continue  # the home folder's own files are user memory, read above
        for name in PROJECT_NAMES:
            _add(folder / name, "project", found, seen, home=home, root=folder)
    return found


def memory_section(files: list[MemoryFile]) -> str:
    """The prompt section for ``files`` (empty when there are none)."""
    if not files:
        return ""
    labels = {
        "user": "user's private instructions for all projects",
        "project": "project instructions",
        "import": "imported",
    }
    parts = [
        "# Memory",
        "Instructions from memory files. They override default behaviour; follow them exactly as written.",
    ]
    for item in files:
        label = labels[item.kind]
        if item.imported_by is not None:
            label += f" by {item.imported_by}"
        parts.append(f"Contents of {item.path} ({label}):\n\n{item.text.strip()}")
    return "\n\n".join(parts)


def load_memory(workspace: Path, home: Path | None = None) -> str:
    """The memory section for a run in ``workspace``."""
    return memory_section(memory_files(workspace, home))


def _folders_down_to(workspace: Path) -> list[Path]:
    """The workspace and its parents, outermost first, without the filesystem root."""
    chain = [workspace, *workspace.parents]
    return [folder for folder in reversed(chain) if folder.parent != folder]


def _add(
    path: Path, kind: str, found: list[MemoryFile], seen: set[Path], *, home: Path, root: Path,
    imported_by: Path | None = None, depth: int = 0,
) -> None:  # fmt: skip
    """Read ``path`` and its imports. An import must stay inside ``root``: a repository's CLAUDE.md may
    not pull ``@~/.aws/credentials`` (or anything else outside its folder) into the prompt."""
    if imported_by is not None and not path.resolve().is_relative_to(root.resolve()):
        return
    text = _read(path)
    if text is None:
        return
    resolved = path.resolve()
    if resolved in seen:
        return
    seen.add(resolved)
    found.append(MemoryFile(path=path, kind=kind, text=text, imported_by=imported_by))
    if depth >= MAX_IMPORT_DEPTH:
        return
    for target in imports_in(text):
        _add(_resolve_import(target, path.parent, home), "import", found, seen, home=home, root=root,
             imported_by=path, depth=depth + 1)  # fmt: skip


def imports_in(text: str) -> list[str]:
    """The ``@path`` imports of a memory file, outside fenced code blocks and code spans."""
    targets: list[str] = []
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        for match in _IMPORT.finditer(_CODE_SPAN.sub("", line)):
            targets.append(match.group(1).rstrip("."))
    return targets


def _resolve_import(target: str, base: Path, home: Path) -> Path:
    if target.startswith("~/"):
        return home / target[2:]
    candidate = Path(target)
    return candidate if candidate.is_absolute() else base / candidate


def _read(path: Path) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


__all__ = ["MemoryFile", "imports_in", "load_memory", "memory_files", "memory_section"]
