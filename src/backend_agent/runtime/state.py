"""The per-run state every runtime toolset and tool reaches through pydantic-ai's ``ctx.deps``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from backend_agent.runtime._engine import EngineLike
from backend_agent.runtime.events import EventSink, RunWarning
from backend_agent.runtime.hooks import HookRunner
from backend_agent.runtime.sessions import SessionStore
from backend_agent.tools import ToolContext

Answer = Literal["once", "always", "deny"]
# Interactive runs ask the user: (tool name, tool input, engine decision) → answer.
Asker = Callable[[str, dict[str, Any], Any], Awaitable[Answer]]


@dataclass
class RunState:
    """What a run's tools share: identity, tool context, store, permissions, hooks and counters."""

    session_id: str
    agent_name: str
    tool_context: ToolContext
    store: SessionStore
    engine: EngineLike
    hooks: HookRunner
    emit: EventSink
    asker: Asker | None = None  # None: headless, "ask" becomes deny
    permission_mode: str = "default"
    depth: int = 0
    tool_calls: int = 0
    denials: list[dict[str, Any]] = field(default_factory=list)
    last_call_denied: bool = False
    warnings: list[str] = field(default_factory=list)
    subagent_usage: dict[str, int] = field(default_factory=dict)
    subagent_cost: float = 0.0
    extras: dict[str, Any] = field(default_factory=dict)  # the subagent launcher, skills catalogue, ...

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
            self.emit(RunWarning(session_id=self.session_id, message=message))

    def send(self, event: BaseModel) -> None:
        self.emit(event)


__all__ = ["Answer", "Asker", "RunState"]
