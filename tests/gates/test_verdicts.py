"""Verdicts a person trusts (issue 15, point 3): three outcomes, grouping, severity order,
--fail-on, --baseline, SARIF and JUnit, and an empty folder as a usage error."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backend_agent.cli.main import main
from backend_agent.errors import UsageError
from backend_agent.gates import Finding, GateResult, Target
from backend_agent.report import CheckReport, build_report, render_json, render_junit, render_sarif


def _report(results: list[GateResult], **kwargs: object) -> CheckReport:
    return build_report(
        target=Target(root=Path("/srv/project")),
        results=results,
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        finished_at=datetime(2026, 1, 1, 0, 1, tzinfo=UTC),
        **kwargs,  # type: ignore[arg-type]
    )


def _undocumented(operation: str, code: int) -> Finding:
    return Finding(rule="contract:ST103", message=f"Undocumented HTTP status code (Received: {code})",
                   severity="medium", operation=operation, hint="document it")


CONTRACT = GateResult(
    gate="contract", status="fail", summary="3 failures",
    findings=[
        _undocumented("GET /api/items/{id}", 404),
        _undocumented("GET /api/items/{id}", 401),
        Finding(rule="contract:ST101", message="Server error", severity="high", operation="GET /api/items/{id}"),
        _undocumented("POST /api/items", 409),
    ],
)
SECURITY = GateResult(
    gate="static-security", status="fail", summary="2 issues",
    findings=[
        Finding(rule="bandit:B105", message="hard-coded password", severity="low", file="app/x.py", line=3),
        Finding(rule="semgrep:sql", message="SQL built from strings", severity="critical", file="app/db.py", line=9),
    ],
)


def test_undocumented_statuses_group_per_operation_below_real_failures() -> None:
    findings = _report([CONTRACT]).gates[0].findings
    assert [(f.rule, f.operation, f.severity) for f in findings] == [
        ("contract:ST101", "GET /api/items/{id}", "high"),
        ("contract:ST103", "GET /api/items/{id}", "low"),
        ("contract:ST103", "POST /api/items", "low"),
    ]
    assert "(+1 more like it: Undocumented HTTP status code (Received: 401))" in findings[1].message


def test_findings_are_sorted_by_severity_in_every_output() -> None:
    report = _report([SECURITY])
    assert [f.severity for f in report.gates[0].findings] == ["critical", "low"]
    assert [f["severity"] for f in json.loads(render_json(report))["gates"][0]["findings"]] == ["critical", "low"]
    assert [r["level"] for r in json.loads(render_sarif(report))["runs"][0]["results"]] == ["error", "note"]


def test_three_outcomes_and_exit_codes() -> None:
    could_not = GateResult(gate="tests", status="error", summary="pytest is not installed", hint="install it")
    not_applicable = GateResult(gate="migrations", status="skip", summary="no alembic.ini")
    assert _report([could_not, not_applicable]).status == "incomplete"
    assert _report([could_not, not_applicable]).exit_code == 3
    assert _report([could_not, SECURITY]).status == "fail"
    assert _report([not_applicable, GateResult(gate="tests", status="pass", summary="ok")]).exit_code == 0


def test_fail_on_counts_only_findings_at_or_above_the_severity() -> None:
    low_only = GateResult(gate="static-security", status="fail", summary="1 issue",
                          findings=[Finding(rule="bandit:B1", message="x", severity="low", file="a.py")])
    assert _report([low_only]).status == "fail"
    assert _report([low_only], fail_on="medium").status == "pass"
    assert _report([SECURITY], fail_on="critical").status == "fail"
    without_findings = GateResult(gate="tests", status="fail", summary="timed out")
    assert _report([without_findings], fail_on="critical").status == "fail"


def test_baseline_lets_only_new_findings_fail(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text(render_json(_report([SECURITY])))
    moved = SECURITY.model_copy(update={"findings": [
        f.model_copy(update={"line": (f.line or 0) + 40, "message": f.message + " (reworded)"}) for f in SECURITY.findings
    ]})
    again = _report([moved], baseline=baseline)
    assert again.status == "pass" and again.totals.new_findings == 0
    assert all(f.in_baseline for f in again.gates[0].findings)
    extra = moved.model_copy(update={"findings": [*moved.findings, Finding(
        rule="semgrep:sql", message="SQL built from strings", severity="high", file="app/new.py", line=1)]})
    new = _report([extra], baseline=baseline)
    assert new.status == "fail" and new.totals.new_findings == 1
    sarif = json.loads(render_sarif(new))["runs"][0]["results"]
    assert sorted(r["baselineState"] for r in sarif) == ["new", "unchanged", "unchanged"]
    (tmp_path / "junk.json").write_text("{}")
    with pytest.raises(UsageError, match="not a check report"):
        _report([SECURITY], baseline=tmp_path / "junk.json")


def test_sarif_is_2_1_0_with_locations_rules_and_fingerprints() -> None:
    could_not = GateResult(gate="load", status="error", summary="wrk is missing", hint="apt-get install wrk")
    doc = json.loads(render_sarif(_report([SECURITY, CONTRACT, could_not])))
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    run = doc["runs"][0]
    assert run["tool"]["driver"]["name"] == "backend-agent"
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} >= {"semgrep:sql", "contract:ST101", "contract:ST103"}
    first = run["results"][0]
    assert first["ruleId"] == "semgrep:sql"
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "app/db.py", "uriBaseId": "PROJECT"}, "region": {"startLine": 9}}
    assert len(first["partialFingerprints"]["backendAgentFinding/v1"]) == 16
    api = next(r for r in run["results"] if r["ruleId"] == "contract:ST101")
    assert api["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "GET /api/items/{id}"
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["message"]["text"] == "load could not run: wrk is missing (fix: apt-get install wrk)"


def test_junit_has_a_case_per_gate_with_the_three_outcomes() -> None:
    results = [
        SECURITY,
        GateResult(gate="load", status="error", summary="wrk is missing", hint="apt-get install wrk"),
        GateResult(gate="migrations", status="skip", summary="no alembic.ini"),
        GateResult(gate="tests", status="pass", summary="ok", duration_s=1.5),
    ]
    root = ET.fromstring(render_junit(_report(results)))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "4" and suite.get("failures") == "1"
    assert suite.get("errors") == "1" and suite.get("skipped") == "1"
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert cases["static-security"].find("failure") is not None
    assert "semgrep:sql" in (cases["static-security"].findtext("failure") or "")
    assert "fix: apt-get install wrk" in (cases["load"].findtext("error") or "")
    assert cases["migrations"].find("skipped") is not None
    assert cases["tests"].get("time") == "1.500" and cases["tests"].find("failure") is None


def test_an_empty_folder_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    assert main(["check", str(tmp_path)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "is empty: there is nothing to check" in err and "Traceback" not in err


def test_a_folder_no_gate_applies_to_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("not a backend\n")
    assert main(["check", str(tmp_path), "--gates", "tests,migrations"]) == 2
    assert "no gate applies" in " ".join(capsys.readouterr().err.split())


def test_bad_fail_on_and_missing_baseline_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "main.py").write_text("x = 1\n")
    assert main(["check", str(tmp_path), "--fail-on", "severe"]) == 2
    assert "--fail-on" in capsys.readouterr().err
    assert main(["check", str(tmp_path), "--baseline", str(tmp_path / "none.json")]) == 2
    assert "--baseline" in capsys.readouterr().err


def test_cli_writes_sarif_and_junit_and_applies_fail_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "tests").mkdir()
    (project / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef unused(x):\n    return x * 2\n")
    (project / "tests" / "test_calc.py").write_text("from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n")
    (project / "pyproject.toml").write_text("[tool.backend-agent]\ncoverage_threshold = 95\n")
    sarif, junit = tmp_path / "out" / "check.sarif", tmp_path / "out" / "junit.xml"
    code = main(["check", str(project), "--gates", "tests", "--sarif", str(sarif), "--junit", str(junit)])
    out = capsys.readouterr().out
    assert code == 1, out  # coverage below 95 % is a high finding
    assert json.loads(sarif.read_text())["runs"][0]["results"][0]["ruleId"] == "tests:coverage"
    assert ET.fromstring(junit.read_text()).find("testsuite") is not None
    assert main(["check", str(project), "--gates", "tests", "--fail-on", "critical"]) == 0
