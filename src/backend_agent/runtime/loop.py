"""The tool loop on pydantic-ai: check budgets, query the model, run the tools, record the step.

One step is one node of ``Agent.iter``. Budgets are checked before every model request, the
session is saved after every step in a ``finally`` (so SIGKILL loses at most the step in flight)
and typed events go to the run's sink.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic_ai import Agent
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    PartDeltaEvent,
    PartStartEvent,
    TextPart,
    TextPartDelta,
)
from pydantic_ai.usage import RunUsage, UsageLimits
from pydantic_graph import End

from backend_agent.runtime.compaction import compact_in_place, context_tokens
from backend_agent.runtime.events import AssistantMessage, TextDelta
from backend_agent.runtime.state import RunState


class BudgetExceeded(Exception):
    """A signal: the run reached its turn limit or cost budget before the next model request."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "max_turns" or "budget_exceeded"


@dataclass(frozen=True)
class Budget:
    max_turns: int | None = None
    max_cost: float | None = None

    def check(self, *, turns: int, cost: float, next_cost: float | None = None) -> None:
        """Stop before a request that could take the run past its limits.

        ``next_cost`` is the worst case of the next request (its whole input plus the most output
        it may produce, at the model's prices): the budget is never overshot, not even by one request.
        """
        if self.max_turns is not None and turns >= self.max_turns:
            raise BudgetExceeded("max_turns", f"reached the turn limit ({self.max_turns} model requests)")
        if self.max_cost is not None and cost >= self.max_cost:
            raise BudgetExceeded(
                "budget_exceeded", f"reached the cost budget (${cost:.4f} of ${self.max_cost:.4f})"
            )
        if self.max_cost is not None and next_cost is not None and cost + next_cost > self.max_cost:
            raise BudgetExceeded(
                "budget_exceeded",
                f"stopped before the next model request: it could cost up to ${next_cost:.4f}, and ${cost:.4f} "
                f"of the ${self.max_cost:.4f} budget is spent",
            )


DEFAULT_MAX_OUTPUT_TOKENS = 8192  # the worst case of a request whose max_tokens is not set


def next_request_worst_case(
    history: list[ModelMessage], last: ModelResponse | None, *, model: Any, max_output_tokens: int | None
) -> float | None:
    """The most the next request can cost: all of its input and its maximum output, at list prices.

    None when no price is known for the model (then only the spent cost is checked, with a warning).
    """
    from genai_prices import Usage, calc_price

    name = (last.model_name if last is not None else None) or getattr(model, "model_name", None)
    if not name:
        return None
    provider = (last.provider_name if last is not None else None) or getattr(model, "system", None)
    # The next input holds the whole previous input and output, plus what was added since.
    grown = (last.usage.input_tokens + last.usage.output_tokens) if last is not None else 0
    input_tokens = max(context_tokens(history), grown)
    output_tokens = max_output_tokens or DEFAULT_MAX_OUTPUT_TOKENS
    for provider_id in (provider, None):  # then by the model name alone
        try:
            per_input = float(
                calc_price(Usage(input_tokens=1_000_000), name, provider_id=provider_id).total_price
            )
            per_output = float(
                calc_price(Usage(output_tokens=1_000_000), name, provider_id=provider_id).total_price
            )
        except Exception:  # unknown model or provider: no price
            continue
        return (input_tokens * per_input + output_tokens * per_output) / 1_000_000
    return None


@dataclass
class LoopProgress:
    """What the loop did so far; kept up to date even when a step raises."""

    turns: int = 0
    cost: float = 0.0
    cost_known: bool = True
    usage: RunUsage = field(default_factory=RunUsage)
    messages: list[ModelMessage] = field(default_factory=list)
    output: str = ""
    last_text: str = ""
    last_response: ModelResponse | None = None


def response_cost(response: ModelResponse) -> float | None:
    try:
        return float(response.cost().total_price)
    except Exception:  # unknown model or price: cost is best effort
        return None


def _snapshot(history: list[ModelMessage], node: Any) -> list[ModelMessage]:
    """The history plus a request that is built but not sent yet (e.g. tool results)."""
    pending = getattr(node, "request", None)
    if isinstance(pending, ModelRequest) and pending.parts and not any(m is pending for m in history[-2:]):
        return [*history, pending]
    return list(history)


