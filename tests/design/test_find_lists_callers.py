"""Find-or-create / upsert, list-of-scalar fields and caller rules in the design: design.json, OpenAPI, DDL and
DESIGN.md, in blueprint mode and as contract bindings."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

from backend_agent.blueprint import parse_blueprint
from backend_agent.design import Design, design, openapi_diff, wire_openapi
from backend_agent.errors import BlueprintError

REPO = Path(__file__).resolve().parents[2]

TEXT = """
service: {name: shelf}
auth: {user_entity: User, identity: [email]}
entities:
  User:
    fields:
      email: {type: email, required: true, unique: true}
      password: {type: string, secret: true, required: true}
  Tag:
    fields:
      name: {type: string, required: true, unique: true, max_length: 30}
    api:
      operations:
        list: {}
        create: {existing: name}
  Contact:
    fields:
      email: {type: email, required: true, unique: true}
      name: {type: string, required: true}
    api:
      operations:
        create: {existing: {match: email, then: update, status: 202}}
  Note:
    owner: owner
    fields:
      title: {type: string, required: true}
      labels: {type: list, of: string, max_items: 10, item: {max_length: 20}, required: true, default: []}
      scores: {type: list, of: int, min_items: 1, item: {min: 0, max: 5}}
    relations:
      owner: {kind: many_to_one, target: User, required: true, inverse: notes}
    api:
      parent: owner
      visibility: owner
      operations:
        list: {caller: {in: path, name: id, status: 404}}
        create: {}
