"""Options the generated pyproject.toml gives `backend-agent check` that follow from the design."""

from __future__ import annotations

from math import ceil
from typing import Any

# Outcomes that refuse a well-formed request for a business reason (the row is taken, absent, someone
# else's, the caller may not, too many tries); "invalid" is the schema's own refusal and stays out.
BUSINESS_OUTCOMES = ("conflict", "not_found", "forbidden", "unauthorized", "rate_limited")
# Statuses schemathesis already counts as accepting a schema-valid request (positive_data_acceptance).
ACCEPTED_BY_DEFAULT = frozenset({401, 403, 404, 409, 429})
# Operations taking a single-use token the service mailed: a fuzzer's token is never one of them.
MAILED_TOKEN_KINDS = ("verify_email", "reset_password")
# The contract gate's examples per operation, and the fewest cases a generated service is fuzzed with.
GATE_DEFAULT_EXAMPLES = 25
MIN_FUZZ_CASES = 1000
# What app/core/idempotency.py answers when a key comes back with a different request.
IDEMPOTENCY_KEY_REUSED = 422


def contract_max_examples(design: dict[str, Any]) -> int:
    """Examples per operation that give the contract gate at least MIN_FUZZ_CASES examples in all.

    The gate's default suits a large API; a service of four operations would be fuzzed with a few
    hundred cases. Schemathesis drops duplicate cases and stops early on an operation whose inputs
    it has exhausted, so this asks for twice as many examples as cases are needed (measured: 250 per
    operation gave a four-operation login service 856 cases; 500 gave 1,606)."""
    operations = max(1, len(design.get("operations", [])))
    return max(GATE_DEFAULT_EXAMPLES, ceil(2 * MIN_FUZZ_CASES / operations))


def contract_accept_statuses(design: dict[str, Any]) -> dict[str, list[int]]:
    """operationId -> the 4xx statuses its business outcomes answer with beyond schemathesis's defaults.

    A design may answer a uniqueness conflict with 422 (RealWorld) or an unknown card with 400; those
    answer schema-valid requests, so the contract gate's positive_data_acceptance check must accept
    them, for those operations only.
    """
    accept: dict[str, list[int]] = {}
    for op in design.get("operations", []):
        # blueprint-first designs keep outcome -> status; contract-first ones the contract's wire responses
        pairs = [*(op.get("outcomes") or {}).items(),
                 *((r.get("outcome"), r.get("status")) for r in (op.get("wire") or {}).get("responses", []))]
        refusals = {int(status) for outcome, status in pairs
                    if outcome in BUSINESS_OUTCOMES and status and 400 <= int(status) < 500}
        if op.get("idempotent"):
            refusals.add(IDEMPOTENCY_KEY_REUSED)  # a fuzzer sends one key with many bodies
        # the contract's invalid status where it has one (wire), else the design's
        invalid = {int(r["status"]) for r in (op.get("wire") or {}).get("responses", [])
                   if r.get("outcome") == "invalid" and r.get("status")}
        invalid = invalid or {int(s) for s in [(op.get("outcomes") or {}).get("invalid")] if s}
        if _names_rows_in_its_body(design, op) or _takes_a_cursor(design, op) or op.get("kind") in MAILED_TOKEN_KINDS:
            refusals |= invalid  # "unknown item", a cursor or a mailed token this service never issued
        codes = sorted(refusals - ACCEPTED_BY_DEFAULT)
        if codes and op.get("operation_id"):
            accept[op["operation_id"]] = codes
    return accept


def contract_disabled_checks(design: dict[str, Any]) -> list[str]:
    """Schemathesis checks whose premise the design breaks on purpose.

    ``ensure_resource_availability`` expects a created row to stay at the URL its POST answer points
    to. A lookup key derived from another field on every update (the RealWorld slug follows the title)
    moves the row when that field changes, and the fuzzer's next read under the old key is a 404 it
    reports as a lost resource.
    """
    moving = [entity["name"] for entity in design.get("entities", {}).values()
              for field in entity.get("fields", [])
              if field["name"] == entity.get("lookup") and field.get("derive_on_update")]
    return ["ensure_resource_availability"] if moving else []


