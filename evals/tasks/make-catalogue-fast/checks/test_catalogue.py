import sqlite3

import app.db
import pytest
from conftest import sign_up


@pytest.fixture
def statements(monkeypatch):
    seen: list[str] = []
    original = app.db.connect

    def traced() -> sqlite3.Connection:
        conn = original()
        conn.set_trace_callback(seen.append)
        return conn

    monkeypatch.setattr(app.db, "connect", traced)
    return seen


def _seed(client, users: int, per_user: int, prefix: str = "user") -> dict[str, str]:
    headers = {}
    for u in range(users):
        headers = sign_up(client, f"{prefix}{u}")
        for i in range(per_user):
            client.post("/api/items", json={"name": f"item {u}-{i}"}, headers=headers)
    return headers


def test_catalogue_content(client) -> None:
    headers = _seed(client, 2, 2)
    rows = client.get("/api/items/all", headers=headers).json()
    assert [(r["name"], r["owner"]) for r in rows] == [
        ("item 0-0", "user0"), ("item 0-1", "user0"), ("item 1-0", "user1"), ("item 1-1", "user1")]


def test_statement_count_does_not_grow_with_items(client, statements) -> None:
    headers = _seed(client, 3, 2)
    statements.clear()
    assert client.get("/api/items/all", headers=headers).status_code == 200
    few = len([s for s in statements if s.lstrip().upper().startswith("SELECT")])
    _seed(client, 5, 6, prefix="more")
    statements.clear()
    assert len(client.get("/api/items/all", headers=headers).json()) == 36
    many = len([s for s in statements if s.lstrip().upper().startswith("SELECT")])
    assert many == few and many <= 3, (few, many)
