"""Permission rules: Claude Code strings (``Bash(git log:*)``, ``Edit(src/**)``) and OpenCode pattern maps."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from backend_agent.errors import DefinitionError, Location, Problem
from backend_agent.runtime.permissions._types import Action, PermissionMode
from backend_agent.tools import glob_to_regex

if TYPE_CHECKING:
    from backend_agent.agents import AgentDefinition

TOOL_ALIASES = {
    "bash": "Bash",
    "read": "Read",
    "write": "Write",
    "edit": "Edit",
    "multiedit": "MultiEdit",
    "grep": "Grep",
    "glob": "Glob",
    "webfetch": "WebFetch",
    "websearch": "WebSearch",
    "bashoutput": "BashOutput",
    "killshell": "KillShell",
    "notebookedit": "NotebookEdit",
    "task": "Agent",
    "agent": "Agent",
    "skill": "Skill",
    "todowrite": "TodoWrite",
    "list": "LS",
    "ls": "LS",
    "patch": "Edit",
}
EDIT_TOOLS = {"Edit", "Write", "MultiEdit", "NotebookEdit"}
READ_TOOLS = {"Read", "Grep", "Glob", "LS", "NotebookRead"}
_RULE = re.compile(r"^\s*([A-Za-z0-9_*.\-]+)\s*(?:\((.*)\))?\s*$", re.DOTALL)


def canonical_tool(name: str) -> str:
    return TOOL_ALIASES.get(name.lower(), name)


def tool_covered(rule_tool: str, tool_name: str) -> bool:
    """Does a rule written for ``rule_tool`` apply to ``tool_name``? (``Edit`` covers Write, ``Read`` covers Grep.)"""
    if rule_tool == tool_name:
        return True
    if rule_tool == "Edit" and tool_name in EDIT_TOOLS:
        return True
    if rule_tool == "Read" and tool_name in READ_TOOLS:
        return True
    if (
        rule_tool.startswith("mcp__")
        and rule_tool.count("__") == 1
        and tool_name.startswith(rule_tool + "__")
    ):
        return True
    return "*" in rule_tool and fnmatchcase(tool_name, rule_tool)


@lru_cache(maxsize=2048)
def _split_cached(text: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(text))
    except ValueError:
        return tuple(text.split())


def split_words(text: str) -> list[str]:
    return list(_split_cached(text))


def _wildcard_regex(spec: str, *, question: bool) -> re.Pattern[str]:
    out = []
    for char in spec:
        if char == "*":
            out.append(".*")
        elif char == "?" and question:
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def bash_spec_matches(spec: str | None, words: list[str]) -> bool:
    """``git log:*`` = word prefix; a spec with ``*`` = wildcard over the command text; otherwise exact."""
    if spec is None or spec.strip() == "*":
        return True
    if spec.endswith(":*"):
        prefix = _split_cached(spec[:-2])
        return tuple(words[: len(prefix)]) == prefix
    text = " ".join(words)
    if "*" in spec:
        if spec.endswith(" *") and bash_spec_matches(spec[:-2], words):
            return True
        return _wildcard_regex(" ".join(split_words(spec)), question=False).match(text) is not None
    return _split_cached(spec) == tuple(words)


def _literal_prefix(words: list[str], dynamic: frozenset[str]) -> list[str] | None:
    """The words before the first run-time-expanded one, or None when every word is literal."""
    for index, word in enumerate(words):
        if word in dynamic:
            return words[:index]
    return None


def _glob_prefix_possible(pattern: str, prefix: str, *, question: bool) -> bool:
    """Can some text starting with ``prefix`` match the wildcard ``pattern`` (``*``, and ``?`` if asked)?"""
    states = {0}
    for char in prefix:
        following: set[int] = set()
        for state in _star_closure(states, pattern):
            if state < len(pattern):
                symbol = pattern[state]
                if symbol == "*":
                    following.add(state)
                elif symbol == char or (question and symbol == "?"):
                    following.add(state + 1)
        if not following:
            return False
        states = following
    return True


def _star_closure(states: set[int], pattern: str) -> set[int]:
    closed = set(states)
    for state in sorted(states):
        while state < len(pattern) and pattern[state] == "*":
            state += 1
            closed.add(state)
    return closed


def bash_spec_could_match(spec: str | None, words: list[str], dynamic: frozenset[str]) -> bool:
    """Could ``spec`` match ``words`` once their run-time parts (``$x``, ``{a,b}``, ...) are expanded?

    An expanded word may become any number of words, so everything from the first one on is unknown.
    """
    prefix = _literal_prefix(words, dynamic)
    if prefix is None:
        return bash_spec_matches(spec, words)
    if spec is None or spec.strip() == "*":
        return True
    if "*" in spec and not spec.endswith(":*"):
        text = " ".join(split_words(spec))
        return _glob_prefix_possible(text, " ".join(prefix) + (" " if prefix else ""), question=False)
    tokens = _split_cached(spec[:-2] if spec.endswith(":*") else spec)
    shared = min(len(tokens), len(prefix))
    return tuple(prefix[:shared]) == tokens[:shared]


def opencode_could_match(pattern: str, words: list[str], dynamic: frozenset[str]) -> bool:
    prefix = _literal_prefix(words, dynamic)
    if prefix is None:
        return opencode_bash_matches(pattern, words)
    return _glob_prefix_possible(pattern.strip(), " ".join(prefix) + (" " if prefix else ""), question=True)


def opencode_bash_matches(pattern: str, words: list[str]) -> bool:
    return _wildcard_regex(pattern.strip(), question=True).match(" ".join(words)) is not None


def path_spec_matches(spec: str, target: Path, *, workspace: Path, home: Path) -> bool:
    """gitignore-like path rules: ``//abs``, ``~/home``, ``/root-relative``, ``./rel`` or ``rel/x``, ``name``."""
    if spec in ("*", "**"):
        return True
    if spec.startswith("//"):
        pattern = spec[1:]
    elif spec.startswith("~/"):
        pattern = str(home) + spec[1:]
    elif spec.startswith("/"):
        pattern = str(workspace) + spec
    elif spec.startswith("./"):
        pattern = str(workspace) + spec[1:]
    elif "/" in spec.rstrip("/"):
        pattern = f"{workspace}/{spec}"
    else:
        pattern = "**/" + spec
    pattern = pattern.rstrip("/") or "/"
    regexes = [glob_to_regex(pattern)]
    if pattern.endswith("/**"):  # `dir/**` also covers the folder itself (e.g. a Grep over it)
        regexes.append(glob_to_regex(pattern[:-3]))
    return any(regex.match(str(p)) for regex in regexes for p in (target, *target.parents))


