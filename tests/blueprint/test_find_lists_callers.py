"""Find-or-create / upsert, list-of-scalar fields and caller rules: located errors, never a traceback."""

from __future__ import annotations

import pytest

from backend_agent.blueprint import blueprint_json_schema, parse_blueprint
from backend_agent.errors import BlueprintError

BASE = """\
service: {name: shelf}
auth: {user_entity: User, identity: [email]}
entities:
  User:
    fields:
      email: {type: email, required: true, unique: true}
      password: {type: string, required: true, secret: true}
  Tag:
    fields:
      name: {type: string, required: true, unique: true}
      color: {type: string}
    api:
      operations:
        list: {}
        create: {existing: {match: [name]}}
  Note:
    owner: owner
    unique_together: [[owner, title]]
    fields:
      title: {type: string, required: true}
      labels: {type: list, of: string, max_items: 5, item: {max_length: 20}, required: true}
    relations:
      owner: {kind: many_to_one, target: User, required: true}
    api:
      parent: owner
      visibility: owner
      operations:
        list: {caller: {in: path, name: id, status: 404}}
        create: {existing: {match: [owner, title], then: update}}
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(BlueprintError) as info:
        parse_blueprint(text, source="shelf.blueprint.yaml")
    return [str(problem) for problem in info.value.problems]


def _one(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    problems = _problems(BASE.replace(old, new))
    assert len(problems) == 1, problems
    return problems[0]


def test_the_base_blueprint_is_valid() -> None:
    bp = parse_blueprint(BASE, source="shelf.blueprint.yaml")
    labels = bp.entities["Note"].fields["labels"]
    assert labels.of == "string" and labels.max_items == 5 and labels.item is not None
    assert bp.entities["Tag"].api.operations["create"].existing.match == ["name"]  # type: ignore[union-attr]


@pytest.mark.parametrize(("old", "new", "where", "words"), [
    ("of: string, max_items", "of: strng, max_items", "shelf.blueprint.yaml:21:32", ["unknown item type 'strng'",
                                                                              "did you mean 'string'"]),
    ("of: string, max_items", "of: json, max_items", "fields.labels.of", ["cannot hold json items"]),
    ("{type: list, of: string, max_items: 5,", "{type: list, max_items: 5,", "fields.labels.type",
     ["needs `of`", "add of: string"]),
    ("item: {max_length: 20}", "max_length: 20", "fields.labels.max_length", ["constrains its items",
                                                                               "item: {max_length: 20}"]),
    ("item: {max_length: 20}", "item: {max_length: 0}", "fields.labels.item.max_length", ["not allowed"]),
    ("of: string, max_items: 5", "of: int, max_items: 5", "fields.labels.item.max_length",
     ["only applies to text"]),
    ("max_items: 5,", "max_items: 5, min_items: 6,", "fields.labels.min_items", ["exceeds max_items"]),
    ("required: true}\n    relations", "required: true, unique: true}\n    relations", "fields.labels.unique",
     ["cannot be unique"]),
    ("required: true}\n    relations", "required: true, default: [1]}\n    relations", "fields.labels.default",
     ["not text"]),
    ("color: {type: string}", "color: {type: string, max_items: 3}", "fields.color.max_items",
     ["only applies to list fields"]),
    ("of: string, max_items: 5, item: {max_length: 20}", "of: enum", "fields.labels.of", ["needs the values"]),
    ("      visibility: owner\n", "      visibility: owner\n      sort: [labels]\n", "api.sort[0]",
     ["'labels' is a list", "cannot be filtered, sorted"]),
    ("      visibility: owner\n", "      visibility: owner\n      filters: [{param: l, field: labels}]\n",
     "api.filters[0].field", ["'labels' is a list"]),
])
def test_list_field_errors(old: str, new: str, where: str, words: list[str]) -> None:
    problem = _one(old, new)
    assert where in problem
    for word in words:
        assert word in problem


@pytest.mark.parametrize(("old", "new", "where", "words"), [
    ("existing: {match: [name]}", "existing: {match: [nmae]}", "create.existing.match[0]",
     ["unknown field or to-one relation of Tag 'nmae'", "did you mean 'name'"]),
    ("existing: {match: [name]}", "existing: {match: [color]}", "create.existing.match",
     ["not unique in Tag", "add unique: true to Tag.fields.color"]),
    ("existing: {match: [owner, title], then: update}", "existing: {match: [title], then: update}",
     "create.existing.match", ["not unique in Note", "unique_together"]),
    ("existing: {match: [name]}", "existing: {match: [name], then: merge}", "create.existing.then",
     ["'return' or 'update'"]),
    ("list: {}\n        create: {existing", "list: {existing: name}\n        create: {existing",
     "operations.list.existing", ["applies to create"]),
    ("existing: {match: [owner, title], then: update}", "existing: {match: [owner, labels], then: update}",
     "existing.match[1]", ["is a list"]),
])
def test_existing_errors(old: str, new: str, where: str, words: list[str]) -> None:
    problem = _one(old, new)
    assert where in problem
    for word in words:
        assert word in problem


@pytest.mark.parametrize(("old", "new", "where", "words"), [
    ("status: 404}", "status: 402}", "list.caller.status", ["expected 401, 403 or 404"]),
    ("{in: path, name: id,", "{in: head, name: id,", "list.caller.in", ["'path', 'query' or 'body'"]),
    ("name: id, status", "name: id, user_field: emial, status", "list.caller.user_field",
     ["unknown field of User 'emial'", "did you mean 'email'"]),
    ("list: {caller:", "list: {public: true, caller:", "list.caller", ["operation is public"]),
])
def test_caller_errors(old: str, new: str, where: str, words: list[str]) -> None:
    problem = _one(old, new)
    assert where in problem
    for word in words:
        assert word in problem


def test_caller_rule_names_a_value_the_operation_receives() -> None:
    from backend_agent.design import design

    with pytest.raises(BlueprintError) as info:
        design(parse_blueprint(BASE.replace("name: id, status", "name: user_id, status"), source="shelf.blueprint.yaml"))
    rendered = [str(p) for p in info.value.problems]
    assert len(rendered) == 1 and "list.caller.name" in rendered[0]
    assert "no path parameter 'user_id'" in rendered[0] and "id" in rendered[0]


def test_caller_rule_needs_auth() -> None:
    text = """\
service: {name: open}
entities:
  Item:
    fields: {name: string}
    api:
      operations:
        list: {caller: {in: query, name: who}}
"""
    problems = _problems(text)
    assert len(problems) == 1 and "there is no `auth`" in problems[0] and "list.caller" in problems[0]


def test_the_json_schema_knows_the_constructs() -> None:
    defs = blueprint_json_schema()["$defs"]
    field = defs["Field"]["anyOf"][1]["properties"]
    assert {"of", "min_items", "max_items", "item"} <= set(field)
    assert set(defs["Item"]["properties"]) == {"min", "max", "min_length", "max_length", "pattern", "values"}
    assert "list" in field["type"]["description"]
    existing = defs["Existing"]["anyOf"][1]["properties"]
    assert existing["then"]["enum"] == ["return", "update"]
    assert set(defs["CallerRule"]["properties"]) == {"in", "name", "user_field", "status"}
    assert defs["CallerRule"]["properties"]["status"]["enum"] == [401, 403, 404]
    binding = defs["Binding"]["properties"]
    assert "existing" in binding and "caller" in binding
