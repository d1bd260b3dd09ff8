"""Declarative semantics of operations: find-or-create / upsert by a natural key, and caller rules.

Both modes share these: a blueprint-first operation declares them on the operation, a contract binding
on the binding (``existing``, ``caller``); either way they land on ``OperationDesign``.
"""

from __future__ import annotations

from backend_agent.blueprint import Blueprint
from backend_agent.blueprint.api import CallerRule, Existing
from backend_agent.design.model import CallerDesign, EntityDesign, ExistingDesign, OperationDesign

CALLER_OUTCOMES = {401: "unauthorized", 403: "forbidden", 404: "not_found"}


def existing_design(bp: Blueprint, ed: EntityDesign, spec: Existing) -> ExistingDesign:
    """The natural key's columns and the unique constraint that makes ``INSERT ... ON CONFLICT`` race-safe."""
    columns: list[str] = []
    for name in spec.match:
        field = next((f for f in ed.fields if f.name == name), None)
        if field is not None:
            columns.append(field.column)
            continue
        rel = next((r for r in ed.relations if r.name == name and r.fk_column), None)
        columns.append(rel.fk_column if rel is not None and rel.fk_column else name)
    entity = bp.entities.get(ed.name)
    constraint = "unique field"
    if len(spec.match) > 1 or (entity is not None and spec.match[0] not in entity.fields):
        constraint = "unique_together [" + ", ".join(spec.match) + "]"
    return ExistingDesign(list(spec.match), columns, spec.then, spec.status, constraint)


def caller_design(bp: Blueprint, entities: dict[str, EntityDesign], rule: CallerRule) -> CallerDesign:
    user_entity = bp.auth.user_entity if bp.auth is not None else ""
    column = rule.user_field
    user = entities.get(user_entity)
    if user is not None:
        column = next((f.column for f in user.fields if f.name == rule.user_field), rule.user_field)
    return CallerDesign(rule.in_, rule.name, rule.user_field, column, rule.status, CALLER_OUTCOMES[rule.status])


def caller_problem(op: OperationDesign, ed: EntityDesign | None, body_names: set[str] | None = None,
                   user_entity: str = "") -> str | None:
    """Why the caller rule of ``op`` names a value the operation does not receive (None when it does)."""
    rule = op.caller
    if rule is None:
        return None
    if rule.location in ("path", "query"):
        names = [p.name for p in op.parameters if p.location == rule.location]
        if rule.location == "path" and not names:
            names = [seg[1:-1] for seg in op.path.split("/") if seg.startswith("{") and seg.endswith("}")]
        if rule.name not in names:
            listed = ", ".join(names) or "(none)"
            return (f"{op.operation_id} has no {rule.location} parameter '{rule.name}'; the caller rule names one "
                    f"of its {rule.location} parameters: {listed}")
        if (rule.location == "query" and op.response_list and ed is not None and not ed.owner_column
                and ed.name != user_entity and all(f.param != rule.name for f in op.filters)):
            return (f"the caller rule of {op.operation_id} reads query parameter '{rule.name}', but {ed.name} has "
                    f"no owner and no filter '{rule.name}', so the list could not narrow to the caller's rows")
        return None
    if body_names is None and ed is not None:
        body_names = {f.json_name for f in ed.fields if f.in_create or f.in_update}
        body_names |= {r.request_json_name for r in ed.relations if r.request_json_name}
    if not op.request_schema and (op.wire is None or op.wire.request is None):
        return f"{op.operation_id} takes no request body, so no body property '{rule.name}' can name the caller"
    if body_names is not None and rule.name not in body_names:
        listed = ", ".join(sorted(body_names)) or "(none)"
        return f"the request body of {op.operation_id} has no property '{rule.name}' (it has {listed})"
    return None


def semantic_notes(op: OperationDesign) -> list[str]:
    """The endpoint table's notes on find-or-create / upsert and caller rules."""
    notes = []
    if op.existing is not None:
        what = "find-or-create" if op.existing.then == "return" else "upsert"
        notes.append(f"{what} by {', '.join(op.existing.match)} ({op.existing.status} when it exists)")
    if op.caller is not None:
        notes.append(f"{op.caller.location} {op.caller.name} must be the caller, else {op.caller.status}")
    return notes


def semantics_section(operations: list[OperationDesign], entities: dict[str, EntityDesign]) -> list[str]:
    """DESIGN.md: natural keys, caller rules and lists of values, each with how it is served."""
    rows: list[list[object]] = []
    for op in operations:
        if op.existing is not None:
            what = "find-or-create" if op.existing.then == "return" else "upsert"
            rows.append([f"`{op.operation_id}`", what, f"key {', '.join(op.existing.match)} "
                         f"({op.existing.constraint}): INSERT ... ON CONFLICT DO NOTHING, then the row is read"
                         + (" and updated" if op.existing.then == "update" else "")
                         + f"; {op.status_code} created, {op.existing.status} existed"])
        if op.caller is not None:
            rows.append([f"`{op.operation_id}`", "caller rule", f"{op.caller.location} value `{op.caller.name}` must "
                         f"equal the signed-in user's {op.caller.user_field}; otherwise {op.caller.status} "
                         f"({op.caller.outcome})"])
    for ed in entities.values():
        for field in ed.fields:
            if field.kind == "list":
                rows.append([f"{ed.name}.{field.name}", f"list of {field.of}", "an ordered JSON array in a JSON "
                             "column (SQLite JSON, PostgreSQL JSONB); item constraints are validated on write"])
    if not rows:
        return []
    header = ["", "## Natural keys, caller rules and lists", "",
              "Find-or-create and upsert are race-safe: of concurrent requests with one key exactly one inserts.", ""]
    return [*header, *_table(["where", "construct", "how it is served"], rows)]


def _table(headers: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines.extend("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows)
    return lines


__all__ = ["CALLER_OUTCOMES", "caller_design", "caller_problem", "existing_design", "semantic_notes",
           "semantics_section"]