def _domain_matches(spec: str, url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    domain = spec.removeprefix("domain:").strip().lower()
    return fnmatchcase(host, domain) or host.endswith("." + domain)


@dataclass(frozen=True)
class Rule:
    """One rule, e.g. ``Bash(git log:*)`` → allow, remembering where it came from."""

    tool: str
    spec: str | None
    action: Action
    source: str
    text: str

    @classmethod
    def parse(cls, text: str, action: Action, source: str) -> Rule:
        match = _RULE.match(text)
        if not match:
            raise ValueError(
                f"'{text}' is not a permission rule; expected ToolName or ToolName(specifier), "
                "e.g. 'Bash(git log:*)', 'Edit(src/**)', 'mcp__server__tool'"
            )
        name, spec = match.group(1), match.group(2)
        if spec is not None and not spec.strip():
            raise ValueError(
                f"'{text}' has an empty specifier; write '{name}' to match every use of the tool"
            )
        spec = None if spec is None or spec.strip() == "*" else spec.strip()
        return cls(tool=canonical_tool(name), spec=spec, action=action, source=source, text=text.strip())

    def matches_tool_input(
        self, tool_name: str, tool_input: dict[str, Any], *, workspace: Path, home: Path
    ) -> bool:
        """Match for every tool but Bash (whose commands are matched word by word by the engine)."""
        if not tool_covered(self.tool, tool_name):
            return False
        if self.spec is None:
            return True
        target = target_path(tool_name, tool_input, workspace)
        if target is not None and self.tool in READ_TOOLS | EDIT_TOOLS:
            return path_spec_matches(self.spec, target, workspace=workspace, home=home)
        if tool_name == "WebFetch" and isinstance(tool_input.get("url"), str):
            return _domain_matches(self.spec, tool_input["url"])
        return any(isinstance(v, str) and fnmatchcase(v, self.spec) for v in tool_input.values())


@dataclass
class PatternMap:
    """An OpenCode permission map for one tool: ``{"git *": "allow", "*": "ask"}``; the last match wins."""

    tool: str
    patterns: list[tuple[str, Action]]
    source: str

    def decide_words(self, words: list[str]) -> tuple[Action, str] | None:
        found: tuple[Action, str] | None = None
        for pattern, action in self.patterns:
            if opencode_bash_matches(pattern, words):
                found = (action, f'{self.tool.lower()}: "{pattern}"')
        return found

    def decide_path(self, target: Path | None, workspace: Path) -> tuple[Action, str] | None:
        found: tuple[Action, str] | None = None
        texts = [] if target is None else [str(target)]
        if target is not None and target.is_relative_to(workspace):
            texts.append(str(target.relative_to(workspace)))
        for pattern, action in self.patterns:
            if pattern.strip() == "*" or any(glob_to_regex(pattern).match(t) for t in texts):
                found = (action, f'{self.tool.lower()}: "{pattern}"')
        return found


def target_path(tool_name: str, tool_input: dict[str, Any], workspace: Path) -> Path | None:
    raw = tool_input.get("file_path") or tool_input.get("notebook_path") or tool_input.get("path")
    if raw is None and tool_name in ("Grep", "Glob", "LS"):
        raw = "."
    if not isinstance(raw, str):
        return None
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = workspace / path
    return path.resolve(strict=False)


@dataclass
class RuleSet:
    """Rules from every source: Claude Code rules, OpenCode pattern maps, default mode, extra folders."""

    rules: list[Rule] = field(default_factory=list)
    pattern_maps: list[PatternMap] = field(default_factory=list)
    default_mode: PermissionMode | None = None
    additional_directories: list[Path] = field(default_factory=list)

    @property
    def allow(self) -> list[Rule]:
        return [r for r in self.rules if r.action == "allow"]

    @property
    def ask(self) -> list[Rule]:
        return [r for r in self.rules if r.action == "ask"]

    @property
    def deny(self) -> list[Rule]:
        return [r for r in self.rules if r.action == "deny"]

    def add(self, text: str, action: Action, source: str) -> Rule:
        rule = Rule.parse(text, action, source)
        self.rules.append(rule)
        return rule

    def merged(self, other: RuleSet) -> RuleSet:
        """A new RuleSet with both sets of rules; ``other``'s default mode wins when it has one."""
        return RuleSet(
            rules=[*self.rules, *other.rules],
            pattern_maps=[*self.pattern_maps, *other.pattern_maps],
            default_mode=other.default_mode or self.default_mode,
            additional_directories=[*self.additional_directories, *other.additional_directories],
        )

    @classmethod
    def from_lists(
        cls,
        *,
        allow: list[str] | None = None,
        ask: list[str] | None = None,
        deny: list[str] | None = None,
        source: str = "cli",
    ) -> RuleSet:
        """Rules given as plain strings (e.g. ``--allow``/``--deny`` options); a bad rule raises ValueError."""
        rules = cls()
        for action, texts in (("allow", allow), ("ask", ask), ("deny", deny)):
            for text in texts or []:
                rules.add(text, action, source)  # type: ignore[arg-type]
        return rules

    @classmethod
    def from_definition(cls, defn: AgentDefinition) -> RuleSet:
        """The rules an agent definition carries: its permissions block and tool entries with specifiers."""
        source = f"agent:{defn.name}"
        rules = cls()
        problems: list[Problem] = []
        where = Location(defn.source_path or f"agent {defn.name}")

        def add(text: str, action: Action, key: str) -> None:
            try:
                rules.add(text, action, source)
            except ValueError as exc:
                problems.append(Problem(str(exc), Location(where.file, key_path=key)))

        perms = defn.permissions
        for action, texts in (("allow", perms.allow), ("ask", perms.ask), ("deny", perms.deny)):
            for index, text in enumerate(texts):
                add(text, action, f"permissions.{action}[{index}]")  # type: ignore[arg-type]
        for index, entry in enumerate(defn.tools or []):
            if "(" in entry:
                add(entry, "allow", f"tools[{index}]")
        for index, entry in enumerate(defn.disallowed_tools):
            if "(" in entry:
                add(entry, "deny", f"disallowedTools[{index}]")
        for tool, mapping in perms.patterns.items():
            rules.pattern_maps.append(PatternMap(canonical_tool(tool), list(mapping.items()), source))
        for tool, action in perms.simple.items():
            rules.pattern_maps.append(PatternMap(canonical_tool(tool), [("*", action)], source))
        if perms.mode:
            try:
                rules.default_mode = PermissionMode.parse(perms.mode)
            except ValueError:
                pass  # the definition loader already warned about an unknown mode; the default applies
        if problems:
            raise DefinitionError(
                f"Agent '{defn.name}' has invalid permission settings.",
                problems=problems,
                hint="fix the rules in the agent file; see 'backend-agent permissions check --help'",
            )
        return rules


__all__ = [
    "EDIT_TOOLS",
    "READ_TOOLS",
    "PatternMap",
    "Rule",
    "RuleSet",
    "bash_spec_could_match",
    "bash_spec_matches",
    "bash_spec_matches_equivalent",
    "canonical_tool",
    "opencode_bash_matches",
    "opencode_could_match",
    "path_spec_matches",
    "target_path",
    "tool_covered",
]


# --------------------------------------------------------------------- flag-equivalent matching
# Long options and letters that mean the same as a short option, per program (deny/ask rules only:
# ``Bash(rm -rf:*)`` must also catch ``rm -fr``, ``rm -r -f``, ``rm --recursive --force``, ``rm -Rf``).
_FLAG_ALIASES: dict[str, dict[str, str]] = {
    "rm": {"R": "r", "recursive": "r", "force": "f", "dir": "d", "interactive": "i", "verbose": "v"},
    "cp": {"R": "r", "recursive": "r", "force": "f", "archive": "a"},
    "chmod": {"recursive": "R"},
    "chown": {"recursive": "R"},
    "chgrp": {"recursive": "R"},
    "git": {
        "force": "f",
        "force-with-lease": "f",
        "force-if-includes": "f",
        "delete": "d",
        "all": "a",
        "mirror": "mirror",
        "hard": "hard",
    },
    "mv": {"force": "f"},
    "ln": {"force": "f", "symbolic": "s"},
    "kill": {"KILL": "9", "SIGKILL": "9"},
}
_GENERIC_ALIASES = {"recursive": "r", "force": "f"}


@lru_cache(maxsize=4096)
def _flag_shape(words: tuple[str, ...]) -> tuple[tuple[str, ...], frozenset[str], tuple[str, ...]]:
    """(leading names, canonical flags, operands) of a command or rule prefix."""
    program = words[0].rsplit("/", 1)[-1] if words else ""
    aliases = _FLAG_ALIASES.get(program, _GENERIC_ALIASES)
    names: list[str] = []
    flags: set[str] = set()
    operands: list[str] = []
    seen_option = False
    ended = False
    for word in words:
        if ended or not word.startswith("-") or word == "-":
            if not seen_option and not operands and (len(names) < 2 or program != "git"):
                names.append(word)
            else:
                operands.append(word)
                if program == "git" and len(names) > 1 and names[1] == "push" and word.startswith("+"):
                    flags.add("f")  # `git push origin +main` forces like --force
            continue
        if word == "--":
            ended = True
            continue
        seen_option = True
        if word.startswith("--"):
            long_name = word[2:].split("=", 1)[0]
            flags.add(aliases.get(long_name, long_name))
        else:
            for letter in word[1:]:
                flags.add(aliases.get(letter, letter))
    if program == "git" and len(names) > 2:
        operands[:0] = names[2:]
        names = names[:2]
    return tuple(names), frozenset(flags), tuple(operands)


def bash_spec_matches_equivalent(spec: str | None, words: list[str]) -> bool:
    """Like ``bash_spec_matches`` for deny/ask rules, but with flags compared as sets.

    Combined, split, reordered and long spellings of the rule's flags all match, and extra flags
    or operands do not dodge it (``rm -rfv /``).
    """
    if bash_spec_matches(spec, words):
        return True
    if spec is None:
        return True
    body = spec[:-2] if spec.endswith(":*") else spec[:-2] if spec.endswith(" *") else spec
    if "*" in body:
        return False
    rule_words = _split_cached(body)
    if not rule_words or not any(w.startswith("-") for w in rule_words):
        return False
    rule_names, rule_flags, rule_operands = _flag_shape(rule_words)
    names, flags, operands = _flag_shape(tuple(words))
    if names[: len(rule_names)] != rule_names or not rule_flags <= flags:
        return False
    extra_names = names[len(rule_names) :]
    available = list(extra_names) + list(operands)
    exact = not spec.endswith((":*", " *"))
    if exact and (flags != rule_flags or sorted(available) != sorted(rule_operands)):
        return False
    return all(op in available for op in rule_operands)
