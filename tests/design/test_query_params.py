"""design.json and OpenAPI of typed query parameters, operators chosen by a parameter, case-insensitive
enums, filters matching any or all values, and auth reply templates."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from backend_agent.blueprint import load_blueprint
from backend_agent.design import Design, design, openapi_diff, wire_openapi, write_design

REPO = Path(__file__).resolve().parents[2]
SHELF = Path(__file__).resolve().parents[1] / "generate" / "contract" / "test_query_params.py"


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("inventory")
    write_design(design(load_blueprint(REPO / "examples" / "inventory.blueprint.yaml")), out)
    return {"json": json.loads((out / "design.json").read_text()),
            "openapi": design(load_blueprint(REPO / "examples" / "inventory.blueprint.yaml")).openapi}


def _op(doc: dict[str, Any], operation_id: str) -> dict[str, Any]:
    op: dict[str, Any] = next(o for o in doc["operations"] if o["operation_id"] == operation_id)
    return op


def _params(openapi: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in openapi["paths"][path]["get"]["parameters"]}


def test_query_action_parameters_and_conditions_in_design_json(inventory: dict[str, Any]) -> None:
    op = _op(inventory["json"], "stock_levels_by_quantity")
    params = {p["name"]: p for p in op["parameters"]}
    assert params["value"]["required"] and params["value"]["maps_to"] == "param.value"
    assert params["value"]["json_schema"] == {"type": "integer", "format": "int32", "minimum": 0}
    assert params["op"]["values"] == ["eq", "lt", "lte", "gt", "gte"] and params["op"]["case_insensitive"]
    assert op["conditions"] == [{"field": "quantity", "column": "quantity", "op": "eq", "value": None,
                                 "other_column": None, "message": None, "param": "value", "op_param": "op"}]


def test_a_case_insensitive_enum_is_a_pattern_accepting_every_case(inventory: dict[str, Any]) -> None:
    schema = _params(inventory["openapi"], "/api/v1/stock-levels/by-quantity")["op"]["schema"]
    assert "enum" not in schema and schema["default"] == "eq"
    pattern = re.compile(schema["pattern"])
    for accepted in ("eq", "EQ", "Gte", "lTe", "gt"):
        assert pattern.search(accepted), accepted
    for refused in ("like", "eqq", "", "g te"):
        assert not pattern.search(refused), refused


def test_list_filters_with_match_are_repeated_array_parameters(inventory: dict[str, Any]) -> None:
    params = _params(inventory["openapi"], "/api/v1/products")
    for name in ("any_supplier", "all_suppliers"):
        assert params[name]["schema"] == {"type": "array", "items": {"type": "string"}}
        assert "style" not in params[name]  # form + explode: ?all_suppliers=a&all_suppliers=b
    filters = {f["param"]: f for f in _op(inventory["json"], "products_list")["filters"]}
    assert filters["any_supplier"]["match"] == "any" and filters["all_suppliers"]["match"] == "all"
    assert filters["supplier"]["match"] is None
    assert "HAVING COUNT(DISTINCT" in filters["all_suppliers"]["strategy"]


def test_custom_action_parameters(inventory: dict[str, Any]) -> None:
    op = _op(inventory["json"], "stock_movements_import_csv")
    params = {p["name"]: p for p in op["parameters"] if p["location"] == "query"}
    assert set(params) == {"warehouse", "kind"}
    assert params["kind"]["maps_to"] == "param.kind" and params["kind"]["json_schema"]["default"] == "receipt"
    assert op["request_schema"] == "StockMovementImportCsvInput"  # the input stays the body of a POST


def test_design_json_alone_describes_the_parameters(inventory: dict[str, Any]) -> None:
    result = design(load_blueprint(REPO / "examples" / "inventory.blueprint.yaml"))
    assert openapi_diff(result.openapi, wire_openapi(result)) == []


def _shelf() -> Design:
    text = SHELF.read_text().split('BLUEPRINT = """\\\n', 1)[1].split('"""', 1)[0]
    from backend_agent.blueprint import parse_blueprint

    return design(parse_blueprint(text, source="shelf.blueprint.yaml"))


def test_auth_reply_templates_in_openapi_and_design_json() -> None:
    result = _shelf()
    schemas = result.openapi["components"]["schemas"]
    register = schemas["AuthRegisterResponse"]
    assert list(register["properties"]) == ["message", "user", "token", "expiresIn"]
    assert register["required"] == ["message", "user", "token", "expiresIn"]
    assert register["properties"]["message"]["const"] == "Welcome aboard"
    assert register["properties"]["expiresIn"]["type"] == "integer"
    login = schemas["AuthLoginResponse"]["properties"]
    assert login["tokenType"]["const"] == "Bearer" and login["ok"] == {
        "type": "boolean", "const": True, "x-source": "const", "x-value": True}
    op = next(o for o in result.operations if o.kind == "register")
    assert op.reply == {"message": "Welcome aboard", "user": "$user", "token": "$token", "expiresIn": "$expires_in"}
    assert op.token == "none" and op.response_envelope is None
    assert openapi_diff(result.openapi, wire_openapi(result)) == []
