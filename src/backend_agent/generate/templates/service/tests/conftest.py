"""A fresh migrated database per test session: SQLite by default, TEST_DATABASE_URL for PostgreSQL."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
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


FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


class ContractClient(TestClient):
    """A test client that sends a body the way its operation's contract takes it.

    Tests pass every body as ``json=``; an operation whose request body is HTML form fields gets them
    as a form instead (a list as a repeated key, a None value left out, as a browser would).
    """

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.form_routes = form_routes(app.openapi())

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        body = kwargs.get("json")
        if isinstance(body, dict) and takes_form(self.form_routes, method, httpx.URL(str(url)).path):
            del kwargs["json"]
            kwargs["data"] = {key: value for key, value in body.items() if value is not None}
        return super().request(method, url, **kwargs)


def form_routes(contract: dict[str, Any]) -> list[tuple[str, re.Pattern[str]]]:
    """(METHOD, path pattern) of each operation whose request body is a form."""
    routes = []
    for path, item in contract.get("paths", {}).items():
        for method, operation in item.items():
            content = (operation.get("requestBody") or {}).get("content", {}) if isinstance(operation, dict) else {}
            if FORM_MEDIA_TYPE in content and "application/json" not in content:
                pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))
                routes.append((method.upper(), re.compile(pattern)))
    return routes


def takes_form(routes: list[tuple[str, re.Pattern[str]]], method: str, path: str) -> bool:
    return any(method.upper() == verb and pattern.fullmatch(path) for verb, pattern in routes)


@pytest.fixture(scope="session")
def client(database: None) -> Iterator[TestClient]:
    from app.main import app

    with ContractClient(app) as test_client:
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
