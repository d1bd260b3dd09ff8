"""Generation plan of typed query parameters: action parameters, operators chosen by a parameter,
case-insensitive enums and list filters matching any or all of a repeated parameter.

``design.json`` carries them as ``parameters`` with ``maps_to: "param.<name>"`` (plus ``values`` and
``case_insensitive``), conditions with ``param`` / ``op_param`` and filters with ``match``.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]
_OPS = {"eq": "==", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def _identifier(name: str) -> str:
    from backend_agent.generate.context import identifier

    return identifier(name)


def plan_params(design: Json, entity: Json, op: Json, out: Json) -> None:
    """Adds to an operation plan ``out``: ``fold`` per case-insensitive query parameter, clauses of the
    conditions that read parameters, ``op_params``, ``custom_params`` / ``input_query`` and list filters."""
    # required parameters first: a Python signature lists its defaulted parameters last
    out["query_params"].sort(key=lambda p: not p["required"])
    by_name = {p["name"]: p for p in out["query_params"]}
    for p in out["query_params"]:
        p["fold"], p["optional"] = None, False
        if p.get("case_insensitive") and p.get("values"):
            p["fold"] = {value.lower(): value for value in p["values"]}
            p["optional"] = not p["required"] and p["json_schema"].get("default") is None
    out["op_params"] = []
    out["custom_params"] = [{"name": p["name"], "py": p["py"]} for p in out["query_params"]
                            if str(p.get("maps_to") or "").startswith("param.") and op["kind"] == "custom"]
    out["input_query"] = [{"name": p["maps_to"].split(".", 1)[1], "py": p["py"]} for p in out["query_params"]
                          if str(p.get("maps_to") or "").startswith("input.")]
    if op["kind"] == "query":
        _param_conditions(entity, op, out, by_name)
    for index, flt in enumerate(op.get("filters", [])):
        if flt.get("match"):
            out["filter_clauses"][index] = _list_filter(design, entity, flt)


def _param_conditions(entity: Json, op: Json, out: Json, by_name: dict[str, Json]) -> None:
    from backend_agent.generate.context import _literal, condition_sql

    plain: list[str] = []
    grouped: dict[str, list[str]] = {}
    for cond in op.get("conditions", []):
        if not cond.get("param") and not cond.get("op_param"):
            plain.append(condition_sql(entity, cond))
            continue
        operator = _identifier(cond["op_param"]) if cond.get("op_param") else repr(cond["op"])
        column = f"t.c.{cond['column']}"
        if cond.get("param"):
            grouped.setdefault(_identifier(cond["param"]), []).append(f"compare({column}, {operator}, value)")
        else:
            plain.append(f"compare({column}, {operator}, {_literal(entity, cond['column'], cond['value'])})")
    out["condition_clauses"] = plain
    for py, exprs in grouped.items():
        expr = exprs[0] if len(exprs) == 1 else "and_(" + ", ".join(exprs) + ")"
        out["filter_clauses"].append({"param": py, "expr": expr})
    for name in dict.fromkeys(c["op_param"] for c in op.get("conditions", []) if c.get("op_param")):
        param = by_name[name]
        out["op_params"].append({"py": _identifier(name), "default": param["json_schema"].get("default", "eq")})


def _list_filter(design: Json, entity: Json, flt: Json) -> Json:
    """``?tag=a&tag=b``: rows with any of the values (IN), or with all of them: the related keys among the
    values counted distinct equal the number of distinct values (bound as ``<param>_count``)."""
    from backend_agent.generate.context import _column_of

    py = _identifier(flt["param"])
    if flt.get("field"):
        return {"param": py, "expr": f"t.c.{_column_of(entity, flt['field'])}.in_(value)"}
    rel = next(r for r in entity["relations"] if r["name"] == flt["relation"])
    target = design["entities"][rel["target"]]
    r = _identifier(rel["target_table"])
    key = f"{r}.c.{_column_of(target, flt.get('key') or 'id')}"
    every = flt["match"] == "all"
    having = f".group_by({{owner}}).having(func.count(distinct({key})) == bindparam({py + '_count'!r}))"
    if rel["fk_column"]:
        expr = f"t.c.{rel['fk_column']}.in_(select({r}.c.id).where({key}.in_(value)))"
    elif rel["kind"] == "many_to_many":
        j = _identifier(rel["join_table"])
        owner = f"{j}.c.{rel['join_self_column']}"
        expr = (f"t.c.id.in_(select({owner}).join({r}, {r}.c.id == {j}.c.{rel['join_target_column']})"
                f".where({key}.in_(value)){having.format(owner=owner) if every else ''})")
    else:
        owner = f"{r}.c.{rel['remote_fk_column']}"
        expr = f"t.c.id.in_(select({owner}).where({key}.in_(value)){having.format(owner=owner) if every else ''})"
    return {"param": py, "expr": expr, "counted": every}


__all__ = ["plan_params"]
