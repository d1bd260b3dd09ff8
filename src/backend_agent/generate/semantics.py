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


__all__ = ["caller_check"]
