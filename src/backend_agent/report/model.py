"""The check report: one document holding every gate result, totals, timings and tool versions.

The JSON form of ``CheckReport`` is a stable, documented schema (docs/check-report.md); bump
``SCHEMA_VERSION`` on any incompatible change.
"""

from __future__ import annotations

import platform
import sys
from datetime import UTC, datetime
from importlib import metadata
from typing import Literal

from pydantic import BaseModel, Field

from backend_agent.gates import GateResult, Target

SCHEMA_VERSION = 1


class TargetInfo(BaseModel):
    """What was checked."""

    root: str
    app: str | None = None
    database: str = "sqlite"  # "postgresql" when a PostgreSQL server was configured
    config_file: str | None = None


class Totals(BaseModel):
    """How many gates ended in each status."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0
    errored: int = 0


class CheckReport(BaseModel):
    """The outcome of ``backend-agent check``."""

    schema_version: int = SCHEMA_VERSION
    status: Literal["pass", "fail"]
    profile: Literal["full", "fast"] = "full"
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
        """0 when nothing failed, 1 when a gate failed or errored."""
        return 0 if self.status == "pass" else 1

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


def build_report(
    *,
    target: Target,
    results: list[GateResult],
    started_at: datetime,
    finished_at: datetime | None = None,
    profile: Literal["full", "fast"] = "full",
) -> CheckReport:
    """Assemble the report; a gate that failed or errored makes the whole check fail."""
    finished = finished_at or datetime.now(UTC)
    totals = Totals(
        passed=sum(r.status == "pass" for r in results),
        failed=sum(r.status == "fail" for r in results),
        skipped=sum(r.status == "skip" for r in results),
        errored=sum(r.status == "error" for r in results),
    )
    db = target.database_url or ""
    return CheckReport(
        status="fail" if totals.failed or totals.errored else "pass",
        profile=profile,
        target=TargetInfo(
            root=str(target.root),
            app=target.app,
            database="postgresql" if db.startswith("postgres") else "sqlite",
            config_file=target.options.get("config_file"),
        ),
        gates=results,
        totals=totals,
        started_at=started_at,
        finished_at=finished,
        duration_s=round((finished - started_at).total_seconds(), 3),
        timings={r.gate: r.duration_s for r in results},
        versions=collect_versions(results),
    )


__all__ = ["SCHEMA_VERSION", "CheckReport", "TargetInfo", "Totals", "build_report", "collect_versions"]
