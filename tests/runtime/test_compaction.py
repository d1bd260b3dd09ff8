"""Compaction never separates a tool call from its result, and scripted runs continue across it."""

from __future__ import annotations

from pathlib import Path

from pydantic_ai.messages import ModelRequest, ModelResponse, ToolReturnPart

from backend_agent.runtime.compaction import compact
from backend_agent.runtime.script import turn_index
from tests.runtime.conftest import write_script
from tests.runtime.test_sessions import conversation


def paired(messages: list) -> bool:
    calls: set[str] = set()
    for message in messages:
        if isinstance(message, ModelResponse):
            calls |= {c.tool_call_id for c in message.tool_calls}
        else:
            for part in message.parts:
                if isinstance(part, ToolReturnPart) and part.tool_call_id not in calls:
                    return False
    returned = {
        p.tool_call_id
        for m in messages
        if isinstance(m, ModelRequest)
        for p in m.parts
        if isinstance(p, ToolReturnPart)
    }
    pending = {c.tool_call_id for m in messages[:-1] if isinstance(m, ModelResponse) for c in m.tool_calls}
    return pending <= returned


def test_compact_keeps_calls_with_results() -> None:
    messages = conversation(20)
    compacted = compact(messages, keep_recent=4)
    assert compacted is not None and len(compacted) < len(messages)
    assert isinstance(compacted[0], ModelRequest) and isinstance(compacted[1], ModelResponse)
    assert paired(compacted)
    assert turn_index(compacted) == turn_index(messages)
    assert "called Read" in compacted[0].parts[-1].content
    assert compact(conversation(2), keep_recent=4) is None


def test_long_scripted_run_is_compacted_and_continues(workspace: Path, run_agent) -> None:
    (workspace / "a.txt").write_text("x\n" * 50)
    read = {"tool_calls": [{"tool": "Read", "input": {"file_path": "a.txt"}}]}
    write_script(workspace, [read] * 12 + [{"expect": {"tool": "Read", "ok": True}, "text": "finished"}])
    result, _ = run_agent(workspace, compact_at_tokens=400)
    assert result.status == "success", result.error
    assert result.result == "finished" and result.turns == 13
    assert any("compacted" in w for w in result.warnings)
