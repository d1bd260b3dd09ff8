"""The doctor's passes: seed a throwaway database, send traffic to each read operation, analyse.

One pass = a fresh throwaway database migrated by the project, the service started with the tracer
loaded, a signed-in user, 10^4 rows per table (configurable), then per read operation: a warm-up,
``requests`` timed requests for p50/p95, and a few requests at a small and a large page size to
see whether the statement count grows with the page (N+1). After the service stops, the slowest
statement shapes are explained and candidate indexes tried on the same seeded database.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, inspect, text

from backend_agent.gates._apiclient import ApiUser, AuthSetupError, sign_up
from backend_agent.gates._openapi import Operation, operations, param_sample
from backend_agent.gates._service import RunningService, database_for, option, start_service
from backend_agent.gates.base import Target, note
from backend_agent.gates.doctor.analyze import (
    IndexSuggestion,
    equality_columns,
    explain,
    leading_columns,
    normalize,
    scanned_tables,
    time_statement,
    try_index,
)
from backend_agent.gates.doctor.model import (
    DoctorPass,
    Hotspot,
    IndexFix,
    OperationProfile,
    StatementProfile,
)
from backend_agent.gates.doctor.seed import SeedResult, seed_database
from backend_agent.gates.doctor.trace import Trace, tracer_env

GATE = "performance"
PAGE_PARAMS = ("limit", "page_size", "per_page", "pagesize", "size", "take", "first", "count")
LARGE_TABLE_ROWS = 1000
TOP_STATEMENTS = 8


@dataclass(frozen=True)
class DoctorSettings:
    rows_per_table: int = 10_000
    requests: int = 30
    page_small: int = 5
    page_large: int = 50
    analyse_indexes: bool = True


def settings_for(target: Target) -> DoctorSettings:
    return DoctorSettings(
        rows_per_table=int(option(target, GATE, "rows_per_table", 10_000)),
        requests=int(option(target, GATE, "requests", 20)),
    )


def _sqlalchemy_url(url: str) -> str:
    return (
        "postgresql+psycopg://" + url.split("://", 1)[1]
        if url.startswith(("postgres://", "postgresql://"))
        else url
    )


def _page_param(op: Operation) -> dict[str, Any] | None:
    for param in op.query_params():
        schema = param.get("schema") or {}
        if param.get("name", "").lower() in PAGE_PARAMS and schema.get("type") in ("integer", None):
            return param
    return None


def _table_for(param: str, segment_before: str, tables: set[str]) -> str | None:
    stem = re.sub(r"(_id|Id|_pk|ID)$", "", param).lower()
    for name in (segment_before.lower(), stem + "s", stem + "es", stem):
        if name in tables:
            return name
    return None


def concrete_path(op: Operation, seeded: SeedResult) -> str | None:
    """``op.path`` with each id parameter set to a row the doctor's user owns (the busiest one)."""
    tables = set(seeded.rows)
    parts = op.path.split("/")
    for index, part in enumerate(parts):
        match = re.fullmatch(r"{([^}]+)}", part)
        if not match:
            continue
        table = _table_for(match.group(1), parts[index - 1] if index else "", tables)
        ids = seeded.hot_ids.get(table or "") or []
        if not ids:
            return None
        parts[index] = str(ids[0])
    return "/".join(parts)


def _items(response: httpx.Response) -> int:
    try:
        payload = response.json()
    except ValueError:
        return 0
    if isinstance(payload, list):
        return len(payload)
    if isinstance(payload, dict):
        return next((len(v) for v in payload.values() if isinstance(v, list)), 0)
    return 0


@dataclass
class _Timed:
    start: float
    end: float
    status: int
    items: int

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1000


def _send(client: httpx.Client, path: str, params: dict[str, Any], headers: dict[str, str]) -> _Timed:
    for attempt in range(3):
        start = time.time()
        try:
            response = client.get(path, params=params, headers=headers)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError):
            if attempt == 2:
                return _Timed(start, time.time(), 0, 0)
            time.sleep(0.2)
            continue
        return _Timed(start, time.time(), response.status_code, _items(response))
    raise AssertionError("unreachable")


