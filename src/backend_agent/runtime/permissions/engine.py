"""The permission engine: one decision (allow / ask / deny) per tool call, with the rule that made it.

Order: the agent's tool grants, then deny rules, then the mode and ask rules, then allow rules,
then the mode's default. Deny beats ask beats allow across every source. The engine never prompts.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend_agent.runtime.permissions._fileops import file_operands, risky_option
from backend_agent.runtime.permissions._filerules import FileRules
from backend_agent.runtime.permissions._readonly import is_default_read_only, is_read_only
from backend_agent.runtime.permissions._types import SEVERITY, Action, Decision, PermissionMode, SubDecision
from backend_agent.runtime.permissions.rules import (
    EDIT_TOOLS,
    PatternMap,
    Rule,
    RuleSet,
    bash_spec_could_match,
    bash_spec_matches,
    bash_spec_matches_equivalent,
    canonical_tool,
    opencode_could_match,
    split_words,
    target_path,
    tool_covered,
)
from backend_agent.runtime.permissions.shell import SimpleCommand, analyze

if TYPE_CHECKING:
    from backend_agent.agents import AgentDefinition

logger = logging.getLogger("backend_agent.permissions")

READ_ONLY_TOOLS = {"Read", "Grep", "Glob", "BashOutput", "LS", "NotebookRead"}
# Tools that change nothing by themselves (a subagent's own tool calls are checked in turn):
# allowed without a rule, also in plan mode, as Claude Code does.
NO_PROMPT_TOOLS = READ_ONLY_TOOLS | {
    "Agent",
    "Skill",
    "TodoWrite",
    "KillShell",
    "AskUserQuestion",
    "ExitPlanMode",
}
# Shell builtins with no effect outside the shell itself; they need no rule.
HARMLESS_BUILTINS = {
    "true",
    "false",
    ":",
    "read",
    "test",
    "[",
    "break",
    "continue",
    "shift",
    "return",
    "wait",
}
# Agent settings, MCP servers and git internals (hooks, config): what a tool writes there runs later
# outside every rule and sandbox, so writing it always needs approval (short of bypass mode).
PROTECTED_DIRS = {".claude", ".backend-agent", ".opencode", ".git"}
PROTECTED_FILES = {"opencode.json", "opencode.jsonc", ".mcp.json", ".gitmodules"}
_HARMLESS_TARGETS = {"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"}


class PermissionEngine:
    """Decides tool calls from a mode, a RuleSet and (optionally) the agent definition's tool grants."""

    def __init__(
        self,
        *,
        mode: PermissionMode | str | None = None,
        rules: RuleSet | None = None,
        definition: AgentDefinition | None = None,
        workspace: Path,
        home: Path | None = None,
    ):
        self.workspace = workspace.resolve()
        self.home = (home or Path.home()).resolve()
        self.definition = definition
        ruleset = rules or RuleSet()
        if definition is not None and not any(r.source == f"agent:{definition.name}" for r in ruleset.rules):
            ruleset = RuleSet.from_definition(definition).merged(ruleset)
        self.rules = ruleset
        if mode is None:
            mode = ruleset.default_mode or PermissionMode.DEFAULT
        self.mode = mode if isinstance(mode, PermissionMode) else PermissionMode.parse(mode)
        self.roots = [self.workspace, *(d.resolve() for d in ruleset.additional_directories)]
        self._session_rules: list[Rule] = []
        self._remembered: set[tuple[str, str]] = set()
        self.file_rules = FileRules(
            ruleset.rules, ruleset.pattern_maps, workspace=self.workspace, home=self.home
        )
        # Files that run later outside the sandbox (hook scripts): protected like the settings folders.
        self.extra_protected: list[Path] = []

    # ----------------------------------------------------------------- public
    def decide(self, tool_name: str, tool_input: dict[str, Any]) -> Decision:
        tool = canonical_tool(tool_name)
        decision = self._grant_check(tool)
        if decision is None:
            decision = (
                self._decide_bash(tool_input) if tool == "Bash" else self._decide_tool(tool, tool_input)
            )
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "permission %s %s -> %s (rule=%s, source=%s): %s",
                tool,
                json.dumps(tool_input, default=str)[:200],
                decision.action,
                decision.rule,
                decision.source,
                decision.reason,
            )
        return decision

    def remember_allow(self, tool_name: str, tool_input: dict[str, Any]) -> None:
        """The interactive "always allow for this session" answer: allow this call (and its commands) again."""
        tool = canonical_tool(tool_name)
        self._remembered.add((tool, _key(tool_input)))
        if tool == "Bash":
            for command in analyze(str(tool_input.get("command", ""))).commands:
                if command.opaque is None:
                    for words in [command.words, command.original] if command.privileged else [command.words]:
                        self._session_rules.append(_session_rule("Bash", shlex.join(words)))
            return
        target = target_path(tool, tool_input, self.workspace)
        if target is not None and tool in EDIT_TOOLS | READ_ONLY_TOOLS:
            self._session_rules.append(_session_rule(tool, "/" + str(target)))
        else:
            self._session_rules.append(_session_rule(tool, None))

    # ---------------------------------------------------------------- grants
    def _grant_check(self, tool: str) -> Decision | None:
        defn = self.definition
        if defn is None:
            return None
        source = f"agent:{defn.name}"
        for entry in defn.disallowed_tools:
            if "(" not in entry and _entry_grants(entry, tool):
                return Decision("deny", entry, source, f"agent '{defn.name}' disallows the {tool} tool")
        if defn.tools is None:
            return None
        granted = [entry.split("(", 1)[0] for entry in defn.tools]
        companions = {"BashOutput": "Bash", "KillShell": "Bash"}
        if any(_entry_grants(e, tool) or _entry_grants(e, companions.get(tool, tool)) for e in granted):
            return None
        listed = ", ".join(defn.tools) or "none"
        return Decision(
            "deny", None, source, f"agent '{defn.name}' is not granted the {tool} tool (its tools: {listed})"
        )

    # ------------------------------------------------------------ other tools
    def _decide_tool(self, tool: str, tool_input: dict[str, Any]) -> Decision:
        found = self._matching(tool, tool_input)
        if "deny" in found:
            rule, source = found["deny"]
            return Decision("deny", rule, source, f"denied by rule {rule}")
        if self.mode == PermissionMode.PLAN and tool not in NO_PROMPT_TOOLS:
            return Decision("deny", None, "mode", f"plan mode allows only read-only tools, not {tool}")
        if self.mode == PermissionMode.BYPASS:
            return Decision("allow", None, "mode", "bypassPermissions allows everything not denied")
        if tool in EDIT_TOOLS:
            target = target_path(tool, tool_input, self.workspace)
            if target is not None and self._protected(target):
                return self._ask(
                    None, None, f"{target} holds agent or permission settings; changing it needs approval"
                )
        if "ask" in found:
            rule, source = found["ask"]
            return self._ask(rule, source, f"rule {rule} asks before {tool}")
        if "allow" in found:
            rule, source = found["allow"]
            return Decision("allow", rule, source, f"allowed by rule {rule}")
        if (tool, _key(tool_input)) in self._remembered:
            return Decision("allow", None, "session", "allowed for this session")
        if tool in NO_PROMPT_TOOLS:
            return Decision("allow", None, "mode", f"{tool} needs no permission (it changes nothing itself)")
        if tool in EDIT_TOOLS and self.mode == PermissionMode.ACCEPT_EDITS:
            target = target_path(tool, tool_input, self.workspace)
            if target is not None and self._inside(target):
                return Decision("allow", None, "mode", "acceptEdits allows edits inside the workspace")
        return self._ask(None, None, f"no rule allows {tool}")

    def _matching(self, tool: str, tool_input: dict[str, Any]) -> dict[Action, tuple[str, str]]:
        found: dict[Action, tuple[str, str]] = {}
        for rule in [*self.rules.rules, *self._session_rules]:
            if rule.action not in found and rule.matches_tool_input(
                tool, tool_input, workspace=self.workspace, home=self.home
            ):
                found[rule.action] = (rule.text, rule.source)
        target = target_path(tool, tool_input, self.workspace)
        for pattern_map in self.rules.pattern_maps:
            if tool_covered(pattern_map.tool, tool):
                hit = pattern_map.decide_path(target, self.workspace)
                if hit is not None and hit[0] not in found:
                    found[hit[0]] = (hit[1], pattern_map.source)
        return found

    # ------------------------------------------------------------------- Bash
    def _decide_bash(self, tool_input: dict[str, Any]) -> Decision:
        command = tool_input.get("command")
        if not isinstance(command, str) or not command.strip():
            return self._ask(None, None, "the Bash call has no command")
        analysis = analyze(command)
        # After a `cd` out of the workspace (or to a folder known only at run time), relative paths
        # can land anywhere; inside it, a relative path may be relative to any folder cd'd into.
        moved_out = any(_is_cd(c) and not self._cd_stays_inside(c) for c in analysis.commands)
        cwds = [
            self.workspace,
            *(self._cd_target(c) for c in analysis.commands if _is_cd(c) and self._cd_stays_inside(c)),
        ]
        context = _Context(self._bash_rules(), [m for m in self.rules.pattern_maps if tool_covered(m.tool, "Bash")],
                           list(dict.fromkeys(cwds)), moved_out)  # fmt: skip
        subs = [self._decide_simple(c, context) for c in analysis.commands]
        if not subs:
            return self._ask(None, None, "no command could be found in this input")
        worst = max(subs, key=lambda s: SEVERITY[s.action])
        if worst.action == "deny":
            return Decision("deny", worst.rule, worst.source, f"'{worst.command}': {worst.reason}", subs)
        doubtful = next((s for s in subs if s.maybe_denied and s.action != "allow"), None)
        if doubtful is not None and self.mode in (PermissionMode.BYPASS, PermissionMode.DONT_ASK):
            return Decision(
                "deny", None, "mode",
                f"'{doubtful.command}': {doubtful.reason}; in {self.mode.value} mode a command that a deny "
                "rule could match once expanded is refused", subs,
            )  # fmt: skip
        if self.mode == PermissionMode.BYPASS:
            return Decision("allow", None, "mode", "bypassPermissions allows everything not denied", subs)
        if (("Bash", _key(tool_input)) in self._remembered) and worst.action == "ask":
            return Decision("allow", None, "session", "this exact command was allowed for this session", subs)
        if self.mode == PermissionMode.PLAN:
            safe = worst.action == "allow" and all(
                is_read_only(c.words) and not c.writes for c in analysis.commands
            )
            if safe:
                return Decision(
                    "allow", worst.rule, worst.source, "plan mode: read-only command allowed by rule", subs
                )
            return Decision(
                "deny", None, "mode", "plan mode runs only read-only commands that a rule allows", subs
            )
        if worst.action == "ask":
            return self._ask(worst.rule, worst.source, f"'{worst.command}': {worst.reason}", subs)
        rules = list(dict.fromkeys(s.rule for s in subs if s.rule))
        sources = list(dict.fromkeys(s.source for s in subs if s.source))
        return Decision(
            "allow",
            ", ".join(rules) or None,
            ", ".join(sources) or None,
            "every command is allowed: " + "; ".join(f"'{s.command}' by {s.rule or s.source}" for s in subs),
            subs,
        )

    def _bash_rules(self) -> list[Rule]:
        return [r for r in [*self.rules.rules, *self._session_rules] if tool_covered(r.tool, "Bash")]

    def _decide_simple(self, command: SimpleCommand, context: _Context) -> SubDecision:
        text = command.text
        names = _forms(command)
        bash_rules, maps = context.bash_rules, context.maps
        for rule in bash_rules:
            if rule.action == "deny" and any(bash_spec_matches_equivalent(rule.spec, form) for form in names):
                return SubDecision(text, "deny", rule.text, rule.source, f"denied by rule {rule.text}")
        map_hits = [(found, m.source) for m in maps for form in names if (found := m.decide_words(form))]
        for (action, pattern), source in map_hits:
            if action == "deny":
                return SubDecision(text, "deny", pattern, source, f"denied by pattern {pattern}")
        files = self.file_rules.check(
            command.words, reads=command.reads, writes=command.writes, cwds=context.cwds,
            dynamic=command.dynamic, cwd_unknown=context.moved_out,
        )  # fmt: skip
        if files is not None and files.action == "deny":
            return SubDecision(text, "deny", files.rule, files.source, files.reason)
        any_deny = (
            self.file_rules.has_deny
            or any(r.action == "deny" for r in bash_rules)
            or any(action == "deny" for m in maps for _, action in m.patterns)
        )
        if command.opaque:
            return SubDecision(text, "ask", None, None, command.opaque + "; it needs a human decision",
                               maybe_denied=any_deny)  # fmt: skip
        if command.dynamic:
            could = [
                r.text
                for r in bash_rules
                if r.action == "deny"
                and any(bash_spec_could_match(r.spec, f, command.dynamic) for f in names)
            ] + [
                f'{m.tool.lower()}: "{pattern}"'
                for m in maps
                for pattern, action in m.patterns
                if action == "deny" and any(opencode_could_match(pattern, f, command.dynamic) for f in names)
            ]
            if could:
                return SubDecision(
                    text,
                    "ask",
                    None,
                    None,
                    f"once its variables, $'...' quoting, braces or globs are expanded it may be a "
                    f"command denied by {could[0]}; it needs a human decision",
                    maybe_denied=True,
                )
        if files is not None:
            return SubDecision(text, files.action, files.rule, files.source, files.reason,
                               maybe_denied=files.maybe_denied)  # fmt: skip
        for rule in bash_rules:
            if rule.action == "ask" and any(bash_spec_matches_equivalent(rule.spec, form) for form in names):
                return SubDecision(text, "ask", rule.text, rule.source, f"rule {rule.text} asks first")
        # OpenCode maps: a deny on any form counts (above); ask/allow come from the effective command,
        # so a catch-all "*": "ask" does not catch "timeout 5 git status" when "git *" allows.
        for pattern_map in maps:
            verdict = pattern_map.decide_words(command.words)
            if verdict is not None and verdict[0] == "ask":
                return SubDecision(
                    text, "ask", verdict[1], pattern_map.source, f"pattern {verdict[1]} asks first"
                )
        targets = [*command.writes, *file_operands(command.words).writes]
        outside = [t for t in targets if not self._harmless_write(t, relative_unknown=context.moved_out)]
        if outside:
            return SubDecision(
                text,
                "ask",
                None,
                None,
                f"it writes to {', '.join(outside)} (outside the workspace or protected)",
            )
        if _is_cd(command) and not command.wrappers and self._cd_stays_inside(command):
            return SubDecision(text, "allow", None, "builtin", "'cd' stays inside the workspace")
        if command.words[0] in HARMLESS_BUILTINS and not command.wrappers:
            return SubDecision(
                text, "allow", None, "builtin", f"'{command.words[0]}' is a harmless shell builtin"
            )
        risk = risky_option(command.words)
        required = [command.words, command.original] if command.privileged else [command.words]
        chosen: list[tuple[str, str]] = []
        for form in required:
            hit = next(
                (
                    (r.text, r.source)
                    for r in context.allow_candidates(form)
                    if (risk is None or _names_exactly(r.spec)) and bash_spec_matches(r.spec, form)
                ),
                None,
            )
            for pattern_map in maps if hit is None and risk is None else []:
                result = pattern_map.decide_words(form)
                if result is not None and result[0] == "allow":
                    hit = (result[1], pattern_map.source)
            if (
                hit is None
                and not command.privileged
                and risk is None
                and self._read_only_here(command, context)
            ):
                return SubDecision(text, "allow", None, "read-only",
                                   f"'{command.words[0]}' only reads inside the workspace")  # fmt: skip
            if hit is None:
                shown = " ".join(form)
                why = (
                    f"{risk}; only a rule naming this exact command allows it"
                    if risk
                    else f"no rule allows '{shown}'"
                )
                return SubDecision(text, "ask", None, None, why)
            chosen.append(hit)
        return SubDecision(
            text,
            "allow",
            ", ".join(h[0] for h in chosen),
            ", ".join(dict.fromkeys(h[1] for h in chosen)),
            f"allowed by {', '.join(h[0] for h in chosen)}",
        )

    def _read_only_here(self, command: SimpleCommand, context: _Context) -> bool:
        """Claude Code's read-only commands (ls, cat, git status, ...) need no rule for workspace files."""
        if command.wrappers or command.writes or not is_default_read_only(command.words):
            return False
        ops = file_operands(command.words)
        for word in [*ops.reads, *ops.unknown, *command.reads]:
            if "$" in word or "`" in word or (context.moved_out and not word.startswith("/")):
                return False
            path = Path(word).expanduser()
            candidates = [path] if path.is_absolute() else [cwd / path for cwd in context.cwds]
            if not all(self._inside(Path(os.path.normpath(p)).resolve(strict=False)) for p in candidates):
                return False
        return True

    def _cd_target(self, command: SimpleCommand) -> Path:
        args = [w for w in command.words[1:] if w not in ("-L", "-P", "--")]
        path = Path(args[0]).expanduser()
        return (path if path.is_absolute() else self.workspace / path).resolve(strict=False)

    # ---------------------------------------------------------------- helpers
    def _ask(
        self, rule: str | None, source: str | None, reason: str, subs: list[SubDecision] | None = None
    ) -> Decision:
        if self.mode == PermissionMode.DONT_ASK:
            return Decision(
                "deny", rule, source or "mode", f"{reason} (dontAsk mode turns ask into deny)", subs or []
            )
        return Decision("ask", rule, source, reason, subs or [])

    def _inside(self, path: Path) -> bool:
        return any(path == root or path.is_relative_to(root) for root in self.roots)

    def _harmless_write(self, target: str, *, relative_unknown: bool = False) -> bool:
        if target in _HARMLESS_TARGETS or target.isdigit() or target.startswith("/dev/fd/"):
            return True
        if any(ch in target for ch in "$`{*?["):
            return False  # expanded at run time (`.clau{de}/x`, `.clau?e/x`): the real target is unknown
        path = Path(target).expanduser()
        if not path.is_absolute() and relative_unknown:
            return False
        resolved = (path if path.is_absolute() else self.workspace / path).resolve(strict=False)
        return self._inside(resolved) and not self._protected(resolved)

    def _protected(self, path: Path) -> bool:
        """Agent definitions, permission settings and tool state: a tool must not rewrite its own rules."""
        if any(path == extra or path.is_relative_to(extra) for extra in self.extra_protected):
            return True
        for root in self.roots:
            if path == root or not path.is_relative_to(root):
                continue
            first = path.relative_to(root).parts[0]
            if first in PROTECTED_DIRS or first in PROTECTED_FILES:
                return True
        return False

    def _cd_stays_inside(self, command: SimpleCommand) -> bool:
        args = [w for w in command.words[1:] if w not in ("-L", "-P", "--")]
        if len(args) != 1 or "$" in args[0] or "`" in args[0] or args[0] == "-":
            return False  # `cd` alone goes home; `cd -` and expansions cannot be known
        path = Path(args[0]).expanduser()
        return self._inside((path if path.is_absolute() else self.workspace / path).resolve(strict=False))


