"""Read and Edit rules applied to what shell commands do to files.

``Read(./secrets/**)`` denied must stop ``cat secrets/api.key``, ``grep -r KEY secrets/``,
``cat ./docs/../secrets/api.key`` and ``< secrets/api.key`` as well as the Read tool, and
``Edit(src/**)`` denied must stop ``sed -i ... src/x.py`` and ``echo >> src/app.py``. Paths are
normalised (relative to every folder the command line may be in, and absolute), globs are expanded
the way the shell would, and a program we do not model that touches a denied path is not allowed.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from dataclasses import dataclass
from pathlib import Path

from backend_agent.runtime.permissions._fileops import SENSITIVE_READS, file_operands
from backend_agent.runtime.permissions._types import Action
from backend_agent.runtime.permissions.rules import PatternMap, Rule, tool_covered

_GLOB_CHARS = re.compile(r"[*?\[]")
_MAX_GLOB_MATCHES = 500


@dataclass(frozen=True)
class FileVerdict:
    action: Action
    rule: str | None
    source: str | None
    reason: str
    maybe_denied: bool = False  # not certain, but a deny rule could apply: never allowed in bypass mode


class FileRules:
    """The Read/Edit rules and OpenCode read/edit maps of one engine, checked against shell operands."""

    def __init__(self, rules: list[Rule], maps: list[PatternMap], *, workspace: Path, home: Path) -> None:
        self.workspace = workspace
        self.home = home
        self.read_rules = [
            r for r in rules if r.tool == "Read" or (r.tool != "Bash" and tool_covered(r.tool, "Read"))
        ]
        self.edit_rules = [
            r for r in rules if r.tool == "Edit" or (r.tool != "Bash" and tool_covered(r.tool, "Edit"))
        ]
        self.read_maps = [m for m in maps if tool_covered(m.tool, "Read")]
        self.edit_maps = [m for m in maps if tool_covered(m.tool, "Edit")]
        self.has_deny = any(r.action == "deny" for r in self.read_rules + self.edit_rules) or any(
            action == "deny" for m in self.read_maps + self.edit_maps for _, action in m.patterns
        )
        self._deny_bases = [(self._rule_base(r.spec), r.spec) for r in self.read_rules if r.action == "deny"]

    # ----------------------------------------------------------------------------- matching
    def _match(self, kind: str, path: Path) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        rules = self.read_rules if kind == "Read" else self.edit_rules
        tool_input = {"file_path": str(path)}
        for rule in rules:
            if rule.action not in found and rule.matches_tool_input(
                kind, tool_input, workspace=self.workspace, home=self.home
            ):
                found[rule.action] = (rule.text, rule.source)
        for pattern_map in self.read_maps if kind == "Read" else self.edit_maps:
            hit = pattern_map.decide_path(path, self.workspace)
            if hit is not None and hit[0] not in found:
                found[hit[0]] = (hit[1], pattern_map.source)
        return found

    def _rule_base(self, spec: str | None) -> Path | None:
        """The fixed folder a deny rule's paths live under; None when they may be anywhere."""
        if spec is None or spec in ("*", "**"):
            return None
        if spec.startswith("//"):
            text = spec[1:]
        elif spec.startswith("~/"):
            text = str(self.home) + spec[1:]
        elif spec.startswith(("/", "./")):
            text = str(self.workspace) + spec.lstrip(".")
        elif "/" in spec.rstrip("/"):
            text = f"{self.workspace}/{spec}"
        else:
            return None  # a bare name matches at any depth
        literal = _GLOB_CHARS.split(text, maxsplit=1)[0]
        return Path(os.path.normpath(literal.rsplit("/", 1)[0] if _GLOB_CHARS.search(text) else literal))

    # ------------------------------------------------------------------------------ checks
    def check(self, words: list[str], *, reads: list[str], writes: list[str], cwds: list[Path],
              dynamic: frozenset[str], cwd_unknown: bool) -> FileVerdict | None:  # fmt: skip
        """The strongest verdict the file rules give this command, or None when they say nothing."""
        ops = file_operands(words)
        groups = [("read", ops.reads + reads), ("write", ops.writes + writes), ("unknown", ops.unknown)]
        verdicts: list[FileVerdict] = []
        for role, items in groups:
            for word in items:
                verdict = self._check_word(word, role, cwds=cwds, dynamic=word in dynamic,
                                           cwd_unknown=cwd_unknown, recursive=ops.recursive and role == "read")  # fmt: skip
                if verdict is not None:
                    if verdict.action == "deny":
                        return verdict
                    verdicts.append(verdict)
        return verdicts[0] if verdicts else None

    def _check_word(self, word: str, role: str, *, cwds: list[Path], dynamic: bool, cwd_unknown: bool,
                    recursive: bool) -> FileVerdict | None:  # fmt: skip
        if not word or word in ("-", "/dev/null", "/dev/stdin", "/dev/stdout", "/dev/stderr"):
            return None
        if dynamic and ("$" in word or "`" in word):
            if self.has_deny:
                return FileVerdict("ask", None, None, f"'{word}' is only known at run time and may be a path a "
                                   "Read/Edit rule denies", maybe_denied=True)  # fmt: skip
            return None
        candidates = self._paths(word, cwds)
        in_proc = word.startswith("/proc/") or any(str(p).startswith("/proc/") for p in candidates)
        if in_proc and (
            SENSITIVE_READS.match(word)
            or any(SENSITIVE_READS.match(os.path.normpath(str(p))) for p in candidates)
        ):
            return FileVerdict("ask", None, None, f"'{word}' holds the secrets of a running process")
        if not self.read_rules and not self.edit_rules and not self.read_maps and not self.edit_maps:
            return None
        if cwd_unknown and not word.startswith(("/", "~")) and self.has_deny:
            return FileVerdict("ask", None, None, f"'{word}' is relative to a folder only known at run time",
                               maybe_denied=True)  # fmt: skip
        kinds = {"read": ["Read"], "write": ["Edit"], "unknown": ["Read", "Edit"]}[role]
        for path in candidates:
            for kind in kinds:
                found = self._match(kind, path)
                if "deny" in found:
                    rule, source = found["deny"]
                    if role == "unknown":
                        return FileVerdict("ask", None, None, f"it may read or change {word}, which {rule} denies",
                                           maybe_denied=True)  # fmt: skip
                    verb = "reads" if kind == "Read" else "changes"
                    return FileVerdict("deny", rule, source, f"it {verb} {word}, denied by {rule}")
                if "ask" in found and role != "unknown":
                    rule, source = found["ask"]
                    return FileVerdict("ask", rule, source, f"it touches {word}; rule {rule} asks first")
        if recursive:
            folders = [p for p in candidates if p.is_dir() or word in (".", "./")]
            for folder in folders:
                for base, spec in self._deny_bases:
                    hit = (
                        _may_hold(folder, spec)
                        if base is None
                        else base == folder or base.is_relative_to(folder)
                    )
                    if hit:
                        return FileVerdict("ask", None, None, f"it reads everything under {word}, which holds "
                                           "paths a Read rule denies", maybe_denied=True)  # fmt: skip
        return None

    def _paths(self, word: str, cwds: list[Path]) -> list[Path]:
        """Every absolute path ``word`` may name: from each possible folder, and globs expanded."""
        if word.startswith("~"):
            word = str(self.home) + word[1:] if word == "~" or word.startswith("~/") else word
        bases = [Path("/")] if word.startswith("/") else cwds
        paths: list[Path] = []
        for base in bases:
            joined = os.path.normpath(os.path.join(base, word))
            paths.append(Path(joined))
            resolved = Path(joined).resolve(strict=False)
            if resolved != Path(joined):
                paths.append(resolved)
            if _GLOB_CHARS.search(word):
                for index, match in enumerate(glob.iglob(joined, recursive="**" in word)):
                    if index >= _MAX_GLOB_MATCHES:
                        break
                    paths.append(Path(match).resolve(strict=False))
        return paths


_WALK_LIMIT = 20_000


def _may_hold(folder: Path, spec: str | None) -> bool:
    """Could a recursive read of ``folder`` reach a file a name-only rule (``Read(.env)``) denies?

    The folder is walked (the shell would walk it too); a tree too big to walk counts as yes.
    """
    if spec is None or spec in ("*", "**"):
        return True
    pattern = re.compile(fnmatch.translate(spec.rstrip("/")))
    seen = 0
    for _root, dirs, files in os.walk(folder):
        seen += len(dirs) + len(files)
        if seen > _WALK_LIMIT or any(pattern.match(name) for name in (*dirs, *files)):
            return True
    return False


__all__ = ["FileRules", "FileVerdict"]
