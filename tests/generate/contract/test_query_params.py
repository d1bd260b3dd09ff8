"""A blueprint-first service served over HTTP: typed query parameters of a query and a custom action,
an operator chosen by a parameter, case-insensitive enums, filters matching any or all of a repeated
parameter, and an auth reply with extra keys (register: message, user, token, expiresIn)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend_agent.generate import generate_service
from tests.generate.contract.conftest import (
    RunningService,
    assert_serves_its_contract,
    assert_wire,
    service_env,
    start_service,
)

BLUEPRINT = """\
service:
  name: shelf
  naming: camelCase
auth:
  user_entity: User
  identity: [email]
  tokens: {refresh: true, access_ttl_minutes: 15}
  operations:
    register:
      reply: {message: Welcome aboard, user: $user, token: $token, expiresIn: $expires_in}
    login:
      reply: {token: $token, refreshToken: $refresh_token, tokenType: $token_type, expiresIn: $expires_in, ok: true}
    refresh: {path: /session/renew, request_envelope: session, response_envelope: session}
entities:
  User:
    fields:
      email: {type: email, required: true, unique: true}
      password: {type: string, required: true, secret: true}
      name: {type: string, max_length: 80}
  Tag:
    lookup: name
    fields:
      name: {type: string, required: true, unique: true, max_length: 40}
    api: {operations: [list]}
  Book:
    fields:
      title: {type: string, required: true}
      stock: {type: int, required: true, default: 0, min: 0}
      kind: {type: enum, values: [novel, essay], required: true, default: novel}
    relations:
      tags: {kind: many_to_many, target: Tag, response: {as: values, field: name},
             request: {as: values, field: name, create_missing: true}}
    api:
      default_sort: title
      filters:
        - {param: tag, relation: tags, key: name, match: all}
        - {param: anyTag, relation: tags, key: name, match: any}
    actions:
      by_stock:
        kind: query
        public: true
        params:
          value: {type: int, required: true, min: 0}
          op: {type: enum, values: [eq, lt, gte], default: eq, case_insensitive: true}
          kind: {type: enum, values: [novel, essay], case_insensitive: true}
        where:
          - {field: stock, op_param: op, param: value}
          - {field: kind, param: kind}
      report:
        kind: custom
        handler: "shelf_rules:report"
        target: collection
        method: GET
        public: true
        params:
          since: date
          top: {type: int, default: 10, min: 1, max: 100}
          kind: {type: enum, values: [novel, essay], default: novel, case_insensitive: true}
