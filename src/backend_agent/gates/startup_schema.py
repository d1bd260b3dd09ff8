"""Schema changes an application makes when it starts, outside its migrations.

Two throwaway databases: one gets only the project's migrations (``alembic upgrade head``), the
other the migrations and then the started service. Any table, column or index the second has and
the first lacks (or the other way round) was created by the application itself at start-up:
``create_all``, ``ALTER TABLE`` in a lifespan hook, and so on. The migrations gate can call
``startup_schema_changes``; it needs Alembic and an application to start.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import create_engine, inspect

from backend_agent.gates._sandbox import project_sandbox
from backend_agent.gates._service import database_for, run_migrations, start_service
from backend_agent.gates.base import Finding, Target

RULE = "migrations:ddl-at-startup"


@dataclass
class Schema:
    tables: dict[str, set[str]] = field(default_factory=dict)  # table -> columns
    indexes: dict[str, set[str]] = field(default_factory=dict)  # table -> index names


def _url(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1] if url.startswith(("postgres://", "postgresql://")) else url


def snapshot(url: str) -> Schema:
    """Tables, columns and named indexes of the database at ``url`` (Alembic's own table left out)."""
    engine = create_engine(_url(url))
    try:
        inspector = inspect(engine)
        schema = Schema()
        for table in inspector.get_table_names():
            if table == "alembic_version":
                continue
            schema.tables[table] = {column["name"] for column in inspector.get_columns(table)}
            schema.indexes[table] = {str(index["name"]) for index in inspector.get_indexes(table) if index.get("name")}
        return schema
    finally:
        engine.dispose()


def differences(migrated: Schema, started: Schema) -> list[str]:
    """What the started application changed, in words."""
    changes = []
    for table in sorted(set(started.tables) - set(migrated.tables)):
        changes.append(f"table {table} was created")
    for table in sorted(set(migrated.tables) - set(started.tables)):
        changes.append(f"table {table} was dropped")
    for table in sorted(set(started.tables) & set(migrated.tables)):
        for column in sorted(started.tables[table] - migrated.tables[table]):
            changes.append(f"column {table}.{column} was added")
        for column in sorted(migrated.tables[table] - started.tables[table]):
            changes.append(f"column {table}.{column} was dropped")
        for index in sorted(started.indexes.get(table, set()) - migrated.indexes.get(table, set())):
            changes.append(f"index {index} on {table} was created")
    return changes


def startup_schema_changes(target: Target) -> tuple[list[Finding], dict[str, object]]:
    """(findings, evidence): one finding listing every change the application made when it started."""
    with database_for(target, prefix="ba_schema_migrated") as first:
        with project_sandbox(target.root, first,
                             generated_secrets=target.options.get("generated_secrets") or ()) as sandbox:
            run_migrations(target, env=sandbox.env, sandbox=sandbox)
        migrated = snapshot(first.url)
    with database_for(target, prefix="ba_schema_started") as second, start_service(target, database=second) as service:
        started = snapshot(service.database_url)
    changes = differences(migrated, started)
    evidence: dict[str, object] = {"tables_after_migrations": len(migrated.tables), "changes_at_startup": changes}
    if not changes:
        return [], evidence
    return [
        Finding(
            rule=RULE,
            message="the application changed the schema when it started, outside the migrations: " + "; ".join(changes),
            severity="high",
            hint="move these changes into an Alembic revision (alembic revision --autogenerate) and remove the "
            "create_all/DDL from the start-up code",
        )
    ], evidence


__all__ = ["RULE", "Schema", "differences", "snapshot", "startup_schema_changes"]
