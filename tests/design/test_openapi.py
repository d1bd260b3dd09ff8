"""The OpenAPI documents: valid 3.1, complete operations, and the Conduit contract exactly."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from backend_agent.design import Design
from tests.design.conftest import EXAMPLE_NAMES

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_openapi_is_valid_and_every_operation_is_complete(designs: dict[str, Design], name: str) -> None:
    doc = designs[name].openapi
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    ids = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert method in METHODS
            assert op["operationId"] and op["summary"] and op["tags"], (method, path)
            ids.append(op["operationId"])
            success = [code for code in op["responses"] if code.startswith("2")]
            # a find-or-create answers 201 when it creates and 200 when it finds the row
            assert len(success) == 1 or sorted(success) == ["200", "201"], (method, path)
            body = op["responses"][success[0]].get("content", {}).get("application/json")
            if body:
                assert "example" in body
    assert len(ids) == len(set(ids)) == len(designs[name].operations)
    assert "Error" in doc["components"]["schemas"]
    assert {"Unauthorized", "NotFound", "ValidationError"} <= set(doc["components"]["responses"])


def test_conduit_matches_the_realworld_endpoints(conduit: Design) -> None:
    got = {(method.upper(), path) for path, item in conduit.openapi["paths"].items() for method in item}
    expected = {
        ("POST", "/api/users"), ("POST", "/api/users/login"), ("GET", "/api/user"), ("PUT", "/api/user"),
        ("GET", "/api/profiles/{username}"), ("POST", "/api/profiles/{username}/follow"),
        ("DELETE", "/api/profiles/{username}/follow"), ("GET", "/api/articles"), ("POST", "/api/articles"),
        ("GET", "/api/articles/feed"), ("GET", "/api/articles/{slug}"), ("PUT", "/api/articles/{slug}"),
        ("DELETE", "/api/articles/{slug}"), ("POST", "/api/articles/{slug}/favorite"),
        ("DELETE", "/api/articles/{slug}/favorite"), ("GET", "/api/articles/{slug}/comments"),
        ("POST", "/api/articles/{slug}/comments"), ("DELETE", "/api/articles/{slug}/comments/{id}"),
        ("GET", "/api/tags"),
    }
    assert got == expected


def _schema(doc: dict, name: str) -> dict:
    return doc["components"]["schemas"][name]


def test_conduit_envelopes_naming_and_token(conduit: Design) -> None:
    doc = conduit.openapi
    register = doc["paths"]["/api/users"]["post"]
    body = register["requestBody"]["content"]["application/json"]
    # register takes exactly the RealWorld NewUser fields (`fields: [username, email, password]`)
    assert body["schema"]["properties"]["user"] == {"$ref": "#/components/schemas/UserAuthRegisterRequest"}
    assert body["example"]["user"]["email"] == "jake@jake.jake"
    assert set(_schema(doc, "UserAuthRegisterRequest")["required"]) == {"email", "username", "password"}
    assert set(_schema(doc, "UserAuthRegisterRequest")["properties"]) == {"email", "username", "password"}
    resp = _schema(doc, "AuthRegisterResponse")
    assert resp["properties"]["user"] == {"$ref": "#/components/schemas/UserPrivate"}
    assert list(_schema(doc, "UserPrivate")["properties"]) == ["email", "token", "username", "bio", "image"]
    assert register["security"] == []
    scheme = doc["components"]["securitySchemes"]["Token"]  # tokens.security_scheme, as RealWorld names it
    assert scheme["type"] == "apiKey" and scheme["name"] == "Authorization" and "Token <jwt>" in scheme["description"]
    article = _schema(doc, "Article")
    assert list(article["properties"]) == ["slug", "title", "description", "body", "tagList", "createdAt",
                                           "updatedAt", "favorited", "favoritesCount", "author"]
    assert article["properties"]["author"] == {"$ref": "#/components/schemas/Profile"}
    assert list(_schema(doc, "Profile")["properties"]) == ["username", "bio", "image", "following"]
    create = _schema(doc, "ArticleArticlesCreateRequest")  # `open: true`: unknown keys are ignored
    assert set(create["properties"]) == {"title", "description", "body", "tagList"}
    assert create["additionalProperties"] is True
    update = _schema(doc, "ArticleArticlesUpdateRequest")  # `fields`: the RealWorld UpdateArticle takes no tagList
    assert set(update["properties"]) == {"title", "description", "body"}
    assert create["properties"]["tagList"]["type"] == "array"
    listing = doc["paths"]["/api/articles"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"limit", "offset", "tag", "author", "favorited"}
    ok = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(ok["required"]) == {"articles", "articlesCount"}
    tags = doc["paths"]["/api/tags"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert tags["properties"]["tags"]["items"]["type"] == "string"
    errors = _schema(doc, "Error")  # errors.shape: the RealWorld GenericErrorModel
    assert errors["required"] == ["errors"]
    assert errors["properties"]["errors"]["required"] == ["body"]
    assert errors["properties"]["errors"]["properties"]["body"]["items"]["type"] == "string"
    follow = doc["paths"]["/api/profiles/{username}/follow"]["post"]["responses"]["200"]
    assert follow["content"]["application/json"]["schema"]["properties"]["profile"]["$ref"].endswith("/Profile")


def test_inventory_cursor_pagination_and_bearer(designs: dict[str, Design]) -> None:
    doc = designs["inventory"].openapi
    params = {p["name"] for p in doc["paths"]["/api/v1/products"]["get"]["parameters"]}
    assert {"limit", "cursor", "sort", "q", "discontinued", "supplier"} <= params and "offset" not in params
    ok = doc["paths"]["/api/v1/products"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(ok["properties"]) == {"items", "next_cursor"}
    assert doc["components"]["securitySchemes"]["tokenAuth"] == {"type": "http", "scheme": "bearer",
                                                                  "bearerFormat": "JWT"}
    error = doc["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["required"] == ["code", "message"]
    low = doc["paths"]["/api/v1/stock-levels/low"]["get"]
    assert low["operationId"] == "stock_levels_low_stock"
    custom = doc["paths"]["/api/v1/stock-movements/import-csv"]["post"]
    assert custom["x-handler"] == "inventory_rules:import_movements" and "201" in custom["responses"]


def test_orders_idempotency_and_nesting(designs: dict[str, Design]) -> None:
    doc = designs["orders"].openapi
    create = doc["paths"]["/v1/orders"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in create["parameters"])
    pay = doc["paths"]["/v1/orders/{id}/payments"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in pay["parameters"]) and pay["x-rate-limit"] == "30/minute"
    assert "/v1/orders/{id}/items/{line_item_id}" in doc["paths"]
    assert "/v1/orders/{id}/payments/{payment_id}/capture" in doc["paths"]
    signup = doc["components"]["schemas"]["AuthRegisterResponse"]
    assert set(signup["properties"]) == {"customer", "token", "refresh_token", "message"}


def _check_example(doc: dict, schema: dict, example: object) -> None:
    import jsonschema

    root = {**schema, "components": doc["components"]}
    validator = jsonschema.Draft202012Validator(root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = [e.message for e in validator.iter_errors(example)]
    assert not errors, errors


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_examples_match_their_schemas(designs: dict[str, Design], name: str) -> None:
    doc = designs[name].openapi
    checked = 0
    for item in doc["paths"].values():
        for op in item.values():
            media = [op.get("requestBody", {}).get("content", {}).get("application/json")]
            media += [r.get("content", {}).get("application/json") for r in op["responses"].values()]
            for entry in media:
                if entry and "example" in entry:
                    _check_example(doc, entry["schema"], entry["example"])
                    checked += 1
    assert checked >= len(designs[name].operations)
