"""The lead agent's phases: milestone events in stream-json and the summary in json, from real tool calls."""

from __future__ import annotations

import json
from pathlib import Path

from tests.runtime.conftest import json_lines, write_script
from tests.workflow.conftest import SAFE, UNSAFE

BLUEPRINT = """service:
  name: items
  version: 0.1.0
  base_path: /api
entities:
  Item:
    fields:
      name: {type: strng, required: true, max_length: 80}
"""


def _script(workspace: Path) -> None:
    write_script(workspace, [
        {"tool_calls": [{"tool": "Glob", "input": {"pattern": "**/*.py"}}]},
        {"tool_calls": [{"tool": "Write", "input": {"file_path": "items.blueprint.yaml", "content": BLUEPRINT}}]},
        {"tool_calls": [{"tool": "Blueprint", "input": {"action": "validate", "file": "items.blueprint.yaml"}}]},
        {"expect": {"tool": "Blueprint", "ok": False, "contains": "did you mean 'string'"},
         "tool_calls": [{"tool": "Edit", "input": {"file_path": "items.blueprint.yaml", "old_string": "strng",
                                                   "new_string": "string"}}]},
        {"tool_calls": [{"tool": "Blueprint", "input": {"action": "validate", "file": "items.blueprint.yaml"}}]},
        {"expect": {"tool": "Blueprint", "ok": True, "contains": "valid"},
         "tool_calls": [{"tool": "Check", "input": {"gates": ["static-security"]}}]},
        {"expect": {"tool": "Check", "ok": True, "contains": '"file":"app/main.py","line":16'},
         "tool_calls": [{"tool": "Read", "input": {"file_path": "app/main.py"}}]},
        {"tool_calls": [{"tool": "Edit", "input": {"file_path": "app/main.py", "old_string": UNSAFE, "new_string": SAFE}}]},
        {"tool_calls": [{"tool": "Check", "input": {"gates": ["static-security"]}}]},
        {"expect": {"tool": "Check", "ok": True, "contains": "check passed"},
         "tool_calls": [{"tool": "Write", "input": {"file_path": "README.md", "content": "# items\n"}},
                        {"tool": "Write", "input": {"file_path": "deploy/Dockerfile", "content": "FROM python:3.12\n"}}]},
        {"text": "Built: items blueprint; fixed SQL injection; static-security passes."},
    ])  # fmt: skip


def test_stream_json_reports_each_milestone_in_order(tiny: Path, cli) -> None:
    _script(tiny)
    proc = cli("run", "-p", "build it", "--model", "script:script.yaml", "--output-format", "stream-json",
               "--permission-mode", "acceptEdits", "--allow", "Blueprint", "--allow", "Check", cwd=tiny)  # fmt: skip
    assert proc.returncode == 0, proc.stderr + proc.stdout[-3000:]
    lines = json_lines(proc.stdout)
    # our own events are Claude Code `system` messages with a subtype of their own
    milestones = [line for line in lines if line["type"] == "system" and line.get("subtype") == "milestone"]
    assert [m["phase"] for m in milestones] == ["understand", "design", "implement", "verify", "document", "deploy"]
    assert [m["step"] for m in milestones] == [1, 2, 3, 4, 5, 6]
    assert milestones[0]["evidence"] == {"reads": 1}
    assert "service items, 1 entities, 5 operations" in milestones[1]["summary"]
    assert milestones[2]["evidence"]["files"] == ["app/main.py"]
    assert milestones[3]["evidence"] == {"gates": ["static-security"]}
    assert milestones[4]["evidence"] == {"file": "README.md"}
    assert milestones[5]["evidence"] == {"file": "deploy/Dockerfile"}
    # each milestone follows the tool result that completed it
    design_at = lines.index(milestones[1])
    assert lines[design_at - 1]["type"] == "user" and lines[design_at - 1]["tool_name"] == "Blueprint"
    result = lines[-1]
    assert result["type"] == "result" and result["status"] == "success"
    assert [m["phase"] for m in result["milestones"]] == [m["phase"] for m in milestones]
    assert result["verification"] is None  # no --verify-with, and the last Check passed


def test_json_summary_lists_milestones(tiny: Path, cli) -> None:
    _script(tiny)
    proc = cli("run", "-p", "build it", "--model", "script:script.yaml", "--output-format", "json",
               "--permission-mode", "bypassPermissions", "--verify-with", "static-security", cwd=tiny)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert [m["phase"] for m in result["milestones"]] == ["understand", "design", "implement", "verify", "document", "deploy"]
    assert result["verification"]["gates"] == ["static-security"] and result["verification"]["passed"] is True
    assert result["result"].endswith("Verified by backend-agent: static-security pass (round 1).")


def test_other_agents_report_no_milestones(tiny: Path, run_agent) -> None:
    write_script(tiny, [
        {"tool_calls": [{"tool": "Write", "input": {"file_path": "README.md", "content": "# x\n"}}]},
        {"text": "ok"},
    ])  # fmt: skip
    result, events = run_agent(tiny, agent="api-designer", permission_mode="acceptEdits")
    assert result.status == "success", result.error
    assert events.of("milestone") == [] and result.milestones == []


def test_a_failing_last_check_keeps_the_lead_agent_from_being_done(tiny: Path, run_agent) -> None:
    write_script(tiny, [
        {"tool_calls": [{"tool": "Check", "input": {"gates": ["static-security"]}}]},
        {"expect": {"tool": "Check", "contains": "check FAILED"}, "text": "Done, all good."},
        {"text": "I could not fix the SQL injection in app/main.py."},
        {"text": "Still not fixed."}, {"text": "Giving up."}, {"text": "Still failing."},
    ])  # fmt: skip
    result, events = run_agent(tiny, permission_mode="bypassPermissions")
    assert result.status == "error"
    assert "static-security" in (result.error or "")
    assert "NOT DONE" in result.result
    assert events.of("verification")[0].gates[0]["gate"] == "static-security"
