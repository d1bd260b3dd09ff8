"""Compaction: shrink a long conversation before the context limit, never splitting a tool call
from its result.

The first request (the task) is kept and the oldest exchanges are replaced by a digest inside it;
the kept tail starts at a model response, so every tool call it holds keeps its result and no
result is left without its call. The size estimate is the last response's reported usage.
"""

from __future__ import annotations

import json

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, UserPromptPart

KEEP_RECENT_RESPONSES = 6
DIGEST_LIMIT = 4000


def context_tokens(messages: list[ModelMessage]) -> int:
    """Tokens of the conversation as the provider last counted them (0 when unknown)."""
    for message in reversed(messages):
        if isinstance(message, ModelResponse):
            return message.usage.input_tokens + message.usage.output_tokens
    return 0


def _digest(dropped: list[ModelMessage]) -> str:
    lines = []
    for message in dropped:
        if not isinstance(message, ModelResponse):
            continue
        for part in message.parts:
            if isinstance(part, TextPart) and part.content.strip():
                lines.append("assistant: " + " ".join(part.content.split())[:200])
        for call in message.tool_calls:
            lines.append(f"called {call.tool_name} {json.dumps(call.args_as_dict(), default=str)[:160]}")
    text = "\n".join(lines)
    return (
        text
        if len(text) <= DIGEST_LIMIT
        else text[: DIGEST_LIMIT // 2] + "\n…\n" + text[-DIGEST_LIMIT // 2 :]
    )


def compact(
    messages: list[ModelMessage], *, keep_recent: int = KEEP_RECENT_RESPONSES
) -> list[ModelMessage] | None:
    """A compacted copy of ``messages``, or None when there is nothing worth dropping."""
    responses = [i for i, m in enumerate(messages) if isinstance(m, ModelResponse)]
    if len(responses) <= keep_recent or not isinstance(messages[0], ModelRequest):
        return None
    cut = responses[-keep_recent]  # the kept tail starts at a response: calls and results stay together
    dropped = messages[1:cut]
    count = sum(isinstance(m, ModelResponse) for m in dropped)
    if count == 0:
        return None
    summary = (
        f"[compacted: {count} earlier model responses] The earlier part of this conversation was compacted. "
        f"What happened so far:\n{_digest(dropped)}"
    )
    first = messages[0]
    head = ModelRequest(parts=[*first.parts, UserPromptPart(summary)], instructions=first.instructions)
    return [head, *messages[cut:]]


def compact_in_place(messages: list[ModelMessage], *, limit_tokens: int) -> bool:
    """Compact the live history of a run when it has grown past ``limit_tokens``; True if it did."""
    if context_tokens(messages) < limit_tokens:
        return False
    compacted = compact(messages)
    if compacted is None:
        return False
    messages[:] = compacted
    return True


__all__ = ["compact", "compact_in_place", "context_tokens"]
