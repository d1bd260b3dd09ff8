"""Typed results of a doctor run: per operation, per statement, and the index fixes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, computed_field

from backend_agent.gates.base import Finding


class Hotspot(BaseModel):
    where: str  # "app/repositories/tasks.py:list_in_project", or "(library code)"
    samples: int


class OperationProfile(BaseModel):
    """What one read operation costs on the seeded database."""

    operation: str
    path: str  # the concrete path requested
    requests: int
    statuses: dict[str, int] = Field(default_factory=dict)
    p50_ms: float
    p95_ms: float
    statements_per_request: float
    # After --fix: the same requests, alternated, on the schema without the new indexes.
    p50_without_fix_ms: float | None = None
    p95_without_fix_ms: float | None = None
    page_param: str | None = None
    page_small: dict[str, float] | None = None  # {"page_size", "items", "statements"}
    page_large: dict[str, float] | None = None
    n_plus_one: bool = False
    repeated_statement: str | None = None
    sql_ms_per_request: float = 0.0  # from the statement timings recorded in the service
    db_share: float | None = None  # share of busy samples spent in the database driver
    samples: int = 0
    hotspots: list[Hotspot] = Field(default_factory=list)


class StatementProfile(BaseModel):
    """One statement shape across the traffic, with its plan on the seeded database."""

    sql: str
    calls: int
    total_ms: float
    max_ms: float
    mean_ms: float
    operations: list[str] = Field(default_factory=list)
    plan: list[str] = Field(default_factory=list)
    full_scans: list[str] = Field(default_factory=list)  # tables read in full
    plan_error: str | None = None


class IndexFix(BaseModel):
    """An index that was tried on the seeded database and made a statement faster."""

    table: str
    columns: list[str]
    name: str
    create_sql: str
    statement: str
    before_ms: float
    after_ms: float
    plan_before: list[str] = Field(default_factory=list)
    plan_after: list[str] = Field(default_factory=list)


class DoctorPass(BaseModel):
    """One measurement: a fresh seeded database, traffic, and the analysis of what ran."""

    label: str  # "before" or "after"
    database: str  # dialect
    throwaway_database: str = ""  # where check's throwaway database was, and how the service was isolated
    rows: dict[str, int] = Field(default_factory=dict)
    seed_failures: dict[str, str] = Field(default_factory=dict)
    seed_s: float = 0.0
    operations: list[OperationProfile] = Field(default_factory=list)
    skipped_operations: dict[str, str] = Field(default_factory=dict)
    statements: list[StatementProfile] = Field(default_factory=list)
    indexes: list[IndexFix] = Field(default_factory=list)
    duration_s: float = 0.0


class RevisionWritten(BaseModel):
    path: str
    revision: str
    down_revision: str | None
    indexes: list[str]


class DoctorReport(BaseModel):
    """Everything ``backend-agent doctor`` found, and what ``--fix`` changed."""

    project: str
    before: DoctorPass
    after: DoctorPass | None = None
    revision: RevisionWritten | None = None
    findings: list[Finding] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    duration_s: float = 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def p95(self) -> list[dict[str, Any]]:
        """``p95_table()`` in the JSON report."""
        return self.p95_table()

    def p95_table(self) -> list[dict[str, Any]]:
        """Per operation: p95 before and (after --fix) after, in ms.

        After a fix both figures come from the after pass, whose requests alternated between the
        schema without and with the new indexes (same service, data and machine load);
        ``first_pass_ms`` is the p95 of the first pass, measured minutes earlier.
        """
        after = {op.operation: op for op in (self.after.operations if self.after else [])}
        rows = []
        for op in self.before.operations:
            later = after.get(op.operation)
            ab = later is not None and later.p95_without_fix_ms is not None
            rows.append(
                {
                    "operation": op.operation,
                    "before_ms": later.p95_without_fix_ms if ab and later else op.p95_ms,
                    "after_ms": later.p95_ms if later else None,
                    "first_pass_ms": op.p95_ms,
                }
            )
        return rows


__all__ = [
    "DoctorPass",
    "DoctorReport",
    "Hotspot",
    "IndexFix",
    "OperationProfile",
    "RevisionWritten",
    "StatementProfile",
]
