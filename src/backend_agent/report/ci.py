"""Reports for CI systems and code hosts: SARIF 2.1.0 (code scanning) and JUnit XML (test tabs).

SARIF carries every finding with its rule, severity level, location (file and line, or the API
operation as a logical location), fix hint and a stable fingerprint; findings already in the
``--baseline`` report are marked ``unchanged``, the rest ``new``. JUnit has one test case per gate:
a failure for a project that falls short, an error for a gate that could not run, skipped for one
that does not apply.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from backend_agent._atomic import write_atomic
from backend_agent.gates import Finding, GateResult
from backend_agent.report.model import CheckReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0", "info": "0.0"}


def _location(report: CheckReport, finding: Finding) -> dict[str, Any]:
    if finding.file:
        physical: dict[str, Any] = {"artifactLocation": {"uri": finding.file, "uriBaseId": "PROJECT"}}
        if finding.line:
            physical["region"] = {"startLine": finding.line}
        return {"physicalLocation": physical}
    # An API operation has no file; code hosts still want a file, so the configuration file stands in.
    config = Path(report.target.config_file).name if report.target.config_file else "pyproject.toml"
    location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": config, "uriBaseId": "PROJECT"}}}
    if finding.operation:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.operation, "kind": "function"}]
    return location


def render_sarif(report: CheckReport) -> str:
    """The findings of every gate as one SARIF 2.1.0 run."""
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for gate in report.gates:
        for finding in gate.findings:
            rules.setdefault(finding.rule, {
                "id": finding.rule,
                "name": finding.rule.replace(":", "/"),
                "shortDescription": {"text": finding.message.split("\n", 1)[0][:200]},
                "help": {"text": finding.hint or "see the check report"},
                "properties": {"gate": gate.gate, "security-severity": _SECURITY_SEVERITY[finding.severity]},
            })
            message = finding.message + (f"\nFix: {finding.hint}" if finding.hint else "")
            results.append({
                "ruleId": finding.rule,
                "level": _LEVEL[finding.severity],
                "message": {"text": message},
                "locations": [_location(report, finding)],
                "partialFingerprints": {"backendAgentFinding/v1": finding.fingerprint or ""},
                "baselineState": "unchanged" if finding.in_baseline else "new",
                "properties": {"gate": gate.gate, "severity": finding.severity},
            })
    notifications = [
        {"level": "error", "message": {"text": f"{g.gate} could not run: {g.summary}" + (f" (fix: {g.hint})" if g.hint else "")}}
        for g in report.gates if g.status == "error"
    ]
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "backend-agent",
                "version": report.versions.get("backend-agent", "0"),
                "informationUri": "https://github.com/backend-agent/backend-agent",
                "rules": list(rules.values()),
            }},
            "originalUriBaseIds": {"PROJECT": {"uri": Path(report.target.root).as_uri() + "/"}},
            "invocations": [{
                "executionSuccessful": report.status != "incomplete",
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    }
    return json.dumps(document, indent=2)


def _case(suite: ET.Element, gate: GateResult) -> None:
    case = ET.SubElement(suite, "testcase", classname="backend-agent.check", name=gate.gate,
                         time=f"{gate.duration_s:.3f}")
    if gate.status == "fail":
        lines = [f"[{f.severity}] {f.rule} {f.file or f.operation or ''} {f.message}" for f in gate.findings]
        failure = ET.SubElement(case, "failure", message=gate.summary[:500], type="fails-standard")
        failure.text = "\n".join(lines) or gate.summary
    elif gate.status == "error":
        error = ET.SubElement(case, "error", message=gate.summary[:500], type="could-not-run")
        error.text = f"{gate.summary}\nfix: {gate.hint or '-'}"
    elif gate.status == "skip":
        ET.SubElement(case, "skipped", message=f"not applicable: {gate.summary}"[:500])
    ET.SubElement(case, "system-out").text = gate.summary


def render_junit(report: CheckReport) -> str:
    """One JUnit test suite with a test case per gate."""
    t = report.totals
    suites = ET.Element("testsuites", name="backend-agent check", tests=str(len(report.gates)),
                        failures=str(t.failed), errors=str(t.errored), skipped=str(t.skipped),
                        time=f"{report.duration_s:.3f}")
    suite = ET.SubElement(suites, "testsuite", name="backend-agent check", tests=str(len(report.gates)),
                          failures=str(t.failed), errors=str(t.errored), skipped=str(t.skipped),
                          time=f"{report.duration_s:.3f}", timestamp=report.started_at.isoformat())
    for gate in report.gates:
        _case(suite, gate)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def write_sarif(report: CheckReport, path: Path) -> None:
    write_atomic(path, render_sarif(report))


def write_junit(report: CheckReport, path: Path) -> None:
    write_atomic(path, render_junit(report))


__all__ = ["render_junit", "render_sarif", "write_junit", "write_sarif"]
