"""What the generated suite checks of text/html and text/plain answers rendered from templates.

For each operation answering a rendered row, a row is stored with ``<script>`` in every text field
the template may show; the HTML answer must carry it escaped (``&lt;script&gt;``), never as markup.
"""

from __future__ import annotations

import re
from typing import Any

Json = dict[str, Any]
SCRIPT = "<script>alert(1)</script>"


def text_template_of(op: Json) -> tuple[str, str] | None:
    """(file in app/templates/, content type) when the operation answers its row rendered by a template."""
    for response in (op.get("wire") or {}).get("responses", []):
        source = str((response.get("schema") or {}).get("x-source") or "")
        if response.get("outcome") == "success" and source.startswith("template:"):
            return source.partition(":")[2], str(response["content_type"])
    return None


def page_test_plans(design: Json) -> list[Json]:
    from backend_agent.generate.context import identifier, snake

    plans = []
    for op in design["operations"]:
        template = text_template_of(op)
        entity = design["entities"].get(op.get("entity") or "")
        if not template or entity is None:
            continue
        keys = [p for p in op["parameters"] if p["location"] == "path"]
        if len(keys) != 1 or not str(keys[0].get("maps_to") or "").startswith(entity["name"] + "."):
            continue  # rows under a parent are reached by the contract tests of the service itself
        key_field = keys[0]["maps_to"].split(".", 1)[1]
        key = next((f for f in entity["fields"] if f["name"] == key_field), None)
        if key is None:
            continue
        poisoned = [f["column"] for f in entity["fields"]
                    if f["kind"] in ("string", "text") and f["name"] != key_field and not f["secret"]
                    and not f.get("encrypted") and _fits(f, len(SCRIPT))]
        value = _key_value(keys[0]["json_schema"])
        if value is None:
            continue
        plans.append({"id": op["operation_id"], "path": op["path"], "param": keys[0]["name"], "key": value,
                      "key_column": key["column"], "factory": f"make_{snake(entity['name'])}",
                      "table": identifier(entity["table"]), "columns": poisoned, "public": op["auth"]["public"],
                      "role": None, "content_type": template[1], "status": op["status_code"]})
    return plans


def _key_value(schema: Json) -> str | None:
    """A key no other test row uses that the path parameter's schema accepts."""
    if schema.get("type") not in (None, "string") or schema.get("format"):
        return None
    for value in ("escaped-page-987654", "escaped987654", "Escaped987654", "987654321"):
        if re.search(schema.get("pattern") or "", value) and len(value) <= schema.get("maxLength", 64):
            return value
    return None


def _fits(field: Json, length: int) -> bool:
    match = re.search(r"\((\d+)\)", str(field.get("type")) + str(field["json_schema"].get("maxLength", "")))
    limit = field["json_schema"].get("maxLength")
    return (limit is None or int(limit) >= length) and not (match and int(match.group(1)) < length)


__all__ = ["SCRIPT", "page_test_plans"]
