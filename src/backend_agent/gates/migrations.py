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

Every alembic command runs in check's sandbox (``_sandbox``) with every usual database variable
naming the throwaway database. Before the first step that database must be empty, and after each
step it must hold exactly what the step did (the head revisions after an upgrade, none after
``downgrade base``); otherwise the project's migrations went to some other database and the gate
stops at once, naming the variables the project reads.

squawk lints only the revisions that are new: not in the base branch of the project's git
history (``base_branch``, default ``origin/main``, ``main`` or ``master``), or newer than
``lint_since``; a revision already applied everywhere cannot be written differently any more.
"""

from __future__ import annotations

import ast
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from backend_agent.errors import GateError
from backend_agent.gates._alembic import (
    MisdirectedDatabase,
    applied_revisions,
    heads,
    misdirected,
    reached_elsewhere,
    read_revisions,
    script_location,
    table_names,
)
from backend_agent.gates._database import DatabaseUnavailable, ThrowawayDatabase
from backend_agent.gates._proc import ProcResult, find_tool, install_hint, run_process
from backend_agent.gates._project import project_python, relative
from backend_agent.gates._projectenv import EnvironmentUnavailable
from backend_agent.gates._sandbox import Sandbox, database_env, project_sandbox
from backend_agent.gates._service import cannot_start, database_for, option
from backend_agent.gates.base import Finding, Gate, GateResult, Target, could_not_run, note

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
OFFLINE_DATABASE = ThrowawayDatabase(
    url=OFFLINE_PG_URL, dialect="postgresql", where="offline SQL only", name="offline", host="127.0.0.1", port=5432,
    user="offline", password="offline",
)


def _trivial(func: ast.FunctionDef) -> bool:
    for stmt in func.body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):  # docstring or ...
            continue
        return False
    return True


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

    def _alembic(self, target: Target, args: list[str], sandbox: Sandbox, offline: bool = False) -> ProcResult:
        env = dict(sandbox.env)
        if offline:
            # Offline SQL for squawk: every database variable names a PostgreSQL database nobody connects to.
            env.update(database_env(OFFLINE_DATABASE, target.root, host="127.0.0.1", port=5432,
                                    names=target.options.get("database_variables") or ()))
        return run_process(
            sandbox.wrap([project_python(target.root, target.options.get("python")), "-m", "alembic", *args]),
            cwd=target.root, env=env, inherit_env=False, timeout_s=self.timeout_s,
        )

    def run(self, target: Target) -> GateResult:
        location = script_location(target.root)
        assert location is not None  # guarded by applicable()
        revisions = read_revisions(location / "versions")
        findings = missing_downgrades(revisions, target.root)
        note(f"read {len(revisions)} revisions")
        evidence: dict[str, Any] = {"revisions": [r["revision"] for r in revisions]}
        steps: dict[str, str] = {}
        variables = target.options.get("database_variables") or ()
        try:
            with database_for(target, prefix="ba_migrations") as db, project_sandbox(
                target.root, db, database_variables=variables,
                generated_secrets=target.options.get("generated_secrets") or (),
            ) as sandbox:
                evidence["database"] = db.dialect
                evidence["throwaway_database"] = sandbox.describe()
                if db.fallback:
                    evidence["database_fallback"] = db.fallback
                if table_names(db):
                    raise MisdirectedDatabase(f"check's throwaway database ({db.where}) was not empty", hint="report this")
                findings += self._round_trip(target, db, sandbox, steps, evidence, heads(revisions))
                squawk_findings, squawk_note = self._squawk(target, revisions, sandbox)
        except (MisdirectedDatabase, DatabaseUnavailable, EnvironmentUnavailable) as exc:
            return could_not_run(self.name, exc.message, exc.hint or "", evidence={**evidence, "steps_status": steps})
        environment = next((f for f in findings if f.rule == "migrations:environment"), None)
        if environment is not None:
            return could_not_run(self.name, environment.message, environment.hint or "",
                                 evidence={**evidence, "steps_status": steps})
        findings += squawk_findings
        findings += self._startup_schema(target, evidence)
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

    @staticmethod
    def _startup_schema(target: Target, evidence: dict[str, Any]) -> list[Finding]:
        """DDL the application runs when it starts, outside the migrations (when there is an app to start)."""
        if not option(target, "migrations", "startup_schema", True) or cannot_start(target) is not None:
            return []
        from backend_agent.gates.startup_schema import startup_schema_changes

        try:
            found, details = startup_schema_changes(target)
        except GateError as exc:  # the comparison could not run: say so, the round trip still stands
            evidence["startup_schema"] = f"not compared: {exc}"
            return []
        evidence["startup_schema"] = details
        note(f"start-up schema: {len(found)} finding(s)")
        return found

    def _round_trip(
        self, target: Target, db: ThrowawayDatabase, sandbox: Sandbox, steps: dict[str, str],
        evidence: dict[str, Any], expected_heads: set[str],
    ) -> list[Finding]:
        def verify(step: str, *, at_head: bool) -> None:
            applied = applied_revisions(db) or set()
            if (at_head and not expected_heads <= applied) or (not at_head and applied):
                raise misdirected(db, target.root, step=step, set_vars=sorted(sandbox.env))

        for label, args in (("upgrade", ["upgrade", "head"]), ("downgrade", ["downgrade", "base"])):
            result = self._alembic(target, args, sandbox)
            steps[label] = "ok" if result.ok else "failed"
            note(f"alembic {' '.join(args)}: {steps[label]}")
            if not result.ok:
                if label == "upgrade" and reached_elsewhere(result.tail(4000), db):
                    raise misdirected(db, target.root, step=f"`alembic {' '.join(args)}`", set_vars=sorted(sandbox.env))
                return [self._step_failure(label, args, result)]
            # Stop before anything destructive ran anywhere else: the upgrade must have reached our database.
            verify(f"`alembic {' '.join(args)}`", at_head=label == "upgrade")
            if label == "downgrade":
                left = [t for t in table_names(db) if t != "alembic_version"]
                if left:
                    evidence["left_after_downgrade"] = left
                    steps[label] = "incomplete"
                    return [Finding(
                        rule="migrations:downgrade-incomplete",
                        message=f"tables left after `alembic downgrade base`: {', '.join(left)}",
                        severity="high",
                        hint="make each downgrade() drop the tables its upgrade() creates",
                    )]
        result = self._alembic(target, ["upgrade", "head"], sandbox)
        steps["re-upgrade"] = "ok" if result.ok else "failed"
        note(f"alembic upgrade head (again): {steps['re-upgrade']}")
        if not result.ok:
            return [self._step_failure("re-upgrade", ["upgrade", "head"], result)]
        verify("`alembic upgrade head` (again)", at_head=True)
        result = self._alembic(target, ["check"], sandbox)
        output = result.tail(1500)
        if not result.ok and ("MetaData object" in output or "target_metadata" in output):
            steps["drift check"] = "not applicable"
            note("alembic check: env.py sets no target_metadata; drift cannot be checked")
            evidence["drift_check"] = "not applicable: env.py does not set target_metadata (autogenerate is off)"
            return []
        if not result.ok and "invalid choice: 'check'" in output:
            steps["drift check"] = "not applicable"
            note("alembic check: the project's Alembic is older than 1.9 and has no `alembic check`")
            evidence["drift_check"] = "not applicable: the project's Alembic has no `alembic check` (added in 1.9)"
            return []
        steps["drift check"] = "ok" if result.ok else "drift"
        note(f"alembic check: {steps['drift check']}")
        if not result.ok:
            if "New upgrade operations detected" not in output and "Target database is not up to date" not in output:
                return [self._step_failure("drift check", ["check"], result)]
            return [Finding(
                rule="migrations:drift",
                message=f"the ORM models and the migrated schema differ: {_last_line(output)}",
                severity="high",
                hint="generate a migration with `alembic revision --autogenerate -m ...` and review it",
            )]
        return []

    @staticmethod
    def _step_failure(label: str, args: list[str], result: ProcResult) -> Finding:
        reason = "timed out" if result.timed_out else f"exit {result.returncode}"
        line = _last_line(result.tail(1500))
        if "No module named" in line or "ModuleNotFoundError" in line:
            return Finding(
                rule="migrations:environment",
                message=f"`alembic {' '.join(args)}` could not start: {line}",
                severity="high",
                hint="install the project's dependencies into its environment (a .venv in the project, or a lock "
                "file / requirements*.txt check can build one from)",
            )
        return Finding(
            rule=f"migrations:{label}-failed",
            message=f"`alembic {' '.join(args)}` failed ({reason}): {_last_line(result.tail(1500))}",
            severity="high",
            hint=f"run `alembic {' '.join(args)}` against an empty database and fix the failing revision",
        )

    def _squawk(
        self, target: Target, revisions: list[dict[str, Any]], sandbox: Sandbox
    ) -> tuple[list[Finding], str]:
        squawk = find_tool("squawk")
        if squawk is None:
            return [], f"squawk skipped: {install_hint('squawk')}"
        if any(name.upper().endswith(("_PATH", "_FILE")) for name in target.options.get("database_variables") or ()):
            return [], "squawk not applicable: the project's database is a SQLite file"
        new, why = new_revisions(target, revisions)
        if not new:
            return [], f"squawk: no new revision to lint ({why})"
        findings: list[Finding] = []
        with tempfile.TemporaryDirectory(prefix="ba-squawk-") as tmp:
            for rev in new:
                down = rev["down_revision"]
                span = f"{down}:{rev['revision']}" if isinstance(down, str) else rev["revision"]
                result = self._alembic(target, ["upgrade", span, "--sql"], sandbox, offline=True)
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
        note(f"squawk: {len(findings)} findings on {len(new)} new revision(s) ({why})")
        return findings, (f"squawk linted {len(new)} of {len(revisions)} revisions ({why})" if len(new) < len(revisions) else "")


def _descendants(revisions: list[dict[str, Any]], since: str) -> list[dict[str, Any]]:
    children: dict[str, list[str]] = {}
    for rev in revisions:
        down = rev["down_revision"]
        for parent in [down] if isinstance(down, str) else list(down or ()):
            children.setdefault(parent, []).append(rev["revision"])
    found: set[str] = set()
    stack = list(children.get(since, []))
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack += children.get(current, [])
    return [rev for rev in revisions if rev["revision"] in found]


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None


def new_revisions(target: Target, revisions: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """The revisions squawk should lint, and why those.

    ``lint_since = "<revision>"`` lints its descendants only. Else, in a git work tree, the
    revisions whose files the base branch (``base_branch``, default origin/main, main or master) does
    not have yet. Else all of them.
    """
    options = target.options.get("migrations")
    options = options if isinstance(options, dict) else {}
    since = options.get("lint_since")
    if since:
        if since not in {rev["revision"] for rev in revisions}:
            return revisions, f"lint_since {since!r} is no revision of this project; linted all"
        return _descendants(revisions, since), f"newer than {since}"
    inside = _git(target.root, "rev-parse", "--is-inside-work-tree")
    if inside is None or inside.stdout.strip() != "true":
        return revisions, "no git history"
    candidates = [options["base_branch"]] if options.get("base_branch") else ["origin/main", "origin/master", "main", "master"]
    for branch in candidates:
        verified = _git(target.root, "rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}")
        if verified is None or verified.returncode != 0:
            continue
        top = _git(target.root, "rev-parse", "--show-toplevel")
        top_dir = Path(top.stdout.strip()) if top is not None and top.returncode == 0 else target.root
        fresh = []
        for rev in revisions:
            rel = Path(rev["file"]).resolve().relative_to(top_dir.resolve()).as_posix()
            present = _git(target.root, "cat-file", "-e", f"{branch}:{rel}")
            if present is None or present.returncode != 0:
                fresh.append(rev)
        return fresh, f"not yet in {branch}"
    return revisions, "no base branch found"


def _last_line(text: str) -> str:
    """The most telling line of a failure: the last exception line, else the last line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if ("Error" in line or "Exception" in line) and not line.startswith(("(Background", "File ")):
            return line[:300]
    return lines[-1][:300] if lines else "no output"


__all__ = ["SQUAWK_EXCLUDED", "MigrationsGate", "missing_downgrades", "new_revisions", "read_revisions", "script_location"]