"""


@pytest.fixture(scope="module")
def shelf() -> Design:
    return design(parse_blueprint(TEXT, source="shelf.blueprint.yaml"))


def _op(result: Design, operation_id: str) -> dict:  # type: ignore[type-arg]
    return next(o for o in result.resolved()["operations"] if o["operation_id"] == operation_id)


def test_find_or_create_declares_both_statuses(shelf: Design) -> None:
    post = shelf.openapi["paths"]["/tags"]["post"]["responses"]
    assert post["201"]["content"] == post["200"]["content"]
    assert "existed" in post["200"]["description"]
    tags = _op(shelf, "tags_create")
    assert tags["existing"] == {"match": ["name"], "columns": ["name"], "then": "return", "status": 200,
                                "constraint": "unique field"}
    assert [(r["status"], r["outcome"]) for r in tags["wire"]["responses"] if r["status"] < 300] == [
        (201, "success"), (200, "existing")]
    contacts = _op(shelf, "contacts_create")
    assert contacts["existing"]["then"] == "update" and contacts["existing"]["status"] == 202
    assert set(shelf.openapi["paths"]["/contacts"]["post"]["responses"]) >= {"201", "202"}
    assert openapi_diff(shelf.openapi, wire_openapi(shelf)) == []


def test_list_fields_are_arrays_with_item_constraints_in_json_columns(shelf: Design) -> None:
    note = shelf.openapi["components"]["schemas"]["Note"]["properties"]
    assert note["labels"]["type"] == "array" and note["labels"]["maxItems"] == 10
    assert note["labels"]["items"] == {"type": "string", "maxLength": 20}
    assert note["scores"]["items"] == {"type": "integer", "format": "int32", "minimum": 0, "maximum": 5}
    assert note["scores"]["minItems"] == 1
    create = shelf.openapi["components"]["schemas"]["NoteCreate"]
    assert create["properties"]["labels"]["default"] == [] and "title" in create["required"]
    labels = shelf.entities["Note"].field("labels")
    assert (labels.kind, labels.of, labels.python_type) == ("list", "string", "Any")
    assert shelf.table("notes").column("labels").sql_type == {"sqlite": "JSON", "postgresql": "JSONB"}
    assert '"labels" JSONB NOT NULL' in shelf.ddl["postgresql"]
    conn = sqlite3.connect(":memory:")
    conn.executescript(shelf.ddl["sqlite"])
    conn.execute("INSERT INTO users (email, password_hash, created_at, updated_at) VALUES ('a@b.c', 'x', "
                 "'2024-01-01', '2024-01-01')")
    conn.execute("INSERT INTO notes (title, owner_id, created_at, updated_at) VALUES ('t', 1, '2024-01-01', "
                 "'2024-01-01')")
    assert json.loads(conn.execute("SELECT labels FROM notes").fetchone()[0]) == []


def test_caller_rule_needs_a_token_and_declares_its_status(shelf: Design) -> None:
    listed = _op(shelf, "notes_list")
    assert listed["caller"] == {"location": "path", "name": "id", "user_field": "id", "user_column": "id",
                                "status": 404, "outcome": "not_found"}
    assert listed["auth"]["public"] is False
    get = shelf.openapi["paths"]["/users/{id}/notes"]["get"]
    assert get["security"] and {} not in get["security"]  # a token is required, never optional
    assert {"401", "404"} <= set(get["responses"])


def test_design_md_explains_the_constructs(shelf: Design) -> None:
    text = shelf.design_md
    assert "## Natural keys, caller rules and lists" in text
    assert "find-or-create by name (200 when it exists)" in text
    assert "upsert by email (202 when it exists)" in text
    assert "path id must be the caller, else 404" in text
    assert "| Note.labels | list of string |" in text


# -- contract bindings ----------------------------------------------------------------------------------

CONTRACT = {
    "openapi": "3.1.0", "info": {"title": "Labels", "version": "1"},
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                   "schemas": {"Label": {"type": "object", "required": ["id", "name"],
                                         "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
                               "Note": {"type": "object", "required": ["id", "text"],
                                        "properties": {"id": {"type": "integer"}, "text": {"type": "string"}}}}},
    "paths": {
        "/labels": {"post": {
            "operationId": "ensureLabel", "security": [{"bearer": []}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}}}},
            "responses": {"201": {"description": "created", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Label"}}}},
                          "200": {"description": "found", "content": {"application/json": {
                              "schema": {"$ref": "#/components/schemas/Label"}}}},
                          "401": {"description": "no"}}},
            "get": {"operationId": "listLabels", "responses": {"200": {"description": "ok", "content": {
                "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Label"}}}}}}}},
        "/notes": {"post": {
            "operationId": "addNote", "security": [{"bearer": []}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["text", "authorId"],
                "properties": {"text": {"type": "string"}, "authorId": {"type": "integer"}}}}}},
            "responses": {"201": {"description": "created", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Note"}}}},
                          "401": {"description": "no"}, "403": {"description": "not you"}}}},
    },
}

BLUEPRINT = """
service: {name: labels, contract: contract.yaml, naming: camelCase}
auth: {user_entity: User, identity: [email], operations: {register: {enabled: false}, login: {enabled: false},
       me: {enabled: false}, update_me: {enabled: false}}}
entities:
  User:
    fields:
      email: {type: email, required: true, unique: true}
      password: {type: string, secret: true, required: true}
    api: {operations: []}
  Label:
    fields:
      name: {type: string, required: true, unique: true}
  Note:
    fields:
      text: {type: string, required: true}
    relations:
      author: {kind: many_to_one, target: User, required: true, request: id}
bindings:
  ensureLabel: {operation: Label.create, existing: {match: [name]}}
  listLabels: Label.list
  addNote: {operation: Note.create, caller: {in: body, name: authorId}}
