"""The language itself: examples, shorthands, defaults, relations, JSON Schema, explain, exports."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

import backend_agent.blueprint as blueprint_pkg
from backend_agent.blueprint import (
    TYPE_NAMES,
    Blueprint,
    CustomAction,
    FeedAction,
    QueryAction,
    RelationKind,
    ToggleAction,
    TransitionAction,
    blueprint_json_schema,
    explain,
    load_blueprint,
    parse_blueprint,
    parse_type,
    resolve_relations,
)

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.blueprint.yaml"))
# the contract-first examples in their own folders; realworld's contract lives in ../shared, which may be absent
FOLDER_EXAMPLES = sorted(p for p in (Path(__file__).resolve().parents[2] / "examples").glob("*/*.blueprint.yaml")
                         if p.parent.name != "realworld")


def test_there_are_three_examples() -> None:
    assert {p.name for p in EXAMPLES} >= {
        "conduit.blueprint.yaml", "inventory.blueprint.yaml", "orders.blueprint.yaml"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_load(path: Path) -> None:
    bp = load_blueprint(path)
    assert isinstance(bp, Blueprint) and bp.entities and bp.auth is not None


def test_examples_together_exercise_every_construct() -> None:
    bps = [load_blueprint(p) for p in EXAMPLES + FOLDER_EXAMPLES]
    kinds = {f.parsed.kind.value for bp in bps for e in bp.entities.values() for f in e.fields.values()}
    assert kinds == set(TYPE_NAMES)
    rel_kinds = {r.kind for bp in bps for e in bp.entities.values() for r in e.relations.values()}
    assert rel_kinds == set(RelationKind)
    actions = {type(a) for bp in bps for e in bp.entities.values() for a in e.actions.values()}
    assert actions == {ToggleAction, FeedAction, QueryAction, TransitionAction, CustomAction}
    assert {bp.service.naming for bp in bps} == {"camelCase", "snake_case"}
    assert {bp.service.errors.style for bp in bps} == {"envelope", "field_list"}
    assert {bp.service.pagination.style for bp in bps} == {"cursor", "offset"}
    entities = [e for bp in bps for e in bp.entities.values()]
    assert any(e.options.soft_delete for e in entities) and any(e.options.id_type == "uuid" for e in entities)
    assert any(e.api.parent for e in entities) and any(e.unique_together for e in entities)
    assert any(f.derive for e in entities for f in e.fields.values())
    assert any(op.idempotent for e in entities for op in e.api.operations.values())


def test_shorthands_and_defaults() -> None:
    bp = parse_blueprint(
        "service: {name: s}\nentities:\n  Note:\n    fields:\n      title: string\n      size: int\n"
        "    api:\n      operations: [list, get]\n",
        source="x",
    )
    note = bp.entities["Note"]
    assert note.fields["title"].type == "string" and not note.fields["title"].required
    assert list(note.api.operations) == ["list", "get"]
    assert note.options.timestamps and not note.options.soft_delete and note.options.id_type == "int"
    assert bp.service.naming == "snake_case" and bp.service.pagination.style == "cursor"
    assert bp.service.errors.style == "envelope"
    default_ops = parse_blueprint("service: {name: s}\nentities:\n  A:\n    fields: {x: int}\n", source="x")
    assert list(default_ops.entities["A"].api.operations) == ["list", "get", "create", "update", "delete"]


def test_parse_type() -> None:
    assert str(parse_type("decimal(10, 2)")) == "decimal(10,2)"
    assert str(parse_type("decimal")) == "decimal(12,2)"
    assert parse_type("uuid").kind.value == "uuid"


def test_inverse_relations_are_resolved_on_the_target() -> None:
    bp = load_blueprint(next(p for p in EXAMPLES if p.name == "conduit.blueprint.yaml"))
    rels = resolve_relations(bp)
    followers = rels["User"]["followers"]
    assert followers.kind is RelationKind.MANY_TO_MANY and not followers.declared
    assert (followers.owner_entity, followers.owner_name) == ("User", "followed_users")
    assert rels["User"]["articles"].kind is RelationKind.ONE_TO_MANY
    assert rels["Article"]["comments"].target == "Comment"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_json_schema_accepts_the_examples(path: Path) -> None:
    schema = blueprint_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def test_json_schema_rejects_unknown_keys() -> None:
    schema = blueprint_json_schema()
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"service": {"name": "x", "colour": 1}, "entities": {"A": {"fields": {"x": "int"}}}},
                            schema)


def test_explain_describes_the_blueprint() -> None:
    bp = load_blueprint(next(p for p in EXAMPLES if p.name == "conduit.blueprint.yaml"))
    text = explain(bp)
    assert "Authorization: Token <token>" in text
    assert "computed favorites_count: number of favorited_by" in text
    assert "action feed: feed of rows whose author is in the current user's followed_users" in text
    assert "followers: many_to_many User (reverse of User.followed_users)" in text
    assert "derived from title (slug, unique-ified)" in text


def test_exports_are_accurate() -> None:
    for name in blueprint_pkg.__all__:
        assert hasattr(blueprint_pkg, name), name
    assert {"Blueprint", "load_blueprint", "parse_blueprint", "blueprint_json_schema", "explain"} <= set(
        blueprint_pkg.__all__)
