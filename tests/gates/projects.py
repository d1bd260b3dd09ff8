"""Builders for the live-gate tests: a copy of the clean fixture with one named defect planted.

build(tmp_path)                  the clean project
build(tmp_path, "bola")          GET /api/projects/{project_id} returns any user's project
build(tmp_path, "list-shape")    GET /api/tags answers each tag's id as a string (only a non-empty list shows it)
build(tmp_path, "open-endpoint") GET /api/tags is documented as secured but needs no token
build(tmp_path, "server-error")  GET /api/tasks/{task_id} answers 500 for an unknown integer id
build(tmp_path, "slow")          GET /api/projects takes ~250 ms, missing the p95 threshold
build(tmp_path, "sqli")          GET /api/tags?name= builds its SQL with an f-string
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from backend_agent.gates import Target

REPO_ROOT = Path(__file__).resolve().parents[2]
CLEAN = REPO_ROOT / "tests" / "fixtures" / "projects" / "clean"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "*.db", "*.db-*", ".coverage*")


def replace(project: Path, rel: str, old: str, new: str) -> None:
    """Replace ``old`` with ``new`` once in ``rel``; fails loudly when the clean file changed shape."""
    path = project / rel
    text = path.read_text(encoding="utf-8")
    if old not in text:
        raise AssertionError(
            f"{rel} no longer contains {old!r}; update the defect in tests/gates/projects.py"
        )
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _bola(project: Path) -> None:
    replace(
        project,
        "app/api/routes/projects.py",
        "    return ProjectPublic.model_validate(owned_project(session, user, project_id))",
        "    project = session.get(Project, project_id)  # defect: no owner check\n"
        "    if project is None:\n"
        '        raise HTTPException(status_code=404, detail="Project not found")\n'
        "    return ProjectPublic.model_validate(project)",
    )


def _list_shape(project: Path) -> None:
    rel = "app/api/routes/tags.py"
    replace(
        project,
        rel,
        "    items = [TagPublic.model_validate(row) for row in rows]\n"
        "    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)",
        "    # defect: the rows bypass the response model, and their ids go out as strings\n"
        "    items = [{**TagPublic.model_validate(row).model_dump(mode=\"json\"), \"id\": str(row.id)} for row in rows]\n"
        "    return JSONResponse({\"items\": items, \"total\": total, \"limit\": paging.limit, \"offset\": paging.offset})",
    )
    replace(project, rel, "from fastapi import APIRouter", "from fastapi.responses import JSONResponse\nfrom fastapi import APIRouter")


def _open_endpoint(project: Path) -> None:
    rel = "app/api/routes/tags.py"
    replace(
        project,
        rel,
        "def list_tags(session: SessionDep, user: CurrentUser, paging: PagingDep) -> Page[TagPublic]:\n"
        "    rows, total = repo.list_owned(session, owner_id=user.id, limit=paging.limit, offset=paging.offset)",
        "def list_tags(session: SessionDep, paging: PagingDep, _token: OptionalToken) -> Page[TagPublic]:\n"
        "    # defect: the bearer scheme is declared (so documented as secured) but never enforced\n"
        "    rows = list(session.scalars(select(Tag).order_by(Tag.id).limit(paging.limit).offset(paging.offset)))\n"
        "    total = len(rows)",
    )
    replace(
        project,
        rel,
        "router = APIRouter(",
        "OptionalToken = Annotated[\n"
        '    HTTPAuthorizationCredentials | None, Depends(HTTPBearer(auto_error=False, scheme_name="BearerAuth"))\n'
        "]\n\nrouter = APIRouter(",
    )
    replace(
        project,
        rel,
        "from fastapi import APIRouter, HTTPException, Response\n",
        "from typing import Annotated\n\nfrom fastapi import APIRouter, Depends, HTTPException, Response\n"
        "from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer\nfrom sqlalchemy import select\n",
    )


def _server_error(project: Path) -> None:
    replace(
        project,
        "app/api/routes/tasks.py",
        "    return TaskPublic.model_validate(owned_task(session, user, task_id))",
        "    task = repo.get_owned(session, task_id=task_id, owner_id=user.id)  # defect: None not handled\n"
        "    return TaskPublic.model_validate(task)",
    )


def _slow(project: Path) -> None:
    rel = "app/api/routes/projects.py"
    replace(
        project,
        rel,
        "    rows, total = repo.list_owned(",
        "    time.sleep(0.25)  # defect: a slow downstream call on every request\n    rows, total = repo.list_owned(",
    )
    replace(project, rel, "from fastapi import APIRouter", "import time\n\nfrom fastapi import APIRouter")


def _sqli(project: Path) -> None:
    rel = "app/api/routes/tags.py"
    replace(
        project,
        rel,
        "def list_tags(session: SessionDep, user: CurrentUser, paging: PagingDep) -> Page[TagPublic]:\n"
        "    rows, total = repo.list_owned(session, owner_id=user.id, limit=paging.limit, offset=paging.offset)",
        "def list_tags(\n"
        "    session: SessionDep, user: CurrentUser, paging: PagingDep, name: str | None = None\n"
        ") -> Page[TagPublic]:\n"
        "    rows, total = repo.list_owned(session, owner_id=user.id, limit=paging.limit, offset=paging.offset)\n"
        "    if name is not None:\n"
        "        # defect: SQL built from user input\n"
        '        ids = {row[0] for row in session.execute(text(f"SELECT id FROM tags WHERE owner_id = {user.id} '
        "AND name = '{name}'\"))}\n"
        "        rows = [row for row in rows if row.id in ids]\n"
        "        total = len(rows)",
    )
    replace(
        project,
        rel,
        "from fastapi import APIRouter",
        "from sqlalchemy import text\nfrom fastapi import APIRouter",
    )


DEFECTS: dict[str, Callable[[Path], None]] = {
    "bola": _bola,
    "list-shape": _list_shape,
    "open-endpoint": _open_endpoint,
    "server-error": _server_error,
    "slow": _slow,
    "sqli": _sqli,
}


def build(tmp_path: Path, defect: str | None = None) -> Path:
    """Copy the clean fixture into ``tmp_path`` and plant ``defect`` (one of DEFECTS) in the copy."""
    dest = tmp_path / (defect or "clean")
    shutil.copytree(CLEAN, dest, ignore=_IGNORE)
    if defect is not None:
        DEFECTS[defect](dest)
    return dest


def target(project: Path, **options: object) -> Target:
    return Target(root=project, app="app.main:app", options=dict(options))
