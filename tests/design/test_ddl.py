"""Both DDLs applied to real databases: SQLite in memory and a throwaway PostgreSQL database."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from backend_agent.design import Design
from tests.design.conftest import EXAMPLE_NAMES


def _fk_columns(d: Design) -> set[tuple[str, str]]:
    return {(t.name, fk.column) for t in d.tables for fk in t.foreign_keys}


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_sqlite_ddl_applies_and_every_fk_is_indexed(designs: dict[str, Design], name: str) -> None:
    d = designs[name]
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(d.ddl["sqlite"])
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {t.name for t in d.tables} <= tables
        for table, column in _fk_columns(d):
            leading = set()
            for index in conn.execute(f'PRAGMA index_list("{table}")').fetchall():
                cols = conn.execute(f'PRAGMA index_info("{index[1]}")').fetchall()
                leading.add(min(cols)[2])
            assert column in leading, f"{table}.{column} has no index"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def test_sqlite_constraints_hold(conduit: Design) -> None:
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(conduit.ddl["sqlite"])
        conn.execute("INSERT INTO users (email, username, password_hash, role) VALUES ('a@b.c', 'jake', 'h', 'user')")
        with pytest.raises(sqlite3.IntegrityError, match="ck_users_role_enum"):
            conn.execute("INSERT INTO users (email, username, password_hash, role) VALUES ('x@b.c', 'x', 'h', 'god')")
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            conn.execute("INSERT INTO users (email, username, password_hash) VALUES ('a@b.c', 'other', 'h')")
        with pytest.raises(sqlite3.IntegrityError, match="ck_users_username_max_length"):
            conn.execute("INSERT INTO users (email, username, password_hash) VALUES ('q@b.c', ?, 'h')", ("u" * 41,))
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            conn.execute("INSERT INTO articles (slug, title, description, body, author_id) VALUES "
                         "('s', 't', 'd', 'b', 999)")
        conn.execute("INSERT INTO articles (slug, title, description, body, author_id) VALUES ('s', 't', 'd', 'b', 1)")
        conn.execute("INSERT INTO favorites (article_id, user_id) VALUES (1, 1)")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO favorites (article_id, user_id) VALUES (1, 1)")
        conn.execute("DELETE FROM users WHERE id = 1")  # cascades to articles and favorites
        assert conn.execute("SELECT count(*) FROM favorites").fetchone() == (0,)
    finally:
        conn.close()


def test_computed_queries_run(conduit: Design) -> None:
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(conduit.ddl["sqlite"])
        conn.execute("INSERT INTO users (email, username, password_hash) VALUES ('a@b.c', 'a', 'h'), "
                     "('b@b.c', 'b', 'h')")
        conn.execute("INSERT INTO articles (slug, title, description, body, author_id) VALUES ('s', 't', 'd', 'b', 1)")
        conn.execute("INSERT INTO favorites (article_id, user_id) VALUES (1, 1), (1, 2)")
        article = conduit.entities["Article"]
        count = next(c for c in article.computed if c.name == "favorites_count")
        member = next(c for c in article.computed if c.name == "favorited")
        assert conn.execute(count.sql.replace(":ids", "1")).fetchall() == [(1, 2)]
        assert conn.execute(member.sql.replace(":ids", "1").replace(":user_id", "2")).fetchall() == [(1,)]
        following = conduit.entities["User"].computed[0]
        conn.execute("INSERT INTO follows (user_id, followed_user_id) VALUES (2, 1)")
        # "does user 2 follow user 1?": probe user 1's followers for the viewer 2
        assert conn.execute(following.sql.replace(":ids", "1").replace(":user_id", "2")).fetchall() == [(1,)]
        assert conn.execute(following.sql.replace(":ids", "2").replace(":user_id", "1")).fetchall() == []
    finally:
        conn.close()


@pytest.mark.services
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_postgresql_ddl_applies_and_every_fk_is_indexed(pg_engine: sa.Engine, designs: dict[str, Design],
                                                         name: str) -> None:
    d = designs[name]
    schema = f"s_{name}"
    with pg_engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(sa.text(f'SET search_path TO "{schema}"'))
        conn.exec_driver_sql(d.ddl["postgresql"])
        rows = conn.execute(sa.text(
            "SELECT t.relname, a.attname FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0] WHERE n.nspname = :s"
        ), {"s": schema}).fetchall()
        leading = {(r[0], r[1]) for r in rows}
        tables = {r[0] for r in conn.execute(sa.text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = :s"), {"s": schema})}
    assert {t.name for t in d.tables} == tables
    missing = _fk_columns(d) - leading
    assert not missing, f"foreign keys without an index: {missing}"
