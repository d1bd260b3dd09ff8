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
    """One test per rendered answer: of a row reached by its own key, or of a public list (its first page)."""
    from backend_agent.generate.context import LIST_KINDS, identifier, snake

    plans = []
    for op in design["operations"]:
        template = text_template_of(op)
        entity = design["entities"].get(op.get("entity") or "")
        if not template or entity is None:
            continue
        plan = {"id": op["operation_id"], "path": op["path"], "param": None, "key": None, "key_column": None,
                "factory": f"make_{snake(entity['name'])}", "table": identifier(entity["table"]),
                "public": op["auth"]["public"], "role": None, "content_type": template[1],
                "status": op["status_code"]}
        if op["kind"] in LIST_KINDS:
            if not op["auth"]["public"] or any(p["location"] == "path" or p["required"] for p in op["parameters"]):
                continue  # rows under a parent, or behind a filter, are reached by the service's contract tests
            plans.append({**plan, "columns": _poisoned(entity, None)})
            continue
        keys = [p for p in op["parameters"] if p["location"] == "path"]
        if len(keys) != 1 or not str(keys[0].get("maps_to") or "").startswith(entity["name"] + "."):
            continue  # rows under a parent are reached by the contract tests of the service itself
        key_field = keys[0]["maps_to"].split(".", 1)[1]
        key = next((f for f in entity["fields"] if f["name"] == key_field), None)
        value = _key_value(keys[0]["json_schema"])
        if key is None or value is None:
            continue
        plans.append({**plan, "param": keys[0]["name"], "key": value, "key_column": key["column"],
                      "columns": _poisoned(entity, key_field)})
    return plans


def _poisoned(entity: Json, key_field: str | None) -> list[str]:
    """The text columns that can hold the script (every one a template may show)."""
    return [f["column"] for f in entity["fields"]
            if f["kind"] in ("string", "text") and f["name"] != key_field and not f["secret"]
            and not f.get("encrypted") and _fits(f, len(SCRIPT))]


def _key_value(schema: Json) -> str | int | None:
    """A key no other test row uses that the path parameter's schema accepts."""
    if schema.get("type") == "integer":
        value = 987654321
        return value if schema.get("maximum", value) >= value and schema.get("minimum", 1) <= value else None
    if schema.get("type") not in (None, "string") or schema.get("format"):
        return None
    for text in ("escaped-page-987654", "escaped987654", "Escaped987654", "987654321"):
        if re.search(schema.get("pattern") or "", text) and len(text) <= schema.get("maxLength", 64):
            return text
    return None


def _fits(field: Json, length: int) -> bool:
    match = re.search(r"\((\d+)\)", str(field.get("type")) + str(field["json_schema"].get("maxLength", "")))
    limit = field["json_schema"].get("maxLength")
    return (limit is None or int(limit) >= length) and not (match and int(match.group(1)) < length)


__all__ = ["SCRIPT", "page_test_plans"]
