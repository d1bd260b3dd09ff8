"""The migrations gate: Alembic round trip on a throwaway database, drift check, and squawk lint.

Steps, each noted for timeout reports:

1. Read every revision file: a ``downgrade()`` that does nothing (``pass``, docstring, ``...``)
   while ``upgrade()`` changes the schema fails, naming the revision.
2. On a throwaway database (fresh PostgreSQL database on the configured server, else SQLite):
   ``upgrade head`` -> ``downgrade base`` (tables left behind fail) -> ``upgrade head``.
3. ``alembic check``: the ORM models and the migrated schema must not differ.
4. squawk on the offline PostgreSQL SQL of each revision (``alembic upgrade A:B --sql``). Enforced:
   squawk's locking and unsafe-operation rules. Left out (``SQUAWK_EXCLUDED``): column-type style
   preferences and the lock/statement timeout reminders, which Alembic's generated SQL never sets.

The checked project's ``env.py`` must take its URL from the ``DATABASE_URL`` environment variable.
"""

from __future__ import annotations

import ast
import configparser
import json
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from backend_agent.gates._database import throwaway_database
from backend_agent.gates._proc import ProcResult, find_tool, install_hint, run_process
from backend_agent.gates._project import project_python, relative
from backend_agent.gates.base import Finding, Gate, GateResult, Target, note

SQUAWK_EXCLUDED = (
    "prefer-bigint-over-int",
    "prefer-bigint-over-smallint",
    "prefer-identity",
    "prefer-text-field",
    "prefer-robust-stmts",
    "require-lock-timeout",
    "require-statement-timeout",
)
OFFLINE_PG_URL = "postgresql+psycopg://offline@127.0.0.1:5432/offline"


def _trivial(func: ast.FunctionDef) -> bool:
    for stmt in func.body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):  # docstring or ...
            continue
        return False
    return True


