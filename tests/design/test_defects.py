"""Regression tests of design defects D1-D9 (issue 9)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from backend_agent.blueprint import parse_blueprint
from backend_agent.design import design
from backend_agent.errors import BlueprintError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

SHOP = """\
service:
  name: shop
auth:
  user_entity: User
  identity: [email]
  operations:
    register: {message: Welcome aboard}
    login: {message: Signed in}
entities:
  User:
    fields:
      email: {type: email, required: true, unique: true}
      password: {type: string, required: true, secret: true}
  Note:
    options: {id_type: uuid}
    fields:
      text: {type: string}
      props: {type: json}
      history: {type: json, default: []}
    actions:
      search:
        kind: custom
        method: GET
        target: collection
        handler: shop_rules:search
        input:
          q: {type: string, required: true}
  Tick:
    fields:
      at: {type: datetime, read_only: true}
"""


def test_d1_unknown_relation_target_used_by_a_filter_is_located_not_a_traceback(tmp_path: Path) -> None:
    text = (EXAMPLES / "conduit.blueprint.yaml").read_text().replace("target: Tag\n", "target: Tagg\n")
    file = tmp_path / "typo.blueprint.yaml"
    file.write_text(text)
    proc = subprocess.run([sys.executable, "-m", "backend_agent", "blueprint", "validate", str(file)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "unknown entity 'Tagg'" in proc.stderr + proc.stdout and "did you mean 'Tag'" in proc.stderr + proc.stdout


def test_d2_message_without_envelope_keeps_the_user_and_the_token() -> None:
    result = design(parse_blueprint(SHOP))
    for name in ("AuthRegisterResponse", "AuthLoginResponse"):
        schema = result.schemas[name]
        assert set(schema["required"]) >= {"message"}
        assert "user" in schema["properties"] or "token" in schema["properties"], schema
    login = result.schemas["AuthLoginResponse"]
    assert set(login["properties"]) == {"token", "user", "message"}


def test_d3_custom_get_takes_its_input_from_the_query() -> None:
    op = design(parse_blueprint(SHOP)).operation("notes_search")
    assert op.method == "GET" and op.request_schema is None
    assert [(p.name, p.location, p.required) for p in op.parameters] == [("q", "query", True)]
    doc = design(parse_blueprint(SHOP)).openapi["paths"][op.path]["get"]
    assert "requestBody" not in doc


def test_d4_create_without_writable_fields_has_no_body() -> None:
    result = design(parse_blueprint(SHOP))
    create = result.operation("ticks_create")
    assert create.request_schema is None
    assert "requestBody" not in result.openapi["paths"][create.path]["post"]
    notes = result.openapi["paths"]["/notes"]["post"]
    assert notes["requestBody"]["required"] is False  # every key optional: no body is a valid create


def test_d5_sqlite_uuid_keys_are_never_null() -> None:
    ddl = design(parse_blueprint(SHOP)).ddl["sqlite"]
    conn = sqlite3.connect(":memory:")
    conn.executescript(ddl)
    conn.execute("INSERT INTO notes (text, created_at, updated_at) VALUES ('a', '2024-01-01', '2024-01-01')")
    (key,) = conn.execute("SELECT id FROM notes").fetchone()
    assert len(key) == 36 and key[14] == "4"
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO notes (id, text, created_at, updated_at) VALUES (NULL, 'b', '2024-01-01', "
                     "'2024-01-01')")


def test_d6_error_statuses_follow_what_can_happen() -> None:
    result = design(parse_blueprint(SHOP))
    assert 409 not in result.operation("notes_create").error_statuses  # no unique value to clash
    assert 409 in result.operation("auth_register").error_statuses  # email is unique
    assert 404 in result.operation("notes_search").error_statuses
    assert 401 in result.operation("notes_list").error_statuses  # public read, optional token


def test_d7_no_unused_component_schemas() -> None:
    result = design(parse_blueprint(SHOP))
    schemas = result.openapi["components"]["schemas"]
    assert "TokenPair" not in schemas  # refresh is off
    assert "NoteSearchInput" not in schemas  # GET input travels in the query
    text = str(result.openapi["paths"])
    for name in schemas:
        if name in ("Error",):
            continue
        reached = f"#/components/schemas/{name}" in text or any(
            f"#/components/schemas/{name}" in str(other) for other in schemas.values())
        assert reached, name


def test_d8_json_fields_have_a_type_and_a_fitting_example() -> None:
    fields = {f.name: f for f in design(parse_blueprint(SHOP)).entities["Note"].fields}
    assert fields["props"].json_schema["type"] == "object"
    assert fields["history"].json_schema["type"] == "array"
    assert fields["history"].json_schema["examples"] == [[]]


@pytest.mark.parametrize(("old", "new", "key"), [
    ("text: {type: string}", 'text: {type: string, max_length: "255"}', "max_length"),
    ("register: {message: Welcome aboard}", 'register: {message: Welcome aboard, response_envelope: ""}',
     "response_envelope"),
])
def test_d9_no_silent_coercion(old: str, new: str, key: str) -> None:
    with pytest.raises(BlueprintError) as info:
        parse_blueprint(SHOP.replace(old, new))
    (problem,) = info.value.problems
    assert problem.location is not None and problem.location.key_path is not None
    assert problem.location.key_path.endswith(key) and problem.location.line is not None