@dataclass
class _Context:
    """What every simple command of one command line is decided against."""

    bash_rules: list[Rule]
    maps: list[PatternMap]
    cwds: list[Path]
    moved_out: bool
    _by_word: dict[str, list[Rule]] = field(default_factory=dict)
    _any_word: list[Rule] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Allow rules indexed by their first word, so each command meets only the rules that may match.
        for rule in self.bash_rules:
            if rule.action != "allow":
                continue
            first = _first_word(rule.spec)
            if first is None:
                self._any_word.append(rule)
            else:
                self._by_word.setdefault(first, []).append(rule)

    def allow_candidates(self, words: list[str]) -> list[Rule]:
        specific = self._by_word.get(words[0], []) if words else []
        if not self._any_word:
            return specific
        order = {id(r): i for i, r in enumerate(self.bash_rules)}
        return sorted([*specific, *self._any_word], key=lambda r: order[id(r)])


def _first_word(spec: str | None) -> str | None:
    """The literal first word every command a spec matches starts with; None when it may be any."""
    if spec is None:
        return None
    body = spec[:-2] if spec.endswith(":*") else spec
    words = split_words(body)
    if not words or "*" in words[0]:
        return None
    return words[0]


def _names_exactly(spec: str | None) -> bool:
    """``Bash`` (everything) or a rule naming one exact command line may vouch for risky options."""
    return spec is None or "*" not in spec


