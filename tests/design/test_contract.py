"""Contract-first services: binding a contract's operations, located binding errors, exact conformance."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from backend_agent.blueprint import load_blueprint, load_contract
from backend_agent.design import Design, design, write_design
from backend_agent.design.conformance import openapi_diff, wire_openapi
from backend_agent.errors import BlueprintError

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO.parent / "shared" / "contracts" / "realworld-openapi.yml"
REALWORLD = REPO / "examples" / "realworld" / "realworld.blueprint.yaml"

needs_contract = pytest.mark.skipif(not CONTRACT.is_file(),
                                    reason=f"the RealWorld contract {CONTRACT} is absent (../shared beside the repo)")


@pytest.fixture(scope="module")
def realworld() -> Design:
    return design(load_blueprint(REALWORLD))


def _sources(node: Any, found: list[str]) -> list[str]:
    if isinstance(node, dict):
        for key in ("x-source", "x-target"):
            if key in node:
                found.append(str(node[key]))
        for value in node.values():
            _sources(value, found)
    elif isinstance(node, list):
        for value in node:
            _sources(value, found)
    return found


@needs_contract
def test_realworld_design_has_no_structural_difference_from_its_contract(realworld: Design) -> None:
    contract = yaml.safe_load(CONTRACT.read_text())
    assert openapi_diff(contract, realworld.openapi) == []
    # design.json alone (the operations' wire shapes) describes the same API.
    assert openapi_diff(contract, wire_openapi(realworld)) == []
    assert len(realworld.operations) == 19 and realworld.mode == "contract"


@needs_contract
def test_the_diff_notices_one_changed_token() -> None:
    contract = yaml.safe_load(CONTRACT.read_text())
    changed = yaml.safe_load(CONTRACT.read_text())
    changed["components"]["schemas"]["Profile"]["required"].remove("bio")
    changed["paths"]["/articles"]["post"]["responses"]["200"] = changed["paths"]["/articles"]["post"]["responses"].pop(
        "201")
    diff = openapi_diff(contract, changed)
    assert any("POST /api/articles.responses.201: only in the contract" in d for d in diff)
    assert any("profile.required" in d for d in diff)


@needs_contract
def test_every_response_value_has_a_source(realworld: Design) -> None:
    ops = {op.operation_id: op for op in realworld.operations}
    listed = ops["GetArticles"].wire
    assert listed is not None
    body = listed.response("success")
    assert body is not None and body.schema is not None
    props = body.schema["properties"]
    assert props["articles"]["x-source"] == "rows" and props["articlesCount"]["x-source"] == "total"
    item = props["articles"]["items"]["properties"]
    assert item["tagList"]["x-source"] == "relation:tag_list" and item["tagList"]["x-field"] == "name"
    assert item["favoritesCount"]["x-source"] == "computed:favorites_count"
    assert item["author"]["properties"]["following"]["x-source"] == "computed:following"
    login = ops["Login"].wire
    assert login is not None and login.request is not None and login.request.schema is not None
    user = login.request.schema["properties"]["user"]["properties"]
    assert (user["email"]["x-target"], user["password"]["x-target"]) == ("identity:email", "password")
    success = login.response("success")
    assert success is not None and success.schema is not None
    assert success.schema["properties"]["user"]["properties"]["token"]["x-source"] == "token"
    invalid = login.response("invalid")
    assert invalid is not None and invalid.status == 422 and invalid.schema is not None
    assert invalid.schema["properties"]["errors"]["properties"]["body"]["x-source"] == "error.messages"
    update = ops["UpdateArticle"].wire
    assert update is not None and update.request is not None and update.request.schema is not None
    assert "tagList" not in update.request.schema["properties"]["article"]["properties"]  # the contract's choice
    tags = ops["GetTags"].wire
    assert tags is not None
    tag_body = tags.response("success")
    assert tag_body is not None and tag_body.schema is not None
    assert tag_body.schema["properties"]["tags"]["items"]["x-source"] == "field:name"
    comment = ops["DeleteArticleComment"]
    assert [(p.name, p.maps_to) for p in comment.parameters] == [("slug", "article.slug"), ("id", "Comment.id")]
    assert ops["GetArticleComments"].paginated is False  # the contract has no paging parameters
    assert ops["GetArticle"].auth.optional and ops["CreateArticle"].auth.public is False


@needs_contract
def test_undeclared_outcomes_are_listed_in_the_conformance_table(realworld: Design) -> None:
    get = next(op for op in realworld.operations if op.operation_id == "GetArticle")
    assert get.wire is not None
    not_found = get.wire.response("not_found")
    assert not_found is not None and (not_found.status, not_found.declared) == (404, False)
    assert "| `GetArticle` | GET `/api/articles/{slug}` | Article.get | 200 success, 404 not_found*, 422 other |" in (
        realworld.design_md)


@needs_contract
def test_design_writes_the_normalized_contract_and_design_json(realworld: Design, tmp_path: Path) -> None:
    write_design(realworld, tmp_path, render_svg=False)
    written = yaml.safe_load((tmp_path / "openapi.yaml").read_text())
    assert "$ref" not in json.dumps(written["paths"])
    assert "/api/articles/{slug}/comments/{id}" in written["paths"]
    data = json.loads((tmp_path / "design.json").read_text())
    assert data["mode"] == "contract" and data["contract"]["base_path"] == "/api"
    op = next(o for o in data["operations"] if o["operation_id"] == "CreateArticle")
    assert op["binding"] == {"key": "CreateArticle", "behaviour": "Article.create", "origin": "bindings.CreateArticle"}
    assert op["status_code"] == 201 and op["wire"]["request"]["schema"]["properties"]["article"]["x-target"] == "row"


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = REALWORLD.read_text()
    assert old in text, old
    file = tmp_path / "variant.blueprint.yaml"
    file.write_text(text.replace("../../../shared/contracts/realworld-openapi.yml", str(CONTRACT)).replace(old, new))
    return file


def _validate(file: Path) -> tuple[int, dict[str, Any], str]:
    proc = subprocess.run([sys.executable, "-m", "backend_agent", "blueprint", "validate", "--json", str(file)],
                          capture_output=True, text=True, check=False)
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}, proc.stderr


@needs_contract
def test_every_unbound_operation_is_reported_at_once(tmp_path: Path) -> None:
    file = _variant(tmp_path, "  GetTags: Tag.list\n", "")
    text = file.read_text().replace("  Login: auth.login\n", "").replace("  DeleteArticle: Article.delete\n", "")
    file.write_text(text)
    code, report, _ = _validate(file)
    assert code == 1
    messages = [p["message"] for p in report["problems"]]
    assert sorted(m.split()[2] for m in messages) == ["DeleteArticle", "GetTags", "Login"]
    assert all(p["key_path"] == "bindings" and p["line"] for p in report["problems"])


@pytest.mark.parametrize(("old", "new", "key_path", "words"), [
    ("GetArticle: Article.get\n", "GetArticle: Article.gett\n", "bindings.GetArticle.operation", "did you mean 'Article.get'"),
    ("GetArticle: Article.get\n", "GetArticle: Articel.get\n", "bindings.GetArticle.operation", "did you mean 'Article'"),
    ("GetTags: Tag.list\n", "GetTags: Tag.list\n  GetTag: Tag.list\n", "bindings.GetTag", "did you mean 'GetTags'"),
    ("GetProfileByUsername: {operation: User.get, view: profile}",
     "GetProfileByUsername: {operation: User.get, view: profle}", "bindings.GetProfileByUsername.view",
     "did you mean 'profile'"),
    ("      favorites_count: {kind: count, relation: favorited_by}\n", "", "bindings.GetArticles",
     "favoritesCount has no source"),
    ("username: {type: string, required: true, unique: true, min_length: 1, max_length: 40}",
     "username: {type: int, required: true, unique: true}", "bindings.Login", "username is string in the contract"),
    ("bio: {type: text, required: true, default: \"\", max_length: 2000}", "bio: {type: text, max_length: 2000}",
     "bindings.GetCurrentUser", "may never be null"),
    ("CreateArticle: Article.create", "CreateArticle: {operation: Article.create, fields: {tagList: tagz}}",
     "bindings.CreateArticle", "did you mean 'tag_list'"),
    ("GetArticle: Article.get", "GetArticle: {operation: Article.get, select: {slug: title}}",
     "bindings.GetArticle.select.slug", "selects no row"),
])
@needs_contract
def test_binding_problems_are_located(tmp_path: Path, old: str, new: str, key_path: str, words: str) -> None:
    code, report, _ = _validate(_variant(tmp_path, old, new))
    assert code == 1, report
    hits = [p for p in report["problems"] if p["key_path"] == key_path]
    assert hits, report["problems"]
    text = " ".join(f"{p['message']} {p['expected']} {p['hint']}" for p in hits)
    assert words in text, text
    assert all(p["line"] and p["file"].endswith("variant.blueprint.yaml") for p in hits)


def test_contract_files_resolve_relative_refs_and_json(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "note.yaml").write_text(
        "Note:\n  type: object\n  required: [id, text]\n  properties:\n    id: {type: integer}\n"
        "    text: {type: string}\n")
    contract = {
        "openapi": "3.0.3", "info": {"title": "notes", "version": "1"}, "servers": [{"url": "/v1"}],
        "paths": {"/notes/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "get": {"operationId": "getNote", "responses": {
                "200": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "schemas/note.yaml#/Note"}}}},
                "404": {"description": "missing", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}}}}}}}},
    }
    (tmp_path / "notes.json").write_text(json.dumps(contract))
    loaded = load_contract(tmp_path / "notes.json")
    assert loaded.base_path == "/v1" and loaded.operations[0].parameters[0].name == "id"
    bp_file = tmp_path / "notes.blueprint.yaml"
    bp_file.write_text("service: {name: notes, contract: notes.json}\nentities:\n  Note:\n    options: {timestamps: "
                       "false}\n    fields:\n      text: {type: string, required: true}\n"
                       "bindings:\n  getNote: Note.get\n")
    result = design(load_blueprint(bp_file))
    op = result.operations[0]
    assert op.path == "/v1/notes/{id}" and op.parameters[0].maps_to == "Note.id"
    assert op.wire is not None
    missing = op.wire.response("not_found")
    assert missing is not None and missing.declared and missing.schema is not None
    assert missing.schema["properties"]["message"]["x-source"] == "error.message"
    assert openapi_diff(loaded.normalized, wire_openapi(result)) == []
    assert openapi_diff(loaded.normalized, result.openapi) == []


def test_missing_contract_and_bindings_without_contract_are_located(tmp_path: Path) -> None:
    file = tmp_path / "x.blueprint.yaml"
    file.write_text("service: {name: x, contract: nowhere.yaml}\nentities:\n  Note:\n    fields: {text: string}\n")
    code, report, _ = _validate(file)
    assert code == 1 and report["problems"][0]["key_path"] == "service.contract"
    assert report["problems"][0]["line"] == 1
    file.write_text("service: {name: x}\nentities:\n  Note:\n    fields: {text: string}\nbindings:\n  a: Note.get\n")
    with pytest.raises(BlueprintError) as info:
        design(load_blueprint(file))
    assert info.value.problems[0].location is not None
    assert info.value.problems[0].location.key_path == "bindings"
