"""Typed query parameters of query and custom actions, operators chosen by a parameter, case-insensitive
enums and list filters matching any or all values: located errors for every misuse."""

from __future__ import annotations

import pytest

from backend_agent.blueprint import parse_blueprint
from backend_agent.errors import BlueprintError

TEXT = """\
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
    fields:
      title: {type: string, required: true}
      stock: {type: int, required: true, default: 0}
      kind: {type: enum, values: [tool, food], required: true, default: tool}
    relations:
      tags: {kind: many_to_many, target: Tag}
      maker: {kind: many_to_one, target: Tag}
    api:
      filters:
        - {param: tag, relation: tags, key: name, match: all}
        - {param: any_tag, relation: tags, key: name, match: any}
    actions:
      by_stock:
        kind: query
        public: true
        params:
          value: {type: int, required: true, min: 0}
          op: {type: enum, values: [eq, lt, gte], default: eq, case_insensitive: true}
          kind: {type: enum, values: [tool, food], case_insensitive: true}
        where:
          - {field: stock, op_param: op, param: value}
          - {field: kind, param: kind}
      report:
        kind: custom
        handler: "shop_rules:report"
        target: collection
        method: GET
        params:
          since: date
          top: {type: int, default: 10, min: 1, max: 100}
  Tag:
    fields:
      name: {type: string, required: true, unique: true}
"""


def test_the_text_is_valid() -> None:
    bp = parse_blueprint(TEXT, source="shop.yaml")
    action = bp.entities["Product"].actions["by_stock"]
    assert list(action.params) == ["value", "op", "kind"]  # type: ignore[union-attr]
    assert action.params["op"].case_insensitive  # type: ignore[union-attr]


@pytest.mark.parametrize(("old", "new", "key_path", "words"), [
    ("op_param: op, param: value", "op_param: opp, param: value",
     "entities.Product.actions.by_stock.where[0].op_param", "did you mean 'op'"),
    ("op_param: op, param: value", "op_param: op, param: valu",
     "entities.Product.actions.by_stock.where[0].param", "did you mean 'value'"),
    ("values: [eq, lt, gte], default: eq", "values: [eq, lt, big], default: eq",
     "entities.Product.actions.by_stock.where[0].op_param", "big is not one"),
    ("value: {type: int, required: true, min: 0}", "value: {type: string, required: true}",
     "entities.Product.actions.by_stock.where[0].param", "type: int"),
    ("value: {type: int, required: true, min: 0}", "value: {type: intt, required: true}",
     "entities.Product.actions.by_stock.params.value.type", "did you mean 'int'"),
    ("value: {type: int, required: true, min: 0}", "value: {type: json, required: true}",
     "entities.Product.actions.by_stock.params.value.type", "scalar type"),
    ("kind: {type: enum, values: [tool, food], case_insensitive: true}",
     "kind: {type: string, case_insensitive: true}",
     "entities.Product.actions.by_stock.params.kind.case_insensitive", "type: enum"),
    ("kind: {type: enum, values: [tool, food], case_insensitive: true}",
     "kind: {type: enum, values: [tool, Tool], case_insensitive: true}",
     "entities.Product.actions.by_stock.params.kind.values", "ignoring case"),
    ("op: {type: enum, values: [eq, lt, gte], default: eq, case_insensitive: true}",
     "op: {type: enum, values: [eq, lt, gte], case_insensitive: true}",
     "entities.Product.actions.by_stock.where[0].op_param", "default"),
    ("top: {type: int, default: 10, min: 1, max: 100}", "top: {type: int, default: 1000, min: 1, max: 100}",
     "entities.Product.actions.report.params.top.default", "100"),
    ("top: {type: int, default: 10", "limit: {type: int, default: 10",
     "entities.Product.actions.report.params.limit", "paging"),
    ("{param: tag, relation: tags, key: name, match: all}", "{param: tag, relation: maker, key: name, match: all}",
     "entities.Product.api.filters[0].match", "to-many"),
    ("{param: tag, relation: tags, key: name, match: all}", "{param: tag, field: title, match: all}",
     "entities.Product.api.filters[0].match", "to-many"),
    ("{param: tag, relation: tags, key: name, match: all}", "{param: tag, relation: tags, key: name, match: every}",
     "entities.Product.api.filters[0].match", "'any' or 'all'"),
    ("{param: any_tag, relation: tags, key: name, match: any}",
     "{param: any_tag, relation: tags, key: name, match: any, op: gt}",
     "entities.Product.api.filters[1].op", "op: eq"),
    ("          - {field: kind, param: kind}\n", "          - {field: kind, value: tool}\n",
     "entities.Product.actions.by_stock.params.kind", "read by no condition"),
    ("where:\n          - {field: stock, op_param: op, param: value}",
     "where:\n          - {field: stock, op_param: op, param: value, value: 3}",
     "entities.Product.actions.by_stock.where[0].param", "exactly one"),
])
def test_parameter_mistakes_are_located(old: str, new: str, key_path: str, words: str) -> None:
    assert old in TEXT
    with pytest.raises(BlueprintError) as info:
        parse_blueprint(TEXT.replace(old, new), source="shop.yaml")
    hits = [p for p in info.value.problems if p.location and p.location.key_path == key_path]
    assert hits, [str(p) for p in info.value.problems]
    text = " ".join(f"{p.message} {p.expected} {p.hint}" for p in hits)
    assert words in text, text
    assert all(p.location and p.location.line for p in hits)


