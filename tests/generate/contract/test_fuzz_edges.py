"""Edges schemathesis found in generated services (issue 10): each answered with a declared status, never a 500."""

from __future__ import annotations

import secrets
import subprocess
import sys

import httpx

from tests.generate.contract.conftest import RunningService, assert_wire

BEYOND_INT64 = 2**63


def test_the_tables_match_the_migrated_schema(cart: RunningService) -> None:
    # `alembic check` (check's migrations gate) saw the DDL's indexes as drift, and SQLite's
    # `INTEGER PRIMARY KEY` without NOT NULL as a nullable id.
    done = subprocess.run([sys.executable, "-m", "alembic", "check"], cwd=cart.project, env=cart.env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No new upgrade operations detected" in done.stdout + done.stderr


def test_405_allow_names_every_method_of_the_path(cart: RunningService) -> None:
    # Starlette's own 405 names only the first route matching the path (GET here, not DELETE).
    with httpx.Client(base_url=f"{cart.base_url}/cart-api") as client:
        response = client.request("OPTIONS", "/carts/1")
        assert response.status_code == 405
        assert {m.strip() for m in response.headers["allow"].split(",")} >= {"GET", "DELETE"}
        items = client.request("OPTIONS", "/carts/1/items")
        assert {m.strip() for m in items.headers["allow"].split(",")} >= {"GET", "POST"}


def test_an_undecodable_body_is_the_declared_invalid_answer(cart: RunningService) -> None:
    # FastAPI answers a body that is not UTF-8 with its own 400 "There was an error parsing the body".
    with httpx.Client(base_url=f"{cart.base_url}/cart-api") as client:
        response = client.post("/carts", content=b"\xff\xfe\x00{", headers={"Content-Type": "application/json"})
        assert_wire(cart, "createCart", response, 400)


def test_a_lone_surrogate_is_invalid_input(cart: RunningService) -> None:
    # Valid JSON, yet no Unicode: binding it to the database raised UnicodeEncodeError (a 500).
    with httpx.Client(base_url=f"{cart.base_url}/cart-api") as client:
        response = client.post("/carts", content=b'{"customer": "ann\\ud800"}',
                               headers={"Content-Type": "application/json"})
        assert_wire(cart, "createCart", response, 400)


def test_an_integer_key_beyond_64_bits_is_not_found(cart: RunningService) -> None:
    # SQLite cannot bind such a number: it was a 500.
    with httpx.Client(base_url=f"{cart.base_url}/cart-api") as client:
        assert_wire(cart, "getCart", client.get(f"/carts/{BEYOND_INT64}"), 404)
        assert_wire(cart, "getCart", client.get(f"/carts/{-BEYOND_INT64 - 1}"), 404)
        assert_wire(cart, "listItems", client.get(f"/carts/{BEYOND_INT64 * 2}/items"), 404)


def test_a_path_key_that_is_not_a_key_is_not_found_where_the_contract_declares_no_400(
        cart: RunningService) -> None:
    with httpx.Client(base_url=f"{cart.base_url}/cart-api") as client:
        assert_wire(cart, "listItems", client.get("/carts/abc/items"), 404)  # declares 200 and 404 only
        assert_wire(cart, "getCart", client.get("/carts/abc"), 400)  # declares 400: invalid input


def test_paging_beyond_64_bits_and_a_value_a_check_constraint_refuses(realworld: RunningService) -> None:
    with httpx.Client(base_url=f"{realworld.base_url}/api") as client:
        # /articles/feed also matches /articles/{slug} (PUT, DELETE): Allow names the feed's own methods.
        wrong = client.request("OPTIONS", "/articles/feed")
        assert (wrong.status_code, wrong.headers["allow"]) == (405, "GET")
        huge = {"offset": BEYOND_INT64, "limit": BEYOND_INT64}
        page = assert_wire(realworld, "GetArticles", client.get("/articles", params=huge), 200)
        assert page["articles"] == []
        name = f"edge{secrets.token_hex(4)}"
        user = client.post("/users", json={"user": {"username": name, "email": f"{name}@example.com",
                                                    "password": "Password-123456"}}).json()["user"]
        auth = {"Authorization": f"Token {user['token']}"}
        for index in range(3):
            body = {"article": {"title": f"edge {index}", "description": "d", "body": "b"}}
            assert client.post("/articles", json=body, headers=auth).status_code == 201
        capped = client.get("/articles", params={"limit": BEYOND_INT64, "author": name})
        assert len(assert_wire(realworld, "GetArticles", capped, 200)["articles"]) == 3
        # The contract lets a tag be "", the table's CHECK does not: invalid input (422), not a conflict.
        empty_tag = {"article": {"title": "t", "description": "d", "body": "b", "tagList": [""]}}
        assert_wire(realworld, "CreateArticle", client.post("/articles", json=empty_tag, headers=auth), 422)


def test_a_unique_derived_value_keeps_its_suffix_within_the_column(realworld: RunningService) -> None:
    # A title of the maximum length slugifies to the slug's maximum length: "-2" used to overflow it
    # (the table's CHECK refused the row).
    with httpx.Client(base_url=f"{realworld.base_url}/api") as client:
        name = f"slug{secrets.token_hex(4)}"
        user = client.post("/users", json={"user": {"username": name, "email": f"{name}@example.com",
                                                    "password": "Password-123456"}}).json()["user"]
        auth = {"Authorization": f"Token {user['token']}"}
        title = name + "x" * (255 - len(name))
        slugs = []
        for _ in range(3):
            created = client.post("/articles", json={"article": {"title": title, "description": "d", "body": "b"}},
                                  headers=auth)
            slugs.append(assert_wire(realworld, "CreateArticle", created, 201)["article"]["slug"])
        assert len(set(slugs)) == 3 and all(len(slug) <= 255 for slug in slugs)
        assert slugs[1].endswith("-2") and slugs[2].endswith("-3")