async def _stream_request(node: Any, run: Any, state: RunState) -> None:
    """Run a model request node streaming, forwarding text deltas as events."""
    async with node.stream(run.ctx) as stream:
        async for event in stream:
            if isinstance(event, PartStartEvent) and isinstance(event.part, TextPart) and event.part.content:
                state.send(TextDelta(session_id=state.session_id, text=event.part.content))
            elif isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta):
                state.send(TextDelta(session_id=state.session_id, text=event.delta.content_delta))


def _report_response(response: ModelResponse, state: RunState, turn: int) -> str:
    text = "".join(p.content for p in response.parts if isinstance(p, TextPart))
    calls = [
        {"id": c.tool_call_id, "name": c.tool_name, "input": c.args_as_dict()} for c in response.tool_calls
    ]
    redact = state.store.redactor
    usage = {"input_tokens": response.usage.input_tokens, "output_tokens": response.usage.output_tokens}
    state.send(AssistantMessage(session_id=state.session_id, turn=turn, text=redact.text(text), tool_calls=redact.data(calls),
                                agent=state.agent_name if state.depth else None, usage=usage,
                                model=response.model_name))  # fmt: skip
    return text


async def run_segment(
    agent: Agent[RunState, str],
    *,
    prompt: str | None,
    history: list[ModelMessage],
    state: RunState,
    budget: Budget,
    progress: LoopProgress,
    save: Callable[[list[ModelMessage]], None],
    stream: bool = False,
    compact_at_tokens: int | None = None,
) -> None:
    """Drive one ``Agent.iter`` run to its end, updating ``progress`` and saving after every step."""
    # Our Budget replaces pydantic-ai's default request limit (50), which would cut long runs short.
    limits = UsageLimits(request_limit=None)
    async with agent.iter(
        prompt, message_history=history or None, deps=state, usage=progress.usage, usage_limits=limits
    ) as run:
        node: Any = run.next_node
        while not isinstance(node, End):
            if Agent.is_model_request_node(node):
                next_cost = None
                if budget.max_cost is not None:
                    settings = agent.model_settings if isinstance(agent.model_settings, dict) else {}
                    next_cost = next_request_worst_case(
                        run.ctx.state.message_history, progress.last_response, model=agent.model,
                        max_output_tokens=settings.get("max_tokens"),
                    )  # fmt: skip
                budget.check(turns=progress.turns, cost=progress.cost, next_cost=next_cost)
                if compact_at_tokens and context_tokens(run.ctx.state.message_history) >= compact_at_tokens:
                    pre = await state.hooks.run("PreCompact", subject="auto",
                                                payload={"trigger": "auto", "custom_instructions": ""})  # fmt: skip
                    for warning in pre.warnings:
                        state.warn(warning)
                if compact_at_tokens and compact_in_place(
                    run.ctx.state.message_history, limit_tokens=compact_at_tokens
                ):
                    state.warn("the conversation was compacted to stay under the context limit")
            try:
                if stream and Agent.is_model_request_node(node):
                    await _stream_request(node, run, state)
                node = await run.next(node)
                if Agent.is_call_tools_node(node):
                    progress.turns += 1
                    progress.last_response = node.model_response
                    cost = response_cost(node.model_response)
                    if cost is None and budget.max_cost is not None and progress.cost_known:
                        model_name = node.model_response.model_name or "this model"
                        state.warn(f"--max-cost ${budget.max_cost:g} cannot be fully enforced: no price is known "
                                   f"for {model_name}, so its requests count as $0 (use --max-turns as well)")  # fmt: skip
                    progress.cost_known = progress.cost_known and cost is not None
                    progress.cost += cost or 0.0
                    text = _report_response(node.model_response, state, progress.turns)
                    progress.last_text = text or progress.last_text
            finally:
                progress.messages = _snapshot(run.ctx.state.message_history, node)
                progress.usage = run.usage
                save(progress.messages)
        assert run.result is not None
        progress.output = str(run.result.output)


__all__ = ["Budget", "BudgetExceeded", "LoopProgress", "response_cost", "run_segment"]
