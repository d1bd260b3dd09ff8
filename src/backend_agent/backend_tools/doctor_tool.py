"""Doctor: the performance doctor's findings (statements per request, slow statements, fixing indexes)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from backend_agent.backend_tools._output import answer, trimmed
from backend_agent.backend_tools._paths import relative, resolve_in_workspace
from backend_agent.errors import BackendAgentError
from backend_agent.tools import Tool, ToolContext, ToolResult

TOP_STATEMENTS = 5
PLAN_LINES = 6


class DoctorInput(BaseModel):
    path: str = Field(".", description="The backend project folder (default: the workspace).")
    rows: int = Field(2000, ge=100, le=100_000, description="Rows to seed per table.")
    requests: int = Field(20, ge=5, le=1000, description="Timed requests per read operation.")
    fix: bool = Field(False, description="Write the missing indexes as a new Alembic revision and re-measure.")


class DoctorTool(Tool[DoctorInput]):
    name = "Doctor"
    description = (
        "Profile every read operation of a project on a seeded throwaway database: statements per request "
        "(N+1 detection: statements growing with the page size), p50/p95, the slowest statements with their "
        "query plans, and the index that makes each faster (fix=true writes them as an Alembic revision)."
    )
    Input = DoctorInput

    def run(self, input: DoctorInput, ctx: ToolContext) -> ToolResult:
        from backend_agent.gates import load_target
        from backend_agent.gates.doctor import DoctorSettings, diagnose, remaining_problems

        root = resolve_in_workspace(input.path, ctx, what="project folder")
        if isinstance(root, ToolResult):
            return root
        if not root.is_dir():
            return ToolResult.failure("not_found", f"{input.path} is not a folder; give the project folder.")
        try:
            target = load_target(root)
            report = diagnose(target, fix=input.fix, settings=DoctorSettings(rows_per_table=input.rows,
                                                                             requests=input.requests))  # fmt: skip
        except BackendAgentError as exc:
            return ToolResult.failure("doctor_failed", f"the doctor could not run: {exc}")
        remaining = remaining_problems(report)
        data = report_json(report, ctx)
        data["problems_left"] = len(remaining)
        if remaining:
            headline = f"doctor found {len(remaining)} problem(s): " + "; ".join(f.rule for f in remaining[:5])
        else:
            headline = "doctor: no N+1 queries, missing indexes or operations over the p95 budget"
        return answer(headline, data)


def report_json(report: Any, ctx: ToolContext) -> dict[str, Any]:
    """A doctor report trimmed for a model: findings, per-operation costs, top statements, index fixes."""
    passes = report.after or report.before
    operations = [
        {"operation": op.operation, "statements_per_request": op.statements_per_request, "p95_ms": op.p95_ms,
         "n_plus_one": op.n_plus_one, **({"repeated_statement": op.repeated_statement} if op.repeated_statement else {})}
        for op in passes.operations
    ]  # fmt: skip
    statements = [
        {"sql": s.sql[:400], "calls": s.calls, "mean_ms": s.mean_ms, "plan": s.plan[:PLAN_LINES],
         "full_scans": s.full_scans}
        for s in sorted(report.before.statements, key=lambda s: s.total_ms, reverse=True)[:TOP_STATEMENTS]
    ]  # fmt: skip
    indexes = [
        {"table": i.table, "columns": i.columns, "create_sql": i.create_sql, "before_ms": i.before_ms,
         "after_ms": i.after_ms}
        for i in report.before.indexes
    ]  # fmt: skip
    findings, more = trimmed([f.model_dump(exclude_none=True) for f in report.findings])
    data: dict[str, Any] = {"project": relative(report.project, ctx), "findings": findings, "more_findings": more,
                            "operations": operations, "slow_statements": statements, "indexes": indexes,
                            "notes": report.notes}  # fmt: skip
    if report.revision is not None:
        data["revision"] = relative(report.revision.path, ctx)
    return data


__all__ = ["DoctorInput", "DoctorTool", "report_json"]
