"""examples/bookmarks generated and served: find-or-create topics by name (201, then 200), upsert bookmarks by
(owner, url), labels as an ordered list of short strings in a JSON column, and a list only its user may read."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.generate.conftest import run_project_tests
from tests.generate.contract.conftest import RunningService, assert_serves_its_contract, assert_wire

PASSWORD = "correct horse battery"


def _sign_up(service: RunningService, client: httpx.Client, email: str) -> tuple[int, dict[str, str]]:
    session = assert_wire(service, "signUp", client.post("/signup", json={"email": email, "password": PASSWORD}), 201)
    return session["user"]["id"], {"Authorization": f"Bearer {session['token']}"}


def test_bookmarks_serves_its_contract(bookmarks: RunningService) -> None:
    assert_serves_its_contract(bookmarks)


def test_find_or_create_a_topic_by_name(bookmarks: RunningService) -> None:
    with httpx.Client(base_url=f"{bookmarks.base_url}/api") as client:
        _, ann = _sign_up(bookmarks, client, "ann@example.com")
        _, bob = _sign_up(bookmarks, client, "bob@example.com")
        created = assert_wire(bookmarks, "findOrCreateTopic", client.post("/topics", json={"name": "python"},
                                                                          headers=ann), 201)
        found = assert_wire(bookmarks, "findOrCreateTopic", client.post("/topics", json={"name": "python"},
                                                                        headers=bob), 200)
        assert found == created
        other = assert_wire(bookmarks, "findOrCreateTopic", client.post("/topics", json={"name": "rust"},
                                                                        headers=ann), 201)
        assert other["id"] != created["id"]
        assert_wire(bookmarks, "findOrCreateTopic", client.post("/topics", json={"name": ""}, headers=ann), 422)
        assert_wire(bookmarks, "findOrCreateTopic", client.post("/topics", json={"name": "x" * 41}, headers=ann), 422)
        assert_wire(bookmarks, "findOrCreateTopic", client.post("/topics", json={"name": "go"}), 401)

        # Concurrent requests with one new name create exactly one row; the others find it.
        def ask(_: int) -> httpx.Response:
            with httpx.Client(base_url=f"{bookmarks.base_url}/api") as own:
                return own.post("/topics", json={"name": "concurrency"}, headers=ann)

        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(ask, range(16)))
    assert sorted(r.status_code for r in answers) == [200] * 15 + [201]
    assert len({r.json()["id"] for r in answers}) == 1
    rows = bookmarks.run_python("import sqlite3, os; db = sqlite3.connect(os.environ['DATABASE_URL'][10:]); "
                                "print(db.execute(\"SELECT COUNT(*) FROM topics WHERE name = 'concurrency'\")"
                                ".fetchone()[0])")
    assert rows == "1"


def test_upsert_a_bookmark_by_owner_and_url_with_ordered_labels(bookmarks: RunningService) -> None:
    with httpx.Client(base_url=f"{bookmarks.base_url}/api") as client:
        ann_id, ann = _sign_up(bookmarks, client, "cat@example.com")
        _, bob = _sign_up(bookmarks, client, "dan@example.com")
        body: dict[str, Any] = {"url": "https://example.com/a", "title": "A", "labels": ["to-read", "ai", "long"]}
        created = assert_wire(bookmarks, "saveBookmark", client.put("/bookmarks", json=body, headers=ann), 201)
        assert created["labels"] == ["to-read", "ai", "long"]  # kept in the order sent
        again = {**body, "title": "A, revised", "labels": ["long", "to-read"]}
        updated = assert_wire(bookmarks, "saveBookmark", client.put("/bookmarks", json=again, headers=ann), 200)
        assert updated["id"] == created["id"] and updated["title"] == "A, revised"
        assert updated["labels"] == ["long", "to-read"] and updated["createdAt"] == created["createdAt"]
        theirs = assert_wire(bookmarks, "saveBookmark", client.put("/bookmarks", json=body, headers=bob), 201)
        assert theirs["id"] != created["id"]  # the natural key includes the owner
        empty = assert_wire(bookmarks, "saveBookmark", client.put(
            "/bookmarks", json={**body, "url": "https://example.com/b", "labels": []}, headers=ann), 201)
        assert empty["labels"] == []

        for labels in (["x"] * 11, ["x" * 21], [""], "to-read", [1], None):
            bad = client.put("/bookmarks", json={**body, "labels": labels}, headers=ann)
            assert_wire(bookmarks, "saveBookmark", bad, 422)
        missing = {k: v for k, v in body.items() if k != "labels"}
        assert_wire(bookmarks, "saveBookmark", client.put("/bookmarks", json=missing, headers=ann), 422)
        stored = bookmarks.run_python(
            "import sqlite3, os; db = sqlite3.connect(os.environ['DATABASE_URL'][10:]); "
            f"print(db.execute('SELECT labels FROM bookmarks WHERE id = {created['id']}').fetchone()[0])")
        assert stored.replace(" ", "") == '["long","to-read"]'  # a JSON array in a JSON column

        mine = assert_wire(bookmarks, "listUserBookmarks", client.get(f"/users/{ann_id}/bookmarks", headers=ann),
                           200)
        assert [b["url"] for b in mine] == ["https://example.com/b", "https://example.com/a"]


def test_only_the_user_lists_their_bookmarks(bookmarks: RunningService) -> None:
    with httpx.Client(base_url=f"{bookmarks.base_url}/api") as client:
        eve_id, eve = _sign_up(bookmarks, client, "eve@example.com")
        _, fay = _sign_up(bookmarks, client, "fay@example.com")
        client.put("/bookmarks", json={"url": "https://example.com/e", "title": "E", "labels": []}, headers=eve)
        own = assert_wire(bookmarks, "listUserBookmarks", client.get(f"/users/{eve_id}/bookmarks", headers=eve), 200)
        assert [b["title"] for b in own] == ["E"]
        refused = assert_wire(bookmarks, "listUserBookmarks",
                              client.get(f"/users/{eve_id}/bookmarks", headers=fay), 403)
        assert refused["message"]
        assert_wire(bookmarks, "listUserBookmarks", client.get(f"/users/{eve_id}/bookmarks"), 401)
        assert_wire(bookmarks, "listUserBookmarks", client.get("/users/not-a-number/bookmarks", headers=eve), 422)


@pytest.mark.slow
def test_generated_suite_passes_on_sqlite_and_postgresql(bookmarks: RunningService, postgres_database: str) -> None:
    """The project's own tests (find-or-create twice, the caller rule with another user's id) on both dialects:
    ON CONFLICT works the same on SQLite and PostgreSQL."""
    for extra in ({}, {"TEST_DATABASE_URL": postgres_database}):
        result = run_project_tests(bookmarks.project, extra, args=("-rA",))
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        for name in ("test_create_finds_the_row_with_the_same_natural_key[findOrCreateTopic-200-return]",
                     "test_create_finds_the_row_with_the_same_natural_key[saveBookmark-200-update]",
                     "test_a_path_value_must_name_the_caller[listUserBookmarks-403]"):
            assert f"PASSED tests/test_operations.py::{name}" in result.stdout, result.stdout[-3000:]
