"""performance gate: the doctor without ``--fix`` — N+1 queries and missing indexes fail the project.

It seeds a throwaway database (10^4 rows per table unless ``rows_per_table`` says otherwise),
profiles every read operation and reports what ``backend-agent doctor`` reports. Options::

    [tool.backend-agent.performance]
    rows_per_table = 10000
    requests = 20        # timed requests per read operation
    p95_ms = 100         # per-operation budget on the seeded database
"""

from __future__ import annotations

import time
from typing import ClassVar

from backend_agent.gates._alembic import MisdirectedDatabase
from backend_agent.gates._database import DatabaseUnavailable
from backend_agent.gates._projectenv import EnvironmentUnavailable
from backend_agent.gates._service import ServiceStartError, cannot_start, start_failure
from backend_agent.gates.base import Gate, GateResult, Target, could_not_run
from backend_agent.gates.doctor import diagnose

NAME = "performance"


class PerformanceGate(Gate):
    name: ClassVar[str] = NAME
    description: ClassVar[str] = (
        "no N+1 queries or missing indexes on a database seeded with 10^4 rows per table"
    )
    timeout_s: ClassVar[float] = 300.0

    def applicable(self, target: Target) -> str | None:
        return cannot_start(target)

    def run(self, target: Target) -> GateResult:
        started = time.monotonic()
        try:
            report = diagnose(target, standalone=False)
        except ServiceStartError as exc:
            result = start_failure(NAME, exc, rule="perf:start")
            result.duration_s = time.monotonic() - started
            return result
        except (MisdirectedDatabase, DatabaseUnavailable, EnvironmentUnavailable) as exc:
            result = could_not_run(NAME, exc.message, exc.hint or "")
            result.duration_s = time.monotonic() - started
            return result
        failing = [f for f in report.findings if f.severity in ("medium", "high", "critical")]
        before = report.before
        slowest = max(before.operations, key=lambda op: op.p95_ms, default=None)
        summary = (
            f"{len(failing)} performance problem(s): {', '.join(sorted({f.rule for f in failing}))}"
            if failing
            else f"no N+1 or missing index on {len(before.operations)} read operation(s), "
            f"{sum(before.rows.values())} seeded rows"
        )
        return GateResult(
            gate=NAME,
            status="fail" if failing else "pass",
            summary=summary,
            findings=report.findings,
            metrics={
                "operations": len(before.operations),
                "seeded_rows": sum(before.rows.values()),
                "n_plus_one": sum(1 for op in before.operations if op.n_plus_one),
                "missing_indexes": len(before.indexes),
                "worst_p95_ms": slowest.p95_ms if slowest else None,
            },
            evidence={"doctor": report.model_dump(mode="json"), "throwaway_database": before.throwaway_database},
            hint="run `backend-agent doctor --fix` to write the missing indexes as an Alembic revision"
            if before.indexes
            else (failing[0].hint if failing else None),
            duration_s=time.monotonic() - started,
        )


__all__ = ["PerformanceGate"]