"""


def _contract_design(tmp_path: Path, blueprint: str, contract: dict | None = None) -> Design:  # type: ignore[type-arg]
    (tmp_path / "contract.yaml").write_text(yaml.safe_dump(contract or CONTRACT))
    file = tmp_path / "labels.blueprint.yaml"
    file.write_text(blueprint)
    return design(parse_blueprint(blueprint, source=str(file)).with_base_dir(tmp_path))


def test_bindings_declare_find_or_create_and_caller_rules(tmp_path: Path) -> None:
    result = _contract_design(tmp_path, BLUEPRINT)
    ensure = _op(result, "ensureLabel")
    assert ensure["status_code"] == 201 and ensure["existing"]["status"] == 200
    assert {(r["status"], r["outcome"]) for r in ensure["wire"]["responses"] if r["status"] < 300} == {
        (201, "success"), (200, "existing")}
    note = _op(result, "addNote")
    assert note["caller"]["location"] == "body" and note["caller"]["status"] == 403
    assert any(r["status"] == 403 and r["outcome"] == "forbidden" and r["declared"]
               for r in note["wire"]["responses"])
    assert "200 existing, 201 success" in result.design_md


@pytest.mark.parametrize(("old", "new", "where", "words"), [
    ("listLabels: Label.list", "listLabels: {operation: Label.list, existing: name}", "bindings.listLabels.existing",
     ["applies to Entity.create"]),
    ("existing: {match: [name]}", "existing: {match: [nam]}", "bindings.ensureLabel.existing.match[0]",
     ["did you mean 'name'"]),
    ("name: authorId}", "name: writerId}", "bindings.addNote.caller.name", ["no property 'writerId'"]),
    ("caller: {in: body, name: authorId}", "caller: {in: path, name: authorId}", "bindings.addNote.caller.name",
     ["no path parameter 'authorId'"]),
    ("listLabels: Label.list", "listLabels: {operation: Label.list, caller: {in: query, name: who}}",
     "bindings.listLabels.caller", ["lets anyone call it"]),
])
def test_binding_errors_are_located(tmp_path: Path, old: str, new: str, where: str, words: list[str]) -> None:
    assert BLUEPRINT.count(old) == 1
    with pytest.raises(BlueprintError) as info:
        _contract_design(tmp_path, BLUEPRINT.replace(old, new))
    rendered = [str(p) for p in info.value.problems if where in str(p)]
    assert rendered, [str(p) for p in info.value.problems]
    for word in words:
        assert word in rendered[0]


def test_the_bookmarks_example_uses_all_three() -> None:
    file = REPO / "examples" / "bookmarks" / "bookmarks.blueprint.yaml"
    result = design(parse_blueprint(file.read_text(), source=str(file)).with_base_dir(file.parent))
    resolved = result.resolved()
    assert _op(result, "findOrCreateTopic")["existing"]["then"] == "return"
    assert _op(result, "saveBookmark")["existing"]["match"] == ["owner", "url"]
    assert _op(result, "listUserBookmarks")["caller"]["status"] == 403
    labels = next(f for f in resolved["entities"]["Bookmark"]["fields"] if f["name"] == "labels")
    assert labels["kind"] == "list" and labels["json_schema"]["items"]["maxLength"] == 20


def test_a_list_caller_rule_on_a_query_value_needs_rows_to_narrow(tmp_path: Path) -> None:
    import copy

    contract: dict[str, Any] = copy.deepcopy(CONTRACT)
    listing = contract["paths"]["/labels"]["get"]
    listing["security"] = [{"bearer": []}]
    listing["parameters"] = [{"name": "who", "in": "query", "required": True, "schema": {"type": "integer"}}]
    listing["responses"]["403"] = {"description": "not you"}
    blueprint = BLUEPRINT.replace("listLabels: Label.list",
                                  "listLabels: {operation: Label.list, caller: {in: query, name: who}}")
    with pytest.raises(BlueprintError) as info:
        _contract_design(tmp_path, blueprint, contract)
    rendered = [str(p) for p in info.value.problems]
    assert len(rendered) == 1 and "bindings.listLabels.caller.name" in rendered[0], rendered
    assert "Label has no owner and no filter 'who'" in rendered[0] and "give Label an owner" in rendered[0]
    # with an owner the list narrows to the caller's rows (the generator adds owner == caller)
    owned = blueprint.replace("  Label:\n    fields:", "  Label:\n    owner: maker\n    relations:\n"
                              "      maker: {kind: many_to_one, target: User, required: true}\n    fields:")
    result = _contract_design(tmp_path, owned, contract)
    assert _op(result, "listLabels")["caller"]["location"] == "query"
