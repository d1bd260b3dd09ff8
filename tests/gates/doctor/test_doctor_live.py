"""The doctor on real services: the planted N+1 and missing indexes are found and fixed; the clean
project gets no such finding. SQLite always; PostgreSQL when the machine has it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from backend_agent.gates.doctor import DoctorSettings, diagnose, render_terminal, write_html
from backend_agent.gates.doctor.analyze import scanned_tables
from tests.gates.doctor.slow_project import build
from tests.gates.projects import build as build_clean
from tests.gates.projects import target

pytestmark = pytest.mark.slow
FAST = DoctorSettings(rows_per_table=10_000, requests=10)


def _rules(report: object) -> list[str]:
    return sorted({f.rule for f in report.findings})  # type: ignore[attr-defined]


def test_planted_n_plus_one_and_missing_index_are_found_and_fixed(tmp_path: Path) -> None:
    project = build(tmp_path)
    report = diagnose(target(project), fix=True, settings=FAST)

    tasks = next(
        op for op in report.before.operations if op.operation == "GET /api/projects/{project_id}/tasks"
    )
    assert tasks.n_plus_one and tasks.page_small and tasks.page_large
    assert tasks.page_large["statements"] - tasks.page_small["statements"] >= 40
    assert "task_tags" in (tasks.repeated_statement or "")
    others = [op.operation for op in report.before.operations if op.n_plus_one and op is not tasks]
    assert others == []

    created = {index.name for index in report.before.indexes}
    assert "ix_tasks_project_id" in created
    fix = next(index for index in report.before.indexes if index.name == "ix_tasks_project_id")
    dialect = report.before.database
    assert scanned_tables(fix.plan_before, dialect) == ["tasks"]
    assert "ix_tasks_project_id" in " ".join(fix.plan_after)
    assert fix.after_ms * 1.5 <= fix.before_ms
    assert {"perf:n-plus-one", "perf:missing-index"} <= set(_rules(report))

    assert report.revision is not None
    revision = (project / report.revision.path).read_text()
    assert 'op.create_index("ix_tasks_project_id", "tasks", ["project_id"]' in revision
    assert "down_revision = '0001'" in revision
    assert report.after is not None
    after_tasks = next(op for op in report.after.operations if op.operation == tasks.operation)
    assert after_tasks.p95_ms > 0
    # The index is in the migrated schema of the after pass: the fixed statement no longer scans
    # (or is no longer among the slowest statements at all).
    fixed = [s for s in report.after.statements if s.sql == fix.statement]
    assert all("tasks" not in scanned_tables(s.plan, dialect) for s in fixed), [s.plan for s in fixed]
    rows = {row["operation"]: row for row in report.p95_table()}
    assert rows[tasks.operation]["after_ms"] == after_tasks.p95_ms
    # before/after alternated on one service: the "before" arm ran without the new index
    assert after_tasks.p95_without_fix_ms is not None
    assert rows[tasks.operation]["before_ms"] == after_tasks.p95_without_fix_ms
    assert len(json.loads(report.model_dump_json())["p95"]) == len(report.before.operations)

    console = Console(record=True, width=200)
    render_terminal(report, console)
    screen = console.export_text()
    assert "p95 without→with fix" in screen and "CREATE INDEX ix_tasks_project_id" in screen
    assert "perf:n-plus-one" in screen and report.revision.path in screen

    html = tmp_path / "doctor.html"
    write_html(report, html)
    page = html.read_text()
    assert "<svg" in page and "after --fix" in page and "ix_tasks_project_id" in page
    assert report.duration_s < 120


def test_clean_project_gets_no_n_plus_one_or_index_finding(tmp_path: Path) -> None:
    report = diagnose(target(build_clean(tmp_path)), settings=FAST)
    assert [op.operation for op in report.before.operations if op.n_plus_one] == []
    assert report.before.indexes == []
    assert not {"perf:n-plus-one", "perf:missing-index"} & set(_rules(report))
    assert report.before.seed_failures == {}
    assert all(n == 10_000 for n in report.before.rows.values())
    assert all(op.statuses == {"200": op.requests} for op in report.before.operations)


def test_doctor_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    project = build(tmp_path, n_plus_one=True, missing_index=True)
    settings = DoctorSettings(rows_per_table=10_000, requests=5)
    report = diagnose(target(project).model_copy(update={"database_url": postgres_url}), settings=settings)
    assert report.before.database == "postgresql"
    assert "perf:n-plus-one" in _rules(report)
    assert any(index.table == "tasks" for index in report.before.indexes)
    assert any("Seq Scan on tasks" in line for s in report.before.statements for line in s.plan)


def test_cli_json_and_exit_code(tmp_path: Path) -> None:
    project = build(tmp_path, n_plus_one=True, missing_index=False)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "backend_agent",
            "doctor",
            str(project),
            "--json",
            "--requests",
            "5",
            "--rows",
            "5000",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    data = json.loads(proc.stdout)
    assert [f["rule"] for f in data["findings"] if f["severity"] == "high"] == ["perf:n-plus-one"]
    assert data["revision"] is None and data["after"] is None


def test_cli_refuses_a_missing_folder(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "backend_agent", "doctor", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0 and "is not a folder" in proc.stderr and "Traceback" not in proc.stderr


def test_performance_gate_fails_on_the_planted_defects(tmp_path: Path) -> None:
    from backend_agent.gates import GATES, load_gate

    assert "performance" in GATES
    gate = load_gate("performance")
    options = {"performance": {"rows_per_table": 5000, "requests": 5}}
    result = gate.run(target(build(tmp_path), **options))
    assert result.status == "fail", result.summary
    assert result.metrics["n_plus_one"] == 1 and result.metrics["missing_indexes"] >= 1
    assert {"perf:n-plus-one", "perf:missing-index"} <= {f.rule for f in result.findings}
    assert "doctor --fix" in (result.hint or "")
    assert result.evidence["doctor"]["before"]["rows"]["tasks"] == 5000
