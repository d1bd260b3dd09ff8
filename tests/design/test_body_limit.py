"""The design's body size limit admits every body its schemas bound (a field of 1,000,000 characters)."""

from __future__ import annotations

from pathlib import Path

from backend_agent.blueprint import load_blueprint
from backend_agent.design import design
from backend_agent.design.body_limit import DEFAULT_MAX_BODY_BYTES, body_limit

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _post(schema: dict) -> dict:
    return {"paths": {"/things": {"post": {"requestBody": {"content": {"application/json": {"schema": schema}}}}}},
            "components": {"schemas": {"Big": {"type": "object", "properties": {
                "text": {"type": "string", "maxLength": 500_000}}}}}}


def test_small_and_unbounded_bodies_keep_the_default_limit() -> None:
    assert body_limit(_post({"type": "object", "properties": {"name": {"type": "string", "maxLength": 80}}})) \
        == DEFAULT_MAX_BODY_BYTES
    assert body_limit(_post({"type": "object", "properties": {"notes": {"type": "string"}}})) == DEFAULT_MAX_BODY_BYTES


def test_a_long_bounded_field_raises_the_limit_to_its_escaped_length() -> None:
    # 500,000 characters, each escaped as 12 bytes at worst ("\ud83d\ude00"), through a $ref and an array
    limit = body_limit(_post({"type": "array", "maxItems": 2, "items": {"$ref": "#/components/schemas/Big"}}))
    assert limit >= 2 * 12 * 500_000 and limit % (1024 * 1024) == 0
    assert limit < 2 * 12 * 500_000 + 1024 * 1024


def test_a_recursive_schema_is_measured_without_looping() -> None:
    doc = _post({"$ref": "#/components/schemas/Node"})
    doc["components"]["schemas"]["Node"] = {"type": "object", "properties": {
        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}}
    assert body_limit(doc) == DEFAULT_MAX_BODY_BYTES


def test_the_inventory_csv_import_fits_the_inventory_limit() -> None:
    resolved = design(load_blueprint(EXAMPLES / "inventory.blueprint.yaml"))
    assert resolved.service.max_body_bytes >= 12 * 1_000_000  # `csv: {max_length: 1000000}`
    assert design(load_blueprint(EXAMPLES / "orders.blueprint.yaml")).service.max_body_bytes == DEFAULT_MAX_BODY_BYTES
