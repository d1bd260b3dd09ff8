"""The JSON Schema of the blueprint language, for editor completion and validation."""

from __future__ import annotations

from typing import Any

from backend_agent.blueprint.schema import Blueprint

SCHEMA_ID = "https://backend-agent.dev/schemas/blueprint.schema.json"


def blueprint_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``*.blueprint.yaml`` files."""
    schema = Blueprint.model_json_schema(by_alias=True, mode="validation")
    defs = schema.get("$defs", {})
    # Shorthands the loader accepts: `title: string`, `response: id`, `request: values`, `existing: name`.
    match = defs.get("Existing", {}).get("properties", {}).get("match")
    if match is not None:
        defs["Existing"]["properties"]["match"] = {"anyOf": [{"type": "string"}, match],
                                                   "description": match.get("description", "")}
    for name in ("Field", "RelationResponse", "RelationRequest", "Existing"):
        if name in defs:
            defs[name] = {"anyOf": [{"type": "string"}, defs[name]], "title": name}
    ops = defs.get("EntityApi", {}).get("properties", {}).get("operations")
    if ops is not None:
        names = {"enum": ["list", "get", "create", "update", "delete"]}
        ops_list = {"type": "array", "items": {"type": "string", **names}}
        defs["EntityApi"]["properties"]["operations"] = {"anyOf": [ops, ops_list], "description": ops.get("description", "")}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "backend-agent blueprint (*.blueprint.yaml)",
    }


__all__ = ["blueprint_json_schema"]
