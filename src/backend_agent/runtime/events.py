"""Typed run events: what the loop reports to the CLI renderers, stream-json and the report part.

Every event is a pydantic model with a literal ``type`` so ``event.model_dump(mode="json")`` is
exactly one line of ``--output-format stream-json`` (see docs/output-format.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

RunStatus = Literal["success", "error", "max_turns", "budget_exceeded", "permission_denied", "interrupted"]

EXIT_CODES: dict[str, int] = {
    "success": 0,
    "error": 1,
    "interrupted": 1,
    "max_turns": 3,
    "budget_exceeded": 3,
    "permission_denied": 4,
}


class RunStarted(BaseModel):
    """The run is set up: which agent, model, tools and permission mode it uses."""

    type: Literal["system"] = "system"
    subtype: Literal["init"] = "init"
    session_id: str
    agent: str
    model: str
    tools: list[str]
    cwd: str
    permission_mode: str
    resumed: bool = False


class AssistantMessage(BaseModel):
    """One model response: its text and the tool calls it asked for."""

    type: Literal["assistant"] = "assistant"
    session_id: str
    turn: int
    text: str = ""
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)  # {"id", "name", "input"}
    agent: str | None = None  # set for subagent messages
    parent_tool_use_id: str | None = None  # the Agent/Task call a subagent message belongs to
    usage: dict[str, int] = Field(default_factory=dict)  # this response's input_tokens, output_tokens
    model: str | None = None  # the model that answered, as the provider names it


class TextDelta(BaseModel):
    """A piece of streamed model text (interactive runs only; not part of stream-json)."""

    type: Literal["text_delta"] = "text_delta"
    session_id: str
    text: str


class ToolCallStarted(BaseModel):
    type: Literal["tool_call"] = "tool_call"
    session_id: str
    tool_use_id: str
    name: str
    input: dict[str, Any]
    agent: str | None = None
    parent_tool_use_id: str | None = None


class ToolCallFinished(BaseModel):
    type: Literal["tool_result"] = "tool_result"
    session_id: str
    tool_use_id: str
    name: str
    ok: bool
    output: str
    duration_ms: int = 0
    error_code: str | None = None
    agent: str | None = None
    parent_tool_use_id: str | None = None


class PermissionDecided(BaseModel):
    """The permission engine (or the user) decided on a tool call."""

    type: Literal["permission"] = "permission"
    session_id: str
    tool_use_id: str
    tool: str
    decision: Literal["allow", "deny"]
    asked: bool = False  # the engine said "ask" and the user (or headless policy) answered
    rule: str | None = None
    source: str | None = None
    reason: str | None = None
    parent_tool_use_id: str | None = None


class RunWarning(BaseModel):
    type: Literal["warning"] = "warning"
    session_id: str
    message: str
    parent_tool_use_id: str | None = None


Phase = Literal["understand", "design", "implement", "verify", "document", "deploy"]
PHASES: tuple[Phase, ...] = ("understand", "design", "implement", "verify", "document", "deploy")


class MilestoneReached(BaseModel):
    """The lead agent's workflow reached a phase milestone (see docs/workflow.md)."""

    type: Literal["milestone"] = "milestone"
    session_id: str
    phase: Phase
    step: int = Field(description="1-based position of the phase in PHASES.")
    summary: str
    evidence: dict[str, Any] = Field(default_factory=dict)


class GateVerification(BaseModel):
    """One round of the gates that define done (``--verify-with``) after the agent said it finished."""

    type: Literal["verification"] = "verification"
    session_id: str
    round: int
    passed: bool
    path: str
    gates: list[dict[str, Any]] = Field(default_factory=list)  # {"gate", "status", "summary"}


class UsageReport(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    tool_calls: int = 0


class RunResult(BaseModel):
    """The last event of every run and the object ``--output-format json`` prints."""

    type: Literal["result"] = "result"
    status: RunStatus
    is_error: bool
    exit_code: int
    result: str = Field("", description="The final text of the agent.")
    session_id: str
    agent: str
    model: str
    turns: int = Field(0, description="Model requests made in this run.")
    tool_calls: int = 0
    usage: UsageReport = Field(default_factory=UsageReport)
    cost_usd: float | None = Field(None, description="Best effort; None when the price is unknown.")
    duration_ms: int = 0
    permission_denials: list[dict[str, Any]] = Field(default_factory=list)
    error: str | None = None
    warnings: list[str] = Field(default_factory=list)
    milestones: list[dict[str, Any]] = Field(
        default_factory=list, description="Workflow milestones reached (lead agent): phase, step, summary."
    )
    verification: dict[str, Any] | None = Field(
        None, description="The gates that define done and their last results; None when none were run."
    )


RunEvent = Annotated[
    RunStarted
    | AssistantMessage
    | TextDelta
    | ToolCallStarted
    | ToolCallFinished
    | PermissionDecided
    | RunWarning
    | MilestoneReached
    | GateVerification
    | RunResult,
    Field(discriminator="type"),
]
RUN_EVENT_ADAPTER: TypeAdapter[RunEvent] = TypeAdapter(RunEvent)

EventSink = Callable[[BaseModel], None]


def ignore_events(_event: BaseModel) -> None:
    """The default sink: drop every event."""


__all__ = [
    "EXIT_CODES",
    "PHASES",
    "RUN_EVENT_ADAPTER",
    "AssistantMessage",
    "EventSink",
    "GateVerification",
    "MilestoneReached",
    "PermissionDecided",
    "Phase",
    "RunEvent",
    "RunResult",
    "RunStarted",
    "RunStatus",
    "RunWarning",
    "TextDelta",
    "ToolCallFinished",
    "ToolCallStarted",
    "UsageReport",
    "ignore_events",
]