def contract_disabled_checks_for(design: dict[str, Any]) -> dict[str, list[str]]:
    """operationId -> schemathesis checks to leave out for that operation.

    A form sends an array as its key repeated, so a one-item array and a single value are the same
    form: schemathesis's negative case "a string where the array goes" is a valid one-item array
    there, which ``negative_data_rejection`` would report as invalid data accepted.
    """
    disabled: dict[str, list[str]] = {}
    for op in design.get("operations", []):
        request = (op.get("wire") or {}).get("request") or {}
        if request.get("content_type") != "application/x-www-form-urlencoded":
            continue
        properties = (request.get("schema") or {}).get("properties") or {}
        if any(isinstance(p, dict) and "array" in _types_of(p) for p in properties.values()):
            disabled[op["operation_id"]] = ["negative_data_rejection"]
    return disabled


def _types_of(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type")
    return list(declared) if isinstance(declared, list) else [str(declared)]


_AUTH_KINDS = ("register", "login", "me", "update_me", "refresh", "logout", "verify_email",
               "request_password_reset", "reset_password")


def shared_operations(design: dict[str, Any]) -> list[str]:
    """``METHOD /path`` of the secured operations on rows no one owns (a shared catalogue), and of creates
    under rows everyone reads: any signed-in user may use them by design, so the security-probes gate's
    BOLA probe leaves them out."""
    entities = design.get("entities") or {}
    shared = []
    for op in design.get("operations", []):
        entity = entities.get(op.get("entity") or "")
        auth = op.get("auth") or {}
        if entity is not None and _under_a_public_parent(entities, entity, op):
            shared.append(f"{op['method']} {op['path']}")
            continue
        if (entity is None or op.get("kind") in _AUTH_KINDS or op.get("method") not in ("GET", "PUT", "PATCH", "DELETE")
                or auth.get("public", True) or auth.get("roles") or auth.get("owner_only")):
            continue
        owned = (entity.get("owner") or entity.get("parent") or entity.get("visible_if") or op.get("caller")
                 or op.get("scope_relation") or entity.get("visibility") == "owner")
        if not owned:
            shared.append(f"{op['method']} {op['path']}")
    return shared


def _under_a_public_parent(entities: dict[str, Any], entity: dict[str, Any], op: dict[str, Any]) -> bool:
    """A create under a row everyone may read (a reply to a thread, a comment on an article): any signed-in
    user may add one under another user's row, by design."""
    relation = next((r for r in entity.get("relations", []) if r.get("name") == entity.get("parent")), None)
    parent = entities.get(relation.get("target") or "") if relation else None
    auth = op.get("auth") or {}
    return (parent is not None and op.get("kind") == "create" and op.get("method") == "POST"
            and not auth.get("public", True) and not auth.get("roles")
            and parent.get("visibility") == "public" and not parent.get("visible_if"))


def _names_rows_in_its_body(design: dict[str, Any], op: dict[str, Any]) -> bool:
    """A create or update whose body names other rows by key (``"item": "TSHIRT-M"``): a well-formed key
    of no existing row is refused with the operation's invalid status, which a fuzzer cannot foresee."""
    if op.get("kind") not in ("create", "update"):
        return False
    entity = (design.get("entities") or {}).get(op.get("entity") or "", {})
    return any(relation.get("request_as") not in (None, "none") and not relation.get("create_missing")
               for relation in entity.get("relations", []))


def _takes_a_cursor(design: dict[str, Any], op: dict[str, Any]) -> bool:
    """A cursor-paginated list: its cursor is opaque, so a fuzzer's string is one the service never issued."""
    style = (design.get("service") or {}).get("pagination")
    return bool(op.get("paginated")) and style == "cursor"
