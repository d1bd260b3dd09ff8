"""A fresh migrated database per test session: SQLite by default, TEST_DATABASE_URL for PostgreSQL."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_tmp = Path(tempfile.mkdtemp(prefix="service-tests-"))
os.environ.setdefault("APP_ENV", "test")
os.environ["DATABASE_URL"] = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_tmp / 'test.sqlite3'}"
os.environ.setdefault("RATE_LIMIT_ENABLED", "false")
os.environ.setdefault("OUTBOX_ENABLED", "false")
# A test-only key for fields encrypted at rest (``encryption_key`` of the settings; ignored without them).
os.environ.setdefault("ENCRYPTION_KEY", "7e" * 32)

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import event  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _alembic() -> Config:
    return Config(str(ROOT / "alembic.ini"))


@pytest.fixture(scope="session", autouse=True)
def database() -> Iterator[None]:
    command.upgrade(_alembic(), "head")
    yield
    command.downgrade(_alembic(), "base")


@pytest.fixture(scope="session")
def client(database: None) -> Iterator[TestClient]:
    from app.main import app

    with TestClient(app) as test_client:
        yield test_client


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: object) -> None:
        self.count += 1


@pytest.fixture
def statements() -> Iterator[StatementCounter]:
    """Counts the SQL statements the service runs while a test body executes."""
    from app.core.database import engine

    counter = StatementCounter()
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)