def test_conditions_outside_a_query_cannot_read_parameters() -> None:
    text = TEXT.replace("    api:\n      filters:", "    api:\n      visible_if: [{field: stock, param: value}]\n"
                        "      filters:")
    with pytest.raises(BlueprintError) as info:
        parse_blueprint(text, source="shop.yaml")
    paths = [p.location.key_path for p in info.value.problems if p.location]
    assert "entities.Product.api.visible_if[0].param" in paths, paths


REPLY = TEXT.replace("  identity: [email]\n", """  identity: [email]
  operations:
    register:
      reply: {message: Welcome, user: $user, token: $token, expiresIn: $expires_in}
""")


def test_a_reply_template_is_valid() -> None:
    bp = parse_blueprint(REPLY, source="shop.yaml")
    assert bp.auth is not None and bp.auth.operations.register_.reply == {
        "message": "Welcome", "user": "$user", "token": "$token", "expiresIn": "$expires_in"}


@pytest.mark.parametrize(("old", "new", "key_path", "words"), [
    ("expiresIn: $expires_in}", "expiresIn: $expire_in}", "auth.operations.register.reply.expiresIn",
     "did you mean '$expires_in'"),
    ("expiresIn: $expires_in}", "expiresIn: $refresh_token}", "auth.operations.register.reply.expiresIn",
     "tokens.refresh"),
    ("token: $token, expiresIn", "token: $user, expiresIn", "auth.operations.register.reply", "at most once"),
    ("    register:\n      reply:", "    register:\n      message: hi\n      reply:",
     "auth.operations.register.message", "move it into reply"),
    ("    register:\n      reply:", "    register:\n      token: beside\n      reply:",
     "auth.operations.register.token", "token: $token"),
    ("    register:\n      reply:", "    refresh:\n      reply:", "auth.operations.refresh.reply", "not refresh"),
    ("reply: {message: Welcome, user: $user, token: $token, expiresIn: $expires_in}", "reply: {a: [1]}",
     "auth.operations.register.reply.a", ""),
])
def test_reply_mistakes_are_located(old: str, new: str, key_path: str, words: str) -> None:
    assert old in REPLY
    with pytest.raises(BlueprintError) as info:
        parse_blueprint(REPLY.replace(old, new), source="shop.yaml")
    hits = [p for p in info.value.problems if p.location and (p.location.key_path or "").startswith(key_path)]
    assert hits, [str(p) for p in info.value.problems]
    text = " ".join(f"{p.message} {p.expected} {p.hint}" for p in hits)
    assert words in text, text
