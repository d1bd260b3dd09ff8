"""Builds the permission engine for a run from the permissions part.

The permission engine itself lives in ``runtime/permissions``; this module assembles it with the
settings files and the CLI's ``--allow``/``--deny`` rules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from backend_agent.agents import AgentDefinition
from backend_agent.errors import UsageError
from backend_agent.runtime import permissions as perms

MODES = tuple(mode.value for mode in perms.PermissionMode)
# How permissive each mode is, for "a subagent is never more permissive than its parent".
MODE_RANK = {"plan": 0, "dontAsk": 1, "default": 2, "acceptEdits": 3, "bypassPermissions": 4}


class EngineLike(Protocol):
    def decide(self, tool_name: str, tool_input: dict[str, Any]) -> Any: ...

    def remember_allow(self, tool_name: str, tool_input: dict[str, Any]) -> None: ...


def build_engine(
    *,
    mode: str | None,
    definition: AgentDefinition,
    workspace: Path,
    allow: list[str],
    deny: list[str],
    home: Path | None = None,
    ask: list[str] | None = None,
    extra_dirs: list[Path] | None = None,
) -> perms.PermissionEngine:
    """The engine for this run. ``mode`` None means: the settings files' default mode, else ``default``."""
    rules = perms.load_permission_settings(workspace, home=home)
    rules.additional_directories.extend(extra_dirs or [])
    if allow or deny or ask:
        try:
            rules = rules.merged(perms.RuleSet.from_lists(allow=allow, ask=ask, deny=deny, source="cli"))
        except ValueError as exc:
            raise UsageError(
                f"bad --allow/--deny rule: {exc}",
                hint="rules look like Bash(git log:*), Edit(src/**) or Read",
            ) from exc
    return perms.PermissionEngine(mode=mode, rules=rules, definition=definition, workspace=workspace, home=home)


def engine_mode(engine: EngineLike) -> str:
    return str(getattr(engine, "mode", "default"))


__all__ = ["MODES", "MODE_RANK", "EngineLike", "build_engine", "engine_mode"]
