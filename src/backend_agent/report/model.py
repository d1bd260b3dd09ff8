"""The check report: one document holding every gate result, totals, timings and tool versions.

The JSON form of ``CheckReport`` is a stable, documented schema (docs/check-report.md); bump
``SCHEMA_VERSION`` on any incompatible change.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from backend_agent.errors import UsageError
from backend_agent.gates import CheckRun, Finding, GateResult, Target

SCHEMA_VERSION = 2
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")
Severity = Literal["critical", "high", "medium", "low", "info"]


class TargetInfo(BaseModel):
    """What was checked."""

    root: str
    app: str | None = None
    database: str = "sqlite"  # "postgresql" when a PostgreSQL server was configured
    config_file: str | None = None
    throwaway_databases: dict[str, str] = Field(default_factory=dict)  # gate -> where its database was


class Totals(BaseModel):
    """How many gates ended in each of the outcomes, and how many findings count."""

    passed: int = 0
    failed: int = 0  # the project fails a standard
    skipped: int = 0  # not applicable
    errored: int = 0  # check could not run it
    findings: int = 0
    new_findings: int = 0  # not in the baseline (all of them without --baseline)


class CheckReport(BaseModel):
    """The outcome of ``backend-agent check``.

    ``status``: ``fail`` when a gate failed with a finding that counts (new against the baseline,
    at or above ``fail_on``); else ``incomplete`` when some gate could not run; else ``pass``.
    """

    schema_version: int = SCHEMA_VERSION
    status: Literal["pass", "fail", "incomplete"]
    profile: Literal["full", "fast"] = "full"
    fail_on: Severity | None = None
    baseline: str | None = None
    target: TargetInfo
    gates: list[GateResult]
    totals: Totals
    started_at: datetime
    finished_at: datetime
    duration_s: float
    timings: dict[str, float] = Field(default_factory=dict)  # gate name -> seconds
    versions: dict[str, str] = Field(default_factory=dict)  # backend-agent, python, tools

    @property
    def exit_code(self) -> int:
        """0 pass, 1 fail, 3 incomplete (nothing failed, but a gate could not run)."""
        return {"pass": 0, "fail": 1, "incomplete": 3}[self.status]

    def gate(self, name: str) -> GateResult | None:
        return next((result for result in self.gates if result.gate == name), None)


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def collect_versions(results: list[GateResult]) -> dict[str, str]:
    """Versions of backend-agent, Python and the tools the gates reported using."""
    versions = {"python": platform.python_version(), "platform": sys.platform}
    own = _version("backend-agent")
    if own:
        versions["backend-agent"] = own
    for result in results:
        tools = result.evidence.get("tool_versions")
        if isinstance(tools, dict):
            versions.update({str(k): str(v) for k, v in tools.items()})
    return versions


def fingerprint(gate: str, finding: Finding) -> str:
    """A finding's identity across runs: gate, rule and place, not the wording or the line number."""
    place = finding.operation or finding.file or ""
    if not place:
        place = re.sub(r"\d+(\.\d+)?", "N", finding.message.split("\n", 1)[0])[:160]
    return hashlib.sha256(f"{gate}|{finding.rule}|{place}".encode()).hexdigest()[:16]


