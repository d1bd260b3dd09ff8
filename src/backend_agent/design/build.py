"""design(bp): every decision made once, then rendered to OpenAPI, DDL, ERD and DESIGN.md."""

from __future__ import annotations

import os
from pathlib import Path

from backend_agent.blueprint import Blueprint, Contract, load_contract, resolve_relations
from backend_agent.design.auth import auth_design, auth_operations
from backend_agent.design.body_limit import body_limit
from backend_agent.design.contract_mode import bind_contract
from backend_agent.design.ddl import render_ddl
from backend_agent.design.entities import build_entities
from backend_agent.design.erd import render_dot, render_mermaid
from backend_agent.design.markdown import render_design_md
from backend_agent.design.model import (
    DIALECTS,
    AuthDesign,
    ContractDesign,
    Decision,
    Design,
    EntityDesign,
    OperationDesign,
    ServiceDesign,
)
from backend_agent.design.naming import json_key
from backend_agent.design.openapi import build_openapi
from backend_agent.design.operations import behaviours, build_operations, compute_paths, route_order
from backend_agent.design.own_wire import add_wire
from backend_agent.design.page_templates import check_page_template, page_values
from backend_agent.design.schemas import build_schemas, error_schema
from backend_agent.design.tables import build_tables
from backend_agent.errors import BlueprintError, Location, Problem

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    412: "precondition_failed",
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
        encryption_key_env=svc.name.upper().replace("-", "_") + "_ENCRYPTION_KEY",
        error_codes=dict(ERROR_CODES), error_shape=svc.errors.shape, error_statuses={str(k): v for k, v in svc.errors.statuses.items()},
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


def _located(items: list[tuple[str, str, str | None, str | None]], what: str) -> BlueprintError:
    problems = [Problem(message=text, location=Location("<blueprint>", key_path=origin), expected=expected,
                        hint=hint) for text, origin, expected, hint in dict.fromkeys(items)]
    return BlueprintError(f"{len(problems)} {what} in the blueprint", problems=problems)


def _load_contract(bp: Blueprint) -> Contract:
    assert bp.service.contract is not None
    file = Path(os.path.normpath(bp.base_dir / bp.service.contract))
    if not file.is_file():
        raise _located([(f"contract file not found: {file}", "service.contract", "an OpenAPI 3.0/3.1 file",
                         "the path is relative to the blueprint file")], "contract problem")
    explicit = bp.service.base_path if "base_path" in bp.service.model_fields_set else None
    return load_contract(file, base_path=explicit)


def _contract_design(bp: Blueprint) -> Design:
    """Contract mode: the contract decides the wire, the blueprint the storage and the behaviour."""
    contract = _load_contract(bp)
    rels = resolve_relations(bp)
    svc = _service(bp)
    svc.base_path = contract.base_path
    auth = auth_design(bp.auth) if bp.auth else None
    if auth is not None:
        used = [name for op in contract.operations for req in op.security for name in req]
        if used:
            auth.security_scheme = used[0]
    tables = build_tables(bp)
    entities = build_entities(bp, rels, style=svc.naming, paths=compute_paths(bp))
    templates = behaviours(bp, entities, auth_operations(bp, entities))
    bound = bind_contract(bp, contract, entities, templates)
    issues = [(p.message, p.origin, p.expected, p.hint) for p in bound.problems]
    where = "bindings" if bp.bindings else "service.contract"
    for op in bound.unbound:
        guess = f"{op.key}: <Entity>.<operation>" if op.operation_id else f"'{op.key}': <Entity>.<operation>"
        issues.append((f"contract operation {op.key} ({op.route}) is not bound to a behaviour", where,
                       "a binding for every contract operation",
                       f"add to bindings: {guess} (or {{operation: custom, handler: module:function}})"))
    if issues:
        raise _located(issues, "contract binding problem(s)")
    operations = sorted(bound.operations, key=lambda op: route_order(op.path))
    decisions = [*_decisions(svc, auth), Decision(
        "contract", f"served exactly as {bp.service.contract} ({contract.openapi}) under `{contract.base_path or '/'}`",
        "clients are written against the contract; its statuses, names and shapes win over conventions")]
    result = Design(service=svc, auth=auth, entities=entities, tables=tables, operations=operations,
                    decisions=decisions, schemas=dict(contract.normalized.get("components", {}).get("schemas", {})),
                    mode="contract", contract=ContractDesign(
                        source=bp.service.contract or "", openapi=contract.openapi, title=contract.title,
                        version=contract.version, base_path=contract.base_path,
                        security_schemes=contract.security_schemes))
    cautions = dict.fromkeys((c.message, c.origin, c.expected, c.hint) for c in bound.cautions)
    result.cautions = [Problem(message=text, location=Location("<blueprint>", key_path=origin), expected=expected,
                               hint=hint, severity="warning") for text, origin, expected, hint in cautions]
    result.openapi = contract.normalized
    result.service.max_body_bytes = body_limit(result.openapi)
    result.templates = dict(sorted(bound.templates.items()))
    _render(result, bp, contract_source=bp.service.contract)
    if result.cautions:
        result.design_md += _cautions_md(result.cautions)
    return result


