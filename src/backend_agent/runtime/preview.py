"""The system prompt a run would send for a definition, without starting a run (for ``agents show``)."""

from __future__ import annotations

from pathlib import Path

from backend_agent.agents import AgentDefinition
from backend_agent.backend_tools import backend_tools
from backend_agent.runtime import assembly
from backend_agent.runtime._engine import build_engine, engine_mode
from backend_agent.runtime.memory import load_memory
from backend_agent.runtime.prompt import build_system_prompt
from backend_agent.settings import Settings
from backend_agent.tools import default_tools


def preview_system_prompt(definition: AgentDefinition, *, cwd: Path, home: Path | None = None) -> str:
    """Assemble the prompt exactly as ``run`` does: tool plan, permission mode and preloaded skills.

    MCP tools and the delegation roster depend on what is configured and reachable at run time, so
    the tool list shows the built-in tools, ``Agent``/``Task`` when the definition may delegate and
    ``Skill`` when skills are offered.
    """
    settings = Settings.model_validate({})
    plan = assembly.plan_tools(definition, default_tools() + backend_tools(), may_delegate=settings.subagent_depth > 0)
    preloaded, offered = assembly.plan_skills(
        definition, workspace=cwd, home=home, state_dir_name=settings.state_dir_name, warn=lambda _msg: None
    )
    names = [tool.name for tool in plan.builtins]
    if plan.agent_tool_name:
        names += ["Agent", "Task"]
    if plan.skill_tool and offered:
        names.append("Skill")
    requested = assembly.resolve_mode(None, definition, parent_mode=None)
    engine = build_engine(mode=requested, definition=definition, workspace=cwd, allow=[], deny=[], home=home)
    mode = engine_mode(engine)
    return build_system_prompt(
        body=definition.system_prompt, workspace=cwd, tools=names, permission_mode=mode, skills=preloaded,
        memory=load_memory(cwd, home),
    )


__all__ = ["preview_system_prompt"]
