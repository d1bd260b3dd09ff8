"""design(bp): every decision made once, then rendered to OpenAPI, DDL, ERD and DESIGN.md."""

from __future__ import annotations

from backend_agent.blueprint import Blueprint, resolve_relations
from backend_agent.design.auth import auth_design, auth_operations
from backend_agent.design.ddl import render_ddl
from backend_agent.design.entities import build_entities
from backend_agent.design.erd import render_dot, render_mermaid
from backend_agent.design.markdown import render_design_md
from backend_agent.design.model import DIALECTS, AuthDesign, Decision, Design, ServiceDesign
from backend_agent.design.naming import json_key
from backend_agent.design.openapi import build_openapi
from backend_agent.design.operations import build_operations, compute_paths
from backend_agent.design.schemas import build_schemas, error_schema
from backend_agent.design.tables import build_tables
from backend_agent.errors import BlueprintError, Location, Problem

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "validation_error",
    429: "rate_limited",
}


def _service(bp: Blueprint) -> ServiceDesign:
    svc = bp.service
    style = svc.errors.style
    return ServiceDesign(
        name=svc.name, title=svc.name.replace("-", " ").replace("_", " ").title(), version=svc.version,
        description=svc.description, base_path=svc.base_path, naming=svc.naming, error_style=style,
        error_key=svc.errors.key or ("error" if style == "envelope" else "errors"),
        pagination=svc.pagination.style, default_limit=svc.pagination.default_limit,
        max_limit=max(svc.pagination.max_limit, svc.pagination.default_limit), cors_origins=list(svc.cors_origins),
        rate_limit=svc.rate_limit, cache_ttl=svc.cache_ttl, idempotency_header=svc.idempotency_header,
        idempotency_ttl_hours=svc.idempotency_ttl_hours, next_cursor_key=json_key("next_cursor", svc.naming),
        error_codes=dict(ERROR_CODES),
    )


def _decisions(svc: ServiceDesign, auth: AuthDesign | None) -> list[Decision]:
    out = [
        Decision("primary keys", "surrogate `id` (BIGINT identity / INTEGER autoincrement, or UUID)",
                 "lookup keys such as slugs can change; foreign keys stay stable"),
        Decision("enums", "VARCHAR + CHECK constraint, not PostgreSQL ENUM types",
                 "adding a value is a constraint swap in one migration, identical on SQLite"),
        Decision("decimals", "NUMERIC(p,s) columns, JSON strings", "no binary floating-point rounding of money"),
        Decision("timestamps", "TIMESTAMP WITH TIME ZONE (PostgreSQL), stored in UTC",
                 "unambiguous instants across time zones"),
        Decision("foreign keys", "every FK column has an index (or leads one)",
                 "joins, filters and ON DELETE checks would otherwise scan the child table"),
        Decision("many_to_many", "join table with a composite primary key (a, b) and an index on (b)",
                 "the primary key serves lookups from a; the extra index serves reverse lookups and counts"),
        Decision("computed fields", "one batched query per page for each computed field",
                 "counts and per-viewer flags never cost one query per row (no N+1)"),
        Decision("secrets", "stored as <name>_hash (argon2), never serialised", "a leaked database or response "
                 "reveals no password"),
        Decision("operationIds", "`<tag>_<name>` in snake_case", "stable across runs; usable as Python names"),
        Decision("route order", "static path segments before parameters (e.g. /articles/feed before "
                 "/articles/{slug})", "frameworks match routes in registration order"),
        Decision("lists", "always an object: items under a key, plus a total or a cursor",
                 "a bare JSON array cannot grow pagination metadata later"),
        Decision("updates", "partial: only the keys present are changed (PUT and PATCH alike)",
                 "clients may send just the fields they edit"),
        Decision("errors", f"{svc.error_style} bodies under `{svc.error_key}`", "the blueprint's error style"),
        Decision("pagination", f"{svc.pagination}, default {svc.default_limit}, max {svc.max_limit}",
                 "the blueprint's pagination style; the max bounds query cost"),
    ]
    if auth is not None:
        out.append(Decision("auth", f"JWT {auth.algorithm} in 'Authorization: {auth.scheme} <token>'",
                            "stateless tokens; the header word follows the blueprint"))
        out.append(Decision("ownership", f"owner-only operations also allow role `{auth.admin_role}`",
                            "admins must be able to moderate content"))
    return out


def design(bp: Blueprint) -> Design:
    """Resolve a validated blueprint into a Design; BlueprintError if routes clash."""
    rels = resolve_relations(bp)
    svc = _service(bp)
    auth = auth_design(bp.auth) if bp.auth else None
    tables = build_tables(bp)
    entities = build_entities(bp, rels, style=svc.naming, paths=compute_paths(bp))
    operations, clashes = build_operations(bp, entities, auth_operations(bp, entities))
    if clashes:
        problems = [Problem(message=text, location=Location("<blueprint>", key_path=origin),
                            expected="one operation per method and path, path parameters that name lookup keys",
                            hint="give the operation another `path` or `method`") for text, origin in clashes]
        raise BlueprintError(f"{len(clashes)} routing problem(s) in the blueprint", problems=problems)
    schemas = build_schemas(bp, svc, auth, entities, operations)
    decisions = _decisions(svc, auth)
    result = Design(service=svc, auth=auth, entities=entities, tables=tables, operations=operations,
                    decisions=decisions, schemas=schemas)
    result.openapi = build_openapi(svc=svc, auth=auth, entities=entities, operations=operations, schemas=schemas)
    result.schemas = result.openapi["components"]["schemas"]
    result.ddl = {dialect: render_ddl(tables, dialect, service=svc.name) for dialect in DIALECTS}
    result.erd_mermaid = render_mermaid(tables)
    result.erd_dot = render_dot(tables, title=f"{svc.title} {svc.version}")
    computed = [(ed.name, comp) for ed in entities.values() for comp in ed.computed]
    result.design_md = render_design_md(svc=svc, auth=auth, operations=operations, entities=entities,
                                        computed=computed, tables=tables,
                                        decisions=decisions, erd_mermaid=result.erd_mermaid)
    return result


__all__ = ["design", "error_schema"]
