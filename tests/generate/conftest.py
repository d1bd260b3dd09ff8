"""Generated projects, made once per test session per example."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend_agent.generate import GenerationResult, generate_service

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ("conduit", "inventory", "orders")


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GenerationResult]:
    root = tmp_path_factory.mktemp("generated")
    return {
        name: generate_service(REPO_ROOT / "examples" / f"{name}.blueprint.yaml", root / name)
        for name in EXAMPLES
    }


def run_project_tests(project: Path, extra_env: dict[str, str] | None = None,
                      args: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """The generated project's own pytest suite, in a subprocess, from the project folder."""
    env = {**os.environ, "APP_ENV": "test", **(extra_env or {})}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=project, env=env, capture_output=True, text=True, timeout=600, check=False,
    )


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """A throwaway PostgreSQL database (the server is shared by several test runs)."""
    import psycopg

    name = f"gen_{uuid.uuid4().hex[:12]}"
    admin = postgres_url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
