"""`--verify-with`: the run is not done while a gate that defines done fails, unless the budget ran out."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runtime.conftest import write_script
from tests.workflow.conftest import SAFE, UNSAFE

FIX = [{"tool": "Read", "input": {"file_path": "app/main.py"}}]
EDIT = {"tool": "Edit", "input": {"file_path": "app/main.py", "old_string": UNSAFE, "new_string": SAFE}}


def test_a_failing_gate_sends_the_agent_back_until_it_passes(tiny: Path, run_agent) -> None:
    write_script(tiny, [
        {"text": "All done."},                                   # claims done while the injection is there
        {"tool_calls": FIX},                                     # sent back with the failing gate
        {"expect": {"tool": "Read", "ok": True}, "tool_calls": [EDIT]},
        {"expect": {"tool": "Edit", "ok": True}, "text": "Fixed the SQL injection in app/main.py."},
    ])  # fmt: skip
    result, events = run_agent(tiny, verify_with=["static-security"], permission_mode="acceptEdits")
    assert result.status == "success", result.error
    assert SAFE in (tiny / "app" / "main.py").read_text()
    rounds = events.of("verification")
    assert [(r.round, r.passed) for r in rounds] == [(1, False), (2, True)]
    assert rounds[0].gates == [{"gate": "static-security", "status": "fail", "summary": rounds[0].gates[0]["summary"]}]
    assert result.verification is not None and result.verification["passed"] is True
    assert result.verification["rounds"] == 2
    assert result.result.endswith("Verified by backend-agent: static-security pass (round 2).")
    # the agent was told which gate failed, where, and how to fix it
    prompts = [m for m in events.of("assistant")]
    assert len(prompts) == 4
    assert any(m["phase"] == "verify" for m in result.milestones)


def test_budget_running_out_is_said_plainly(tiny: Path, run_agent) -> None:
    write_script(tiny, [{"text": "All done."}, {"tool_calls": FIX}, {"text": "never reached"}])
    result, _events = run_agent(tiny, verify_with=["static-security"], permission_mode="acceptEdits", max_turns=2)
    assert result.status == "max_turns"
    assert result.exit_code == 3
    assert "NOT DONE: the budget ran out while the gates static-security still failed." in result.result
    assert "static-security" in (result.error or "")
    assert result.verification is not None and result.verification["passed"] is False
    assert UNSAFE in (tiny / "app" / "main.py").read_text()


@pytest.mark.slow  # four rounds of the static-security gate
def test_an_agent_that_never_fixes_the_gate_is_not_done(tiny: Path, run_agent) -> None:
    write_script(tiny, [{"text": "done"}] * 4)
    result, events = run_agent(tiny, verify_with=["static-security"], permission_mode="acceptEdits")
    assert result.status == "error"
    assert result.error == "not done: static-security still fail after 3 rounds of fixes"
    assert result.result.endswith("NOT DONE: the gates static-security still fail.")
    assert [r.passed for r in events.of("verification")] == [False, False, False, False]


def test_passing_gates_end_the_run_at_once(tiny: Path, run_agent) -> None:
    main = tiny / "app" / "main.py"
    main.write_text(main.read_text().replace(UNSAFE, SAFE))
    write_script(tiny, [{"text": "Nothing to change."}])
    result, events = run_agent(tiny, verify_with=["static-security"], permission_mode="acceptEdits")
    assert result.status == "success", result.error
    assert [r.passed for r in events.of("verification")] == [True]
    assert result.turns == 1


def test_unknown_gate_in_verify_with_is_a_usage_error(tiny: Path, cli) -> None:
    proc = cli("run", "-p", "x", "--model", "script:script.yaml", "--verify-with", "tests,speed", cwd=tiny)
    assert proc.returncode == 2
    assert "speed" in proc.stderr and "valid gates" in proc.stderr and "Traceback" not in proc.stderr
