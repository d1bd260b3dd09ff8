"""Copies of the clean fixture with one planted defect each: the misses of issue 15, point 4.

build(tmp_path, name) where name is one of MISSES:
  raw-sql-password   registration stores the password through a raw SQL INSERT, unhashed
  ddl-at-start       the app adds a column with ALTER TABLE when it starts (outside migrations)
  k8s-secret         a Kubernetes Secret manifest with the signing key and a database password
  cors-settings      CORS origins from a settings default of ["*"], with credentials
  like-sqli          GET /api/tags?q= filters with LIKE '%{q}%' built by an f-string
  int-overflow       GET /api/tasks/{task_id} has no upper bound: a huge id overflows into a 500
  reset-after-500    GET /api/tags/{tag_id} drops the connection (as a crashed worker does)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.gates.projects import build as build_clean
from tests.gates.projects import replace


def _raw_sql_password(project: Path) -> None:
    replace(
        project,
        "app/api/routes/auth.py",
        "    user = users_repo.create(session, username=body.username, password_hash=hash_password(body.password))\n",
        "    session.execute(  # defect: the password is stored as sent\n"
        '        text("INSERT INTO users (username, password_hash, created_at) VALUES (:u, :p, CURRENT_TIMESTAMP)"),\n'
        '        {"u": body.username, "p": body.password},\n'
        "    )\n"
        "    session.commit()\n"
        "    user = users_repo.get_by_username(session, username=body.username)\n",
    )
    replace(project, "app/api/routes/auth.py", "from fastapi import APIRouter, HTTPException\n",
            "from fastapi import APIRouter, HTTPException\nfrom sqlalchemy import text\n")  # fmt: skip


def _ddl_at_start(project: Path) -> None:
    replace(
        project,
        "app/main.py",
        "    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:\n        yield\n",
        "    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:\n"
        "        with engine.begin() as conn:  # defect: schema change outside the migrations\n"
        '            conn.execute(text("ALTER TABLE users ADD COLUMN nickname TEXT"))\n'
        "        yield\n",
    )
    replace(project, "app/main.py", "from fastapi import FastAPI\n", "from fastapi import FastAPI\nfrom sqlalchemy import text\n")


def _k8s_secret(project: Path) -> None:
    (project / "deploy" / "k8s" / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tasks-api\n  namespace: tasks\ntype: Opaque\n"
        "stringData:\n"
        '  SECRET_KEY: "kV9pX2mQ7rT4wZ8bN3cF6hJ1sL5dG0aE"\n'
        '  DATABASE_URL: "postgresql://tasks:Zx81kLmq93Pw@db:5432/tasks"\n',
        encoding="utf-8",
    )


def _cors_settings(project: Path) -> None:
    replace(
        project,
        "app/core/config.py",
        "    access_token_minutes: int",
        '    cors_origins: list[str] = ["*"]  # defect: every origin unless a deployment overrides it\n'
        "    access_token_minutes: int",
    )
    replace(
        project,
        "app/main.py",
        "    app.add_middleware(SecurityHeadersMiddleware)\n",
        "    app.add_middleware(SecurityHeadersMiddleware)\n"
        "    app.add_middleware(\n"
        "        CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=True,\n"
        '        allow_methods=["*"], allow_headers=["*"],\n'
        "    )\n",
    )
    replace(project, "app/main.py", "from fastapi import FastAPI\n",
            "from fastapi import FastAPI\nfrom fastapi.middleware.cors import CORSMiddleware\n")  # fmt: skip


def _like_sqli(project: Path) -> None:
    rel = "app/api/routes/tags.py"
    replace(
        project,
        rel,
        "def list_tags(session: SessionDep, user: CurrentUser, paging: PagingDep) -> Page[TagPublic]:\n"
        "    rows, total = repo.list_owned(session, owner_id=user.id, limit=paging.limit, offset=paging.offset)\n",
        "def list_tags(\n"
        "    session: SessionDep, user: CurrentUser, paging: PagingDep, q: str | None = None\n"
        ") -> Page[TagPublic]:\n"
        "    rows, total = repo.list_owned(session, owner_id=user.id, limit=paging.limit, offset=paging.offset)\n"
        "    if q:\n"
        "        # defect: a search built with an f-string\n"
        "        found = session.execute(\n"
        "            text(f\"SELECT id, owner_id, name, created_at FROM tags WHERE owner_id = {user.id} AND name LIKE '%{q}%'\")\n"
        "        ).all()\n"
        "        rows = [Tag(id=r[0], owner_id=r[1], name=r[2], created_at=r[3]) for r in found]\n"
        "        total = len(rows)\n",
    )
    replace(project, rel, "from fastapi import APIRouter", "from sqlalchemy import text\nfrom fastapi import APIRouter")


def _int_overflow(project: Path) -> None:
    rel = "app/api/routes/tasks.py"
    replace(
        project,
        rel,
        "def read_task(task_id: TaskId, session: SessionDep, user: CurrentUser) -> TaskPublic:",
        "def read_task(task_id: int, session: SessionDep, user: CurrentUser) -> TaskPublic:  # defect: no bound",
    )


def _reset_after_500(project: Path) -> None:
    """A pure ASGI wrapper: GET /api/tags/<id> starts a 500 and then drops the connection."""
    replace(
        project,
        "app/main.py",
        "app = create_app()\n",
        "def _drop_connection(inner):  # defect: a crash after the response started resets the connection\n"
        "    async def wrapper(scope, receive, send):\n"
        '        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].startswith("/api/tags/"):\n'
        '            await send({"type": "http.response.start", "status": 500, "headers": [(b"content-length", b"100")]})\n'
        '            raise RuntimeError("worker crashed")\n'
        "        await inner(scope, receive, send)\n\n"
        "    return wrapper\n\n\n"
        "app = _drop_connection(create_app())\n",
    )


MISSES: dict[str, Callable[[Path], None]] = {
    "raw-sql-password": _raw_sql_password,
    "ddl-at-start": _ddl_at_start,
    "k8s-secret": _k8s_secret,
    "cors-settings": _cors_settings,
    "like-sqli": _like_sqli,
    "int-overflow": _int_overflow,
    "reset-after-500": _reset_after_500,
}


def build(tmp_path: Path, name: str | None = None) -> Path:
    project = build_clean(tmp_path)
    if name is not None:
        MISSES[name](project)
    return project
