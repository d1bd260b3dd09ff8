"""Designs of the shipped examples, computed once per test session."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend_agent.blueprint import load_blueprint
from backend_agent.design import Design, design

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_NAMES = ["conduit", "inventory", "orders"]


@pytest.fixture(scope="session")
def designs() -> dict[str, Design]:
    return {name: design(load_blueprint(EXAMPLES_DIR / f"{name}.blueprint.yaml")) for name in EXAMPLE_NAMES}


@pytest.fixture(scope="session")
def conduit(designs: dict[str, Design]) -> Design:
    return designs["conduit"]


@pytest.fixture(scope="session")
def pg_engine(postgres_url: str) -> Iterator[sa.Engine]:
    """A uniquely named throwaway database, dropped afterwards."""
    url = sa.engine.make_url(postgres_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"ba_design_{secrets.token_hex(5)}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = sa.create_engine(url.set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def apply_postgresql(engine: sa.Engine, ddl: str, schema: str) -> set[str]:
    """Apply DDL in a fresh schema of the throwaway database; return the tables created."""
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(sa.text(f'SET search_path TO "{schema}"'))
        conn.exec_driver_sql(ddl)
        rows = conn.execute(sa.text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = :s"), {"s": schema})
        return {r[0] for r in rows}
