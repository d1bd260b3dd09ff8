"""``diagnose``: the before pass, findings, and with ``fix`` the revision plus the after pass."""

from __future__ import annotations

import time

from backend_agent.gates._pgserver import stop_own_postgres
from backend_agent.gates._service import option
from backend_agent.gates.base import Finding, Target, note
from backend_agent.gates.doctor.fix import write_revision
from backend_agent.gates.doctor.model import DoctorPass, DoctorReport
from backend_agent.gates.doctor.run import GATE, DoctorSettings, measure, settings_for

_RANK = ("critical", "high", "medium", "low", "info")


def findings_of(result: DoctorPass, *, p95_ms: float) -> list[Finding]:
    """N+1 operations, indexes that were proved useful, and operations over the p95 budget."""
    findings: list[Finding] = []
    for op in result.operations:
        if op.n_plus_one and op.page_small and op.page_large:
            findings.append(
                Finding(
                    rule="perf:n-plus-one",
                    message=(
                        f"{op.operation} runs {op.page_small['statements']:.0f} statements for "
                        f"{op.page_small['items']:.0f} items and {op.page_large['statements']:.0f} for "
                        f"{op.page_large['items']:.0f}: one more per item. Repeated: {op.repeated_statement}"
                    ),
                    severity="high",
                    operation=op.operation,
                    hint="load the relation with the page in one query: selectinload()/joinedload() on the "
                    'query, or lazy="selectin" on the relationship',
                )
            )
        if op.p95_ms > p95_ms:
            findings.append(
                Finding(
                    rule="perf:p95",
                    message=f"{op.operation}: p95 {op.p95_ms:.1f} ms over {op.requests} sequential requests "
                    f"(budget {p95_ms:.0f} ms) on the seeded database",
                    # Low: sequential latency on a shared machine is evidence, not a verdict; the
                    # load gate owns the p95 service level.
                    severity="low",
                    operation=op.operation,
                    hint="see the statements and hot spots of this operation in the doctor report",
                )
            )
    for index in result.indexes:
        findings.append(
            Finding(
                rule="perf:missing-index",
                message=(
                    f"{index.table}.{', '.join(index.columns)} has no index; a statement reading "
                    f"{result.rows.get(index.table, 0)} rows took {index.before_ms:.2f} ms and "
                    f"{index.after_ms:.2f} ms with `{index.create_sql}` "
                    f"(plan before: {'; '.join(index.plan_before)})"
                ),
                severity="high",
                hint="`backend-agent doctor --fix` writes it as an Alembic revision; also declare "
                f"index=True on {index.table}.{index.columns[0]} in the model",
            )
        )
    findings.sort(key=lambda f: _RANK.index(f.severity))
    return findings


def diagnose(
    target: Target, *, fix: bool = False, settings: DoctorSettings | None = None, standalone: bool = True
) -> DoctorReport:
    """Measure the project on a seeded throwaway database; with ``fix`` write the indexes and re-measure.

    Raises ServiceStartError when the service cannot be started, FixError when the revision
    cannot be written. ``standalone`` (not inside a check run, whose runner does it) stops check's
    own PostgreSQL server at the end when one was started.
    """
    began = time.monotonic()
    settings = settings or settings_for(target)
    p95_budget = float(option(target, GATE, "p95_ms", 100.0))
    try:
        return _diagnose(target, fix=fix, settings=settings, p95_budget=p95_budget, began=began)
    finally:
        if standalone:
            stop_own_postgres()  # check's own server, when the project needed PostgreSQL


def _diagnose(
    target: Target, *, fix: bool, settings: DoctorSettings, p95_budget: float, began: float
) -> DoctorReport:
    before = measure(target, settings, label="before")
    report = DoctorReport(
        project=str(target.root), before=before, findings=findings_of(before, p95_ms=p95_budget)
    )
    if before.seed_failures:
        report.notes.append(
            "tables left unseeded: " + "; ".join(f"{t}: {why}" for t, why in before.seed_failures.items())
        )
    if fix:
        if before.indexes:
            report.revision = write_revision(target.root, before.indexes)
            note(f"wrote {report.revision.path}")
            after_settings = DoctorSettings(**{**settings.__dict__, "analyse_indexes": False})
            report.after = measure(target, after_settings, label="after", ab_indexes=before.indexes)
        else:
            report.notes.append("--fix: no index to add, nothing written")
    report.duration_s = round(time.monotonic() - began, 2)
    return report


def remaining_problems(report: DoctorReport) -> list[Finding]:
    """High findings still true after the run: missing indexes count as fixed once written."""
    fixed = report.revision is not None
    return [
        f
        for f in report.findings
        if f.severity in ("high", "critical") and not (fixed and f.rule == "perf:missing-index")
    ]


__all__ = ["diagnose", "findings_of", "remaining_problems"]
