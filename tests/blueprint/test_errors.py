"""Every class of blueprint error: message, location (line:column, key path), expectation, hint."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from backend_agent.blueprint import load_blueprint, parse_blueprint
from backend_agent.errors import BlueprintError, Problem

BASE = """\
service:
  name: shop
auth:
  user_entity: User
  identity: [email]
entities:
  User:
    fields:
      email: {type: email, required: true, unique: true}
      password: {type: string, required: true, secret: true}
  Product:
    owner: seller
    lookup: sku
    fields:
      sku: {type: string, required: true, unique: true}
      title: {type: string, required: true}
      price: {type: "decimal(10,2)", min: 0}
      status: {type: enum, values: [draft, live], default: draft}
    relations:
      seller: {kind: many_to_one, target: User, required: true}
      tags: {kind: many_to_many, target: Tag}
  Tag:
    fields:
      name: {type: string, required: true, unique: true}
"""


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(BlueprintError) as info:
        parse_blueprint(text, source="shop.blueprint.yaml")
    assert info.value.problems, "a BlueprintError must list its problems"
    return info.value.problems


def only(text: str) -> Problem:
    found = problems_of(text)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def test_base_is_valid() -> None:
    bp = parse_blueprint(BASE, source="shop.blueprint.yaml")
    assert set(bp.entities) == {"User", "Product", "Tag"}


def test_unknown_type_suggests_the_closest() -> None:
    problem = only(BASE.replace("sku: {type: string", "sku: {type: strng"))
    assert problem.message == "unknown type 'strng'"
    assert problem.hint == "did you mean 'string'?"
    assert problem.expected is not None and "decimal" in problem.expected
    assert problem.location is not None
    assert (problem.location.line, problem.location.key_path) == (15, "entities.Product.fields.sku.type")
    assert problem.location.column == 19


def test_unknown_key_suggests_the_closest_and_lists_known_keys() -> None:
    problem = only(BASE.replace("title: {type: string, required: true}", "title: {type: string, requird: true}"))
    assert problem.message == "unknown key 'requird'"
    assert problem.hint == "did you mean 'required'?"
    assert problem.expected is not None and "min_length" in problem.expected
    assert problem.location is not None and problem.location.line == 16
    assert problem.location.key_path == "entities.Product.fields.title.requird"


def test_unknown_top_level_key() -> None:
    problem = only("servce:\n  name: x\n" + BASE)
    assert problem.message == "unknown key 'servce'"
    assert problem.hint == "did you mean 'service'?"
    assert problem.location is not None and (problem.location.line, problem.location.column) == (1, 1)


def test_relation_to_unknown_entity_lists_known_ones() -> None:
    problem = only(BASE.replace("target: Tag}", "target: Tags}"))
    assert problem.message == "unknown entity 'Tags'"
    assert problem.expected == "one of Product, Tag, User"
    assert problem.hint == "did you mean 'Tag'?"
    assert problem.location is not None and problem.location.key_path == "entities.Product.relations.tags.target"
    assert problem.location.line == 21


def test_duplicate_entity_name_is_reported_at_the_second_key() -> None:
    text = BASE + "  Tag:\n    fields:\n      label: string\n"
    found = problems_of(text)
    dup = [p for p in found if p.message == "duplicate key 'Tag' (first defined on line 22)"]
    assert dup and dup[0].location is not None and dup[0].location.line == 25


def test_duplicate_names_across_fields_and_relations() -> None:
    problem = only(BASE.replace("      tags: {kind", "      title: {kind"))
    assert "duplicate name 'title'" in problem.message


@pytest.mark.parametrize(
    ("old", "new", "message", "key"),
    [
        ("price: {type: \"decimal(10,2)\", min: 0}", "price: {type: \"decimal(10,2)\", min: 9, max: 1}",
         "min 9 is greater than max 1", "entities.Product.fields.price.min"),
        ("title: {type: string, required: true}", "title: {type: string, required: true, min: 3}",
         "`min` only applies to numbers, not string", "entities.Product.fields.title.min"),
        ("title: {type: string, required: true}", "title: {type: string, min_length: 9, max_length: 2}",
         "min_length 9 exceeds max_length 2", "entities.Product.fields.title.min_length"),
        ("title: {type: string, required: true}", "title: {type: string, pattern: '(['}",
         "pattern does not compile", "entities.Product.fields.title.pattern"),
        ("values: [draft, live], default: draft", "values: [draft, live], default: gone",
         "default 'gone' is not one of the enum values", "entities.Product.fields.status.default"),
        ("status: {type: enum, values: [draft, live], default: draft}", "status: {type: enum}",
         "an enum needs `values`", "entities.Product.fields.status.type"),
        ("title: {type: string, required: true}", "title: {type: string, values: [a]}",
         "`values` only applies to enum fields, not string", "entities.Product.fields.title.values"),
        ("title: {type: string, required: true}", "title: {type: int, secret: true}",
         "only string fields can be secret, not int", "entities.Product.fields.title.secret"),
        ("title: {type: string, required: true}", "title: {type: string, read_only: true, write_only: true}",
         "a field cannot be read_only and write_only", "entities.Product.fields.title.write_only"),
        ("title: {type: string, required: true}", "title: {type: string, required: true, read_only: true}",
         "a required read_only field has no way to get a value", "entities.Product.fields.title.read_only"),
        ("price: {type: \"decimal(10,2)\", min: 0}", "price: {type: \"decimal(50,2)\"}",
         "decimal(50,2) is out of range", "entities.Product.fields.price.type"),
    ],
)
def test_bad_constraint_values(old: str, new: str, message: str, key: str) -> None:
    assert old in BASE
    problem = only(BASE.replace(old, new))
    assert message in problem.message
    assert problem.location is not None and problem.location.key_path == key
    assert problem.location.line is not None and problem.hint


def test_ownership_naming_a_field_not_a_relation() -> None:
    problem = only(BASE.replace("owner: seller", "owner: title"))
    assert problem.message == "owner 'title' is not a many_to_one relation (a field)"
    assert problem.expected == "one of seller"
    assert problem.location is not None and (problem.location.line, problem.location.key_path) == (
        12, "entities.Product.owner")


def test_ownership_needs_auth() -> None:
    text = BASE.replace("auth:\n  user_entity: User\n  identity: [email]\n", "")
    problem = only(text)
    assert problem.message == "ownership needs an `auth` section"


def test_lookup_key_not_unique() -> None:
    problem = only(BASE.replace("lookup: sku", "lookup: title"))
    assert problem.message == "lookup key 'title' is not unique and required, so it cannot identify a row"
    assert problem.hint == "add unique: true and required: true to Product.title"


def test_yaml_syntax_error_has_line_and_column() -> None:
    problem = only("service:\n  name: shop\nentities:\n  User: {fields: [\n")
    assert problem.message.startswith("YAML syntax error")
    assert problem.location is not None and problem.location.line == 5 and problem.location.column is not None


def test_unfinished_decimal_in_flow_mapping_explains_the_comma() -> None:
    found = problems_of(BASE.replace('price: {type: "decimal(10,2)", min: 0}', "price: {type: decimal(10,2)}"))
    assert any(p.message == "unfinished type 'decimal(10'" and "quote it" in (p.hint or "") for p in found)


def test_all_problems_are_reported_together_in_line_order() -> None:
    text = (BASE.replace("sku: {type: string", "sku: {type: strng")
            .replace("target: Tag}", "target: Tags}")
            .replace("  name: shop", "  name: shop\n  namng: x"))
    found = problems_of(text)
    assert [p.message for p in found] == ["unknown key 'namng'", "unknown type 'strng'"]
    # cross-reference checks run once the shape is valid, so fix the shape and see the rest together
    text = BASE.replace("target: Tag}", "target: Tags}").replace("owner: seller", "owner: title")
    found = problems_of(text)
    assert len(found) == 2
    assert [p.location.line for p in found if p.location] == sorted(p.location.line for p in found if p.location)


def test_unknown_action_kind_and_missing_key() -> None:
    text = BASE + textwrap.indent(textwrap.dedent("""\
        actions:
          a: {kind: toggel, relation: tags}
          b: {kind: toggle}
    """), "    ")
    found = problems_of(text)
    messages = {p.message: p for p in found}
    assert messages["unknown action kind 'toggel'"].hint == "did you mean 'toggle'?"
    missing = messages["missing required key 'relation'"]
    assert missing.location is not None and missing.location.key_path == "entities.Tag.actions.b.relation"


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("actions:\n  fav: {kind: toggle, relation: tags}",
         "toggle needs a many_to_many relation to User, 'tags' is many_to_many to Tag"),
        ("actions:\n  go: {kind: transition, field: status, from: [draft], to: lve}", "unknown state 'lve'"),
        ("actions:\n  go: {kind: transition, field: title, from: [a], to: b}",
         "transition field 'title' is not an enum"),
        ("actions:\n  low: {kind: query, where: [{field: prise, op: lt, value: 3}]}", "unknown field of Product 'prise'"),
        ("computed:\n  n: {kind: count, relation: seller}",
         "'seller' is many_to_one; computed fields need a to-many relation"),
        ("computed:\n  n: {kind: membership, relation: tags}", "membership checks the current user, but 'tags' leads to Tag"),
        ("views:\n  card: {fields: [sku, password]}", "unknown field of Product 'password'"),
        ("views:\n  card: {fields: [sku], path: \"/cards/{id}\"}", "path '/cards/{id}' lacks the {sku} placeholder"),
        ("api:\n  parent: tags", "parent 'tags' is many_to_many"),
        ("api:\n  visibility: owner\n  filters: [{param: x, field: nope}]", "unknown field of Product 'nope'"),
        ("api:\n  operations:\n    list: {roles: [admn]}", "unknown role 'admn'"),
        ("indexes:\n  - {fields: [sku, colour]}", "unknown column of Product 'colour'"),
        ("unique_together:\n  - [sku]", "unique_together needs 2+ fields"),
    ],
)
def test_cross_reference_errors(snippet: str, message: str) -> None:
    text = BASE.replace("  Tag:\n", textwrap.indent(snippet, "    ") + "\n  Tag:\n", 1)
    found = problems_of(text)
    assert any(message in p.message for p in found), [str(p) for p in found]
    assert all(p.location and p.location.line for p in found)


def test_relation_shape_errors() -> None:
    text = BASE.replace("tags: {kind: many_to_many, target: Tag}",
                        "tags: {kind: one_to_many, target: Tag}\n      maker: {kind: many_to_one, target: User, "
                        "required: true, on_delete: set_null}")
    messages = [p.message for p in problems_of(text)]
    assert "one_to_many needs `via`" in messages
    assert "on_delete set_null on a required relation" in messages


def test_request_values_need_a_unique_target_field() -> None:
    text = BASE.replace("tags: {kind: many_to_many, target: Tag}",
                        "tags: {kind: many_to_many, target: Tag, request: {as: values, field: name}}")
    parse_blueprint(text, source="x")  # name is unique: fine
    bad = text.replace("name: {type: string, required: true, unique: true}", "name: {type: string}")
    assert "Tag.name is not unique" in only(bad).message


def test_auth_errors() -> None:
    problem = only(BASE.replace("identity: [email]", "identity: [emial]"))
    assert problem.message == "unknown field of User 'emial'" and problem.hint == "did you mean 'email'?"
    problem = only(BASE.replace("user_entity: User", "user_entity: Usr"))
    assert problem.message == "unknown entity 'Usr'" and problem.hint == "did you mean 'User'?"
    problem = only(BASE.replace("password: {type: string, required: true, secret: true}",
                                "password: {type: string, required: true}"))
    assert problem.message == "password field 'password' is not secret"


def test_route_clash_is_a_blueprint_error() -> None:
    from backend_agent.design import design

    text = BASE.replace("  Tag:\n", "    api:\n      path: /tags\n  Tag:\n", 1)
    with pytest.raises(BlueprintError) as info:
        design(parse_blueprint(text, source="x"))
    assert any("declared twice" in p.message for p in info.value.problems)


def test_load_blueprint_missing_file_and_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(BlueprintError, match="blueprint file not found"):
        load_blueprint(tmp_path / "nope.blueprint.yaml")
    file = tmp_path / "list.blueprint.yaml"
    file.write_text("- a\n- b\n")
    with pytest.raises(BlueprintError) as info:
        load_blueprint(file)
    assert info.value.problems[0].message == "the blueprint is not a mapping"
    assert str(file) in str(info.value)


def test_path_parameters_must_name_a_lookup_key() -> None:
    from backend_agent.design import design

    text = BASE.replace("  Tag:\n", "    actions:\n      x: {kind: custom, handler: 'm:f', path: '/products/{title}/x'}\n"
                        "      y: {kind: custom, handler: 'm:f', path: '/products/{nope}/y'}\n  Tag:\n", 1)
    with pytest.raises(BlueprintError) as info:
        design(parse_blueprint(text, source="x"))
    messages = [p.message for p in info.value.problems]
    assert any("{title} of Product is not a unique field" in m for m in messages)
    assert any("{nope} of Product names no lookup key; use {sku}" in m for m in messages)


def test_default_limit_above_max_limit() -> None:
    problem = only(BASE.replace("  name: shop\n", "  name: shop\n  pagination: {default_limit: 50, max_limit: 10}\n"))
    assert problem.message == "default_limit 50 exceeds max_limit 10"
    assert problem.location is not None and problem.location.key_path == "service.pagination.default_limit"


def test_wrong_value_types_say_what_was_expected() -> None:
    text = BASE.replace("  name: shop\n", "  name: Shop\n  pagination: {default_limit: 0, max_limit: lots}\n")
    text = text.replace("title: {type: string, required: true}", "title: {type: string, required: maybe}")
    text = text.replace("  Tag:\n    fields:\n      name: {type: string, required: true, unique: true}\n",
                        "  Tag:\n    fields: [name]\n")
    found = {p.location.key_path: p for p in problems_of(text) if p.location}
    assert found["service.name"].expected == "text matching ^[a-z][a-z0-9_-]*$"
    assert found["service.pagination.default_limit"].expected == "a number >= 1"
    assert found["service.pagination.max_limit"].message == "invalid value 'lots'"
    assert found["service.pagination.max_limit"].expected == "a whole number"
    assert found["entities.Product.fields.title.required"].expected == "true or false"
    assert found["entities.Tag.fields"].expected == "a mapping (name: value)"
    on_delete = only(BASE.replace("required: true}\n      tags:", "required: true, on_delete: nullify}\n      tags:"))
    assert on_delete.message == "invalid value 'nullify'"
    assert on_delete.expected == "'cascade', 'set_null' or 'restrict'"


def test_yaml_booleans_and_numbers_where_text_is_expected() -> None:
    problem = only(BASE.replace("values: [draft, live], default: draft", "values: [draft, no]"))
    assert problem.message == "invalid value False" and problem.expected == "text"
    assert problem.hint is not None and "quote it" in problem.hint
    assert problem.location is not None and problem.location.key_path == "entities.Product.fields.status.values[1]"


def test_action_without_kind() -> None:
    text = BASE + "    actions:\n      a: {relation: tags}\n"
    problem = only(text)
    assert problem.message == "missing key 'kind'" and problem.location is not None
    assert problem.location.key_path == "entities.Tag.actions.a"


@pytest.mark.parametrize("name", ["class", "metadata", "model_config", "json"])
def test_names_the_generated_code_cannot_use(name: str) -> None:
    problem = only(BASE.replace("price: {type:", f"{name}: {{type:"))
    assert problem.message == f"'{name}' cannot be used as a name in the generated Python models"


def test_inverse_name_clashes() -> None:
    clash = BASE.replace("seller: {kind: many_to_one, target: User, required: true}",
                         "seller: {kind: many_to_one, target: User, required: true, inverse: email}")
    assert only(clash).message == "inverse 'email' clashes with User.email"
    text = BASE.replace("      password: {type: string, required: true, secret: true}\n",
                        "      password: {type: string, required: true, secret: true}\n    relations:\n"
                        "      products: {kind: one_to_many, target: Product, via: seller}\n")
    parse_blueprint(text.replace("required: true}\n      tags:", "required: true, inverse: products}\n      tags:"),
                    source="x")  # both sides of one relation: fine
    bad = text.replace("      products: {kind: one_to_many, target: Product, via: seller}",
                       "      products: {kind: many_to_many, target: Product}")
    bad = bad.replace("required: true}\n      tags:", "required: true, inverse: products}\n      tags:")
    assert "inverse 'products' clashes with the relation User.products" in only(bad).message
