"""Facts about a project's Alembic history, and the check that migrations reached check's database."""

from __future__ import annotations

import ast
import configparser
import json
from pathlib import Path
from typing import Any

from backend_agent.errors import GateError
from backend_agent.gates._database import ThrowawayDatabase


class MisdirectedDatabase(GateError):
    """The project's migrations (or service) did not use check's throwaway database; check stopped."""


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


def _constant(value: ast.expr) -> Any:
    if isinstance(value, ast.Constant):
        return value.value
    if isinstance(value, ast.Tuple | ast.List):
        return tuple(v.value for v in value.elts if isinstance(v, ast.Constant))
    return None


def read_revisions(versions_dir: Path) -> list[dict[str, Any]]:
    """Revision id, parent(s), file and the up/downgrade functions, for each revision file."""
    revisions = []
    for path in sorted(versions_dir.rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
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
                    info[name.id] = _constant(value)
            if isinstance(node, ast.FunctionDef) and node.name in ("upgrade", "downgrade"):
                info[node.name] = node
        if isinstance(info["revision"], str):
            revisions.append(info)
    return revisions


def heads(revisions: list[dict[str, Any]]) -> set[str]:
    """Revisions no other revision builds on."""
    parents: set[str] = set()
    for rev in revisions:
        down = rev["down_revision"]
        parents.update([down] if isinstance(down, str) else list(down or ()))
    return {rev["revision"] for rev in revisions} - parents


def applied_revisions(db: ThrowawayDatabase) -> set[str] | None:
    """The revisions recorded in ``db``'s ``alembic_version`` table (None when it has no such table)."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(db.url)
    try:
        with engine.connect() as conn:
            if "alembic_version" not in inspect(conn).get_table_names():
                return None
            return {str(row[0]) for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    finally:
        engine.dispose()


def table_names(db: ThrowawayDatabase) -> list[str]:
    from sqlalchemy import create_engine, inspect

    engine = create_engine(db.url)
    try:
        return sorted(inspect(engine).get_table_names())
    finally:
        engine.dispose()


_ELSEWHERE = (
    "unable to open database file", "readonly database", "Read-only file system", "Connection refused",
    "could not connect to server", "connection to server at", "Name or service not known",
    "could not translate host name", "Temporary failure in name resolution", "Network is unreachable",
)


def reached_elsewhere(output: str, db: ThrowawayDatabase) -> bool:
    """True when a failed step's output says it tried another database (a file it may not write,
    a server outside the sandbox) while check's own database was left untouched."""
    return any(mark in output for mark in _ELSEWHERE) and not table_names(db)


def misdirected(db: ThrowawayDatabase, root: Path, *, step: str, set_vars: list[str]) -> MisdirectedDatabase:
    """The error that stops a check whose project wrote to some other database than ``db``."""
    from backend_agent.gates._sandbox import variables_read

    read = variables_read(root)
    unknown = [name for name in read if name not in set_vars]
    reads = ", ".join(read) if read else "no variable check recognises"
    message = (
        f"{step} did not reach check's throwaway database ({db.where}); check stopped before anything "
        f"else ran. The project reads its database from: {reads}"
    )
    hint = (
        f"tell check which variables name the database: [tool.backend-agent] database_variables = "
        f"[{', '.join(json.dumps(n) for n in unknown[:3])}]"
        if unknown
        else "make the project read DATABASE_URL (or POSTGRES_SERVER/USER/PASSWORD/DB) from the environment, "
        "or list its variable in [tool.backend-agent] database_variables"
    )
    return MisdirectedDatabase(message, hint=hint)


__all__ = [
    "MisdirectedDatabase",
    "applied_revisions",
    "heads",
    "misdirected",
    "reached_elsewhere",
    "read_revisions",
    "script_location",
    "table_names",
]
