"""What the generated ``tests/test_computed.py`` checks: counts and aggregates of related rows.

For each entity read by a ``get`` operation whose view shows counts or aggregates (avg, sum, min,
max, count with a condition) over a one_to_many relation, the generated test inserts related rows
with known values and compares each document value with the design's own batched SQL for it
(``ComputedDesign.sql``), an oracle written independently of the document's correlated subqueries.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from backend_agent.generate.context import identifier, snake
from backend_agent.generate.text_pages import text_template_of

Json = dict[str, Any]


def _samples(field: Json) -> list[str]:
    """Three values of the aggregated field (Python literals) inside its bounds: a low one and a high one twice."""
    py = field["python_type"]
    if py == "datetime":
        moments = [datetime(2026, 1, 2, 3, 4, 5, 123000, tzinfo=UTC), datetime(2026, 5, 6, 7, 8, 9, 456000, tzinfo=UTC)]
        return [_datetime_literal(moments[0]), _datetime_literal(moments[1]), _datetime_literal(moments[1])]
    if py == "date":
        days = [date(2026, 1, 2), date(2026, 5, 6)]
        return [f"date({d.year}, {d.month}, {d.day})" for d in (days[0], days[1], days[1])]
    schema = field.get("json_schema") or {}
    low = schema.get("minimum", 1)
    if isinstance(schema.get("exclusiveMinimum"), int | float) and not isinstance(schema["exclusiveMinimum"], bool):
        low = schema["exclusiveMinimum"] + 1
    high = low + 3
    if "maximum" in schema:
        high = min(high, schema["maximum"])
    if py == "Decimal":
        return [f"Decimal({str(Decimal(str(v)) + Decimal('0.25'))!r})" for v in (low, high - 1, high - 1)]
    if py == "float":
        return [repr(float(low) + 0.5), repr(float(high) - 0.5), repr(float(high) - 0.5)]
    return [repr(int(low)), repr(int(high)), repr(int(high))]


def _datetime_literal(moment: datetime) -> str:
    return (f"datetime({moment.year}, {moment.month}, {moment.day}, {moment.hour}, {moment.minute}, "
            f"{moment.second}, {moment.microsecond}, tzinfo=UTC)")


def _matching(target: Json, conditions: list[Json]) -> dict[str, Any]:
    """Column values that satisfy the aggregate's equality conditions (so a conditional count is not 0)."""
    out: dict[str, Any] = {}
    for cond in conditions:
        if cond["op"] == "eq" and not cond.get("other_column") and cond.get("value") is not None:
            field = next((f for f in target["fields"] if f["column"] == cond["column"]), None)
            if field is None or field["python_type"] not in ("str", "int", "float", "bool", "Decimal"):
                continue
            value = cond["value"]
            out[cond["column"]] = Decimal(str(value)) if field["python_type"] == "Decimal" else value
    return out


def aggregate_test_plans(design: Json) -> list[Json]:
    auth = design.get("auth")
    plans: list[Json] = []
    for op in design["operations"]:
        if op["kind"] != "get" or op.get("handler") or not op.get("view") or op.get("cache_ttl") \
                or text_template_of(op):
            continue  # a cached read would not see rows the test writes directly; a page is no document
        entity = design["entities"][op["entity"]]
        own = [p for p in op["parameters"] if p["location"] == "path"
               and (p.get("maps_to") or "").split(".", 1)[0] == entity["name"]]
        view = entity["views"].get(op["view"]) or {}
        shown = {vf["name"]: vf["json_name"] for vf in view.get("fields", []) if vf["source"] == "computed"}
        relations = {r["name"]: r for r in entity["relations"]}
        aggregates = []
        for comp in entity.get("computed", []):
            rel = relations.get(comp["relation"])
            if comp["kind"] == "membership" or comp["name"] not in shown or rel is None or rel["kind"] != "one_to_many":
                continue
            target = design["entities"][rel["target"]]
            field = next((f for f in target["fields"] if f["name"] == comp.get("field")), None)
            aggregates.append({
                "json": shown[comp["name"]], "kind": comp["kind"],
                "oracle": comp["sql"].replace("IN (:ids)", "= :id"),
                "factory": f"make_{snake(target['name'])}", "fk": comp["key_column"],
                "column": field["column"] if field else None,
                "python_type": field["python_type"] if field else None,
                "samples": _samples(field) if field else ["None", "None", "None"],
                "matching": _matching(target, comp.get("conditions") or []),
            })
        if not aggregates or len(own) != 1:
            continue
        field_name = own[0]["maps_to"].split(".", 1)[1]
        lookup = next((f["column"] for f in entity["fields"] if f["name"] == field_name), field_name)
        roles = op["auth"]["roles"]
        listings = [o for o in design["operations"] if o["entity"] == entity["name"] and o["kind"] == "list"
                    and not o.get("handler") and not o.get("cache_ttl")
                    and not any(p["location"] == "path" or p["required"] for p in o["parameters"])]
        listing = next((o for o in listings if not text_template_of(o)), None)  # a JSON listing to compare
        plans.append({
            "op": op["operation_id"], "entity": entity["name"], "func": snake(op["operation_id"]),
            "table": identifier(entity["table"]), "lookup": lookup, "param": own[0]["name"],
            "envelope": op.get("response_envelope"),
            "role": (roles[0] if roles else auth["default_role"]) if auth else None,
            "aggregates": aggregates, "list_op": listing["operation_id"] if listing else None,
        })
    return plans


__all__ = ["aggregate_test_plans"]
