"""A copy of the clean fixture configured the way real projects point at a developer's database.

postgres_project(tmp, dev_db, prefix="POSTGRES")
    settings read ``{prefix}_SERVER/PORT/USER/PASSWORD/DB`` (as the FastAPI full-stack template does)
    from the environment and from ``.env``, which names ``dev_db`` on the machine's PostgreSQL;
    never ``DATABASE_URL``. With ``prefix="TASKS_PG"`` the names are ones check cannot know.
sqlite_project(tmp)
    settings read the SQLite file from ``TASKS_SQLITE_FILE`` (``.env``: ``dev.db`` in the project).

Both developer databases are migrated and filled with rows; ``row_counts`` counts every table.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.gates.projects import build, replace

TABLES = ("users", "projects", "tasks", "comments", "tags")

_SETTINGS_HEAD = '''    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./app.db"
'''


def _settings(project: Path, fields: str, url_expression: str) -> None:
    """Settings that never read DATABASE_URL: the URL is built from the project's own variables.

    The tests keep their per-test SQLite file through an explicit constructor argument.
    """
    rel = "app/core/config.py"
    replace(
        project,
        rel,
        _SETTINGS_HEAD,
        '    model_config = SettingsConfigDict(env_file=".env", extra="ignore")\n\n'
        '    environment: Literal["development", "test", "production"] = "development"\n'
        '    explicit_url: str = Field(default="", validation_alias="TASKS_TEST_ONLY_URL")\n' + fields,
    )
    replace(
        project,
        rel,
        "    @property\n    def signing_key",
        "    @property\n"
        "    def database_url(self) -> str:\n"
        f"        return self.explicit_url or {url_expression}\n\n"
        "    @property\n    def signing_key",
    )
    for test_file in ("tests/conftest.py", "tests/core/test_middleware.py"):
        replace(project, test_file, "database_url=f", "TASKS_TEST_ONLY_URL=f")
    (project / "tests" / "core" / "test_config.py").unlink()  # it tests reading DATABASE_URL


def postgres_project(tmp_path: Path, dev_db: str, *, prefix: str = "POSTGRES") -> Path:
    project = build(tmp_path)
    p = prefix
    _settings(
        project,
        f'    pg_server: str = Field(default="127.0.0.1", validation_alias="{p}_SERVER")\n'
        f'    pg_port: int = Field(default=5432, validation_alias="{p}_PORT")\n'
        f'    pg_user: str = Field(default="postgres", validation_alias="{p}_USER")\n'
        f'    pg_password: str = Field(default="", validation_alias="{p}_PASSWORD")\n'
        f'    pg_db: str = Field(default="app", validation_alias="{p}_DB")\n',
        'f"postgresql+psycopg://{self.pg_user}:{self.pg_password}@{self.pg_server}:{self.pg_port}/{self.pg_db}"',
    )
    (project / ".env").write_text(
        f"{p}_SERVER=127.0.0.1\n{p}_PORT=5432\n{p}_USER=postgres\n{p}_PASSWORD=\n{p}_DB={dev_db}\n", encoding="utf-8"
    )
    return project


def sqlite_project(tmp_path: Path) -> Path:
    project = build(tmp_path)
    _settings(
        project,
        '    sqlite_file: str = Field(default="dev.db", validation_alias="TASKS_SQLITE_FILE")\n',
        'f"sqlite:///{self.sqlite_file}"',
    )
    (project / ".env").write_text("TASKS_SQLITE_FILE=dev.db\n", encoding="utf-8")
    return project


def migrate_and_fill(project: Path, env: dict[str, str] | None = None) -> None:
    """``alembic upgrade head`` as the developer would (their .env), then rows in every table."""
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "POSTGRES", "DATABASE"))}
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=project, env={**clean_env, **(env or {})},
                   check=True, capture_output=True)
    script = (
        "from sqlalchemy import text\n"
        "from app.core.config import get_settings\n"
        "from app.core.db import make_engine\n"
        "engine = make_engine(get_settings().database_url)\n"
        "with engine.begin() as c:\n"
        "    for i in range(3):\n"
        "        uid = c.execute(text(\"INSERT INTO users (username, password_hash, created_at) "
        "VALUES (:u, 'x', CURRENT_TIMESTAMP) RETURNING id\"), {'u': f'dev{i}'}).scalar_one()\n"
        "        pid = c.execute(text(\"INSERT INTO projects (owner_id, name, description, created_at) "
        "VALUES (:o, 'p', '', CURRENT_TIMESTAMP) RETURNING id\"), {'o': uid}).scalar_one()\n"
        "        tid = c.execute(text(\"INSERT INTO tasks (project_id, owner_id, title, status, priority, created_at) "
        "VALUES (:p, :o, 't', 'todo', 0, CURRENT_TIMESTAMP) RETURNING id\"), {'p': pid, 'o': uid}).scalar_one()\n"
        "        c.execute(text(\"INSERT INTO comments (task_id, owner_id, body, created_at) "
        "VALUES (:t, :o, 'b', CURRENT_TIMESTAMP)\"), {'t': tid, 'o': uid})\n"
        "        c.execute(text(\"INSERT INTO tags (owner_id, name, created_at) VALUES (:o, 'tag', CURRENT_TIMESTAMP)\"), {'o': uid})\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=project, env={**clean_env, **(env or {})}, check=True,
                   capture_output=True)


def row_counts(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            counts = {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in TABLES if t in names}
            if "alembic_version" in names:
                counts["alembic_version"] = int(conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one())
            return counts
    finally:
        engine.dispose()
