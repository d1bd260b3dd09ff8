"""Check never touches a database it did not create (issue 15, point 1).

Projects configured like real ones point at a developer's database: PostgreSQL through their own
POSTGRES_* variables (or names check cannot know), or a SQLite file named by their own variable.
After a check, every developer row is still there, and the report says where check's throwaway
databases were.
"""

from __future__ import annotations

import hashlib
import secrets
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend_agent.gates import load_target, run_gates
from backend_agent.gates._database import throwaway_database
from backend_agent.gates._pgserver import server_bindir, stop_own_postgres
from backend_agent.gates._proc import run_process
from backend_agent.gates._sandbox import bubblewrap, database_env, project_sandbox, url_scheme, variables_read
from backend_agent.report import report_from
from tests.gates.devdb import migrate_and_fill, postgres_project, row_counts, sqlite_project

needs_bwrap = pytest.mark.skipif(bubblewrap() is None, reason="bubblewrap (bwrap) is not installed or not usable here")
needs_server_binaries = pytest.mark.skipif(
    server_bindir() is None, reason="no PostgreSQL server binaries (apt-get install postgresql)"
)


@pytest.fixture
def developer_database(postgres_url: str) -> Iterator[str]:
    """A developer's database on the machine's PostgreSQL; its name."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"devdb_{secrets.token_hex(4)}"
    admin = create_engine(make_url(postgres_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _dev_url(postgres_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(postgres_url).set(database=name).render_as_string(hide_password=False)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
@needs_server_binaries
def test_postgres_developer_database_keeps_every_row_after_a_full_check(
    tmp_path: Path, postgres_url: str, developer_database: str
) -> None:
    project = postgres_project(tmp_path, developer_database)
    migrate_and_fill(project)
    dev_url = _dev_url(postgres_url, developer_database)
    before = row_counts(dev_url)
    assert before["users"] == 3 and before["alembic_version"] == 1

    report = report_from(run_gates(load_target(project, database_url=None)))

    assert row_counts(dev_url) == before, "the developer's database was changed"
    statuses = {g.gate: g.status for g in report.gates}
    assert statuses["migrations"] == "pass", report.gate("migrations")
    assert statuses["tests"] == "pass", report.gate("tests")
    assert statuses["contract"] == "pass", report.gate("contract")
    places = report.target.throwaway_databases
    assert {"tests", "migrations", "contract", "security-probes", "load"} <= set(places)
    for where in places.values():
        assert "check's own PostgreSQL" in where and developer_database not in where
        if bubblewrap() is not None:
            assert "network namespace" in where


@pytest.mark.slow
def test_variables_check_cannot_know_stop_the_gate_before_anything_runs(
    tmp_path: Path, postgres_url: str, developer_database: str
) -> None:
    project = postgres_project(tmp_path, developer_database, prefix="TASKS_PG")
    migrate_and_fill(project)
    dev_url = _dev_url(postgres_url, developer_database)
    before = row_counts(dev_url)

    report = report_from(run_gates(load_target(project, database_url=None), gates=["migrations", "contract"]))

    assert row_counts(dev_url) == before
    for name in ("migrations", "contract"):
        result = report.gate(name)
        assert result is not None and result.status == "error", result  # could not run, not a project failure
        assert "did not reach check's throwaway database" in result.summary
        assert "TASKS_PG_SERVER" in result.summary and "TASKS_PG_DB" in result.summary
        assert result.hint is not None and "database_variables" in result.hint
    assert report.status == "incomplete" and report.exit_code == 3


@pytest.mark.slow
def test_own_sqlite_variable_leaves_the_developer_file_alone_and_is_named(tmp_path: Path) -> None:
    project = sqlite_project(tmp_path)
    migrate_and_fill(project)
    dev_db = project / "dev.db"
    digest, before = _digest(dev_db), row_counts(f"sqlite:///{dev_db}")

    report = report_from(run_gates(load_target(project), gates=["migrations", "contract"]))

    assert _digest(dev_db) == digest and row_counts(f"sqlite:///{dev_db}") == before
    migrations = report.gate("migrations")
    assert migrations is not None and migrations.status == "error"
    assert "TASKS_SQLITE_FILE" in migrations.summary
    assert migrations.hint == 'tell check which variables name the database: [tool.backend-agent] ' \
        'database_variables = ["TASKS_SQLITE_FILE"]'
    assert not list(project.glob("*.db-*")), "the developer's SQLite file got a journal: it was opened for writing"

    # Told the variable, check points it at its own file and the round trip passes.
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(
        'app = "app.main:app"', 'app = "app.main:app"\ndatabase_variables = ["TASKS_SQLITE_FILE"]'
    ))
    told = report_from(run_gates(load_target(project), gates=["migrations"]))
    assert told.gates[0].status == "pass", told.gates[0]
    assert _digest(dev_db) == digest


# --- the pieces ------------------------------------------------------------------------------


def test_every_usual_variable_names_the_throwaway_database(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text("APP_DB_DSN=postgres://u:p@db:5432/app\nREDIS_URL=redis://r\n")
    (tmp_path / "requirements.txt").write_text("asyncpg==0.30.0\n")
    from backend_agent.gates._database import ThrowawayDatabase

    db = ThrowawayDatabase(url="postgresql+psycopg://check:check@127.0.0.1:6000/ba_x", dialect="postgresql",
                           name="ba_x", host="127.0.0.1", port=6000, user="check", password="check")
    env = database_env(db, tmp_path, host="127.0.0.1", port=6000, names=["MY_OWN_URL"])
    # .env.example's scheme wins over the driver (pydantic v1 DSNs and asyncpg want postgres://)
    assert env["DATABASE_URL"] == "postgres://check:check@127.0.0.1:6000/ba_x"
    assert env["APP_DB_DSN"] == env["MY_OWN_URL"] == env["DATABASE_URL"]
    assert (env["POSTGRES_SERVER"], env["POSTGRES_PORT"], env["POSTGRES_DB"]) == ("127.0.0.1", "6000", "ba_x")
    assert (env["PGHOST"], env["PGDATABASE"], env["DB_NAME"], env["DB_HOST"]) == ("127.0.0.1", "ba_x", "ba_x", "127.0.0.1")
    assert "REDIS_URL" not in env
    (tmp_path / ".env.example").unlink()
    assert url_scheme(tmp_path) == "postgresql+asyncpg"


def test_variables_read_finds_settings_fields_aliases_and_environ(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "config.py").write_text(
        "import os\nfrom pydantic_settings import BaseSettings\nfrom pydantic import Field\n\n"
        "class Settings(BaseSettings):\n"
        "    POSTGRES_SERVER: str\n"
        "    db_file: str = Field('x.db', validation_alias='MY_DB_FILE')\n"
        "    title: str = 'x'\n\n"
        "URL = os.environ.get('LEGACY_DATABASE_URL')\n"
    )
    assert variables_read(tmp_path) == ["LEGACY_DATABASE_URL", "MY_DB_FILE", "POSTGRES_SERVER"]


@needs_bwrap
def test_inside_the_sandbox_only_checks_database_is_reachable(tmp_path: Path, postgres_url: str) -> None:
    """The machine's PostgreSQL (5432) is out of reach; check's database answers on its own port."""
    probe = (
        "import os, socket, sys\n"
        "def reach(port):\n"
        "    s = socket.socket(); s.settimeout(2)\n"
        "    ok = s.connect_ex(('127.0.0.1', port)) == 0; s.close(); return ok\n"
        "print(reach(5432), reach(int(os.environ['PGPORT'])), os.environ['HOME'].startswith(os.environ['TMPDIR'][:-4]))\n"
    )
    with throwaway_database(postgres_url, prefix="ba_safety") as db, project_sandbox(tmp_path, db) as sandbox:
        assert sandbox.env["PGPORT"] == "5432"  # same port number, but inside the namespace it is check's relay
        result = run_process(sandbox.wrap([sys.executable, "-c", probe]), cwd=tmp_path, env=sandbox.env,
                             inherit_env=False, timeout_s=60)
        assert result.ok, result.tail()
        # 5432 *is* check's database here (it was created on that server): reachable through the relay.
        assert result.stdout.split() == ["True", "True", "True"]
    with throwaway_database(None, prefix="ba_safety") as db, project_sandbox(tmp_path, db) as sandbox:
        result = run_process(sandbox.wrap([sys.executable, "-c", probe.replace("os.environ['PGPORT']", "5432")]),
                             cwd=tmp_path, env=sandbox.env, inherit_env=False, timeout_s=60)
        assert result.stdout.split()[0] == "False", "the machine's PostgreSQL is reachable from the sandbox"
    with socket.socket() as outside:
        assert outside.connect_ex(("127.0.0.1", 5432)) == 0  # it is there, outside


@needs_bwrap
def test_the_project_folder_is_read_only_and_dotenv_is_replaced(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=postgresql://dev@localhost/dev\nFEATURE=on\n")
    script = (
        "import pathlib, sys\n"
        "print(pathlib.Path('.env').read_text().replace(chr(10), ' '))\n"
        "try:\n    pathlib.Path('x.db').write_text('x')\nexcept OSError as e:\n    print('readonly', e.errno)\n"
    )
    with throwaway_database(None) as db, project_sandbox(tmp_path, db) as sandbox:
        result = run_process(sandbox.wrap([sys.executable, "-c", script]), cwd=tmp_path, env=sandbox.env,
                             inherit_env=False, timeout_s=60)
    assert "FEATURE=on" in result.stdout and "postgresql://dev@localhost/dev" not in result.stdout
    assert f"DATABASE_URL=sqlite:///{db.sqlite_path}" in result.stdout
    assert "readonly 30" in result.stdout  # EROFS
    assert not (tmp_path / "x.db").exists()
    assert (tmp_path / ".env").read_text().startswith("DATABASE_URL=postgresql://dev@localhost/dev")


@needs_server_binaries
def test_own_postgres_starts_on_a_free_loopback_port_and_is_removed() -> None:
    from sqlalchemy import create_engine, text

    with throwaway_database(None, prefix="ba_own", postgres=True) as db:
        assert db.dialect == "postgresql" and db.port not in (None, 5432)
        assert "check's own PostgreSQL" in db.where and db.socket_path is not None
        engine = create_engine(db.url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_database()")).scalar_one() == db.name
        engine.dispose()
        folder = db.socket_path.parent
    stop_own_postgres()
    assert not folder.exists()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", int(db.port or 0))) != 0
