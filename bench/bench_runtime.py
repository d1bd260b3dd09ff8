"""Runtime benchmarks: overhead per scripted turn in a 200-message session, resume of 1,000 messages.

Run: .venv/bin/python bench/bench_runtime.py
Each figure is compared with a baseline measured in the same run (the machine is shared and noisy):
- per-turn overhead vs a bare pydantic-ai FunctionModel turn (no tools, no persistence) on the same history;
- resume vs json-loading the same stored messages.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.messages import (
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import FunctionModel

from backend_agent.runtime import RunOptions, SessionStore, run
from backend_agent.tools import Tool, ToolContext, ToolResult

HISTORY_TURNS = 100  # 100 tool turns = 200 messages before the measured turns
MEASURED_TURNS = 40
RESUME_MESSAGES = 1000


class NoopInput(BaseModel):
    n: int = 0


class Noop(Tool[NoopInput]):
    name: ClassVar[str] = "Noop"
    description: ClassVar[str] = "Does nothing."
    Input: ClassVar[type[BaseModel]] = NoopInput
    read_only: ClassVar[bool] = True

    def run(self, input: NoopInput, ctx: ToolContext) -> ToolResult:
        return ToolResult(output=f"noop {input.n} " + "x" * 200)


def conversation(turns: int) -> list[Any]:
    messages: list[Any] = [ModelRequest(parts=[UserPromptPart("task")])]
    for i in range(turns):
        messages.append(ModelResponse(parts=[ToolCallPart("Noop", {"n": i}, tool_call_id=f"c{i}")]))
        messages.append(
            ModelRequest(parts=[ToolReturnPart("Noop", f"noop {i} " + "x" * 200, tool_call_id=f"c{i}")])
        )
    return messages


def bench_turns(root: Path) -> tuple[float, float]:
    """(median ms per runtime turn at 200+ messages, median ms per bare pydantic-ai turn)."""
    ws = root / "turns"
    ws.mkdir()
    total = HISTORY_TURNS + MEASURED_TURNS
    turns = [{"tool_calls": [{"tool": "Noop", "input": {"n": i}}]} for i in range(total)] + [{"text": "done"}]
    (ws / "script.yaml").write_text(yaml.safe_dump({"turns": turns}))
    stamps: list[float] = []

    def emit(event: BaseModel) -> None:
        if getattr(event, "type", "") == "assistant":
            stamps.append(time.perf_counter())

    options = RunOptions(prompt="go", cwd=ws, home=root, model="script:script.yaml", tools=[Noop()],
                         permission_mode="bypassPermissions", max_turns=total + 5)  # fmt: skip
    result = asyncio.run(run(options, emit=emit))
    assert result.status == "success", result.error
    deltas = [
        (b - a) * 1000 for a, b in zip(stamps[HISTORY_TURNS:], stamps[HISTORY_TURNS + 1 :], strict=False)
    ]

    history = conversation(HISTORY_TURNS)

    def respond(messages: list[Any], info: Any) -> ModelResponse:
        return ModelResponse(parts=[TextPart("ok")])

    agent = Agent(FunctionModel(respond))

    async def bare() -> list[float]:
        times = []
        for _ in range(MEASURED_TURNS):
            start = time.perf_counter()
            await agent.run("next", message_history=history)
            times.append((time.perf_counter() - start) * 1000)
        return times

    baseline = asyncio.run(bare())
    return statistics.median(deltas), statistics.median(baseline)


def bench_resume(root: Path) -> tuple[float, float, float]:
    """(ms to resume 1,000 messages from the store, ms for a full resumed run, ms to json-load them)."""
    ws = root / "resume"
    ws.mkdir()
    messages = conversation(RESUME_MESSAGES // 2)[: RESUME_MESSAGES - 1]
    messages.append(ModelResponse(parts=[ToolCallPart("Noop", {"n": -1}, tool_call_id="last")]))
    with SessionStore.for_workspace(ws) as store:
        sid = store.create(workspace=ws.resolve(), agent="backend", model="x", title="t")
        store.save_step(sid, messages)
        rows = [r[0] for r in store._db.execute("SELECT data FROM messages WHERE session_id = ?", (sid,))]
    raw = "[" + ",".join(rows) + "]"
    loads = []
    for _ in range(5):
        start = time.perf_counter()
        json.loads(raw)
        loads.append((time.perf_counter() - start) * 1000)
    resumes = []
    for _ in range(5):
        start = time.perf_counter()
        with SessionStore.for_workspace(ws) as store:
            info = store.get(sid[:8])
            loaded = store.load_messages(info.id)
        resumes.append((time.perf_counter() - start) * 1000)
        assert len(loaded) == RESUME_MESSAGES
    # A whole resumed run: load, rebuild the agent, run the pending call and one final turn.
    turns = [{"tool_calls": [{"tool": "Noop", "input": {"n": 0}}]}] * (RESUME_MESSAGES // 2) + [
        {"text": "resumed"}
    ]
    (ws / "script.yaml").write_text(yaml.safe_dump({"turns": turns}))
    start = time.perf_counter()
    options = RunOptions(cwd=ws, home=root, resume=sid, model="script:script.yaml", tools=[Noop()],
                         permission_mode="bypassPermissions", compact_at_tokens=None)  # fmt: skip
    result = asyncio.run(run(options))
    full = (time.perf_counter() - start) * 1000
    assert result.status == "success" and result.result == "resumed", result.error
    return statistics.median(resumes), full, statistics.median(loads)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        turn_ms, bare_ms = bench_turns(root)
        resume_ms, full_ms, json_ms = bench_resume(root)
    overhead = turn_ms - bare_ms
    print(f"scripted turn (model + tool call, saved) : {turn_ms:8.2f} ms  (200+ message session)")
    print(f"bare pydantic-ai FunctionModel turn      : {bare_ms:8.2f} ms  (baseline, same history)")
    print(f"  runtime overhead per turn              : {overhead:8.2f} ms  (target < 20 ms)")
    print(f"  ratio runtime / bare                   : {turn_ms / bare_ms:8.2f}x")
    print(f"resume 1,000 messages (store -> history) : {resume_ms:8.2f} ms  (target < 1000 ms)")
    print(f"full resumed run incl. agent setup       : {full_ms:8.2f} ms")
    print(f"json.loads of the same messages          : {json_ms:8.2f} ms  (baseline)")
    print(f"  ratio resume / json.loads              : {resume_ms / json_ms:8.2f}x")
    ok = overhead < 20 and resume_ms < 1000
    print("targets met" if ok else "TARGETS MISSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