def read_baseline(path: Path) -> set[str]:
    """Fingerprints of the findings in an earlier JSON report (``check --json > baseline.json``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(
            f"--baseline {path}: cannot read it as a check report ({exc})",
            hint="write one with `backend-agent check --json > baseline.json` and pass that file",
        ) from exc
    prints: set[str] = set()
    gates = data.get("gates") if isinstance(data, dict) else None
    if not isinstance(gates, list):
        raise UsageError(f"--baseline {path}: no 'gates' list; it is not a check report",
                         hint="pass a file written by `backend-agent check --json`")
    for gate in gates:
        for raw in gate.get("findings", []):
            try:
                finding = Finding.model_validate({k: v for k, v in raw.items() if k in Finding.model_fields})
            except ValueError:
                continue
            prints.add(raw.get("fingerprint") or fingerprint(str(gate.get("gate")), finding))
    return prints


_UNDOCUMENTED = "contract:ST103"


def _grouped(findings: list[Finding]) -> list[Finding]:
    """One finding per defect: repeats of a rule at one place merge, undocumented statuses group per operation.

    An undocumented status code (401/404/409 that every FastAPI app returns) is a documentation gap,
    ranked below real failures: grouped per operation, at low severity.
    """
    groups: dict[tuple[str, str | None, str | None, int | None], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.rule, finding.operation, finding.file, finding.line), []).append(finding)
    merged: list[Finding] = []
    for (rule, _op, _file, _line), members in groups.items():
        first = members[0]
        if len(members) == 1 and rule != _UNDOCUMENTED:
            merged.append(first)
            continue
        extra = [m.message.split("\n", 1)[0] for m in members[1:]]
        message = first.message
        if extra:
            distinct = sorted(set(extra) - {first.message.split("\n", 1)[0]})
            message += f"\n(+{len(extra)} more like it" + (f": {'; '.join(distinct[:4])}" if distinct else "") + ")"
        severity = "low" if rule == _UNDOCUMENTED else max(
            (m.severity for m in members), key=lambda sev: -SEVERITIES.index(sev)
        )
        merged.append(first.model_copy(update={"message": message, "severity": severity}))
    return merged


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.file or "", f.line or 0, f.operation or ""))


def _counts(finding: Finding, fail_on: Severity | None) -> bool:
    if finding.in_baseline:
        return False
    if finding.severity == "info":
        return False
    return fail_on is None or SEVERITIES.index(finding.severity) <= SEVERITIES.index(fail_on)


def build_report(
    *,
    target: Target,
    results: list[GateResult],
    started_at: datetime,
    finished_at: datetime | None = None,
    profile: Literal["full", "fast"] = "full",
    fail_on: Severity | None = None,
    baseline: Path | None = None,
) -> CheckReport:
    """Assemble the report: findings grouped, fingerprinted and sorted by severity in every gate.

    A failed gate makes the check fail when one of its findings counts (not in ``baseline``, at or
    above ``fail_on``); a failed gate without findings always counts. A gate that could not run
    makes the check ``incomplete`` unless something failed.
    """
    finished = finished_at or datetime.now(UTC)
    known = read_baseline(baseline) if baseline is not None else set()
    gates: list[GateResult] = []
    failing = 0
    new = 0
    total = 0
    for result in results:
        findings = []
        for finding in _sorted(_grouped(result.findings)):
            mark = fingerprint(result.gate, finding)
            findings.append(finding.model_copy(update={"fingerprint": mark, "in_baseline": mark in known}))
        result = result.model_copy(update={"findings": findings})
        gates.append(result)
        total += len(findings)
        new += sum(not f.in_baseline for f in findings)
        if result.status == "fail" and (not findings or any(_counts(f, fail_on) for f in findings)):
            failing += 1
    totals = Totals(
        passed=sum(r.status == "pass" for r in gates),
        failed=sum(r.status == "fail" for r in gates),
        skipped=sum(r.status == "skip" for r in gates),
        errored=sum(r.status == "error" for r in gates),
        findings=total,
        new_findings=new,
    )
    status: Literal["pass", "fail", "incomplete"] = "fail" if failing else ("incomplete" if totals.errored else "pass")
    db = target.database_url or ""
    return CheckReport(
        status=status,
        profile=profile,
        fail_on=fail_on,
        baseline=str(baseline) if baseline is not None else None,
        target=TargetInfo(
            root=str(target.root),
            app=target.app,
            database="postgresql" if db.startswith("postgres") else "sqlite",
            config_file=target.options.get("config_file"),
            throwaway_databases={
                r.gate: str(r.evidence["throwaway_database"]) for r in gates if r.evidence.get("throwaway_database")
            },
        ),
        gates=gates,
        totals=totals,
        started_at=started_at,
        finished_at=finished,
        duration_s=round((finished - started_at).total_seconds(), 3),
        timings={r.gate: r.duration_s for r in gates},
        versions=collect_versions(gates),
    )


def report_from(run: CheckRun, *, fail_on: Severity | None = None, baseline: Path | None = None) -> CheckReport:
    """The report of a finished ``run_gates`` run."""
    return build_report(
        target=run.target, results=run.gates, started_at=run.started_at, finished_at=run.finished_at,
        profile=run.profile, fail_on=fail_on, baseline=baseline,
    )


__all__ = [
    "SCHEMA_VERSION",
    "SEVERITIES",
    "CheckReport",
    "Severity",
    "TargetInfo",
    "Totals",
    "build_report",
    "collect_versions",
    "fingerprint",
    "read_baseline",
    "report_from",
]
