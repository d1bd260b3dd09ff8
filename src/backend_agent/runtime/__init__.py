"""The agent runtime: the tool loop on pydantic-ai, models, sessions, hooks, MCP, skills, subagents.

``run(RunOptions(...))`` drives one session and returns a ``RunResult``; events describe progress.
"""

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
