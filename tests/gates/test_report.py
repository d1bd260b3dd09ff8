"""The check report: totals and status, the stable JSON schema, terminal output and the HTML report."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from backend_agent.gates import Finding, GateEvent, GateResult, Target
from backend_agent.report import (
    SCHEMA_VERSION,
    CheckReport,
    ProgressView,
    build_report,
    render_html,
    render_json,
    render_terminal,
    write_html,
)

OPERATIONS = {
    "GET /api/tasks": {"p50_ms": 4.0, "p95_ms": 12.0, "p99_ms": 30.0, "rps": 800.0, "error_rate": 0.0,
                       "histogram": [[1, 5], [5, 300], [10, 120], [50, 8]]},
    "POST /api/tasks": {"p50_ms": 9.0, "p95_ms": 140.0, "p99_ms": 220.0, "rps": 300.0, "error_rate": 0.002,
                        "histogram": [[5, 10], [50, 80], [200, 20]]},
}


def _results() -> list[GateResult]:
    return [
        GateResult(gate="tests", status="pass", summary="33/33 tests passed; coverage 91.0 %",
                   metrics={"coverage_percent": 91.0, "threshold": 80, "files": {"app/main.py": 100.0, "app/x.py": 42.5},
                            "tests": {"total": 33, "passed": 33}}, duration_s=4.2),
        GateResult(gate="static-security", status="fail", summary="1 medium+ issue",
                   findings=[Finding(rule="semgrep:sql-built-from-strings", message="SQL <script>alert(1)</script>",
                                     severity="high", file="app/repo.py", line=7, hint="use bound parameters")],
                   metrics={"issues": 1}, evidence={"scanned": ["app"]}, duration_s=3.0),
        GateResult(gate="load", status="fail", summary="POST /api/tasks p95 140 ms > 100 ms",
                   metrics={"operations": OPERATIONS, "p95_ms": 100.0}, duration_s=20.0),
        GateResult(gate="contract", status="skip", summary="no app"),
        GateResult(gate="security-probes", status="pass", summary="no bypass",
                   metrics={"operations_tested": 26, "cases_generated": 967, "failures": 0,
                            "warnings": ["Missing test data: 1 operation repeatedly returned 404 responses"]}),
    ]


def _report(results: list[GateResult] | None = None) -> CheckReport:
    return build_report(
        target=Target(root=Path("/srv/project"), app="app.main:app", database_url="postgresql+psycopg://h/db"),
        results=_results() if results is None else results,
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        finished_at=datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC),
    )


def test_totals_status_and_exit_code() -> None:
    report = _report()
    assert (report.totals.passed, report.totals.failed, report.totals.skipped, report.totals.errored) == (2, 2, 1, 0)
    assert report.status == "fail" and report.exit_code == 1
    assert report.duration_s == 30.0 and report.timings["load"] == 20.0
    assert report.target.database == "postgresql"
    passing = _report([GateResult(gate="tests", status="pass", summary="ok"), GateResult(gate="load", status="skip", summary="-")])
    assert passing.status == "pass" and passing.exit_code == 0
    errored = _report([GateResult(gate="tests", status="error", summary="crashed")])
    assert errored.status == "incomplete" and errored.exit_code == 3


def test_json_has_the_documented_stable_shape() -> None:
    data = json.loads(render_json(_report()))
    assert list(data) == ["schema_version", "status", "profile", "fail_on", "baseline", "target", "gates", "totals",
                          "started_at", "finished_at", "duration_s", "timings", "versions"]
    assert data["schema_version"] == SCHEMA_VERSION == 2
    assert list(data["gates"][0]) == ["gate", "status", "summary", "findings", "metrics", "evidence", "hint", "duration_s"]
    assert list(data["gates"][1]["findings"][0]) == ["rule", "message", "severity", "file", "line", "operation", "hint",
                                                     "fingerprint", "in_baseline"]
    assert data["totals"] == {"passed": 2, "failed": 2, "skipped": 1, "errored": 0, "findings": 1, "new_findings": 1}
    assert "python" in data["versions"]
    assert CheckReport.model_validate(data) == _report()


def test_json_schema_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "check-report.md").read_text(encoding="utf-8")
    for key in ("schema_version", "status", "profile", "target", "gates", "totals", "timings", "versions",
                "findings", "metrics", "evidence", "histogram", "p95_ms", "files", "fail_on", "baseline",
                "fingerprint", "in_baseline", "throwaway_databases", "new_findings", "incomplete"):
        assert f"`{key}`" in doc, key


def test_html_is_self_contained_with_charts_and_escaped_text(tmp_path: Path) -> None:
    path = write_html(_report(), tmp_path / "out" / "report.html")
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "<link" not in html and not re.search(r'(src|href)="https?:', html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'aria-label="Coverage per file"' in html and "42.5 %" in html
    assert 'aria-label="Latency percentiles per operation"' in html and "p95 bound 100 ms" in html
    assert html.count('aria-label="Latency histogram of') == 2
    # rps and error rate per operation are shown, not only the latency charts
    table = html.split('aria-label="Load per operation"', 1)[1].split("</table>", 1)[0]
    assert "<code>POST /api/tasks</code></td><td>–</td><td>300</td><td>0.20%</td><td>9.0</td><td>140.0</td>" in table
    assert "use bound parameters" in html and "app/repo.py:7" in html
    assert html == render_html(_report())


def test_terminal_summary_lists_gates_findings_and_verdict() -> None:
    console = Console(record=True, width=160, color_system=None)
    render_terminal(_report(), console)
    text = console.export_text()
    for gate in ("tests", "static-security", "load", "contract"):
        assert gate in text
    assert "semgrep:sql-built-from-strings" in text and "app/repo.py:7" in text and "fix: use bound parameters" in text
    assert "coverage 91.0 %" in text and "worst p95 140.0 ms (POST /api/tasks)" in text
    assert "FAIL  2 passed, 2 failed, 0 could not run, 1 not applicable" in text
    assert "operations tested 26, cases generated 967, failures 0" in text and "Missing test data" not in text


def test_progress_view_prints_a_line_per_finished_gate() -> None:
    console = Console(record=True, width=120, color_system=None, force_terminal=False)
    result = GateResult(gate="tests", status="pass", summary="all good")
    with ProgressView(console, total=2) as progress:
        progress(GateEvent("start", "tests"))
        progress(GateEvent("note", "tests", "pytest: 3 passed"))
        progress(GateEvent("finish", "tests", result.summary, result))
    text = console.export_text()  # export clears the record buffer
    assert "✔ tests" in text and "all good" in text
