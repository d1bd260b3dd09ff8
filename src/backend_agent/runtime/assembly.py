"""Assembling a run from a definition: which agent, which tools, skills and MCP servers.

Pure-ish helpers used by ``runner``: they read definition files and settings, never run anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic_ai.toolsets import AbstractToolset

from backend_agent.agents import AgentDefinition, Roster, discover, load_definition, route
from backend_agent.errors import DefinitionError, UsageError
from backend_agent.runtime._engine import MODE_RANK, MODES
from backend_agent.runtime.mcp import (
    MCPServerConfig,
    OptionalServer,
    approved_mcp_config,
    build_toolset,
    load_mcp_config,
    mcp_tool_allowed,
    select_servers,
)
from backend_agent.runtime.skills import Skill, SkillTool, discover_skills
from backend_agent.runtime.subagents import RESTRICTED, allowed_subagents
from backend_agent.tools import Tool

LEAD_AGENT = "backend"
RUNTIME_TOOL_NAMES = ("Agent", "Task", "Skill")


def choose_definition(
    agent: str | None, *, prompt: str, cwd: Path, home: Path | None, warn: Callable[[str], None]
) -> tuple[AgentDefinition, Roster]:
    """The definition named by ``--agent`` (a name, a file path, ``auto``) or the lead agent."""
    roster = discover(cwd=cwd, home=home)
    for failure in roster.failures:
        warn(f"agent definition not loaded: {failure}")
    if agent and agent not in roster.agents and (Path(agent).is_file() or (cwd / agent).is_file()):
        path = Path(agent) if Path(agent).is_file() else cwd / agent
        return load_definition(path), roster
    if agent and agent not in roster.agents and ("/" in agent or Path(agent).suffix in (".md", ".txt", ".yaml")):
        raise DefinitionError(
            f"--agent {agent}: no such definition file (looked in {cwd.resolve()})",
            hint=f"did you mean --agent {Path(agent).stem}?" if Path(agent).stem in roster.agents
            else "pass an existing file, or an agent name from 'backend-agent agents list'",
        )  # fmt: skip
    if agent == "auto":
        matches = [m for m in route(prompt, roster) if m.score > 0]
        if not matches:
            warn(f"no agent matched the task; using the lead agent '{LEAD_AGENT}'")
            return roster.get(LEAD_AGENT), roster
        best = matches[0]
        warn(f"routed to agent '{best.agent}' (score {best.score:.2f}: {'; '.join(best.reasons[:2])})")
        return roster.get(best.agent), roster
    return roster.get(agent or LEAD_AGENT), roster


def _base(entry: str) -> str:
    match = RESTRICTED.match(entry.strip())
    return match.group(1) if match else entry.strip().split("(")[0]


@dataclass
class ToolPlan:
    """The tools a definition gets: built-ins, whether it may delegate or load skills, and MCP filters."""

    builtins: list[Tool[Any]]
    agent_tool_name: str | None
    skill_tool: bool
    unknown: list[str] = field(default_factory=list)


def plan_tools(defn: AgentDefinition, available: Sequence[Tool[Any]], *, may_delegate: bool) -> ToolPlan:
    by_name = {tool.name.lower(): tool for tool in available}
    denied = {_base(entry).lower() for entry in defn.disallowed_tools}
    if defn.tools is None:
        wanted = [t.name.lower() for t in available] + ["agent", "skill"]
    else:
        bases = [_base(entry) for entry in defn.tools if not entry.startswith("mcp__")]
        wanted = [b.lower() for b in bases]
    builtins = [by_name[name] for name in dict.fromkeys(wanted) if name in by_name and name not in denied]
    unknown = [
        name for name in dict.fromkeys(_base(e) for e in defn.tools or [] if not e.startswith("mcp__"))
        if name.lower() not in by_name and name not in RUNTIME_TOOL_NAMES
    ]  # fmt: skip
    delegate = may_delegate and ("agent" in wanted or "task" in wanted) and not ({"agent", "task"} & denied)
    return ToolPlan(
        builtins=builtins,
        agent_tool_name="Agent" if delegate else None,
        skill_tool="skill" in wanted and "skill" not in denied,
        unknown=unknown,
    )


def subagent_roster(roster: Roster, defn: AgentDefinition) -> dict[str, AgentDefinition]:
    allowed = allowed_subagents(defn.tools)
    return {
        name: agent for name, agent in roster.agents.items()
        if name != defn.name and not agent.disabled and agent.mode != "primary"
        and (allowed is None or name in allowed)
    }  # fmt: skip


def resolve_mode(requested: str | None, defn: AgentDefinition, *, parent_mode: str | None) -> str | None:
    """The mode asked for (None: let the settings decide); a subagent's is clamped to its parent's."""
    mode = requested or defn.permissions.mode
    if mode is not None and mode not in MODES:
        raise UsageError(f"unknown permission mode {mode!r}", hint=f"use one of {', '.join(MODES)}")
    if parent_mode is not None and MODE_RANK.get(mode or "default", 2) > MODE_RANK.get(parent_mode, 2):
        return parent_mode  # a subagent is never more permissive than its parent
    return mode if mode is not None or parent_mode is None else parent_mode


def plan_skills(defn: AgentDefinition, *, workspace: Path, home: Path | None, state_dir_name: str,
                warn: Callable[[str], None]) -> tuple[list[Skill], dict[str, Skill]]:  # fmt: skip
    """(preloaded skills, skills offered through the Skill tool)."""
    catalogue = discover_skills(workspace, home=home, state_dir_name=state_dir_name, warn=warn)
    missing = [name for name in defn.skills if name not in catalogue]
    if missing:
        warn(f"agent '{defn.name}' names skills that are not installed: {', '.join(missing)} "
             f"(add them under .claude/skills/<name>/SKILL.md)")  # fmt: skip
    preloaded = [catalogue[name] for name in defn.skills if name in catalogue]
    offered = {name: skill for name, skill in catalogue.items() if name not in defn.skills}
    return preloaded, offered


MCP_MENTION = re.compile(r"\bmcp[-_]([a-z0-9][a-z0-9-]*[a-z0-9])\b", re.IGNORECASE)


def mentioned_mcp_modules(defn: AgentDefinition) -> list[str]:
    """MCP modules a body-only (SuperClaude-style) prompt relies on, e.g. ``mcp-supabase`` → supabase."""
    if defn.mcp_servers or defn.format != "body-only":
        return []
    return list(dict.fromkeys(m.group(1).lower() for m in MCP_MENTION.finditer(defn.system_prompt)))


def plan_mcp(
    defn: AgentDefinition, *, workspace: Path, warn: Callable[[str], None], home: Path | None = None,
    extra: dict[str, MCPServerConfig] | None = None, only_extra: bool = False,
) -> list[AbstractToolset[Any]]:
    """Toolsets for the approved MCP servers this definition may use, filtered by its tools lists.

    ``extra`` servers (``--mcp-config``) count as approved: the user named them for this run;
    ``only_extra`` (``--strict-mcp-config``) leaves out every other source.
    """
    configured: dict[str, MCPServerConfig] = (
        {} if only_extra else approved_mcp_config(workspace, home=home, warn=warn)
    )
    configured = {**configured, **(extra or {})}
    every = load_mcp_config(workspace)
    mentioned = [name for name in mentioned_mcp_modules(defn) if name not in every]
    if mentioned:
        warn(f"agent '{defn.name}' mentions MCP modules that are not configured: {', '.join(mentioned)} "
             "(add them to .mcp.json if it needs them)")  # fmt: skip
    inline = trusted_inline_servers(defn, workspace=workspace, home=home, warn=warn)
    if inline:
        from backend_agent.runtime.mcp import parse_mcp_config

        configured = {
            **configured,
            **parse_mcp_config({"mcpServers": inline}, source=defn.source_path or defn.name),
        }
    servers, missing = select_servers(configured, wanted=defn.mcp_servers or None)
    missing = [name for name in missing if name not in every]  # pending ones were warned about already
    if missing:
        warn(f"agent '{defn.name}' names MCP servers that are not configured: {', '.join(missing)} "
             "(add them to .mcp.json to use them)")  # fmt: skip
    allowlist = None if defn.tools is None else [t for t in defn.tools if t.startswith("mcp__")]
    if allowlist == [] and defn.tools is not None:
        return []
    toolsets: list[AbstractToolset[Any]] = []
    for server in servers:
        toolset = build_toolset(server, workspace=workspace).filtered(
            lambda _ctx, tool_def: mcp_tool_allowed(tool_def.name, allowlist, defn.disallowed_tools)
        )
        toolsets.append(OptionalServer(toolset, name=server.name))
    return toolsets


def trusted_inline_servers(
    defn: AgentDefinition, *, workspace: Path, home: Path | None, warn: Callable[[str], None]
) -> dict[str, Any]:
    """The ``mcpServers`` written inline in a definition that may start.

    A definition that lives in the project (``.claude/agents``, ``.opencode/agent``, any file in the
    workspace) is repository content, like ``.mcp.json``: its servers start only when the user's own
    settings enable them (``enableAllProjectMcpServers`` or ``enabledMcpjsonServers``).
    """
    inline = defn.mcp_servers if isinstance(defn.mcp_servers, dict) else {}
    if not inline or not _from_project(defn, workspace):
        return dict(inline)
    from backend_agent.runtime.mcp import user_enabled_servers

    enable_all, enabled, disabled = user_enabled_servers(home)
    allowed = {name: entry for name, entry in inline.items() if name not in disabled and (enable_all or name in enabled)}
    held = sorted(set(inline) - set(allowed))
    if held:
        warn(f"MCP servers written in the project's agent definition '{defn.name}' were not started: "
             f"{', '.join(held)} (a definition in the repository can run any program; review "
             f"{defn.source_path or defn.name}, then list them in enabledMcpjsonServers in ~/.claude/settings.json)")  # fmt: skip
    return allowed


def _from_project(defn: AgentDefinition, workspace: Path) -> bool:
    if defn.scope == "project":
        return True
    source = (defn.source_path or "").split("#", 1)[0]
    if not source or defn.scope in ("builtin", "user"):
        return False
    try:
        return Path(source).resolve().is_relative_to(workspace.resolve())
    except (OSError, ValueError):
        return False


def check_definition_usable(defn: AgentDefinition) -> None:
    if defn.disabled:
        raise DefinitionError(f"agent '{defn.name}' is disabled in its definition ({defn.source_path})",
                              hint="remove 'disable: true' or choose another agent with --agent")  # fmt: skip


def make_skill_tool(offered: dict[str, Skill]) -> SkillTool | None:
    return SkillTool(offered) if offered else None


__all__ = [
    "LEAD_AGENT",
    "ToolPlan",
    "check_definition_usable",
    "choose_definition",
    "make_skill_tool",
    "plan_mcp",
    "plan_skills",
    "plan_tools",
    "resolve_mode",
    "subagent_roster",
]
