"""Workflow tests: scripted runs of the lead agent on a tiny FastAPI project with a planted SQL injection."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runtime.conftest import cli, home, run_agent  # noqa: F401 - fixtures shared with the runtime tests

UNSAFE = """conn.execute(f"SELECT name FROM items WHERE name = '{name}'")"""
SAFE = """conn.execute("SELECT name FROM items WHERE name = ?", (name,))"""
MAIN = f'''import sqlite3

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    return {{"status": "ok"}}


@app.get("/items")
def items(name: str) -> list[str]:
    conn = sqlite3.connect(":memory:")
    rows = {UNSAFE}.fetchall()
    return [r[0] for r in rows]
'''


def write_tiny_project(folder: Path) -> Path:
    """A one-file FastAPI app whose /items builds SQL with an f-string (static-security fails on line 16)."""
    (folder / "app").mkdir(parents=True, exist_ok=True)
    (folder / "app" / "__init__.py").write_text("")
    (folder / "app" / "main.py").write_text(MAIN)
    return folder


@pytest.fixture
def tiny(workspace: Path) -> Path:
    return write_tiny_project(workspace)