class _Pass:
    def __init__(
        self, target: Target, settings: DoctorSettings, label: str, ab_indexes: list[IndexFix] | None = None
    ) -> None:
        self.target = target
        self.ab_indexes = ab_indexes or []
        self.settings = settings
        self.result = DoctorPass(label=label, database="")
        self.timings: dict[str, dict[str, list[_Timed]]] = {}
        self.paths: dict[str, str] = {}
        self.page_params: dict[str, str] = {}

    def run(self) -> DoctorPass:
        started = time.monotonic()
        with (
            tempfile.TemporaryDirectory(prefix="ba-doctor-trace-") as trace_dir,
            database_for(self.target, prefix="ba_doctor") as db,
        ):
            self.result.database = db.dialect
            # check's own URL of its throwaway database (the service may see it under another address)
            engine = create_engine(_sqlalchemy_url(db.url))
            try:
                env = tracer_env(Path(trace_dir), self.target.root)
                with start_service(self.target, database=db, env=env, gate=GATE) as service:
                    note(
                        f"{self.result.label}: service ready at {service.base_url} ({service.database_where})"
                    )
                    self.result.throwaway_database = service.database_where
                    user = self._sign_in(service)
                    seeded = self._seed(engine, service, user)
                    self._traffic(service, user, seeded, engine)
                trace = Trace(Path(trace_dir))
                self._profile_operations(trace)
                if self.ab_indexes:
                    # Fresh statistics and connections after the index switches, so the plans shown
                    # are the ones the final schema gets.
                    engine.dispose()
                    with engine.begin() as conn:
                        conn.execute(text("ANALYZE"))
                self._profile_statements(engine, trace, seeded)
            finally:
                engine.dispose()
        self.result.duration_s = time.monotonic() - started
        return self.result

    def _sign_in(self, service: RunningService) -> ApiUser | None:
        if not any(op.secured for op in operations(service.openapi)):
            return None
        with httpx.Client(base_url=service.base_url, timeout=30.0, trust_env=False) as client:
            try:
                return sign_up(
                    client, service.openapi, config=option(self.target, GATE, "auth"), name="doctor",
                    run=service.run_command,
                )
            except (AuthSetupError, httpx.HTTPError) as exc:
                self.result.skipped_operations["(secured operations)"] = (
                    f"could not sign in a user: {getattr(exc, 'message', exc)}"
                )
                return None

    def _seed(self, engine: Any, service: RunningService, user: ApiUser | None) -> SeedResult:
        began = time.monotonic()
        identity = (user.username, user.email) if user else ()
        seeded = seed_database(
            engine, rows_per_table=self.settings.rows_per_table, doc=service.openapi, user_identity=identity
        )
        self.result.rows = seeded.rows
        self.result.seed_failures = seeded.failures
        self.result.seed_s = time.monotonic() - began
        note(f"{self.result.label}: seeded {sum(seeded.rows.values())} rows in {self.result.seed_s:.1f} s")
        return seeded

    def _traffic(
        self, service: RunningService, user: ApiUser | None, seeded: SeedResult, engine: Any
    ) -> None:
        targets = self._targets(service, user, seeded)
        with httpx.Client(base_url=service.base_url, timeout=30.0, trust_env=False) as client:
            for _, path, query, headers, _page in targets:
                for _ in range(2):
                    _send(client, path, query, headers)
            if self.ab_indexes:
                self._ab_rounds(client, targets, engine)
            else:
                for label, path, query, headers, _page in targets:
                    runs = self.timings[label]
                    runs["default"] = [
                        _send(client, path, query, headers) for _ in range(self.settings.requests)
                    ]
            for label, path, query, headers, page in targets:
                if page is None:
                    continue
                name = page["name"]
                self.page_params[label] = name
                maximum = (page.get("schema") or {}).get("maximum")
                large = min(self.settings.page_large, int(maximum)) if maximum else self.settings.page_large
                runs = self.timings[label]
                small_query = {**query, name: self.settings.page_small}
                runs["small"] = [_send(client, path, small_query, headers) for _ in range(3)]
                runs["large"] = [_send(client, path, {**query, name: large}, headers) for _ in range(3)]
        note(
            f"{self.result.label}: {sum(len(r['default']) for r in self.timings.values())} timed request(s) "
            f"on {len(self.timings)} read operation(s)"
        )

    def _targets(
        self, service: RunningService, user: ApiUser | None, seeded: SeedResult
    ) -> list[tuple[str, str, dict[str, Any], dict[str, str], dict[str, Any] | None]]:
        """(label, concrete path, required query, headers, page-size parameter) per read operation."""
        found = []
        for op in (o for o in operations(service.openapi) if o.method == "GET"):
            if op.secured and user is None:
                self.result.skipped_operations[op.label] = "secured, and no user could be signed in"
                continue
            path = concrete_path(op, seeded)
            if path is None:
                self.result.skipped_operations[op.label] = "no seeded row to fill its path parameters"
                continue
            if path.endswith(("openapi.json", "/docs", "/redoc")):
                continue
            headers = user.headers if (user and op.secured) else {}
            query = {
                p["name"]: param_sample(service.openapi, p, tag="doctor")
                for p in op.query_params(required_only=True)
            }
            self.paths[op.label] = path
            self.timings[op.label] = {"default": [], "without_fix": [], "small": [], "large": []}
            found.append((op.label, path, query, headers, _page_param(op)))
        return found

    def _ab_rounds(
        self,
        client: httpx.Client,
        targets: list[tuple[str, str, dict[str, Any], dict[str, str], dict[str, Any] | None]],
        engine: Any,
    ) -> None:
        """With, without, with, without the fix's indexes, on the same service and data: the
        before/after comparison is made under the same machine load, so it survives noise."""
        per_round = max(1, (self.settings.requests + 1) // 2)
        try:
            for with_fix in (True, False, True, False):
                _set_indexes(engine, self.ab_indexes, present=with_fix)
                arm = "default" if with_fix else "without_fix"
                for label, path, query, headers, _page in targets:
                    self.timings[label][arm] += [
                        _send(client, path, query, headers) for _ in range(per_round)
                    ]
        finally:
            _set_indexes(engine, self.ab_indexes, present=True)

    def _profile_operations(self, trace: Trace) -> None:
        for label, runs in self.timings.items():
            default = runs["default"]
            latencies = sorted(t.ms for t in default)
            counts = [len(trace.statements(t.start, t.end)) for t in default]
            sql_ms = [sum(r.duration_s for r in trace.statements(t.start, t.end)) * 1000 for t in default]
            samples = [s for t in default for s in trace.samples_in(t.start, t.end)]
            busy = len(samples)
            where = Counter(s.where or "(library code)" for s in samples if s.kind == "py")
            profile = OperationProfile(
                operation=label,
                path=self.paths[label],
                requests=len(default),
                statuses=dict(Counter(str(t.status) for t in default)),
                p50_ms=round(statistics.median(latencies), 2),
                p95_ms=round(_p95(latencies), 2),
                statements_per_request=statistics.median(counts) if counts else 0,
                sql_ms_per_request=round(statistics.median(sql_ms), 3) if sql_ms else 0.0,
                db_share=round(sum(1 for s in samples if s.kind == "db") / busy, 3) if busy else None,
                samples=busy,
                hotspots=[Hotspot(where=w, samples=n) for w, n in where.most_common(5)],
            )
            if runs["without_fix"]:
                without = sorted(t.ms for t in runs["without_fix"])
                profile.p95_without_fix_ms = round(_p95(without), 2)
                profile.p50_without_fix_ms = round(statistics.median(without), 2)
            if runs["small"] and runs["large"]:
                self._page_growth(profile, trace, runs["small"], runs["large"], self.page_params[label])
            self.result.operations.append(profile)

    def _page_growth(
        self, profile: OperationProfile, trace: Trace, small: list[_Timed], large: list[_Timed], param: str
    ) -> None:
        def summary(runs: list[_Timed], size: int) -> dict[str, float]:
            return {
                "page_size": size,
                "items": statistics.median(t.items for t in runs),
                "statements": statistics.median(len(trace.statements(t.start, t.end)) for t in runs),
            }

        profile.page_param = param
        profile.page_small = summary(small, self.settings.page_small)
        profile.page_large = summary(large, self.settings.page_large)
        extra_items = profile.page_large["items"] - profile.page_small["items"]
        extra_statements = profile.page_large["statements"] - profile.page_small["statements"]
        if extra_items >= 5 and extra_statements >= 0.5 * extra_items:
            profile.n_plus_one = True
            shapes_small = Counter(normalize(r.sql) for r in trace.statements(small[-1].start, small[-1].end))
            shapes_large = Counter(normalize(r.sql) for r in trace.statements(large[-1].start, large[-1].end))
            growth = {sql: n - shapes_small.get(sql, 0) for sql, n in shapes_large.items()}
            profile.repeated_statement = max(growth, key=lambda sql: growth[sql]) if growth else None

    def _profile_statements(self, engine: Any, trace: Trace, seeded: SeedResult) -> None:
        shapes: dict[str, dict[str, Any]] = {}
        for label, runs in self.timings.items():
            for timed in runs["default"]:
                for record in trace.statements(timed.start, timed.end):
                    shape = shapes.setdefault(
                        normalize(record.sql),
                        {"sql": record.sql, "params": record.params, "times": [], "ops": set()},
                    )
                    shape["times"].append(record.duration_s * 1000)
                    shape["ops"].add(label)
        ranked = sorted(shapes.items(), key=lambda item: -sum(item[1]["times"]))[:TOP_STATEMENTS]
        tried: set[tuple[str, str]] = set()
        for normalized, shape in ranked:
            times = shape["times"]
            profile = StatementProfile(
                sql=normalized,
                calls=len(times),
                total_ms=round(sum(times), 3),
                max_ms=round(max(times), 3),
                mean_ms=round(sum(times) / len(times), 3),
                operations=sorted(shape["ops"]),
            )
            try:
                profile.plan = explain(engine, shape["sql"], shape["params"])
            except Exception as exc:  # parameters that cannot be replayed (types lost in JSON)
                profile.plan_error = " ".join(str(exc).split())[:300]
                self.result.statements.append(profile)
                continue
            profile.full_scans = [
                t
                for t in scanned_tables(profile.plan, engine.dialect.name)
                if seeded.rows.get(t, 0) >= LARGE_TABLE_ROWS
            ]
            self.result.statements.append(profile)
            if self.settings.analyse_indexes:
                self._try_indexes(engine, shape, profile, seeded, tried)

    def _try_indexes(
        self,
        engine: Any,
        shape: dict[str, Any],
        profile: StatementProfile,
        seeded: SeedResult,
        tried: set[tuple[str, str]],
    ) -> None:
        candidates = equality_columns(shape["sql"])
        before_ms: float | None = None
        # Per table, only the index that helped most: several single-column indexes on one table
        # can leave the planner worse off than one (SQLite then scans), so one is suggested.
        best: dict[str, IndexSuggestion] = {}
        for table, columns in candidates.items():
            if seeded.rows.get(table, 0) < LARGE_TABLE_ROWS:
                continue
            covered = leading_columns(engine, table)
            for column in columns:
                if column in covered or (table, column) in tried:
                    continue
                tried.add((table, column))
                if before_ms is None:
                    before_ms = time_statement(engine, shape["sql"], shape["params"])
                suggestion = try_index(
                    engine,
                    table=table,
                    column=column,
                    sql=shape["sql"],
                    params=shape["params"],
                    before_ms=before_ms,
                    plan_before=profile.plan,
                )
                if suggestion is not None and (table not in best or suggestion.after_ms < best[table].after_ms):
                    best[table] = suggestion
        for suggestion in best.values():
            self.result.indexes.append(
                IndexFix(
                    table=suggestion.table,
                    columns=suggestion.columns,
                    name=suggestion.name,
                    create_sql=suggestion.create_sql,
                    statement=profile.sql,
                    before_ms=round(suggestion.before_ms, 3),
                    after_ms=round(suggestion.after_ms, 3),
                    plan_before=suggestion.plan_before,
                    plan_after=suggestion.plan_after,
                )
            )


def _p95(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(0.95 * (len(ordered) - 1))))
    return ordered[rank]


def _set_indexes(engine: Any, indexes: list[IndexFix], *, present: bool) -> None:
    inspector = inspect(engine)
    with engine.begin() as conn:
        for index in indexes:
            exists = any(i.get("name") == index.name for i in inspector.get_indexes(index.table))
            if present and not exists:
                conn.execute(text(index.create_sql))
            elif not present and exists:
                conn.execute(text(f'DROP INDEX "{index.name}"'))
        for table in sorted({index.table for index in indexes}):
            conn.execute(text(f'ANALYZE "{table}"'))


def measure(
    target: Target, settings: DoctorSettings, *, label: str, ab_indexes: list[IndexFix] | None = None
) -> DoctorPass:
    """One full pass (raises ServiceStartError when the service cannot be started).

    With ``ab_indexes`` (the indexes a fix added) the timed requests alternate between the schema
    with and without them, and each operation also gets ``p95_without_fix_ms``.
    """
    return _Pass(target, settings, label, ab_indexes).run()


__all__ = ["DoctorSettings", "concrete_path", "measure", "settings_for"]
