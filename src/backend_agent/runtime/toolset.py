"""Our tools as a pydantic-ai toolset, and the guard wrapper that applies permissions and hooks.

``ToolAdapter`` lists the granted tools (Write/Edit/Bash as sequential barriers) and runs them;
``GuardedToolset`` wraps every toolset of a run (ours and MCP's): it asks the permission engine,
runs PreToolUse/PostToolUse hooks, records the call in the session store and emits events.
A refused or failed call goes back to the model as a failed tool result, never as a crash.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic_ai import RunContext
from pydantic_ai.exceptions import ModelRetry, ToolFailed
from pydantic_ai.tools import ToolDefinition
from pydantic_ai.toolsets import AbstractToolset, WrapperToolset
from pydantic_ai.toolsets.abstract import ToolsetTool
from pydantic_core import SchemaValidator, core_schema

from backend_agent.runtime.events import PermissionDecided, ToolCallFinished, ToolCallStarted
from backend_agent.runtime.hooks import HookStopped
from backend_agent.runtime.state import RunState
from backend_agent.tools import Tool, ToolResult

# The id of the runtime tool call being run (an Agent/Task call), so a subagent's events can name it.
CURRENT_TOOL_USE_ID: ContextVar[str | None] = ContextVar("backend_agent_tool_use_id", default=None)
ANY_ARGS = SchemaValidator(schema=core_schema.dict_schema())
MAX_TOOL_RETRIES = 3
# Runtime tools that run nothing by themselves; ExitPlanMode asks the user itself, with the plan.
INTERNAL_TOOLS = frozenset({"Skill", "Agent", "Task", "AskUserQuestion", "ExitPlanMode"})


class RuntimeTool(Protocol):
    """A tool of the runtime itself (Agent/Task, Skill): async, with access to the run state."""

    name: str
    description: str
    read_only: bool

    def json_schema(self) -> dict[str, Any]: ...

    async def acall(self, raw_input: dict[str, Any], state: RunState) -> ToolResult: ...


def _definition(name: str, description: str, schema: dict[str, Any], *, read_only: bool) -> ToolDefinition:
    # Tools that change things run alone even when the model asks for several calls at once.
    return ToolDefinition(
        name=name, description=description, parameters_json_schema=schema, sequential=not read_only
    )


class ToolAdapter(AbstractToolset[RunState]):
    """The granted built-in tools plus the runtime's own tools."""

    def __init__(self, tools: Sequence[Tool[Any]], runtime_tools: Sequence[RuntimeTool] = ()) -> None:
        self.tools = {tool.name: tool for tool in tools}
        self.runtime_tools = {tool.name: tool for tool in runtime_tools}
        self._listed: dict[str, ToolsetTool[RunState]] | None = None

    @property
    def id(self) -> str:
        return "backend-agent-tools"

    @property
    def names(self) -> list[str]:
        return [*self.tools, *self.runtime_tools]

    async def get_tools(self, ctx: RunContext[RunState]) -> dict[str, ToolsetTool[RunState]]:
        if self._listed is None:  # schemas never change during a run: build them once
            listed: dict[str, ToolsetTool[RunState]] = {}
            specs: list[tuple[str, str, dict[str, Any], bool]] = [
                (t.name, t.description, t.json_schema(), t.read_only) for t in self.tools.values()
            ]
            specs += [
                (t.name, t.description, t.json_schema(), t.read_only) for t in self.runtime_tools.values()
            ]
            for name, description, schema, read_only in specs:
                tool_def = _definition(name, description, schema, read_only=read_only)
                listed[name] = ToolsetTool(
                    toolset=self, tool_def=tool_def, max_retries=MAX_TOOL_RETRIES, args_validator=ANY_ARGS
                )
            self._listed = listed
        return dict(self._listed)

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[RunState], tool: ToolsetTool[RunState]
    ) -> Any:
        state = ctx.deps
        if name in self.runtime_tools:
            token = CURRENT_TOOL_USE_ID.set(ctx.tool_call_id)
            try:
                result = await self.runtime_tools[name].acall(tool_args, state)
            finally:
                CURRENT_TOOL_USE_ID.reset(token)
        else:
            try:
                result = await asyncio.to_thread(self.tools[name].call, tool_args, state.tool_context)
            except asyncio.CancelledError:
                kill_tool_process_groups()  # the worker thread cannot be cancelled; its processes can
                raise
        if not result.ok:
            raise ToolFailed(result.output or (result.error.message if result.error else f"{name} failed"))
        return result.output


