"""Find every agent definition a user has: project, user, OpenCode config, then built-ins.

Search order (the first definition of a name wins; later ones are kept as ``shadowed``):

1. ``extra_paths`` given explicitly (definition files, ``opencode.json(c)`` files or folders)
2. ``.claude/agents/**`` in ``cwd`` and each parent folder, nearest first
3. ``~/.claude/agents/**``
4. ``.opencode/agent(s)/**`` in ``cwd`` and each parent folder, nearest first
5. ``~/.config/opencode/agent(s)/**``
6. the ``agent`` map of the nearest ``opencode.json(c)``, then of ``~/.config/opencode/opencode.json(c)``
7. the built-in agents shipped with backend-agent
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from backend_agent.agents.definition import AgentDefinition, DefinitionScope
from backend_agent.agents.loader import definition_from_config, load_definition
from backend_agent.errors import DefinitionError

DEFINITION_SUFFIXES = frozenset({".md", ".markdown", ".txt"})
CONFIG_NAMES = ("opencode.json", "opencode.jsonc")  # OpenCode configs whose ``agent`` map defines agents
BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
_LOCATED = re.compile(r"^(?P<path>.*?):(?P<line>\d+): (?P<reason>.*)$", re.DOTALL)


@dataclass(frozen=True)
class LoadFailure:
    """A definition file that could not be loaded, located by line when known."""

    path: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}" if self.line else f"{self.path}: {self.reason}"


@dataclass
class Roster:
    """The agents available in a place: winners by name, the definitions they shadow, and failures."""

    agents: dict[str, AgentDefinition] = field(default_factory=dict)
    shadowed: list[AgentDefinition] = field(default_factory=list)
    failures: list[LoadFailure] = field(default_factory=list)

    def add(self, definition: AgentDefinition) -> None:
        if definition.name in self.agents:
            self.shadowed.append(definition)
        else:
            self.agents[definition.name] = definition

    def get(self, name: str) -> AgentDefinition:
        """The agent called ``name``; DefinitionError listing the known names otherwise."""
        if name in self.agents:
            return self.agents[name]
        known = sorted(self.agents)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "run 'backend-agent agents list' to see every agent"
        raise DefinitionError(
            f"no agent named '{name}'; known agents: {', '.join(known) or '(none)'}", hint=hint
        )

    def winner_for(self, definition: AgentDefinition) -> AgentDefinition | None:
        """The definition that shadows ``definition`` (None when it is itself the winner)."""
        winner = self.agents.get(definition.name)
        return None if winner is definition else winner


@dataclass(frozen=True)
class _Place:
    path: Path
    scope: DefinitionScope
    opencode: bool = False  # names come from the path stem


def discover(
    *,
    cwd: Path,
    home: Path | None = None,
    include_builtin: bool = True,
    extra_paths: Sequence[Path] = (),
) -> Roster:
    """Load every definition visible from ``cwd`` in precedence order (see the module docstring)."""
    home = (home if home is not None else Path.home()).resolve()
    cwd = cwd.resolve()
    roster = Roster()
    seen: set[Path] = set()
    for place in _places(cwd=cwd, home=home, extra_paths=extra_paths):
        if place.path.is_file() and place.path.name in CONFIG_NAMES:
            _load_config(roster, place.path, scope=place.scope)
            continue
        if place.path.is_file():
            files: Iterable[tuple[Path, str]] = [(place.path, place.path.stem)]
        elif place.path.is_dir():
            files = _definition_files(place.path)
        else:
            continue
        for path, stem in files:
            resolved = path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            _load_into(roster, path, scope=place.scope, name_hint=stem if place.opencode else None)
    for config, scope in _opencode_configs(cwd=cwd, home=home):
        _load_config(roster, config, scope=scope)
    if include_builtin:
        for path, _stem in _definition_files(BUILTIN_DIR):
            _load_into(roster, path, scope="builtin", name_hint=None)
    return roster


def load_paths(paths: Sequence[Path]) -> tuple[list[AgentDefinition], list[LoadFailure]]:
    """Load the given files and every definition file under the given folders (for ``validate``).

    An ``opencode.json(c)`` file, given or found directly in a given folder, contributes the agents of
    its ``agent`` map.
    """
    loaded: list[AgentDefinition] = []
    failures: list[LoadFailure] = []
    for path in paths:
        targets = [file for file, _stem in _definition_files(path)] if path.is_dir() else [path]
        if path.is_dir():
            targets += [config for config in (_config_in(path),) if config is not None]
        for target in targets:
            if target.name in CONFIG_NAMES:
                definitions, config_failures = load_config(target)
                loaded.extend(definitions)
                failures.extend(config_failures)
                continue
            try:
                loaded.append(load_definition(target))
            except DefinitionError as exc:
                failures.append(failure_from_error(str(target), exc))
    return loaded, failures


def failure_from_error(path: str, exc: DefinitionError) -> LoadFailure:
    match = _LOCATED.match(exc.message)
    if match and match.group("path") == path:
        reason = match.group("reason")
        line: int | None = int(match.group("line"))
    else:
        reason = exc.message.removeprefix(f"{path}: ")
        line = None
    if exc.hint:
        reason += f" (hint: {exc.hint})"
    return LoadFailure(path=path, line=line, reason=reason)


def _places(*, cwd: Path, home: Path, extra_paths: Sequence[Path]) -> Iterator[_Place]:
    for extra in extra_paths:
        yield _Place(Path(extra).expanduser().resolve(), "path")
    ancestors = [folder for folder in (cwd, *cwd.parents) if folder != home]
    for folder in ancestors:
        yield _Place(folder / ".claude" / "agents", "project")
    yield _Place(home / ".claude" / "agents", "user")
    for folder in ancestors:
        for leaf in ("agent", "agents"):
            yield _Place(folder / ".opencode" / leaf, "project", opencode=True)
    for leaf in ("agent", "agents"):
        yield _Place(home / ".config" / "opencode" / leaf, "user", opencode=True)


def _definition_files(root: Path) -> list[tuple[Path, str]]:
    """Definition files under ``root`` in a stable order, with their path stem relative to ``root``."""
    found: list[tuple[Path, str]] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        base = Path(folder)
        for name in sorted(names):
            if name.startswith(".") or Path(name).suffix.lower() not in DEFINITION_SUFFIXES:
                continue
            path = base / name
            stem = path.relative_to(root).with_suffix("").as_posix()
            found.append((path, stem))
    return found


def _load_into(roster: Roster, path: Path, *, scope: DefinitionScope, name_hint: str | None) -> None:
    try:
        definition = load_definition(path, name_hint=name_hint)
    except DefinitionError as exc:
        roster.failures.append(failure_from_error(str(path), exc))
        return
    definition.scope = scope
    roster.add(definition)


def _opencode_configs(*, cwd: Path, home: Path) -> Iterator[tuple[Path, DefinitionScope]]:
    for folder in (cwd, *cwd.parents):
        if folder == home:
            continue
        hit = _config_in(folder)
        if hit is not None:
            yield hit, "project"
            break
    hit = _config_in(home / ".config" / "opencode")
    if hit is not None:
        yield hit, "user"


def _config_in(folder: Path) -> Path | None:
    for name in CONFIG_NAMES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def _load_config(roster: Roster, config: Path, *, scope: DefinitionScope) -> None:
    definitions, failures = load_config(config)
    roster.failures.extend(failures)
    for definition in definitions:
        definition.scope = scope
        roster.add(definition)


def load_config(config: Path) -> tuple[list[AgentDefinition], list[LoadFailure]]:
    """The agents of the ``agent`` map of an ``opencode.json(c)`` file, and the entries that failed."""
    try:
        data = parse_jsonc(config.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        return [], [LoadFailure(str(config), None, f"cannot be read: {exc.strerror or exc}")]
    except UnicodeDecodeError:
        return [], [LoadFailure(str(config), None, "is not UTF-8 text (hint: save the file as UTF-8)")]
    except json.JSONDecodeError as exc:
        reason = f"is not valid JSON: {exc.msg} (column {exc.colno}) (hint: fix the JSON at that line; comments and trailing commas are allowed)"
        return [], [LoadFailure(str(config), exc.lineno, reason)]
    agents = data.get("agent") if isinstance(data, dict) else None
    if agents is None:
        return [], []
    if not isinstance(agents, dict):
        return [], [LoadFailure(str(config), None, "'agent' must be an object of agent name to settings")]
    definitions: list[AgentDefinition] = []
    failures: list[LoadFailure] = []
    for name, entry in agents.items():
        source = f"{config}#agent.{name}"
        try:
            definitions.append(definition_from_config(str(name), entry, source=source, base_dir=config.parent))
        except DefinitionError as exc:
            reason = exc.message.removeprefix(f"{source}: ") + (f" (hint: {exc.hint})" if exc.hint else "")
            failures.append(LoadFailure(source, None, reason))
    return definitions, failures


def parse_jsonc(text: str) -> object:
    """JSON with ``//`` and ``/* */`` comments and trailing commas, as OpenCode accepts."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    out: list[str] = []
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char == '"':
            end = index + 1
            while end < length and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append(text[index : end + 1])
            index = end + 1
        elif text.startswith("//", index):
            newline = text.find("\n", index)
            index = length if newline < 0 else newline
        elif text.startswith("/*", index):
            close = text.find("*/", index + 2)
            # Keep line numbers stable for error messages.
            chunk = text[index : length if close < 0 else close + 2]
            out.append("\n" * chunk.count("\n"))
            index = length if close < 0 else close + 2
        else:
            out.append(char)
            index += 1
    cleaned = re.sub(r",(\s*[}\]])", r"\1", "".join(out))
    return json.loads(cleaned)


__all__ = [
    "BUILTIN_DIR",
    "LoadFailure",
    "Roster",
    "discover",
    "failure_from_error",
    "load_config",
    "load_paths",
    "parse_jsonc",
]
