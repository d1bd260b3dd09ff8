"""Reading recorded SQL: statement shapes, EXPLAIN plans, and indexes that measurably help.

An index is only suggested after it was tried: the doctor creates it on the throwaway database,
re-runs the statement with the parameters the service used, compares the median times and the
plans, and drops it again. Sequential scans on large tables are the candidates; a measured speed-up
is the evidence.
"""

from __future__ import annotations

import re
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, inspect, text

_PLACEHOLDER = r"(?:\?|%\(\w+\)s|%s|\$\d+|:\w+)"
_ALIAS = re.compile(r"(?:\bFROM|\bJOIN|,)\s+\"?(\w+)\"?\s+(?:AS\s+)?\"?(\w+)\"?", re.IGNORECASE)
_EQ_LEFT = re.compile(rf"\"?(\w+)\"?\.\"?(\w+)\"?\s*(?:=|IN\s*\()\s*{_PLACEHOLDER}", re.IGNORECASE)
_EQ_RIGHT = re.compile(rf"{_PLACEHOLDER}\s*=\s*\"?(\w+)\"?\.\"?(\w+)\"?", re.IGNORECASE)
_IN_LIST = re.compile(rf"\(\s*{_PLACEHOLDER}(?:\s*,\s*{_PLACEHOLDER})+\s*\)")
_SQLITE_SCAN = re.compile(r"^SCAN (\w+)(?:\s+AS\s+\w+)?\s*$", re.MULTILINE)
_PG_SCAN = re.compile(r"Seq Scan on (\w+)")
_KEYWORDS = {
    "where",
    "on",
    "join",
    "left",
    "inner",
    "outer",
    "order",
    "group",
    "limit",
    "cross",
    "full",
    "right",
}


def normalize(sql: str) -> str:
    """One spelling per statement shape: single spaces, IN lists of any length folded."""
    return _IN_LIST.sub("(…)", " ".join(sql.split()))


def equality_columns(sql: str) -> dict[str, list[str]]:
    """Table -> columns compared for equality with a bound parameter (aliases resolved)."""
    aliases = {alias: table for table, alias in _ALIAS.findall(sql) if alias.lower() not in _KEYWORDS}
    found: dict[str, list[str]] = {}
    pairs = _EQ_LEFT.findall(sql) + _EQ_RIGHT.findall(sql)
    for qualifier, column in pairs:
        table = aliases.get(qualifier, qualifier)
        columns = found.setdefault(table, [])
        if column not in columns:
            columns.append(column)
    return found


def scanned_tables(plan: list[str], dialect: str) -> list[str]:
    """Tables the plan reads in full."""
    joined = "\n".join(plan)
    pattern = _PG_SCAN if dialect == "postgresql" else _SQLITE_SCAN
    return sorted(set(pattern.findall(joined)))


def _params(params: Any) -> Any:
    if isinstance(params, list):
        return tuple(params)
    return params if params is not None else ()


def explain(engine: Engine, sql: str, params: Any) -> list[str]:
    """The plan of ``sql`` run with ``params`` (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL)."""
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(prefix + sql, _params(params))
        rows = cursor.fetchall()
        raw.rollback()
    finally:
        raw.close()
    if engine.dialect.name == "sqlite":
        return [str(row[-1]) for row in rows]
    return [str(row[0]) for row in rows]


def time_statement(engine: Engine, sql: str, params: Any, *, runs: int = 11) -> float:
    """Median milliseconds to run ``sql`` and fetch its rows."""
    raw = engine.raw_connection()
    timings = []
    try:
        cursor = raw.cursor()
        for _ in range(runs):
            began = time.perf_counter()
            cursor.execute(sql, _params(params))
            if cursor.description is not None:
                cursor.fetchall()
            timings.append((time.perf_counter() - began) * 1000)
        raw.rollback()
    finally:
        raw.close()
    return statistics.median(timings)


@dataclass
class IndexSuggestion:
    """An index that made a recorded statement measurably faster on the seeded database."""

    table: str
    columns: list[str]
    name: str
    statement: str
    before_ms: float
    after_ms: float
    plan_before: list[str] = field(default_factory=list)
    plan_after: list[str] = field(default_factory=list)

    @property
    def create_sql(self) -> str:
        return f"CREATE INDEX {self.name} ON {self.table} ({', '.join(self.columns)})"

    @property
    def speedup(self) -> float:
        return self.before_ms / self.after_ms if self.after_ms > 0 else float("inf")


def leading_columns(engine: Engine, table: str) -> set[str]:
    """First columns of every index, primary key and unique constraint on ``table``."""
    inspector = inspect(engine)
    leading: set[str] = set()
    for index in inspector.get_indexes(table):
        names = [n for n in index.get("column_names") or [] if n]
        if names:
            leading.add(names[0])
    primary = inspector.get_pk_constraint(table).get("constrained_columns") or []
    if primary:
        leading.add(primary[0])
    for unique in inspector.get_unique_constraints(table):
        names = unique.get("column_names") or []
        if names:
            leading.add(names[0])
    return leading


def try_index(
    engine: Engine,
    *,
    table: str,
    column: str,
    sql: str,
    params: Any,
    before_ms: float,
    plan_before: list[str],
) -> IndexSuggestion | None:
    """Create an index on ``table(column)``, re-time ``sql``, drop it; a suggestion when it helped."""
    probe = f"ba_doctor_probe_{table}_{column}"[:60]
    with engine.begin() as conn:
        conn.execute(text(f'CREATE INDEX "{probe}" ON "{table}" ("{column}")'))
        conn.execute(text(f'ANALYZE "{table}"'))
    try:
        after_ms = time_statement(engine, sql, params)
        plan_after = explain(engine, sql, params)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP INDEX "{probe}"'))
    used = any(probe in line for line in plan_after)
    if not used or after_ms * 1.5 > before_ms:
        return None
    return IndexSuggestion(
        table=table,
        columns=[column],
        name=f"ix_{table}_{column}",
        statement=sql,
        before_ms=before_ms,
        after_ms=after_ms,
        plan_before=plan_before,
        plan_after=[line.replace(probe, f"ix_{table}_{column}") for line in plan_after],
    )


__all__ = [
    "IndexSuggestion",
    "equality_columns",
    "explain",
    "leading_columns",
    "normalize",
    "scanned_tables",
    "time_statement",
    "try_index",
]
