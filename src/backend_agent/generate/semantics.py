"""Generation facts of the declarative semantics: the caller rule's check (find-or-create is in the templates)."""

from __future__ import annotations

from typing import Any

from backend_agent.errors import GenerationError

Json = dict[str, Any]


def caller_check(design: Json, op: Json) -> tuple[str | None, str | None, str | None]:
    """Python expressions of the value a caller rule reads and of the signed-in user's value it must equal,
    plus the user table the second one reads (None when it compares ids)."""
    from backend_agent.generate.context import identifier

    rule = op.get("caller")
    if not rule:
        return None, None, None
    name, where = rule["name"], rule["location"]
    py = identifier(name)
    if where == "path":
        if py not in [k["param"] for k in op["key_clauses"]]:
            raise GenerationError(f"{op['operation_id']}: the caller rule reads path parameter {name!r}, which selects "
                                  "no row", hint="map the parameter to a key (select) or use a query/body value")
        value = py
    elif where == "query":
        if op["kind"] not in ("list", "feed", "query"):
            raise GenerationError(f"{op['operation_id']}: a caller rule on a query parameter needs a list operation",
                                  hint="use a path or body value")
        value = f"query.get({py!r})"
    else:
        if op["kind"] not in ("create", "update", "custom"):
            raise GenerationError(f"{op['operation_id']}: a caller rule on a body value needs an operation with a body",
                                  hint="use a path or query value")
        value = f"data.get({name!r})"
    if rule["user_field"] == "id":
        return value, "user_id(principal)", None
    auth = design.get("auth") or {}
    users = identifier(design["entities"][auth["user_entity"]]["table"])
    expected = (f"conn.execute(select({users}.c.{rule['user_column']}).where({users}.c.id == user_id(principal)))"
                ".scalar()")
    return value, expected, users


def caller_scope(design: Json, entity: Json, op: Json) -> str | None:
    """The column a list narrows to the caller's rows by when its caller rule reads a query value that is
    no filter (``?owner=<me>``: only compared with the caller, so the rows are the caller's own)."""
    rule = op.get("caller")
    if not rule or rule["location"] != "query" or op["kind"] not in ("list", "feed", "query"):
        return None
    if any(f.get("param") == rule["name"] for f in op.get("filters", [])):
        return None  # the filter itself selects the rows the value names, which is the caller
    if entity.get("owner_column"):
        return str(entity["owner_column"])
    if entity["name"] == (design.get("auth") or {}).get("user_entity"):
        return "id"
    raise GenerationError(f"{op['operation_id']}: the caller rule reads query parameter {rule['name']!r}, but "
                          f"{entity['name']} has no owner to narrow the list to the caller's rows",
                          hint=f"give {entity['name']} an owner, or add a filter {rule['name']!r}")


__all__ = ["caller_check", "caller_scope"]
