"""A scripted session on a real workspace: Read, Edit, pytest through Bash, finish."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from backend_agent.runtime import SessionStore
from tests.runtime.conftest import write_script

BUGGY = "def add(a, b):\n    return a - b\n"
TEST = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"


def make_project(workspace: Path) -> None:
    (workspace / "calc.py").write_text(BUGGY)
    (workspace / "test_calc.py").write_text(TEST)


def fix_turns() -> list[dict[str, object]]:
    return [
        {"text": "Reading the code.", "tool_calls": [{"tool": "Read", "input": {"file_path": "calc.py"}}]},
        {
            "expect": {"tool": "Read", "ok": True, "contains": "return a - b"},
            "tool_calls": [
                {
                    "tool": "Edit",
                    "input": {"file_path": "calc.py", "old_string": "a - b", "new_string": "a + b"},
                }
            ],
        },
        {
            "expect": {"tool": "Edit", "ok": True},
            "tool_calls": [
                {
                    "tool": "Bash",
                    "input": {"command": f"{sys.executable} -m pytest -q -p no:cacheprovider test_calc.py"},
                }
            ],
        },
        {
            "expect": {"tool": "Bash", "ok": True, "contains": "1 passed"},
            "text": "Fixed add(); the test passes.",
        },
    ]


def test_read_edit_pytest_session(workspace: Path, run_agent) -> None:
    make_project(workspace)
    write_script(workspace, fix_turns())
    result, events = run_agent(workspace, "fix the add function", permission_mode="acceptEdits",
                               allow=[f"Bash({sys.executable} -m pytest:*)"])  # fmt: skip
    assert result.status == "success", result.error
    assert result.exit_code == 0
    assert (workspace / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert result.result == "Fixed add(); the test passes."
    assert result.turns == 4 and result.tool_calls == 3
    assert result.usage.input_tokens > 0 and result.usage.output_tokens > 0 and result.usage.requests == 4
    # the transcript is stored: messages, tool calls and permission decisions
    with SessionStore.for_workspace(workspace) as store:
        info = store.get(result.session_id)
        assert info.status == "success"
        messages = store.load_messages(result.session_id)
        assert len(messages) == 8
        calls = store.tool_calls(result.session_id)
        assert [c["name"] for c in calls] == ["Read", "Edit", "Bash"]
        assert all(c["ok"] for c in calls)
        decisions = store.permissions(result.session_id)
        assert [d["decision"] for d in decisions] == ["allow", "allow", "allow"]
        assert decisions[2]["rule"] and "pytest" in decisions[2]["rule"]
    kinds = [e.type for e in events.events]
    assert kinds[0] == "system" and kinds[-1] == "result"
    assert [e.name for e in events.of("tool_result")] == ["Read", "Edit", "Bash"]


def test_write_edit_bash_run_sequentially(workspace: Path, run_agent) -> None:
    # Three changing calls in one response: each must finish before the next starts.
    write_script(workspace, [
        {"tool_calls": [
            {"tool": "Bash", "input": {"command": "sleep 0.3; echo one >> order.txt"}},
            {"tool": "Bash", "input": {"command": "echo two >> order.txt"}},
            {"tool": "Write", "input": {"file_path": "w.txt", "content": "x"}},
        ]},
        {"expect": [{"tool": "Bash", "ok": True}, {"tool": "Write", "ok": True}], "text": "done"},
    ])  # fmt: skip
    result, events = run_agent(workspace, permission_mode="bypassPermissions")
    assert result.status == "success", result.error
    assert (workspace / "order.txt").read_text().split() == ["one", "two"]
    names = [(e.type, e.name) for e in events.events if e.type in ("tool_call", "tool_result")]
    assert names == [("tool_call", "Bash"), ("tool_result", "Bash"), ("tool_call", "Bash"), ("tool_result", "Bash"),
                     ("tool_call", "Write"), ("tool_result", "Write")]  # fmt: skip


def test_failed_expectation_fails_the_run_clearly(workspace: Path, run_agent) -> None:
    (workspace / "a.txt").write_text("hello\n")
    write_script(workspace, [
        {"tool_calls": [{"tool": "Read", "input": {"file_path": "a.txt"}}]},
        {"expect": {"tool": "Read", "contains": "goodbye"}, "text": "never"},
    ])  # fmt: skip
    result, _ = run_agent(workspace)
    assert result.status == "error" and result.exit_code == 1
    assert "turn 2" in (result.error or "") and "goodbye" in (result.error or "")


def test_turn_limit_stops_with_exit_3(workspace: Path, run_agent) -> None:
    (workspace / "a.txt").write_text("x\n")
    write_script(workspace, [
        {"tool_calls": [{"tool": "Read", "input": {"file_path": "a.txt"}}]},
        {"tool_calls": [{"tool": "Read", "input": {"file_path": "a.txt"}}]},
        {"text": "done"},
    ])  # fmt: skip
    result, _ = run_agent(workspace, max_turns=2)
    assert result.status == "max_turns" and result.exit_code == 3
    assert result.turns == 2


def test_long_runs_are_not_cut_at_pydantic_ais_default_request_limit(workspace: Path, run_agent) -> None:
    (workspace / "a.txt").write_text("x\n")
    read = {"tool_calls": [{"tool": "Glob", "input": {"pattern": "*.txt"}}]}
    write_script(workspace, [read] * 60 + [{"text": "done"}])
    result, _ = run_agent(workspace, max_turns=100)
    assert result.status == "success", result.error
    assert result.turns == 61


def test_auto_routing_picks_an_agent(workspace: Path, run_agent) -> None:
    write_script(workspace, [{"text": "routed"}])
    result, events = run_agent(
        workspace, "write an alembic migration for the orders table schema", agent="auto"
    )
    assert result.status == "success", result.error
    assert any(w.startswith("routed to agent") for w in result.warnings)
    assert events.of("system")[0].agent == result.agent


def test_cost_budget_stops_before_the_next_request(workspace: Path, run_agent) -> None:
    (workspace / "a.txt").write_text("x\n")
    turn = {
        "tool_calls": [{"tool": "Glob", "input": {"pattern": "*.txt"}}],
        "usage": {"input_tokens": 100_000, "output_tokens": 1000},
    }
    script = write_script(workspace, [turn] * 5 + [{"text": "done"}])
    script.write_text(script.read_text() + "price_as: claude-sonnet-4-5\n")
    result, _ = run_agent(workspace, max_cost=0.5)
    assert result.status == "budget_exceeded" and result.exit_code == 3
    # issue 11: each turn costs $0.315; a second one would end at $0.63, so the run stops after one
    # (checked against the next request's worst case) and never overshoots the budget
    assert result.turns == 1 and result.cost_usd is not None and result.cost_usd <= 0.5
    assert "could cost up to" in (result.error or "")
    assert not any("cannot be fully enforced" in w for w in result.warnings)


def test_cost_budget_with_room_for_the_worst_case_runs_on(workspace: Path, run_agent) -> None:
    turn = {
        "tool_calls": [{"tool": "Glob", "input": {"pattern": "*"}}],
        "usage": {"input_tokens": 1000, "output_tokens": 100},
    }
    script = write_script(workspace, [turn, turn, {"text": "done"}])
    script.write_text(script.read_text() + "price_as: claude-sonnet-4-5\n")
    result, _ = run_agent(workspace, max_cost=0.5)
    assert result.status == "success", result.error
    assert result.turns == 3 and result.cost_usd is not None and result.cost_usd < 0.5


def test_cost_budget_on_an_unpriced_model_is_warned(workspace: Path, run_agent) -> None:
    write_script(workspace, [{"tool_calls": [{"tool": "Glob", "input": {"pattern": "*"}}]}, {"text": "done"}])
    result, events = run_agent(workspace, max_cost=0.5)
    assert result.status == "success" and result.cost_usd is None
    (warning,) = [w for w in result.warnings if "--max-cost" in w]
    assert "no price is known" in warning and "--max-turns" in warning
    assert [e.message for e in events.of("warning")].count(warning) == 1  # once per run, not per request


def test_a_missing_agent_file_is_named(workspace: Path, run_agent) -> None:
    from backend_agent.errors import DefinitionError

    agents = workspace / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "helper.md").write_text("---\nname: helper\ndescription: d\n---\nBody\n")
    write_script(workspace, [{"text": "hi"}])
    with pytest.raises(DefinitionError) as info:
        run_agent(workspace, agent="./missing.md")
    assert "--agent ./missing.md: no such definition file" in str(info.value)
    with pytest.raises(DefinitionError) as info:
        run_agent(workspace, agent="helper.md")
    assert info.value.hint == "did you mean --agent helper?"
