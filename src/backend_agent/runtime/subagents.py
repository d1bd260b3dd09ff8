"""The ``Agent`` tool (alias ``Task``): delegate a task to another loaded definition.

The subagent gets a fresh context and its own definition's tools, model and permissions, never more
permissive than the parent's mode; its final text comes back with its usage. Calls are not
sequential, so independent delegations in one response run concurrently.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, Field

from backend_agent.agents import AgentDefinition
from backend_agent.runtime.events import RunResult
from backend_agent.tools import ToolResult

# (definition, prompt, parent state) → the subagent's result
Launcher = Callable[[AgentDefinition, str, Any], Awaitable[RunResult]]
RESTRICTED = re.compile(r"^(Agent|Task)\((.*)\)$")


class AgentInput(BaseModel):
    subagent_type: str = Field(
        description="Name of the agent to delegate to, from the roster in this tool's description."
    )
    prompt: str = Field(description="The complete task for the subagent; it does not see this conversation.")
    description: str = Field("", description="A short (3-5 word) summary of the task.")


def allowed_subagents(tools: list[str] | None) -> set[str] | None:
    """Names allowed by ``Agent(a, b)``/``Task(a)`` entries; None when any agent may be called."""
    if tools is None:
        return None
    names: set[str] = set()
    unrestricted = False
    for entry in tools:
        match = RESTRICTED.match(entry.strip())
        if match:
            names.update(n.strip() for n in match.group(2).split(",") if n.strip())
        elif entry.strip() in ("Agent", "Task"):
            unrestricted = True
    return None if unrestricted else names


def roster_text(roster: dict[str, AgentDefinition]) -> str:
    lines = []
    for name, defn in sorted(roster.items()):
        tools = "all tools" if defn.tools is None else ", ".join(defn.tools) or "no tools"
        description = " ".join(defn.description.split())[:300]
        lines.append(f"- {name}: {description} (tools: {tools})")
    return "\n".join(lines)


class AgentTool:
    """Delegates to a subagent; ``name`` is ``Agent`` or ``Task`` depending on what the definition says."""

    read_only = True

    def __init__(
        self, roster: dict[str, AgentDefinition], launcher: Launcher, *, name: str = "Agent"
    ) -> None:
        self.name = name
        self.roster = roster
        self.launcher = launcher
        self.description = (
            "Same as the Agent tool (its older name)."
            if name == "Task"
            else "Delegate a self-contained task to a specialised agent. It starts with a fresh context, so give it "
            "everything it needs in the prompt; you get its final report back. Launch several in one response "
            f"to run independent tasks concurrently.\nAvailable agents:\n{roster_text(roster)}"
        )

    def json_schema(self) -> dict[str, Any]:
        return AgentInput.model_json_schema()

    async def acall(self, raw_input: dict[str, Any], state: Any) -> ToolResult:
        name = str(raw_input.get("subagent_type") or raw_input.get("agent") or "").strip()
        prompt = str(raw_input.get("prompt") or "").strip()
        if name not in self.roster:
            known = ", ".join(sorted(self.roster)) or "none"
            return ToolResult.failure("unknown_agent", f"Unknown agent {name!r}. Available agents: {known}.")
        if not prompt:
            return ToolResult.failure(
                "bad_input", "The 'prompt' for the subagent is empty; describe the task."
            )
        result = await self.launcher(self.roster[name], prompt, state)
        usage = result.usage
        footer = (
            f"[subagent {name}: status {result.status}, {result.turns} turns, {usage.tool_calls} tool calls, "
            f"{usage.input_tokens} input / {usage.output_tokens} output tokens"
            + (f", ${result.cost_usd:.4f}" if result.cost_usd is not None else "")
            + f", session {result.session_id}]"
        )
        body = result.result or (result.error or "(no output)")
        data = {"status": result.status, "session_id": result.session_id, "usage": usage.model_dump()}
        if result.status in ("error", "interrupted"):  # other stops still carry a report; the footer says why
            return ToolResult.failure("subagent_failed", f"{body}\n\n{footer}", **data)
        return ToolResult(output=f"{body}\n\n{footer}", data=data)


__all__ = ["AgentTool", "Launcher", "allowed_subagents", "roster_text"]
