"""Designs of two realistic blueprints beyond the examples: what an expert reviewer would check."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from backend_agent.blueprint import load_blueprint
from backend_agent.design import Design, design
from tests.design.conftest import apply_postgresql

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def tracker() -> Design:
    return design(load_blueprint(DATA / "tracker.blueprint.yaml"))


@pytest.fixture(scope="module")
def booking() -> Design:
    return design(load_blueprint(DATA / "booking.blueprint.yaml"))


def _examples(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any], Any]]:
    found = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            bodies = [op["requestBody"]] if "requestBody" in op else []
            bodies += [r for r in op["responses"].values() if "content" in r]
            for body in bodies:
                media = body["content"]["application/json"]
                if "example" in media:
                    found.append((f"{method.upper()} {path}", media["schema"], media["example"]))
    return found


@pytest.mark.parametrize("name", ["tracker", "booking"])
def test_openapi_validates_and_every_example_fits_its_schema(request: pytest.FixtureRequest, name: str) -> None:
    doc = request.getfixturevalue(name).openapi
    validate(doc)
    examples = _examples(doc)
    assert examples
    for where, schema, example in examples:
        resolver = {**schema, "components": doc["components"]}
        errors = [e.message for e in jsonschema.Draft202012Validator(resolver).iter_errors(example)]
        assert not errors, (where, errors)


def test_login_takes_exactly_one_of_several_identity_fields(tracker: Design) -> None:
    login = tracker.openapi["components"]["schemas"]["LoginRequest"]
    check = jsonschema.Draft202012Validator(login)
    assert check.is_valid({"email": "a@b.co", "password": "x"})
    assert check.is_valid({"login": "ann", "password": "x"})
    assert not check.is_valid({"password": "x"})
    assert not check.is_valid({"email": "a@b.co", "login": "ann", "password": "x"})
    assert login["properties"]["email"]["format"] == "email"


def test_single_identity_login_requires_it(designs: dict[str, Design]) -> None:
    login = designs["conduit"].openapi["components"]["schemas"]["LoginRequest"]
    assert login["required"] == ["email", "password"] and "oneOf" not in login


def test_password_policy_is_documented_in_the_contract(tracker: Design) -> None:
    password = tracker.openapi["components"]["schemas"]["UserRegister"]["properties"]["password"]
    assert password["minLength"] == 12
    assert password["description"] == "a password of 12-128 characters, at least one digit, at least one symbol"
    example = password["examples"][0]  # the example obeys the policy it documents
    assert len(example) >= 12 and any(c.isdigit() for c in example) and any(not c.isalnum() for c in example)


def test_summaries_use_the_right_article(tracker: Design) -> None:
    summaries = {op.operation_id: op.summary for op in tracker.operations}
    assert summaries["issues_create"] == "Create an issue"
    assert summaries["issues_delete"] == "Delete an issue"
    assert summaries["projects_update"] == "Update a project"


def test_transition_state_is_not_writable(tracker: Design) -> None:
    schemas = tracker.openapi["components"]["schemas"]
    assert "state" not in schemas["IssueCreate"]["properties"]
    assert "state" not in schemas["IssueUpdate"]["properties"]


def test_temporal_defaults_have_one_iso_spelling_everywhere(booking: Design, tmp_path: Path) -> None:
    room = booking.openapi["components"]["schemas"]["RoomCreate"]["properties"]
    assert room["opens"]["default"] == "08:00:00"
    assert room["available_from"]["default"] == "2024-01-01"
    assert room["launch"]["default"] == "2024-01-01T00:00:00Z"
    assert room["rate"]["default"] == "120.00"
    for dialect in ("sqlite", "postgresql"):
        ddl = booking.ddl[dialect]
        assert "DEFAULT '08:00:00'" in ddl and "DEFAULT '2024-01-01T00:00:00Z'" in ddl
    fields = {f.name: f.default for f in booking.entities["Room"].fields}
    assert fields["available_from"] == "2024-01-01" and fields["opens"] == "08:00:00"
    query = next(op for op in booking.operations if op.kind == "query")
    assert query.conditions[0].value == "2024-05-01"
    json.dumps(booking.openapi)  # no YAML date objects left in the document


@pytest.mark.parametrize("name", ["tracker", "booking"])
def test_sqlite_ddl_applies_with_defaults(request: pytest.FixtureRequest, name: str) -> None:
    d: Design = request.getfixturevalue(name)
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(d.ddl["sqlite"])
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


@pytest.mark.parametrize("name", ["tracker", "booking"])
def test_postgresql_ddl_applies(pg_engine: sa.Engine, request: pytest.FixtureRequest, name: str) -> None:
    d: Design = request.getfixturevalue(name)
    assert apply_postgresql(pg_engine, d.ddl["postgresql"], f"s_real_{name}") == {t.name for t in d.tables}
    if name == "booking":
        with pg_engine.begin() as conn:
            conn.execute(sa.text('SET search_path TO "s_real_booking"'))
            conn.execute(sa.text("INSERT INTO rooms (code) VALUES ('R1')"))
            row = conn.execute(sa.text("SELECT opens, available_from, launch, rate FROM rooms")).one()
        assert (str(row[0]), str(row[1]), str(row[3])) == ("08:00:00", "2024-01-01", "120.00")
        assert row[2] == datetime(2024, 1, 1, tzinfo=UTC)


def test_soft_delete_uniqueness_holds_among_live_rows_only(booking: Design) -> None:
    rooms = next(t for t in booking.tables if t.name == "rooms")
    unique = next(ix for ix in rooms.indexes if ix.unique)
    assert unique.where == '"deleted_at" IS NULL' and "soft-deleted row frees its value" in unique.reason
    reservations = next(t for t in booking.tables if t.name == "reservations")
    assert all(ix.where is None for ix in reservations.indexes)  # no soft delete there
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(booking.ddl["sqlite"])
        conn.execute("INSERT INTO rooms (code, deleted_at) VALUES ('R1', CURRENT_TIMESTAMP)")
        conn.execute("INSERT INTO rooms (code) VALUES ('R1')")  # the deleted row frees 'R1'
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO rooms (code) VALUES ('R1')")
    finally:
        conn.close()


def test_fk_indexes_are_never_partial(tracker: Design) -> None:
    """ON DELETE checks must see soft-deleted children too, so a partial index cannot serve a FK."""
    for table in tracker.tables:
        for fk in table.foreign_keys:
            leading = {ix.columns[0] for ix in table.indexes if ix.where is None} | {table.primary_key[0]}
            assert fk.column in leading, (table.name, fk)


def test_rate_limited_answers_declare_retry_after(designs: dict[str, Design]) -> None:
    doc = designs["conduit"].openapi
    too_many = doc["components"]["responses"]["TooManyRequests"]
    assert too_many["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 0}
    login = doc["paths"]["/api/users/login"]["post"]
    assert login["responses"]["429"] == {"$ref": "#/components/responses/TooManyRequests"}
