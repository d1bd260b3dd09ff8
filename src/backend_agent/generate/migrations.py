"""Alembic revisions: the initial schema from the design's DDL, and a revision per schema change.

The initial revision runs the design's own DDL for the connected dialect (so the database is exactly
what DESIGN.md documents); an update compares the previous design.json with the new one and writes
``op.*`` calls for added and dropped tables, columns and indexes, with a working downgrade.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import jinja2

from backend_agent.generate.context import table_plan

Json = dict[str, Any]


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("backend_agent.generate", "templates"),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["pyrepr"] = repr
    return env


def ddl_statements(ddl: str) -> list[str]:
    """The statements of a DDL script, without comments and PRAGMAs (Alembic's connection sets those)."""
    lines = [line for line in ddl.splitlines() if not line.lstrip().startswith("--")]
    statements = [s.strip() for s in "\n".join(lines).split(";")]
    return [s for s in statements if s and not s.upper().startswith("PRAGMA")]


def _statements_for(tables: list[str], ddl: str) -> list[str]:
    wanted = []
    for stmt in ddl_statements(ddl):
        match = re.match(r'CREATE (?:UNIQUE )?(?:TABLE|INDEX) "([^"]+)"(?: ON "([^"]+)")?', stmt)
        if not match:
            continue
        table = match.group(2) or match.group(1)
        if table in tables:
            wanted.append(stmt)
    return wanted


def initial_migration(design: Json) -> tuple[str, str]:
    tables = [t["name"] for t in design["tables"]]
    ddl = design.get("_ddl") or {}
    text = _env().get_template("migration/initial.py.j2").render(
        service=design["service"], tables=tables,
        sqlite=ddl_statements(ddl.get("sqlite", "")), postgresql=ddl_statements(ddl.get("postgresql", "")),
    )
    return "0001_initial.py", text


def update_migration(old: Json | None, new: Json, existing: list[str]) -> tuple[str, str] | None:
    """A revision turning ``old``'s schema into ``new``'s, or None when the schema did not change."""
    if old is None:
        return None
    old_tables = {t["name"]: t for t in old["tables"]}
    new_tables = {t["name"]: t for t in new["tables"]}
    added_tables = [name for name in new_tables if name not in old_tables]
    dropped_tables = [name for name in old_tables if name not in new_tables]
    add_columns: list[tuple[str, str, str]] = []
    drop_columns: list[tuple[str, str, str]] = []
    add_indexes: list[Json] = []
    drop_indexes: list[Json] = []
    for name, table in new_tables.items():
        if name not in old_tables:
            continue
        before = old_tables[name]
        old_cols = {c["name"]: c for c in before["columns"]}
        new_cols = {c["name"]: c for c in table["columns"]}
        plan_new = dict(zip([c["name"] for c in table["columns"]], table_plan(table)["columns"], strict=True))
        plan_old = dict(zip([c["name"] for c in before["columns"]], table_plan(before)["columns"], strict=True))
        for col_name, col in new_cols.items():
            if col_name not in old_cols:
                add_columns.append((name, col_name, _addable(_sa(plan_new[col_name]), col)))
        for col_name in old_cols:
            if col_name not in new_cols:
                drop_columns.append((name, col_name, _sa(plan_old[col_name])))
        old_ix = {i["name"]: i for i in before["indexes"]}
        new_ix = {i["name"]: i for i in table["indexes"]}
        add_indexes += [{**i, "table": name} for n, i in new_ix.items() if n not in old_ix]
        drop_indexes += [{**i, "table": name} for n, i in old_ix.items() if n not in new_ix]
    if not (added_tables or dropped_tables or add_columns or drop_columns or add_indexes or drop_indexes):
        return None
    numbers = [int(m.group(1)) for name in existing if (m := re.match(r"(\d+)_", name))]
    number = max(numbers, default=0) + 1
    previous = next((name[:-3] for name in sorted(existing) if name.startswith(f"{number - 1:04d}_")), None)
    ddl = new.get("_ddl") or {}
    slug = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    name = f"{number:04d}_schema_{slug}"
    text = _env().get_template("migration/update.py.j2").render(
        revision=name, down_revision=previous, service=new["service"],
        create_sqlite=_statements_for(added_tables, ddl.get("sqlite", "")),
        create_postgresql=_statements_for(added_tables, ddl.get("postgresql", "")),
        added_tables=added_tables, dropped_tables=dropped_tables,
        add_columns=add_columns, drop_columns=drop_columns,
        add_indexes=add_indexes, drop_indexes=drop_indexes,
        old_tables=[{**table_plan(old_tables[n]), "columns": [_sa(c) for c in table_plan(old_tables[n])["columns"]]}
                    for n in dropped_tables],
    )
    return name + ".py", text


_SA_NAMES = ("BigInteger", "Integer", "SmallInteger", "String", "Text", "Numeric", "Double", "Boolean", "DateTime",
             "Date", "Time", "Uuid", "LargeBinary", "JSON", "ForeignKey")


def _sa(code: str) -> str:
    """Column code from the models module, spelled with the ``sa.`` prefix migrations use."""
    code = re.sub(r"\b(" + "|".join(_SA_NAMES) + r")\(", r"sa.\1(", code)
    return code.replace("JSONB()", "postgresql.JSONB()")


def _addable(column_code: str, col: Json) -> str:
    """A column that can be added to a table with rows: NOT NULL needs a server default."""
    default = col["default_sql"].get("postgresql") if col["default_sql"] else None
    if not col["nullable"] and default:
        sqlite_default = col["default_sql"].get("sqlite", default)
        literal = sqlite_default if sqlite_default == default else default
        return column_code + f", server_default=sa.text({literal!r})"
    return column_code.replace("nullable=False", "nullable=True")


__all__ = ["ddl_statements", "initial_migration", "update_migration"]
