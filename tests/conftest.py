"""Shared fixtures: offline models, the seeds folder, and real PostgreSQL/Redis when reachable."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.utils.services import need_service

REPO_ROOT = Path(__file__).resolve().parents[1]
SEEDS_DIR = REPO_ROOT.parent / "shared" / "seeds"


def pytest_configure(config: pytest.Config) -> None:
    # Tests never reach a real model provider.
    import pydantic_ai.models

    pydantic_ai.models.ALLOW_MODEL_REQUESTS = False
    for var in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        os.environ.pop(var, None)


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"the shared seeds folder {SEEDS_DIR} is absent (it lives beside the repository)")
    return SEEDS_DIR


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A SQLAlchemy URL of the machine's PostgreSQL server (database 'test')."""
    host = os.environ.get("PGHOST_TEST", "127.0.0.1")
    need_service("PostgreSQL", host, 5432)
    return os.environ.get("BACKEND_AGENT_TEST_POSTGRES_URL", f"postgresql+psycopg://postgres@{host}:5432/test")


@pytest.fixture(scope="session")
def redis_url() -> str:
    need_service("Redis", "127.0.0.1", 6379)
    return "redis://127.0.0.1:6379/0"


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Path]:
    """An empty workspace folder for tools and agent runs."""
    ws = tmp_path / "ws"
    ws.mkdir()
    yield ws
