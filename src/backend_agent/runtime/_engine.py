"""Builds the permission engine for a run from the permissions part (with a mode-only fallback).

The permission engine itself lives in ``runtime/permissions`` (built by the tools part); this
module only assembles it with the CLI's ``--allow``/``--deny`` rules, and keeps the runtime usable
with plain mode semantics when that package is not importable.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from backend_agent.agents import AgentDefinition
from backend_agent.errors import UsageError

READ_ONLY_TOOLS = frozenset(
    {"Read", "Grep", "Glob", "BashOutput", "Skill", "Agent", "Task", "LS", "TodoWrite"}
)
EDIT_TOOLS = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})
MODES = ("default", "acceptEdits", "plan", "dontAsk", "bypassPermissions")
# How permissive each mode is, for "a subagent is never more permissive than its parent".
MODE_RANK = {"plan": 0, "dontAsk": 1, "default": 2, "acceptEdits": 3, "bypassPermissions": 4}


class DecisionLike(Protocol):
    action: str
    rule: str | None
    source: str | None
    reason: str | None


class EngineLike(Protocol):
    def decide(self, tool_name: str, tool_input: dict[str, Any]) -> Any: ...

    def remember_allow(self, tool_name: str, tool_input: dict[str, Any]) -> None: ...


@dataclass
class BasicDecision:
    action: str
    rule: str | None = None
    source: str | None = None
    reason: str | None = None


def _rule_matches(rule: str, tool_name: str, tool_input: dict[str, Any]) -> bool:
    name, _, rest = rule.partition("(")
    if not fnmatch.fnmatchcase(tool_name, name.strip()):
        return False
    if not rest:
        return True
    pattern = rest.rstrip(")").replace(":*", "*")
    subject = str(tool_input.get("command") or tool_input.get("file_path") or tool_input.get("path") or "")
    return fnmatch.fnmatchcase(subject, pattern)


class BasicEngine:
    """Mode semantics plus simple ``Tool`` / ``Tool(pattern)`` rules; used when the real engine is absent."""

    def __init__(self, *, mode: str, allow: list[str], deny: list[str], ask: list[str] | None = None) -> None:
        self.mode = mode
        self.allow, self.deny, self.ask = list(allow), list(deny), list(ask or [])

    def decide(self, tool_name: str, tool_input: dict[str, Any]) -> BasicDecision:
        for action, rules in (("deny", self.deny), ("ask", self.ask), ("allow", self.allow)):
            for rule in rules:
                if _rule_matches(rule, tool_name, tool_input):
                    return BasicDecision(action, rule, "rules", f"matched {action} rule {rule}")
        read_only = tool_name in READ_ONLY_TOOLS
        if self.mode == "bypassPermissions":
            return BasicDecision("allow", None, "mode", "bypassPermissions allows every tool")
        if self.mode == "plan":
            action = "allow" if read_only else "deny"
            return BasicDecision(action, None, "mode", "plan mode allows read-only tools only")
        if read_only:
            return BasicDecision("allow", None, "mode", "read-only tool")
        if self.mode == "acceptEdits" and tool_name in EDIT_TOOLS:
            return BasicDecision("allow", None, "mode", "acceptEdits allows file edits")
        if self.mode == "dontAsk":
            return BasicDecision("deny", None, "mode", "dontAsk denies what is not allowed by a rule")
        return BasicDecision("ask", None, "mode", f"{tool_name} needs approval in {self.mode} mode")

    def remember_allow(self, tool_name: str, tool_input: dict[str, Any]) -> None:
        self.allow.append(tool_name)


def build_engine(
    *,
    mode: str | None,
    definition: AgentDefinition,
    workspace: Path,
    allow: list[str],
    deny: list[str],
    home: Path | None = None,
) -> EngineLike:
    """The permissions part's engine for this run, or the basic engine when it is not available.

    ``mode`` None means: the settings files' default mode, else ``default``.
    """
    try:
        from backend_agent.runtime import permissions as perms

        engine_cls = perms.PermissionEngine
        rules = perms.load_permission_settings(workspace, home=home)
    except (ImportError, AttributeError):
        extra = definition.permissions
        return BasicEngine(
            mode=mode or "default",
            allow=[*extra.allow, *allow],
            deny=[*extra.deny, *deny],
            ask=list(extra.ask),
        )
    if allow or deny:
        try:
            rules = rules.merged(perms.RuleSet.from_lists(allow=allow, deny=deny, source="cli"))
        except ValueError as exc:
            raise UsageError(
                f"bad --allow/--deny rule: {exc}",
                hint="rules look like Bash(git log:*), Edit(src/**) or Read",
            ) from exc
    return engine_cls(mode=mode, rules=rules, definition=definition, workspace=workspace, home=home)


def engine_mode(engine: EngineLike) -> str:
    return str(getattr(engine, "mode", "default"))


__all__ = [
    "MODES",
    "MODE_RANK",
    "READ_ONLY_TOOLS",
    "BasicEngine",
    "EngineLike",
    "build_engine",
    "engine_mode",
]