def read_revisions(versions_dir: Path) -> list[dict[str, Any]]:
    """Revision id, parent, file and whether up/downgrade do anything, for each revision file."""
    revisions = []
    for path in sorted(versions_dir.glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        info: dict[str, Any] = {"file": path, "revision": None, "down_revision": None, "upgrade": None, "downgrade": None}
        for node in tree.body:
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            for name in targets:
                if isinstance(name, ast.Name) and name.id in ("revision", "down_revision"):
                    info[name.id] = value.value if isinstance(value, ast.Constant) else None
            if isinstance(node, ast.FunctionDef) and node.name in ("upgrade", "downgrade"):
                info[node.name] = node
        if info["revision"]:
            revisions.append(info)
    return revisions


def missing_downgrades(revisions: list[dict[str, Any]], root: Path) -> list[Finding]:
    findings = []
    for rev in revisions:
        up, down = rev["upgrade"], rev["downgrade"]
        if up is None or _trivial(up):
            continue
        if down is None or _trivial(down):
            findings.append(
                Finding(
                    rule="migrations:no-downgrade",
                    message=f"revision {rev['revision']} ({rev['file'].name}) has no downgrade: "
                    "downgrade() is missing or empty while upgrade() changes the schema",
                    severity="high",
                    file=relative(rev["file"], root),
                    line=down.lineno if down is not None else None,
                    hint="write downgrade() to undo upgrade() (drop what it adds, restore what it drops)",
                )
            )
    return findings


def script_location(root: Path) -> Path | None:
    ini = root / "alembic.ini"
    if not ini.is_file():
        return None
    parser = configparser.ConfigParser(defaults={"here": str(root)})
    parser.read(ini, encoding="utf-8")
    location = parser.get("alembic", "script_location", fallback=None)
    if not location:
        return None
    path = Path(location)
    return path if path.is_absolute() else root / path


class MigrationsGate(Gate):
    """Alembic up/down/up on a throwaway database, drift detection and squawk on the SQL."""

    name: ClassVar[str] = "migrations"
    description: ClassVar[str] = "migrations apply, roll back and re-apply cleanly, match the models, and lock safely"
    timeout_s: ClassVar[float] = 300.0
    parallel_safe: ClassVar[bool] = True

    def applicable(self, target: Target) -> str | None:
        if script_location(target.root) is None:
            return "no alembic.ini with a script_location found"
        return None

    def _alembic(self, target: Target, args: list[str], url: str) -> ProcResult:
        return run_process(
            [project_python(target.root), "-m", "alembic", *args],
            cwd=target.root,
            env={"DATABASE_URL": url, "PYTHONDONTWRITEBYTECODE": "1"},
            timeout_s=self.timeout_s,
        )

    def run(self, target: Target) -> GateResult:
        location = script_location(target.root)
        assert location is not None  # guarded by applicable()
        revisions = read_revisions(location / "versions")
        findings = missing_downgrades(revisions, target.root)
        note(f"read {len(revisions)} revisions")
        evidence: dict[str, Any] = {"revisions": [r["revision"] for r in revisions]}
        steps: dict[str, str] = {}
        with throwaway_database(target.database_url, prefix="ba_migrations") as db:
            evidence["database"] = db.dialect
            if db.fallback:
                evidence["database_fallback"] = db.fallback
            findings += self._round_trip(target, db.url, steps, evidence)
        squawk_findings, squawk_note = self._squawk(target, revisions)
        findings += squawk_findings
        evidence["steps_status"] = steps
        blocking = [f for f in findings if f.severity in ("medium", "high", "critical")]
        rules = sorted({f.rule.split(":", 1)[1] for f in blocking})
        database = evidence["database"] + (" (PostgreSQL not usable)" if "database_fallback" in evidence else "")
        summary = (
            f"{len(revisions)} revision{'' if len(revisions) == 1 else 's'} on {database}: "
            + ", ".join(f"{step} {status}" for step, status in steps.items())
            + (f"; {len(blocking)} problems ({', '.join(rules)})" if blocking else "")
            + (f"; {squawk_note}" if squawk_note else "")
        )
        return GateResult(
            gate=self.name,
            status="fail" if blocking else "pass",
            summary=summary,
            findings=findings,
            metrics={"revisions": len(revisions), "problems": len(blocking)},
            evidence=evidence,
            hint=blocking[0].hint if blocking else None,
        )

    def _round_trip(self, target: Target, url: str, steps: dict[str, str], evidence: dict[str, Any]) -> list[Finding]:
        for label, args in (("upgrade", ["upgrade", "head"]), ("downgrade", ["downgrade", "base"])):
            result = self._alembic(target, args, url)
            steps[label] = "ok" if result.ok else "failed"
            note(f"alembic {' '.join(args)}: {steps[label]}")
            if not result.ok:
                return [self._step_failure(label, args, result)]
            if label == "downgrade":
                left = _tables(url)
                if left:
                    evidence["left_after_downgrade"] = left
                    steps[label] = "incomplete"
                    return [Finding(
                        rule="migrations:downgrade-incomplete",
                        message=f"tables left after `alembic downgrade base`: {', '.join(left)}",
                        severity="high",
                        hint="make each downgrade() drop the tables its upgrade() creates",
                    )]
        result = self._alembic(target, ["upgrade", "head"], url)
        steps["re-upgrade"] = "ok" if result.ok else "failed"
        note(f"alembic upgrade head (again): {steps['re-upgrade']}")
        if not result.ok:
            return [self._step_failure("re-upgrade", ["upgrade", "head"], result)]
        result = self._alembic(target, ["check"], url)
        steps["drift check"] = "ok" if result.ok else "drift"
        note(f"alembic check: {steps['drift check']}")
        if not result.ok:
            detail = result.tail(1500)
            return [Finding(
                rule="migrations:drift",
                message=f"the ORM models and the migrated schema differ: {_last_line(detail)}",
                severity="high",
                hint="generate a migration with `alembic revision --autogenerate -m ...` and review it",
            )]
        return []

    @staticmethod
    def _step_failure(label: str, args: list[str], result: ProcResult) -> Finding:
        reason = "timed out" if result.timed_out else f"exit {result.returncode}"
        return Finding(
            rule=f"migrations:{label}-failed",
            message=f"`alembic {' '.join(args)}` failed ({reason}): {_last_line(result.tail(1500))}",
            severity="high",
            hint=f"run `alembic {' '.join(args)}` against an empty database and fix the failing revision",
        )

    def _squawk(self, target: Target, revisions: list[dict[str, Any]]) -> tuple[list[Finding], str]:
        squawk = find_tool("squawk")
        if squawk is None:
            return [], f"squawk skipped: {install_hint('squawk')}"
        findings: list[Finding] = []
        with tempfile.TemporaryDirectory(prefix="ba-squawk-") as tmp:
            for rev in revisions:
                span = f"{rev['down_revision']}:{rev['revision']}" if isinstance(rev["down_revision"], str) else rev["revision"]
                result = self._alembic(target, ["upgrade", span, "--sql"], OFFLINE_PG_URL)
                if not result.ok:
                    return findings, f"squawk skipped: offline SQL failed ({_last_line(result.tail(500))})"
                sql_file = Path(tmp) / f"{rev['revision']}.sql"
                sql_file.write_text(result.stdout, encoding="utf-8")
                lint = run_process(
                    [squawk, "--reporter", "json", "--exclude", ",".join(SQUAWK_EXCLUDED), str(sql_file)],
                    cwd=target.root, timeout_s=60,
                )
                try:
                    items = json.loads(lint.stdout or "[]")
                except json.JSONDecodeError:
                    return findings, f"squawk skipped: unreadable output ({_last_line(lint.tail(300))})"
                for item in items:
                    findings.append(Finding(
                        rule=f"squawk:{item.get('rule_name')}",
                        message=f"revision {rev['revision']}: {item.get('message')}",
                        severity="medium" if str(item.get("level")).lower() in ("warning", "error") else "low",
                        file=relative(rev["file"], target.root),
                        hint=item.get("help"),
                    ))
        note(f"squawk: {len(findings)} findings")
        return findings, ""


def _tables(url: str) -> list[str]:
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url)
    try:
        return sorted(t for t in inspect(engine).get_table_names() if t != "alembic_version")
    finally:
        engine.dispose()


def _last_line(text: str) -> str:
    """The most telling line of a failure: the last exception line, else the last line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if ("Error" in line or "Exception" in line) and not line.startswith(("(Background", "File ")):
            return line[:300]
    return lines[-1][:300] if lines else "no output"


__all__ = ["SQUAWK_EXCLUDED", "MigrationsGate", "missing_downgrades", "read_revisions", "script_location"]
