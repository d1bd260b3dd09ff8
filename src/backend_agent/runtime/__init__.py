"""The agent runtime: the tool loop on pydantic-ai, models, sessions, hooks, MCP, skills, subagents.

``run(RunOptions(...))`` drives one session and returns a ``RunResult``; events describe progress.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backend_agent.runtime.events import (
        EXIT_CODES,
        RUN_EVENT_ADAPTER,
        AssistantMessage,
        EventSink,
        PermissionDecided,
        RunEvent,
        RunResult,
        RunStarted,
        RunStatus,
        RunWarning,
        TextDelta,
        ToolCallFinished,
        ToolCallStarted,
        UsageReport,
    )
    from backend_agent.runtime.hooks import HOOK_EVENTS, HookRunner, load_hooks
    from backend_agent.runtime.loop import Budget, BudgetExceeded
    from backend_agent.runtime.mcp import MCPServerConfig, ServerStatus, load_mcp_config, probe_servers
    from backend_agent.runtime.models import ResolvedModel, resolve_model
    from backend_agent.runtime.permissions import (
        Decision,
        PermissionEngine,
        PermissionMode,
        RuleSet,
        load_permission_settings,
    )
    from backend_agent.runtime.preview import preview_system_prompt
    from backend_agent.runtime.redact import Redactor
    from backend_agent.runtime.runner import RunOptions, run
    from backend_agent.runtime.script import ScriptFailure, load_script, script_model
    from backend_agent.runtime.sessions import SessionInfo, SessionStore
    from backend_agent.runtime.skills import Skill, discover_skills
    from backend_agent.runtime.state import Answer, Asker

# Importing the runtime pulls in pydantic-ai and the model providers (about a second): names are
# imported from their modules on first use, so commands that run no model start fast.
_EXPORTS: dict[str, str] = {
    "Answer": "backend_agent.runtime.state",
    "Asker": "backend_agent.runtime.state",
    "AssistantMessage": "backend_agent.runtime.events",
    "Budget": "backend_agent.runtime.loop",
    "BudgetExceeded": "backend_agent.runtime.loop",
    "Decision": "backend_agent.runtime.permissions",
    "EXIT_CODES": "backend_agent.runtime.events",
    "EventSink": "backend_agent.runtime.events",
    "HOOK_EVENTS": "backend_agent.runtime.hooks",
    "HookRunner": "backend_agent.runtime.hooks",
    "MCPServerConfig": "backend_agent.runtime.mcp",
    "PermissionDecided": "backend_agent.runtime.events",
    "PermissionEngine": "backend_agent.runtime.permissions",
    "PermissionMode": "backend_agent.runtime.permissions",
    "RUN_EVENT_ADAPTER": "backend_agent.runtime.events",
    "Redactor": "backend_agent.runtime.redact",
    "ResolvedModel": "backend_agent.runtime.models",
    "RuleSet": "backend_agent.runtime.permissions",
    "RunEvent": "backend_agent.runtime.events",
    "RunOptions": "backend_agent.runtime.runner",
    "RunResult": "backend_agent.runtime.events",
    "RunStarted": "backend_agent.runtime.events",
    "RunStatus": "backend_agent.runtime.events",
    "RunWarning": "backend_agent.runtime.events",
    "ScriptFailure": "backend_agent.runtime.script",
    "ServerStatus": "backend_agent.runtime.mcp",
    "SessionInfo": "backend_agent.runtime.sessions",
    "SessionStore": "backend_agent.runtime.sessions",
    "Skill": "backend_agent.runtime.skills",
    "TextDelta": "backend_agent.runtime.events",
    "ToolCallFinished": "backend_agent.runtime.events",
    "ToolCallStarted": "backend_agent.runtime.events",
    "UsageReport": "backend_agent.runtime.events",
    "discover_skills": "backend_agent.runtime.skills",
    "load_hooks": "backend_agent.runtime.hooks",
    "load_mcp_config": "backend_agent.runtime.mcp",
    "load_permission_settings": "backend_agent.runtime.permissions",
    "load_script": "backend_agent.runtime.script",
    "preview_system_prompt": "backend_agent.runtime.preview",
    "probe_servers": "backend_agent.runtime.mcp",
    "resolve_model": "backend_agent.runtime.models",
    "run": "backend_agent.runtime.runner",
    "script_model": "backend_agent.runtime.script",
}


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'backend_agent.runtime' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)


__all__ = [
    "EXIT_CODES",
    "HOOK_EVENTS",
    "RUN_EVENT_ADAPTER",
    "Answer",
    "Asker",
    "AssistantMessage",
    "Budget",
    "BudgetExceeded",
    "Decision",
    "EventSink",
    "HookRunner",
    "MCPServerConfig",
    "PermissionDecided",
    "PermissionEngine",
    "PermissionMode",
    "Redactor",
    "ResolvedModel",
    "RuleSet",
    "RunEvent",
    "RunOptions",
    "RunResult",
    "RunStarted",
    "RunStatus",
    "RunWarning",
    "ScriptFailure",
    "ServerStatus",
    "SessionInfo",
    "SessionStore",
    "Skill",
    "TextDelta",
    "ToolCallFinished",
    "ToolCallStarted",
    "UsageReport",
    "discover_skills",
    "load_hooks",
    "load_mcp_config",
    "load_permission_settings",
    "load_script",
    "preview_system_prompt",
    "probe_servers",
    "resolve_model",
    "run",
    "script_model",
]