def kill_tool_process_groups() -> None:
    """Kill the process groups our tools started (children of this process that lead their own group).

    Used when a run is cancelled (Ctrl-C) while a tool waits on a subprocess in a worker thread.
    """
    me = os.getpid()
    proc = Path("/proc")
    if not proc.is_dir():
        return
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid, ppid, pgrp = int(entry.name), int(fields[1]), int(fields[2])
        if ppid == me and pgrp == pid:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _decision_fields(decision: Any) -> tuple[str, str | None, str | None, str | None]:
    action = str(getattr(decision, "action", "deny"))
    rule = getattr(decision, "rule", None)
    return (
        action,
        str(rule) if rule is not None else None,
        getattr(decision, "source", None),
        getattr(decision, "reason", None),
    )


class GuardedToolset(WrapperToolset[RunState]):
    """Permissions, hooks, recording and events around every tool call of a run."""

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[RunState], tool: ToolsetTool[RunState]
    ) -> Any:
        state = ctx.deps
        call_id = ctx.tool_call_id or f"call-{state.tool_calls + 1}"
        state.tool_calls += 1
        state.send(ToolCallStarted(session_id=state.session_id, tool_use_id=call_id, name=name, input=state.store.redactor.data(tool_args),
                                   agent=state.agent_name if state.depth else None))  # fmt: skip
        # PreToolUse hooks run first (as in Claude Code): they may deny, allow or ask, and rewrite the
        # input; the permission engine then decides on the input that will really run.
        pre = await state.hooks.run(
            "PreToolUse",
            subject=name,
            payload={"tool_name": name, "tool_input": tool_args, "tool_use_id": call_id},
        )
        for warning in pre.warnings:
            state.warn(warning)
        for message in pre.system_messages:
            state.warn(f"PreToolUse hook: {message}")
        if pre.stop:
            raise HookStopped(f"the PreToolUse hook stopped the run: {pre.stop_reason}")
        if pre.updated_input is not None:
            tool_args = {**tool_args, **pre.updated_input}
        if pre.blocked:
            refusal: str | None = f"The PreToolUse hook blocked this {name} call: {pre.feedback.strip()}"
        else:
            refusal = await self._permit(state, call_id, name, tool_args, hook=(pre.decision, pre.decision_reason))
        if refusal is not None:
            self._finish(
                state,
                call_id,
                name,
                tool_args,
                ok=False,
                output=refusal,
                started=time.monotonic(),
                code="refused",
            )
            raise ToolFailed(refusal)
        state.last_call_denied = False
        started = time.monotonic()
        try:
            output = await self.wrapped.call_tool(name, tool_args, ctx, tool)
        except ToolFailed as exc:
            self._finish(
                state, call_id, name, tool_args, ok=False, output=exc.message, started=started, code="failed"
            )
            raise
        except ModelRetry as exc:
            self._finish(
                state, call_id, name, tool_args, ok=False, output=str(exc), started=started, code="retry"
            )
            raise
        text = output if isinstance(output, str) else str(output)
        post = await state.hooks.run(
            "PostToolUse",
            subject=name,
            payload={
                "tool_name": name,
                "tool_input": tool_args,
                "tool_response": text,
                "tool_use_id": call_id,
            },
        )
        for warning in post.warnings:
            state.warn(warning)
        for message in post.system_messages:
            state.warn(f"PostToolUse hook: {message}")
        if post.blocked and isinstance(output, str):
            output = f"{output}\n\n[PostToolUse hook feedback] {post.feedback.strip()}"
            text = output
        if post.context.strip() and isinstance(output, str):
            output = f"{output}\n\n[PostToolUse hook context] {post.context.strip()}"
            text = output
        if post.stop:
            self._finish(state, call_id, name, tool_args, ok=True, output=text, started=started, code=None)
            raise HookStopped(f"the PostToolUse hook stopped the run: {post.stop_reason}")
        self._finish(state, call_id, name, tool_args, ok=True, output=text, started=started, code=None)
        return output

    async def _permit(
        self, state: RunState, call_id: str, name: str, tool_args: dict[str, Any],
        hook: tuple[str | None, str] = (None, ""),
    ) -> str | None:  # fmt: skip
        """None when the call may run, else the refusal message for the model."""
        try:
            decision = state.engine.decide(name, tool_args)
            action, rule, source, reason = _decision_fields(decision)
        except Exception as exc:  # a broken rule must refuse the call, not crash the run
            action, rule, source, reason, decision = (
                "deny",
                None,
                "engine",
                f"permission check failed: {exc}",
                None,
            )
        hook_decision, hook_reason = hook
        if hook_decision == "allow" and action == "ask":  # a hook may approve a prompt, never lift a deny
            action, source, reason = "allow", "hook", f"PreToolUse hook allowed it: {hook_reason or 'no reason given'}"
        elif hook_decision == "ask" and action == "allow":
            action, source, reason = "ask", "hook", f"PreToolUse hook asks first: {hook_reason or 'no reason given'}"
        # Reasons and rules quote commands: keys in them never reach the store or the event stream.
        reason = state.store.redactor.text(reason) if reason else reason
        rule = state.store.redactor.text(rule) if rule else rule
        if action == "ask" and name in INTERNAL_TOOLS:
            # Loading a skill or delegating runs nothing by itself; the subagent's calls are checked.
            action, reason = "allow", f"{name} is a runtime tool; {reason or 'no rule'}"
        asked = action == "ask"
        if asked:
            if state.asker is None:
                action, reason = (
                    "deny",
                    f"{reason or 'needs approval'}; headless runs deny calls that would ask",
                )
            else:
                note = await state.hooks.run("Notification", subject=name, payload={
                    "message": f"backend-agent needs your permission to use {name}", "tool_name": name})  # fmt: skip
                for warning in note.warnings:
                    state.warn(warning)
                answer = await state.asker(name, tool_args, decision)
                if answer == "always":
                    state.engine.remember_allow(name, tool_args)
                action = "deny" if answer == "deny" else "allow"
                source, reason = "user", f"user answered {answer}"
        final: Literal["allow", "deny"] = "allow" if action == "allow" else "deny"
        state.store.record_permission(state.session_id, tool_use_id=call_id, tool=name, tool_input=tool_args,
                                      decision=final, asked=asked, rule=rule, source=source, reason=reason)  # fmt: skip
        state.send(PermissionDecided(session_id=state.session_id, tool_use_id=call_id, tool=name, decision=final,
                                     asked=asked, rule=rule, source=source, reason=reason))  # fmt: skip
        if final == "allow":
            return None
        state.last_call_denied = True
        state.denials.append(
            {
                "tool_name": name,
                "tool_use_id": call_id,
                "tool_input": tool_args,
                "rule": rule,
                "reason": reason,
            }
        )
        by = f" by rule {rule}" if rule else ""
        return (
            f"Permission to use {name} was denied{by}: {reason or 'not allowed'}. "
            "Do not retry the same call; choose another approach or explain what you need."
        )

    def _finish(
        self, state: RunState, call_id: str, name: str, tool_args: dict[str, Any], *, ok: bool, output: str,
        started: float, code: str | None,
    ) -> None:  # fmt: skip
        duration = int((time.monotonic() - started) * 1000)
        state.store.record_tool_call(state.session_id, tool_use_id=call_id, name=name, tool_input=tool_args, ok=ok,
                                     output=output, error_code=code, duration_ms=duration)  # fmt: skip
        state.send(ToolCallFinished(session_id=state.session_id, tool_use_id=call_id, name=name, ok=ok,
                                    output=state.store.redactor.text(output), duration_ms=duration, error_code=code,
                                    agent=state.agent_name if state.depth else None))  # fmt: skip


__all__ = ["GuardedToolset", "RuntimeTool", "ToolAdapter"]
