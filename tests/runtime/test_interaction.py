"""Plan, approve, execute (ExitPlanMode) and AskUserQuestion in real runs with scripted models."""

from __future__ import annotations

from pathlib import Path

from tests.runtime.conftest import write_script

PLAN = "1. Create notes.txt with the summary.\n2. Report."


def plan_then_write(workspace: Path, *, approved: bool) -> None:
    write_script(workspace, [
        {"tool_calls": [{"tool": "Write", "input": {"file_path": "notes.txt", "content": "early"}}]},
        {"expect": {"tool": "Write", "ok": False, "contains": "plan mode"},
         "tool_calls": [{"tool": "ExitPlanMode", "input": {"plan": PLAN}}]},
        {"expect": {"tool": "ExitPlanMode", "ok": approved},
         "tool_calls": [{"tool": "Write", "input": {"file_path": "notes.txt", "content": "summary"}}]},
        {"expect": {"tool": "Write", "ok": approved}, "text": "done"},
    ])  # fmt: skip


def test_approved_plan_leaves_plan_mode_and_executes(workspace: Path, run_agent) -> None:
    plan_then_write(workspace, approved=True)
    shown: list[tuple[str, dict]] = []

    async def asker(tool, tool_input, decision):
        shown.append((tool, tool_input))
        return "always" if tool == "ExitPlanMode" else "deny"

    result, events = run_agent(workspace, permission_mode="plan", asker=asker)
    assert result.status == "success", result.error
    assert shown == [("ExitPlanMode", {"plan": PLAN})]  # the plan was shown; the Write then needed no prompt
    assert (workspace / "notes.txt").read_text() == "summary"
    approval = next(e for e in events.of("tool_result") if e.name == "ExitPlanMode")
    assert "acceptEdits" in approval.output and "## Approved plan" in approval.output


def test_rejected_plan_stays_in_plan_mode(workspace: Path, run_agent) -> None:
    plan_then_write(workspace, approved=False)

    async def asker(tool, tool_input, decision):
        return "deny"

    _, events = run_agent(workspace, permission_mode="plan", asker=asker)
    assert not (workspace / "notes.txt").exists()
    rejection = next(e for e in events.of("tool_result") if e.name == "ExitPlanMode")
    assert "did not approve" in rejection.output


def test_headless_plan_mode_cannot_approve(workspace: Path, run_agent) -> None:
    plan_then_write(workspace, approved=False)
    _, events = run_agent(workspace, permission_mode="plan")
    assert not (workspace / "notes.txt").exists()
    assert "headless" in next(e for e in events.of("tool_result") if e.name == "ExitPlanMode").output


def test_exit_plan_mode_is_offered_only_in_plan_mode(workspace: Path, run_agent) -> None:
    write_script(workspace, [{"text": "hi"}])
    _, planning = run_agent(workspace, permission_mode="plan")
    _, normal = run_agent(workspace)
    assert "ExitPlanMode" in planning.of("system")[0].tools
    assert "ExitPlanMode" not in normal.of("system")[0].tools


def test_ask_user_question_reaches_the_user(workspace: Path, run_agent) -> None:
    question = {"question": "Which database?", "header": "DB",
                "options": [{"label": "SQLite"}, {"label": "PostgreSQL"}]}  # fmt: skip
    write_script(workspace, [
        {"tool_calls": [{"tool": "AskUserQuestion", "input": {"questions": [question]}}]},
        {"expect": {"tool": "AskUserQuestion", "ok": True, "contains": '"Which database?"="PostgreSQL"'},
         "text": "PostgreSQL it is"},
    ])  # fmt: skip
    seen: list[str] = []

    async def questioner(questions):
        seen.extend(q.question for q in questions)
        return {questions[0].question: "PostgreSQL"}

    result, _ = run_agent(workspace, questioner=questioner)
    assert result.status == "success", result.error
    assert seen == ["Which database?"]


def test_ask_user_question_is_not_offered_headless(workspace: Path, run_agent) -> None:
    write_script(workspace, [{"text": "hi"}])
    _, events = run_agent(workspace)
    assert "AskUserQuestion" not in events.of("system")[0].tools
