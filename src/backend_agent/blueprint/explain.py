"""A readable, plain-text summary of what a blueprint means."""

from __future__ import annotations

from datetime import date, time

from backend_agent.blueprint._relations import resolve_relations
from backend_agent.blueprint.api import CustomAction, FeedAction, QueryAction, ToggleAction, TransitionAction
from backend_agent.blueprint.entity import Field
from backend_agent.blueprint.schema import Blueprint


def _literal(value: object) -> str:
    """A blueprint literal as the user would write it (ISO text for YAML dates and timestamps)."""
    if isinstance(value, date | time):
        return repr(value.isoformat())
    return repr(value)


def _field_line(name: str, field: Field) -> str:
    traits = [field.type]
    if field.required:
        traits.append("required")
    if field.unique:
        traits.append("unique")
    if field.values:
        traits.append("one of " + "|".join(field.values))
    if field.min is not None or field.max is not None:
        traits.append(f"range {field.min if field.min is not None else '-inf'}..{field.max if field.max is not None else 'inf'}")
    if field.min_length is not None or field.max_length is not None:
        traits.append(f"length {field.min_length or 0}..{field.max_length if field.max_length is not None else 'any'}")
    if field.pattern:
        traits.append(f"matches {field.pattern}")
    if field.has_default:
        traits.append(f"default {_literal(field.default)}")
    if field.secret:
        traits.append("secret (stored hashed, never returned)")
    elif field.write_only:
        traits.append("write-only")
    if field.read_only:
        traits.append("read-only")
    if field.derive:
        traits.append(f"derived from {field.derive.from_} ({field.derive.transform}"
                      + (", unique-ified" if field.derive.unique else "") + ")")
    return f"    - {name}: " + ", ".join(traits)


def _service(bp: Blueprint) -> list[str]:
    svc = bp.service
    errors = svc.errors
    lines = [
        f"Service {svc.name} {svc.version}" + (f" — {svc.description}" if svc.description else ""),
        f"  base path {svc.base_path or '/'}; JSON keys in {svc.naming}",
        f"  errors as {errors.style} under key '{errors.key or ('error' if errors.style == 'envelope' else 'errors')}'",
        f"  pagination: {svc.pagination.style}, {svc.pagination.default_limit} per page (max "
        f"{svc.pagination.max_limit})",
    ]
    if svc.rate_limit:
        lines.append(f"  global rate limit {svc.rate_limit} per client")
    if svc.cors_origins:
        lines.append("  CORS origins: " + ", ".join(svc.cors_origins))
    if bp.auth:
        auth = bp.auth
        lines.append(
            f"  auth: users are {auth.user_entity}, sign in with {' or '.join(auth.identity)} and "
            f"{auth.password_field} (min {auth.password_policy.min_length} chars); JWT "
            f"{auth.tokens.algorithm} via 'Authorization: {auth.tokens.scheme} <token>', valid "
            f"{auth.tokens.access_ttl_minutes} min" + (", with refresh tokens" if auth.tokens.refresh else "")
        )
        lines.append(f"  roles: {', '.join(auth.roles)} (new users: {auth.default_role}; admin: {auth.admin_role})")
    else:
        lines.append("  no auth: every operation is public")
    return lines


def explain(bp: Blueprint) -> str:
    """Describe the service, its auth, and per entity its data, relations, API and actions."""
    rels = resolve_relations(bp)
    lines = _service(bp)
    for ename, entity in bp.entities.items():
        lines.append("")
        lines.append(f"Entity {ename}" + (f" — {entity.description}" if entity.description else ""))
        keyed = f"looked up by {entity.lookup}" if entity.lookup else "looked up by id"
        owner = f"; owned by {entity.owner} (only the owner or an admin may change it)" if entity.owner else ""
        lines.append(f"  {keyed}{owner}")
        opts = entity.options
        extras = [n for n, on in (("timestamps", opts.timestamps), ("soft delete", opts.soft_delete)) if on]
        if extras:
            lines.append("  with " + " and ".join(extras))
        lines.append("  fields:")
        lines.extend(_field_line(name, field) for name, field in entity.fields.items())
        if rels[ename]:
            lines.append("  relations:")
            for rname, side in rels[ename].items():
                origin = "" if side.declared else f" (reverse of {side.owner_entity}.{side.owner_name})"
                lines.append(f"    - {rname}: {side.kind} {side.target}{origin}")
        for cname, comp in entity.computed.items():
            what = f"number of {comp.relation}" if comp.kind == "count" else f"whether the viewer is in {comp.relation}"
            lines.append(f"  computed {cname}: {what}")
        for vname, view in entity.views.items():
            where = f" served at GET {bp.service.base_path}{view.path}" if view.path else ""
            lines.append(f"  view {vname}: {', '.join(view.fields)}{where}")
        ops = ", ".join(entity.api.operations) or "none"
        where = f" at {entity.api.path}" if entity.api.path else ""
        nested = f" nested under {entity.api.parent}" if entity.api.parent else ""
        lines.append(f"  API{where}{nested}: {ops}; default read access: {entity.api.visibility}")
        if entity.api.visible_if:
            conds = " and ".join(f"{c.field} {c.op} {c.other_field or _literal(c.value)}" for c in entity.api.visible_if)
            lines.append(f"    only rows where {conds} are visible; others only to their owner and admins")
        for flt in entity.api.filters:
            target = flt.field or f"{flt.relation}.{flt.key or 'key'}"
            lines.append(f"    filter ?{flt.param}= on {target}")
        for aname, action in entity.actions.items():
            lines.append(f"  action {aname}: {_action_text(action)}")
    return "\n".join(lines) + "\n"


def _action_text(action: object) -> str:
    if isinstance(action, ToggleAction):
        return f"toggle the current user in {action.relation} (POST adds, {action.remove_method} removes)"
    if isinstance(action, FeedAction):
        return f"feed of rows whose {action.scope.relation} is in the current user's {action.scope.through}"
    if isinstance(action, QueryAction):
        conds = " and ".join(f"{c.field} {c.op} {c.other_field or _literal(c.value)}" for c in action.where)
        return f"query where {conds}"
    if isinstance(action, TransitionAction):
        guards = " and ".join(f"{g.field} {g.op} {g.other_field or _literal(g.value)}" for g in action.guards)
        text = f"move {action.field} from {'/'.join(action.from_)} to {action.to}"
        return text + (f" if {guards}" if guards else "") + (f", guard {action.guard}" if action.guard else "")
    if isinstance(action, CustomAction):
        return f"custom operation handled by {action.handler} ({action.target})"
    return str(action)


__all__ = ["explain"]