"""

HANDLER = '''\
"""The report handler: echoes its typed parameters in a Book-shaped reply."""

from datetime import date
from typing import Any


def report(conn: Any, user: Any, row_id: Any, data: dict[str, Any], params: dict[str, Any]) -> Any:
    since = params["since"]
    assert since is None or isinstance(since, date)  # typed, not text
    assert isinstance(params["top"], int)
    return {"id": params["top"], "title": f"since={since} top={params['top']}", "stock": params["top"],
            "kind": params["kind"], "tags": [], "createdAt": "2026-01-31T12:00:00.000Z",
            "updatedAt": "2026-01-31T12:00:00.000Z"}
'''
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def shelf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    root = tmp_path_factory.mktemp("shelf")
    blueprint = root / "shelf.blueprint.yaml"
    blueprint.write_text(BLUEPRINT)
    result = generate_service(blueprint, root / "service")
    Path(result.out_dir / "app/custom/shelf_rules.py").write_text(HANDLER)
    design = json.loads((result.out_dir / "design/design.json").read_text())
    env = service_env(root)
    for url in start_service(result.out_dir, root, env):
        yield RunningService(result.out_dir, url, design, env)


@pytest.fixture(scope="module")
def token(shelf: RunningService) -> str:
    with httpx.Client(base_url=shelf.base_url) as client:
        body = {"email": "ann@example.com", "password": PASSWORD, "name": "Ann"}
        reply = assert_wire(shelf, "auth_register", client.post("/auth/register", json=body), 201)
        assert list(reply) == ["message", "user", "token", "expiresIn"]
        assert reply["message"] == "Welcome aboard" and reply["expiresIn"] == 15 * 60
        assert reply["user"]["email"] == "ann@example.com" and reply["token"]
        books = [("Dune", 3, "novel", ["sf", "classic"]), ("Emma", 0, "novel", ["classic"]),
                 ("Walden", 7, "essay", ["classic", "nature"]), ("Hyperion", 5, "novel", ["sf"])]
        headers = {"Authorization": f"Bearer {reply['token']}"}
        for title, stock, kind, tags in books:
            created = client.post("/books", headers=headers,
                                  json={"title": title, "stock": stock, "kind": kind, "tags": tags})
            assert created.status_code == 201, created.text
        return str(reply["token"])


def test_it_serves_its_design(shelf: RunningService) -> None:
    assert_serves_its_contract(shelf)


def test_login_reply_has_the_declared_extra_keys(shelf: RunningService, token: str) -> None:
    with httpx.Client(base_url=shelf.base_url) as client:
        reply = assert_wire(shelf, "auth_login", client.post("/auth/login", json={"email": "ann@example.com",
                                                                               "password": PASSWORD}), 200)
    assert list(reply) == ["token", "refreshToken", "tokenType", "expiresIn", "ok"]
    assert reply["tokenType"] == "Bearer" and reply["ok"] is True and reply["expiresIn"] == 900
    assert reply["token"] != reply["refreshToken"]


def _titles(body: dict[str, object]) -> list[str]:
    items = body["items"]
    assert isinstance(items, list)
    return sorted(str(row["title"]) for row in items)


def test_the_operator_is_chosen_by_a_parameter_in_any_letter_case(shelf: RunningService, token: str) -> None:
    with httpx.Client(base_url=shelf.base_url) as client:
        def query(**params: object) -> list[str]:
            return _titles(assert_wire(shelf, "books_by_stock", client.get("/books/by-stock", params=params), 200))

        assert query(value=3) == ["Dune"]                                   # op defaults to eq
        assert query(value=5, op="gte") == ["Hyperion", "Walden"]
        assert query(value=5, op="GTE") == ["Hyperion", "Walden"]            # case-insensitive enum
        assert query(value=5, op="Lt") == ["Dune", "Emma"]
        assert query(value=5, op="gte", kind="ESSAY") == ["Walden"]           # optional param applied
        assert_wire(shelf, "books_by_stock", client.get("/books/by-stock", params={"value": 1, "op": "like"}), 422)
        assert_wire(shelf, "books_by_stock", client.get("/books/by-stock"), 422)            # value is required
        assert_wire(shelf, "books_by_stock", client.get("/books/by-stock", params={"value": -1}), 422)  # min 0


def test_filters_match_any_or_all_of_a_repeated_parameter(shelf: RunningService, token: str) -> None:
    with httpx.Client(base_url=shelf.base_url) as client:
        def listed(params: list[tuple[str, str]]) -> list[str]:
            return _titles(assert_wire(shelf, "books_list", client.get("/books", params=params), 200))

        assert listed([("tag", "sf"), ("tag", "classic")]) == ["Dune"]
        assert listed([("tag", "classic")]) == ["Dune", "Emma", "Walden"]
        assert listed([("tag", "classic"), ("tag", "classic")]) == ["Dune", "Emma", "Walden"]  # repeats count once
        assert listed([("tag", "sf"), ("tag", "nature")]) == []
        assert listed([("anyTag", "sf"), ("anyTag", "nature")]) == ["Dune", "Hyperion", "Walden"]
        assert listed([]) == ["Dune", "Emma", "Hyperion", "Walden"]


def test_a_custom_handler_reads_typed_parameters(shelf: RunningService) -> None:
    with httpx.Client(base_url=shelf.base_url) as client:
        reply = assert_wire(shelf, "books_report", client.get("/books/report", params={
            "since": "2026-01-31", "top": "3", "kind": "ESSAY"}), 200)
        assert reply["title"] == "since=2026-01-31 top=3" and reply["kind"] == "essay" and reply["stock"] == 3
        defaults = assert_wire(shelf, "books_report", client.get("/books/report"), 200)
        assert defaults["title"] == "since=None top=10" and defaults["kind"] == "novel"
        assert_wire(shelf, "books_report", client.get("/books/report", params={"since": "yesterday"}), 422)
        assert_wire(shelf, "books_report", client.get("/books/report", params={"top": 101}), 422)


def test_refresh_rotates_under_its_path_and_envelopes_and_detects_reuse(shelf: RunningService, token: str) -> None:
    with httpx.Client(base_url=shelf.base_url) as client:
        signed_in = client.post("/auth/login", json={"email": "ann@example.com", "password": PASSWORD}).json()
        first = signed_in["refreshToken"]
        renewed = assert_wire(shelf, "auth_refresh", client.post("/session/renew", json={
            "session": {"refresh_token": first}}), 200)
        assert list(renewed) == ["session"] and renewed["session"]["refresh_token"] != first
        second = renewed["session"]["refresh_token"]
        assert_wire(shelf, "auth_refresh", client.post("/session/renew", json={"session": {"refresh_token": first}}),
                    401)  # reuse of a spent token ...
        assert_wire(shelf, "auth_refresh", client.post("/session/renew", json={"session": {"refresh_token": second}}),
                    401)  # ... revoked the whole family
        assert_wire(shelf, "auth_refresh", client.post("/session/renew", json={"refresh_token": second}), 422)