def _cautions_md(cautions: list[Problem]) -> str:
    lines = ["", "## Cautions", "",
             "The blueprint is valid, but here the service refuses values its contract allows:", ""]
    for caution in cautions:
        where = caution.location.key_path if caution.location else ""
        lines.append(f"- `{where}`: {caution.message}" + (f" ({caution.hint})" if caution.hint else ""))
    return "\n".join(lines) + "\n"


def _render(result: Design, bp: Blueprint, *, contract_source: str | None = None) -> None:
    result.ddl = {dialect: render_ddl(result.tables, dialect, service=result.service.name) for dialect in DIALECTS}
    result.erd_mermaid = render_mermaid(result.tables)
    result.erd_dot = render_dot(result.tables, title=f"{result.service.title} {result.service.version}")
    computed = [(ed.name, comp) for ed in result.entities.values() for comp in ed.computed]
    result.design_md = render_design_md(svc=result.service, auth=result.auth, operations=result.operations,
                                        entities=result.entities, computed=computed, tables=result.tables,
                                        decisions=result.decisions, erd_mermaid=result.erd_mermaid,
                                        contract=contract_source)


def design(bp: Blueprint) -> Design:
    """Resolve a validated blueprint into a Design; BlueprintError if routes clash or, in contract mode,
    when any contract operation is unbound or a binding does not fit the contract."""
    if bp.service.contract is not None:
        return _contract_design(bp)
    if bp.bindings:
        raise _located([("bindings need a contract", "bindings", "service.contract: <OpenAPI file>",
                         "add service.contract, or remove bindings")], "blueprint problem")
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
    result.service.max_body_bytes = body_limit(result.openapi)
    result.templates = _templates(bp, operations, result.entities)
    add_wire(result)
    _render(result, bp)
    return result


def _templates(bp: Blueprint, operations: list[OperationDesign],
               entities: dict[str, EntityDesign]) -> dict[str, str]:
    """The text of each template a blueprint-first operation names (``templates/<file>`` beside the blueprint)."""
    issues: list[tuple[str, str, str | None, str | None]] = []
    texts: dict[str, str] = {}
    for op in operations:
        if not op.template:
            continue
        origin = f"entities.{op.entity}.api.operations.{op.name}.template"
        file = bp.base_dir / "templates" / op.template
        if op.kind not in ("get", "list"):
            issues.append((f"{op.name} cannot answer a rendered template", origin, "template on a get or a list",
                           "move template: to the entity's get (the page of one row) or list (a page of rows)"))
        elif not file.is_file():
            sees = "the rows as `rows`" if op.kind == "list" else "the row as `row`"
            issues.append((f"template file not found: {file}", origin, "a Jinja2 file in templates/ beside the "
                           "blueprint", f"create templates/{op.template} (it sees {sees})"))
        else:
            texts[op.template] = file.read_text(encoding="utf-8")
            for problem in check_page_template(texts[op.template], page_values(entities[op.entity], op.view),
                                               list_page=op.kind == "list"):
                issues.append((f"templates/{op.template}:{problem.line}: {problem.message}", origin,
                               problem.expected, problem.hint))
    if issues:
        raise _located(issues, "template problem(s)")
    return dict(sorted(texts.items()))


__all__ = ["design", "error_schema"]
