"""On an existing hand-written FastAPI project: scripted fixes proven by the gates and by the doctor."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gates.doctor.slow_project import build as build_slow
from tests.gates.projects import build
from tests.runtime.conftest import write_script

pytestmark = pytest.mark.slow  # real services, sqlmap, a seeded database

UNSAFE_SQL = ("session.execute(text(f\"SELECT id FROM tags WHERE owner_id = {user.id} AND name = '{name}'\"))")
SAFE_SQL = ('session.execute(text("SELECT id FROM tags WHERE owner_id = :owner AND name = :name")'
            ".bindparams(owner=user.id, name=name))")  # fmt: skip
GATES = ["static-security", "security-probes"]


def test_planted_sql_injection_is_fixed_and_the_gates_then_pass(tmp_path: Path, run_agent) -> None:
    project = build(tmp_path, "sqli")
    assert UNSAFE_SQL in (project / "app/api/routes/tags.py").read_text()
    write_script(project, [
        {"tool_calls": [{"tool": "Check", "input": {"gates": GATES}}]},
        {"expect": [{"tool": "Check", "contains": "check FAILED"}, {"tool": "Check", "contains": "app/api/routes/tags.py"}],
         "tool_calls": [{"tool": "Read", "input": {"file_path": "app/api/routes/tags.py"}}]},
        {"tool_calls": [{"tool": "Edit", "input": {"file_path": "app/api/routes/tags.py", "old_string": UNSAFE_SQL,
                                                   "new_string": SAFE_SQL}}]},
        {"expect": {"tool": "Edit", "ok": True}, "tool_calls": [{"tool": "Check", "input": {"gates": GATES}}]},
        {"expect": {"tool": "Check", "contains": "check passed"},
         "text": "Fixed the SQL injection in GET /api/tags (bound parameters); static-security and security-probes pass."},
    ])  # fmt: skip
    result, events = run_agent(project, permission_mode="bypassPermissions", verify_with=GATES)
    assert result.status == "success", result.error
    checks = [e for e in events.of("tool_result") if e.name == "Check"]
    assert "static-security" in checks[0].output.split("\n")[0]  # the failing gates are named in the verdict
    assert result.verification is not None and result.verification["passed"] is True
    assert {r["gate"]: r["status"] for r in result.verification["results"]} == {
        "static-security": "pass", "security-probes": "pass"}
    assert [m["phase"] for m in result.milestones] == ["understand", "implement", "verify"]


def test_planted_n_plus_one_is_fixed_and_the_doctor_reports_it_gone(tmp_path: Path, run_agent) -> None:
    project = build_slow(tmp_path, n_plus_one=True, missing_index=False)
    lazy_select = 'relationship(secondary=task_tags, lazy="select", order_by="Tag.id")  # defect: N+1'
    write_script(project, [
        {"tool_calls": [{"tool": "Doctor", "input": {"rows": 2000, "requests": 5}}]},
        {"expect": [{"tool": "Doctor", "ok": True, "contains": "perf:n-plus-one"},
                    {"tool": "Doctor", "contains": "task_tags"}],
         "tool_calls": [{"tool": "Read", "input": {"file_path": "app/models.py"}}]},
        {"tool_calls": [{"tool": "Edit", "input": {"file_path": "app/models.py", "old_string": lazy_select,
                                                   "new_string": 'relationship(secondary=task_tags, lazy="selectin", order_by="Tag.id")'}}]},
        {"expect": {"tool": "Edit", "ok": True}, "tool_calls": [{"tool": "Doctor", "input": {"rows": 2000, "requests": 5}}]},
        {"expect": {"tool": "Doctor", "ok": True, "not_contains": "perf:n-plus-one"},
         "text": "Loaded Task.tags with selectin: the doctor reports no N+1 any more."},
    ])  # fmt: skip
    result, events = run_agent(project, permission_mode="bypassPermissions")
    assert result.status == "success", result.error
    doctors = [e for e in events.of("tool_result") if e.name == "Doctor"]
    assert len(doctors) == 2
    assert '"n_plus_one":true' in doctors[0].output and '"n_plus_one":true' not in doctors[1].output
