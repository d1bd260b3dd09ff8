"""Exact wire shapes in blueprint-first mode: statuses, ids, tags, writable fields, wire names,
error statuses and bodies, bare arrays, open request objects, path parameter names."""

from __future__ import annotations

import pytest

from backend_agent.blueprint import parse_blueprint
from backend_agent.design import Design, design, openapi_diff, wire_openapi
from backend_agent.errors import BlueprintError

TEXT = """
service:
  name: shop
  errors:
    shape: {message: $message, problems: $messages}
    statuses: {invalid: 400, conflict: 422}
entities:
  Product:
    wire_names: {id: productId, created_at: timestamp, unit_price: price}
    fields:
      sku: {type: string, required: true, unique: true}
      title: {type: string, required: true}
      unit_price: {type: "decimal(8,2)", required: true}
      notes: {type: text}
    api:
      param: product_id
      operations:
        list: {bare: true, operation_id: allProducts, tag: catalog}
        get: {statuses: {not_found: 400}}
        create: {status: 200, fields: [sku, title, unit_price], open: true}
        update: {fields: [title, notes], statuses: {invalid: 422}}
        delete: {}
"""


@pytest.fixture(scope="module")
def shop() -> Design:
    return design(parse_blueprint(TEXT))


def test_operation_ids_tags_statuses_and_param_names(shop: Design) -> None:
    ops = {op.name: op for op in shop.operations}
    assert ops["list"].operation_id == "allProducts" and ops["list"].tag == "catalog"
    assert ops["create"].status_code == 200
    assert ops["get"].path == "/products/{product_id}"
    assert ops["get"].outcomes["not_found"] == 400
    assert ops["create"].outcomes["invalid"] == 400 and ops["create"].outcomes["conflict"] == 422
    assert ops["update"].outcomes["invalid"] == 422
    paths = shop.openapi["paths"]
    assert set(paths["/products"]["post"]["responses"]) == {"200", "400", "422"}


def test_wire_names_and_writable_fields(shop: Design) -> None:
    view = shop.openapi["components"]["schemas"]["Product"]["properties"]
    assert {"productId", "timestamp", "price", "sku"} <= set(view)
    create = next(op for op in shop.operations if op.name == "create")
    body = shop.openapi["components"]["schemas"][create.request_schema or ""]
    assert set(body["properties"]) == {"sku", "title", "price"} and body["additionalProperties"] is True
    update = next(op for op in shop.operations if op.name == "update")
    assert set(shop.openapi["components"]["schemas"][update.request_schema or ""]["properties"]) == {"title",
                                                                                                      "notes"}
    assert update.wire is not None and update.wire.request is not None and update.wire.request.schema is not None
    assert update.wire.request.schema["properties"]["notes"]["x-target"] == "field:notes"


def test_bare_lists_and_error_shapes(shop: Design) -> None:
    listed = next(op for op in shop.operations if op.name == "list")
    body = shop.openapi["paths"]["/products"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert body["type"] == "array"
    assert listed.wire is not None
    success = listed.wire.response("success")
    assert success is not None and success.schema is not None and success.schema["x-source"] == "rows"
    assert success.schema["items"]["properties"]["price"]["x-source"] == "field:unit_price"
    error = shop.openapi["components"]["schemas"]["Error"]
    assert error["required"] == ["message", "problems"]
    assert error["properties"]["problems"]["x-source"] == "error.messages"
    # The design's own document and the one design.json describes are the same API.
    assert openapi_diff(shop.openapi, wire_openapi(shop)) == []


@pytest.mark.parametrize(("old", "new", "key_path", "words"), [
    ("statuses: {invalid: 400, conflict: 422}", "statuses: {invalid: 409, conflict: 422}",
     "service.errors.statuses.invalid", "one of 400, 422"),
    ("shape: {message: $message, problems: $messages}", "shape: {message: $mesage}",
     "service.errors.shape.message", "did you mean '$message'"),
    ("fields: [title, notes]", "fields: [title, note]", "entities.Product.api.operations.update.fields[1]",
     "did you mean 'notes'"),
    ("wire_names: {id: productId", "wire_names: {idd: productId", "entities.Product.wire_names.idd",
     "did you mean 'id'"),
    ("get: {statuses: {not_found: 400}}", "get: {bare: true}", "entities.Product.api.operations.get.bare",
     "applies to list"),
    ("create: {status: 200,", "create: {status: 302,", "entities.Product.api.operations.create.status",
     "299"),
])
def test_wire_shape_mistakes_are_located(old: str, new: str, key_path: str, words: str) -> None:
    assert old in TEXT
    with pytest.raises(BlueprintError) as info:
        parse_blueprint(TEXT.replace(old, new), source="shop.yaml")
    hits = [p for p in info.value.problems if p.location and p.location.key_path == key_path]
    assert hits, [str(p) for p in info.value.problems]
    text = " ".join(f"{p.message} {p.expected} {p.hint}" for p in hits)
    assert words in text and all(p.location and p.location.line for p in hits)


@pytest.mark.parametrize("name", ["conduit", "inventory", "orders"])
def test_design_json_alone_describes_the_whole_openapi(name: str, designs: dict[str, Design]) -> None:
    """The generator reads design.json only: its operations' wire shapes must be the design's API."""
    result = designs[name]
    assert openapi_diff(result.openapi, wire_openapi(result)) == []
    for op in result.operations:
        assert op.wire is not None and op.wire.response("success") is not None, op.operation_id
