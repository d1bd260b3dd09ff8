"""The migrations gate: Alembic round trip on real SQLite/PostgreSQL, drift, missing downgrades, squawk."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.gates import load_target, run_gates
from backend_agent.gates.migrations import missing_downgrades, read_revisions
from tests.gates._defects import clean_copy, patch, write

NO_DOWNGRADE = '''
    """task estimate

    Revision ID: 0099
    Revises: {parent}
    """
    import sqlalchemy as sa
    from alembic import op

    revision = "0099"
    down_revision = "{parent}"


    def upgrade() -> None:
        op.add_column("tasks", sa.Column("estimate", sa.Integer(), nullable=True))


    def downgrade() -> None:
        """Nothing to undo."""
        pass
'''


def _head(project: Path) -> str:
    revisions = read_revisions(project / "alembic" / "versions")
    parents = {r["down_revision"] for r in revisions}
    [head] = [r["revision"] for r in revisions if r["revision"] not in parents]
    return str(head)


def test_clean_project_round_trips_on_sqlite(tmp_path: Path) -> None:
    project = clean_copy(tmp_path)
    result = run_gates(load_target(project, database_url=None), gates=["migrations"]).gates[0]
    assert result.status == "pass", [f.message for f in result.findings]
    assert result.evidence["database"] == "sqlite"
    assert result.evidence["steps_status"] == {
        "upgrade": "ok", "downgrade": "ok", "re-upgrade": "ok", "drift check": "ok"
    }


def test_migration_without_downgrade_fails_by_name(tmp_path: Path) -> None:
    project = clean_copy(tmp_path)
    write(project, "alembic/versions/0099_task_estimate.py", NO_DOWNGRADE.format(parent=_head(project)))
    # Keep the models in step so only the missing downgrade is at fault.
    patch(project, "app/models.py", "class Task(Base):", "class Task(Base):  # estimate added by 0099")
    result = run_gates(load_target(project, database_url=None), gates=["migrations"]).gates[0]
    assert result.status == "fail"
    [missing] = [f for f in result.findings if f.rule == "migrations:no-downgrade"]
    assert "revision 0099" in missing.message and "0099_task_estimate.py" in missing.message
    assert missing.file == "alembic/versions/0099_task_estimate.py"
    assert "no-downgrade" in result.summary


def test_model_drift_is_detected(tmp_path: Path) -> None:
    project = clean_copy(tmp_path)
    text = (project / "app" / "models.py").read_text(encoding="utf-8")
    assert "class Tag(Base):" in text
    (project / "app" / "models.py").write_text(
        text + "\n\nclass AuditEntry(Base):\n    __tablename__ = 'audit_entries'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n",
        encoding="utf-8",
    )
    result = run_gates(load_target(project, database_url=None), gates=["migrations"]).gates[0]
    assert result.status == "fail"
    [drift] = [f for f in result.findings if f.rule == "migrations:drift"]
    assert "audit_entries" in drift.message
    assert result.evidence["steps_status"]["drift check"] == "drift"


def test_a_broken_upgrade_is_reported_with_its_error(tmp_path: Path) -> None:
    project = clean_copy(tmp_path)
    write(project, "alembic/versions/0099_broken.py", f'''
        from alembic import op

        revision = "0099"
        down_revision = "{_head(project)}"


        def upgrade() -> None:
            op.execute("ALTER TABLE no_such_table ADD COLUMN x INTEGER")


        def downgrade() -> None:
            op.execute("SELECT 1")
    ''')
    result = run_gates(load_target(project, database_url=None), gates=["migrations"]).gates[0]
    assert result.status == "fail"
    [failed] = [f for f in result.findings if f.rule == "migrations:upgrade-failed"]
    assert "no_such_table" in failed.message


def test_unsafe_postgres_operation_is_flagged_by_squawk(tmp_path: Path) -> None:
    project = clean_copy(tmp_path)
    write(project, "alembic/versions/0099_index.py", f'''
        from alembic import op

        revision = "0099"
        down_revision = "{_head(project)}"


        def upgrade() -> None:
            op.create_index("ix_tasks_title_lookup", "tasks", ["title"])


        def downgrade() -> None:
            op.drop_index("ix_tasks_title_lookup", table_name="tasks")
    ''')
    result = run_gates(load_target(project, database_url=None), gates=["migrations"]).gates[0]
    squawk = [f for f in result.findings if f.rule.startswith("squawk:")]
    assert any(f.rule == "squawk:require-concurrent-index-creation" and "revision 0099" in f.message for f in squawk)
    assert result.status == "fail"


def test_no_alembic_is_a_skip(tmp_path: Path) -> None:
    write(tmp_path, "app.py", "x = 1\n")
    result = run_gates(load_target(tmp_path), gates=["migrations"]).gates[0]
    assert result.status == "skip" and "alembic.ini" in result.summary


def test_trivial_downgrade_detection(tmp_path: Path) -> None:
    write(tmp_path, "v/a.py", 'revision = "a"\ndown_revision = None\n\ndef upgrade():\n    pass\n\ndef downgrade():\n    pass\n')
    write(tmp_path, "v/b.py", 'revision: str = "b"\ndown_revision = "a"\n\ndef upgrade():\n    op.drop_table("x")\n\ndef downgrade():\n    ...\n')
    write(tmp_path, "v/c.py", 'revision = "c"\ndown_revision = "b"\n\ndef upgrade():\n    op.drop_table("y")\n')
    found = missing_downgrades(read_revisions(tmp_path / "v"), tmp_path)
    assert [(f.file, f.line) for f in found] == [("v/b.py", 7), ("v/c.py", None)]


@pytest.mark.slow
def test_clean_project_round_trips_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    project = clean_copy(tmp_path)
    result = run_gates(load_target(project, database_url=postgres_url), gates=["migrations"]).gates[0]
    assert result.status == "pass", [f.message for f in result.findings]
    assert result.evidence["database"] == "postgresql"


@pytest.mark.slow
def test_missing_downgrade_fails_on_postgresql_too(tmp_path: Path, postgres_url: str) -> None:
    project = clean_copy(tmp_path)
    write(project, "alembic/versions/0099_task_estimate.py", NO_DOWNGRADE.format(parent=_head(project)))
    result = run_gates(load_target(project, database_url=postgres_url), gates=["migrations"]).gates[0]
    assert result.status == "fail"
    assert any(f.rule == "migrations:no-downgrade" for f in result.findings)


def _throwaway_databases(postgres_url: str) -> set[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE 'ba_migrations_%'"))
            return {row[0] for row in rows}
    finally:
        engine.dispose()


@pytest.mark.slow
def test_interrupt_drops_the_throwaway_database(tmp_path: Path, postgres_url: str) -> None:
    import signal
    import subprocess
    import sys
    import time

    project = clean_copy(tmp_path)
    before = _throwaway_databases(postgres_url)
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend_agent", "check", str(project), "--gates", "migrations",
         "--database-url", postgres_url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (_throwaway_databases(postgres_url) - before):
            assert proc.poll() is None and time.monotonic() < deadline, "no throwaway database appeared"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
        assert proc.returncode == 130
        assert not (_throwaway_databases(postgres_url) - before), "the throwaway database was left behind"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_unusable_postgres_server_falls_back_to_sqlite_and_says_why(tmp_path: Path) -> None:
    # Nothing listens on port 1: the gate must use SQLite instead of crashing, and record why.
    project = clean_copy(tmp_path)
    unreachable = "postgresql+psycopg://nobody:secret@127.0.0.1:1/app"
    result = run_gates(load_target(project, database_url=unreachable), gates=["migrations"]).gates[0]
    assert result.status == "pass", result.summary
    assert "on sqlite (PostgreSQL not usable)" in result.summary
    assert "127.0.0.1:1" in result.evidence["database_fallback"] and "secret" not in str(result.evidence)
    assert any("using SQLite instead" in step for step in result.evidence["steps"])


# --- issue 15: history-aware lint, honest verdicts -----------------------------------------------

INDEX_REVISION = '''
    from alembic import op

    revision = "{rev}"
    down_revision = "{parent}"


    def upgrade() -> None:
        op.create_index("ix_tasks_{rev}", "tasks", ["title"])


    def downgrade() -> None:
        op.drop_index("ix_tasks_{rev}", table_name="tasks")
'''


def _git(project: Path, *args: str) -> None:
    import subprocess

    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=project, check=True,
                   capture_output=True)


def _squawked(result: object) -> set[str]:
    import re as _re

    findings = getattr(result, "findings", [])
    return {m.group(1) for f in findings if f.rule.startswith("squawk:") and (m := _re.search(r"revision (\w+)", f.message))}


def test_squawk_lints_only_revisions_not_yet_in_the_base_branch(tmp_path: Path) -> None:
    project = clean_copy(tmp_path)
    write(project, "alembic/versions/0090_applied.py", INDEX_REVISION.format(rev="0090", parent=_head(project)))
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "applied everywhere")
    _git(project, "checkout", "-q", "-b", "feature")
    write(project, "alembic/versions/0091_new.py", INDEX_REVISION.format(rev="0091", parent="0090"))
    result = run_gates(load_target(project, database_url=None), gates=["migrations"]).gates[0]
    assert _squawked(result) == {"0091"}, result.findings
    assert "not yet in main" in result.summary


def test_lint_since_lints_only_newer_revisions(tmp_path: Path) -> None:
    project = clean_copy(tmp_path)
    write(project, "alembic/versions/0090_applied.py", INDEX_REVISION.format(rev="0090", parent=_head(project)))
    write(project, "alembic/versions/0091_new.py", INDEX_REVISION.format(rev="0091", parent="0090"))
    patch(project, "pyproject.toml", '[tool.backend-agent]\n', '[tool.backend-agent.migrations]\nlint_since = "0090"\n\n[tool.backend-agent]\n')
    result = run_gates(load_target(project, database_url=None), gates=["migrations"]).gates[0]
    assert _squawked(result) == {"0091"}


def test_env_without_target_metadata_is_not_drift(tmp_path: Path) -> None:
    project = clean_copy(tmp_path)
    patch(project, "alembic/env.py", "target_metadata = Base.metadata", "target_metadata = None")
    result = run_gates(load_target(project, database_url=None), gates=["migrations"]).gates[0]
    assert result.status == "pass", result
    assert result.evidence["steps_status"]["drift check"] == "not applicable"
    assert not any(f.rule == "migrations:drift" for f in result.findings)


def test_a_missing_module_means_the_gate_could_not_run(tmp_path: Path) -> None:
    project = clean_copy(tmp_path)
    patch(project, "alembic/env.py", "from alembic import context\n", "from alembic import context\nimport not_installed_anywhere  # noqa\n")
    result = run_gates(load_target(project, database_url=None), gates=["migrations"]).gates[0]
    assert result.status == "error", result
    assert "not_installed_anywhere" in result.summary and result.hint and "dependencies" in result.hint