def _is_cd(command: SimpleCommand) -> bool:
    return bool(command.words) and command.words[0] in ("cd", "pushd")


_GIT_OPTS_WITH_ARG = {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path", "--config-env"}


def _forms(command: SimpleCommand) -> list[list[str]]:
    """Word sequences a deny/ask rule is checked against: effective, as written, without a path, and
    for git without global options (so ``git -C dir push`` still meets ``Bash(git push:*)``)."""
    forms = [command.words, command.original]
    for words in (command.words, command.original):
        if words and "/" in words[0]:
            forms.append([words[0].rsplit("/", 1)[-1], *words[1:]])
    for words in list(forms):
        if words and words[0] == "git":
            index = 1
            while index < len(words) and words[index].startswith("-"):
                index += 2 if words[index] in _GIT_OPTS_WITH_ARG else 1
            if index > 1:
                forms.append(["git", *words[index:]])
    return forms


def _entry_grants(entry: str, tool: str) -> bool:
    name = canonical_tool(entry.strip())
    if name == tool or ("*" in name and fnmatchcase(tool, name)):
        return True
    return name.startswith("mcp__") and name.count("__") == 1 and tool.startswith(name + "__")


def _session_rule(tool: str, spec: str | None) -> Rule:
    text = tool if spec is None else f"{tool}({spec})"
    return Rule(tool=tool, spec=spec, action="allow", source="session", text=text)


def _key(tool_input: dict[str, Any]) -> str:
    return json.dumps(tool_input, sort_keys=True, default=str)


__all__ = ["NO_PROMPT_TOOLS", "READ_ONLY_TOOLS", "PermissionEngine"]
