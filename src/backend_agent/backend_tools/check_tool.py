"""Check: run quality gates on a project; per gate pass/fail with located, fixable evidence."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from backend_agent.backend_tools._output import answer, trimmed
from backend_agent.backend_tools._paths import relative, resolve_in_workspace
from backend_agent.errors import BackendAgentError
from backend_agent.tools import Tool, ToolContext, ToolResult

if TYPE_CHECKING:
    from backend_agent.gates import Finding, GateResult
    from backend_agent.report import CheckReport

EVIDENCE_KEYS = ("sqlmap", "failed_tests", "failures", "requests", "auth", "rate_limit", "hsts")
EVIDENCE_CHARS = 1500  # per evidence value: enough to see the request and response, not the whole log


class CheckInput(BaseModel):
    path: str = Field(".", description="The backend project folder (default: the workspace).")
    gates: list[str] | None = Field(
        None,
        description="Gates to run: tests, static-security, iac-policy, migrations, contract, security-probes, "
        "load (default: the project's configured gates, else all).",
    )
    fast: bool = Field(False, description="Quick profile: fewer contract examples; default gates become the fast set.")


class CheckTool(Tool[CheckInput]):
    name = "Check"
    description = (
        "Run backend-agent's quality gates on a backend project (tests+coverage, static security, IaC policy, "
        "migrations, contract fuzzing, active security probes, load SLOs). Returns per gate pass/fail/skip, and "
        "for failures the items with file and line or the request and response, plus a fix hint. Work is done "
        "only when every selected gate passes; re-run a single gate with gates=[NAME] while fixing it."
    )
    Input = CheckInput

    def run(self, input: CheckInput, ctx: ToolContext) -> ToolResult:
        from backend_agent.gates import GATE_NAMES

        root = resolve_in_workspace(input.path, ctx, what="project folder")
        if isinstance(root, ToolResult):
            return root
        if not root.is_dir():
            return ToolResult.failure("not_found", f"{input.path} is not a folder; give the project folder.")
        unknown = [name for name in input.gates or [] if name not in GATE_NAMES]
        if unknown:
            return ToolResult.failure(
                "bad_input", f"unknown gate(s) {', '.join(unknown)}; valid gates: {', '.join(GATE_NAMES)}"
            )
        try:
            report = run_check(root, gates=input.gates or None, fast=input.fast)
        except BackendAgentError as exc:
            return ToolResult.failure("check_failed", f"the check could not run: {exc}")
        return report_result(report, ctx)


def run_check(root: Path, *, gates: list[str] | None = None, fast: bool = False) -> CheckReport:
    """Run the gates on the project at ``root`` and build the check report (raises BackendAgentError)."""
    from backend_agent.gates import load_target, run_gates
    from backend_agent.report import CheckReport, build_report

    outcome: Any = run_gates(load_target(root), gates=gates, fast=fast)
    if isinstance(outcome, CheckReport):  # older gates part: run_gates built the report itself
        return outcome
    return build_report(target=outcome.target, results=outcome.gates, started_at=outcome.started_at,
                        finished_at=outcome.finished_at, profile=outcome.profile)  # fmt: skip


def report_result(report: CheckReport, ctx: ToolContext) -> ToolResult:
    """The report trimmed to what a model needs; ``ok`` is True (the check ran), pass/fail is in the data."""
    root = Path(report.target.root)
    gates = [gate_json(result, ctx, root=root) for result in report.gates]
    failing = [g["gate"] for g in gates if g["status"] in ("fail", "error")]
    data: dict[str, Any] = {
        "status": report.status,
        "path": relative(report.target.root, ctx),
        "passed": [g["gate"] for g in gates if g["status"] == "pass"],
        "failed": failing,
        "skipped": [g["gate"] for g in gates if g["status"] == "skip"],
        "gates": gates,
        "duration_s": report.duration_s,
    }
    if failing:
        headline = f"check FAILED: {', '.join(failing)} failing; fix the findings and run Check again"
    else:
        headline = f"check passed: {len(data['passed'])} gate(s) pass, {len(data['skipped'])} skipped"
    return answer(headline, data)


def gate_json(result: GateResult, ctx: ToolContext, *, root: Path | None = None) -> dict[str, Any]:
    """One gate's result for a model; finding paths relative to the workspace (``root``: the project)."""
    findings, more = trimmed([finding_json(f, ctx, root=root or ctx.workspace) for f in result.findings])
    item: dict[str, Any] = {"gate": result.gate, "status": result.status, "summary": result.summary}
    if result.hint:
        item["hint"] = result.hint
    if findings:
        item["findings"] = findings
        if more:
            item["more_findings"] = more
    metrics = {k: v for k, v in result.metrics.items() if isinstance(v, int | float | str | bool)}
    if metrics:
        item["metrics"] = metrics
    if result.status in ("fail", "error"):
        evidence = {k: _short(result.evidence[k]) for k in EVIDENCE_KEYS if k in result.evidence}
        if evidence:
            item["evidence"] = evidence
    return item


def finding_json(finding: Finding, ctx: ToolContext, *, root: Path) -> dict[str, Any]:
    item = finding.model_dump(exclude_none=True, exclude={"fingerprint", "in_baseline"})
    if finding.file:
        path = Path(finding.file)
        item["file"] = relative(path if path.is_absolute() else root / path, ctx)
    return item


def _short(value: Any) -> Any:
    import json

    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= EVIDENCE_CHARS else text[:EVIDENCE_CHARS] + f"… ({len(text)} chars)"


__all__ = ["CheckInput", "CheckTool", "finding_json", "gate_json", "report_result", "run_check"]
