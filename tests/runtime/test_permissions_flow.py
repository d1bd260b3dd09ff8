"""Permission decisions in runs: headless ask becomes deny, interactive answers, logging."""

from __future__ import annotations

from pathlib import Path

from backend_agent.runtime import SessionStore
from tests.runtime.conftest import write_script


def touch_script(workspace: Path) -> None:
    write_script(workspace, [
        {"tool_calls": [{"tool": "Bash", "input": {"command": "touch made.txt"}}]},
        {"expect": {"tool": "Bash", "ok": False, "contains": "denied"}, "text": "I could not run the command."},
    ])  # fmt: skip


def test_headless_ask_becomes_deny_and_exits_4(workspace: Path, run_agent) -> None:
    touch_script(workspace)
    result, events = run_agent(workspace)  # default mode: Bash asks
    assert result.status == "permission_denied" and result.exit_code == 4
    assert not (workspace / "made.txt").exists()
    assert result.permission_denials[0]["tool_name"] == "Bash"
    (decision,) = events.of("permission")
    assert decision.decision == "deny" and decision.asked is True
    with SessionStore.for_workspace(workspace) as store:
        (row,) = store.permissions(result.session_id)
        assert row["decision"] == "deny" and row["asked"] == 1 and "headless" in row["reason"]


def test_interactive_answers_allow_once(workspace: Path, run_agent) -> None:
    write_script(workspace, [
        {"tool_calls": [{"tool": "Bash", "input": {"command": "touch made.txt"}}]},
        {"expect": {"tool": "Bash", "ok": True}, "text": "made"},
    ])  # fmt: skip
    asked: list[str] = []

    async def asker(tool, tool_input, decision):
        asked.append(tool)
        return "once"

    result, _ = run_agent(workspace, asker=asker)
    assert result.status == "success" and asked == ["Bash"]
    assert (workspace / "made.txt").exists()


def test_deny_rule_from_cli(workspace: Path, run_agent) -> None:
    touch_script(workspace)
    result, events = run_agent(workspace, permission_mode="bypassPermissions", deny=["Bash(touch:*)"])
    assert result.exit_code == 4
    assert events.of("permission")[0].rule is not None


def test_plan_mode_refuses_edits(workspace: Path, run_agent) -> None:
    write_script(workspace, [
        {"tool_calls": [{"tool": "Write", "input": {"file_path": "n.txt", "content": "x"}}]},
        {"expect": {"tool": "Write", "ok": False}, "text": "planned only"},
    ])  # fmt: skip
    result, _ = run_agent(workspace, permission_mode="plan")
    assert not (workspace / "n.txt").exists()
    assert result.exit_code == 4
