"""Run events as Claude Code's headless messages, so scripts written for ``claude -p`` work unchanged.

``--output-format stream-json`` prints one message per line with Claude Code's types: a ``system``
``init`` message, ``assistant`` messages carrying an Anthropic-style ``message`` (text and
``tool_use`` blocks), ``user`` messages carrying ``tool_result`` blocks, and a final ``result`` with
``subtype``, ``num_turns``, ``total_cost_usd`` and ``usage``. Subagent messages name the Agent call
they belong to in ``parent_tool_use_id``. Our own fields stay beside Claude Code's (``agent``,
``status``, ``exit_code``, ...), and our own events (permission decisions, warnings, workflow
milestones) are ``system`` messages with a subtype of their own, which Claude Code's consumers
already skip. See docs/output-format.md.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel

# RunResult.status → Claude Code's result subtype.
RESULT_SUBTYPES: dict[str, str] = {
    "success": "success",
    "max_turns": "error_max_turns",
    "budget_exceeded": "error_max_budget_usd",
    "error": "error_during_execution",
    "interrupted": "error_during_execution",
    "permission_denied": "error_during_execution",
}
# Events that are a part of another message in Claude Code's stream (tool_use blocks are in the
# assistant message) or are never streamed (text deltas).
_FOLDED = frozenset({"tool_call", "text_delta"})


def claude_messages(event: BaseModel) -> list[dict[str, Any]]:
    """The Claude Code stream-json messages for one run event (none for events Claude Code folds in)."""
    data = event.model_dump(mode="json")
    kind = data.get("type")
    if kind in _FOLDED:
        return []
    if kind == "system":
        return [_init(data)]
    if kind == "assistant":
        return [_assistant(data)]
    if kind == "tool_result":
        return [_tool_result(data)]
    if kind == "result":
        return [result_message(data)]
    return [_our_system_message(data)]


def result_message(data: dict[str, Any]) -> dict[str, Any]:
    """A RunResult (as JSON data) as Claude Code's result message, our fields kept beside."""
    usage = data.get("usage") or {}
    message = {
        "type": "result",
        "subtype": RESULT_SUBTYPES.get(str(data.get("status")), "error_during_execution"),
        "is_error": data.get("is_error", data.get("status") != "success"),
        "duration_ms": data.get("duration_ms", 0),
        "duration_api_ms": data.get("duration_api_ms", data.get("duration_ms", 0)),
        "num_turns": data.get("turns", 0),
        "result": data.get("result", ""),
        "session_id": data.get("session_id"),
        "total_cost_usd": data.get("cost_usd") or 0.0,
        "usage": {
            "input_tokens": usage.get("input_tokens", 0),
            "output_tokens": usage.get("output_tokens", 0),
            "cache_creation_input_tokens": usage.get("cache_creation_input_tokens", 0),
            "cache_read_input_tokens": usage.get("cache_read_input_tokens", 0),
        },
        "permission_denials": data.get("permission_denials", []),
        "uuid": _uuid(),
    }
    if data.get("error"):
        message["errors"] = [data["error"]]
    extras = {key: value for key, value in data.items() if key not in message and key != "type"}
    return {**message, **extras}


def _init(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "system",
        "subtype": data.get("subtype", "init"),
        "session_id": data["session_id"],
        "cwd": data.get("cwd"),
        "tools": data.get("tools", []),
        "mcp_servers": data.get("mcp_servers", []),
        "model": data.get("model"),
        "permissionMode": data.get("permission_mode"),
        "slash_commands": data.get("slash_commands", []),
        "apiKeySource": data.get("api_key_source", "none"),
        "output_style": "default",
        "uuid": _uuid(),
        **{key: value for key, value in data.items() if key not in ("type", "subtype", "session_id", "cwd", "tools", "model")},
    }


def _assistant(data: dict[str, Any]) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if data.get("text"):
        content.append({"type": "text", "text": data["text"]})
    for call in data.get("tool_calls", []):
        content.append({"type": "tool_use", "id": call.get("id"), "name": call.get("name"), "input": call.get("input", {})})
    usage = data.get("usage") or {}
    return {
        "type": "assistant",
        "message": {
            "id": f"msg_{data['session_id'][:8]}_{data.get('turn', 0)}",
            "type": "message",
            "role": "assistant",
            "model": data.get("model") or "",
            "content": content,
            "stop_reason": "tool_use" if data.get("tool_calls") else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": usage.get("input_tokens", 0), "output_tokens": usage.get("output_tokens", 0)},
        },
        "parent_tool_use_id": data.get("parent_tool_use_id"),
        "session_id": data["session_id"],
        "uuid": _uuid(),
        "turn": data.get("turn"),
        "agent": data.get("agent"),
    }


def _tool_result(data: dict[str, Any]) -> dict[str, Any]:
    block = {
        "type": "tool_result",
        "tool_use_id": data["tool_use_id"],
        "content": data.get("output", ""),
        "is_error": not data.get("ok", True),
    }
    return {
        "type": "user",
        "message": {"role": "user", "content": [block]},
        "parent_tool_use_id": data.get("parent_tool_use_id"),
        "session_id": data["session_id"],
        "uuid": _uuid(),
        "tool_name": data.get("name"),
        "duration_ms": data.get("duration_ms", 0),
        "error_code": data.get("error_code"),
        "agent": data.get("agent"),
    }


def _our_system_message(data: dict[str, Any]) -> dict[str, Any]:
    subtype = str(data.pop("type", "event"))
    return {"type": "system", "subtype": subtype, **data, "uuid": _uuid()}


def _uuid() -> str:
    return str(uuid.uuid4())


__all__ = ["RESULT_SUBTYPES", "claude_messages", "result_message"]
