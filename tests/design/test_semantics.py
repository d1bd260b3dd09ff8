"""Declarative semantics: generated values, encryption at rest, aggregates, after-write hooks."""

from __future__ import annotations

import sqlite3

import pytest

from backend_agent.blueprint import parse_blueprint
from backend_agent.design import Design, design, openapi_diff, wire_openapi
from backend_agent.errors import BlueprintError

TEXT = """
service: {name: vault}
entities:
  Box:
    hooks: {after_create: "vault_rules:created", after_update: "vault_rules:changed"}
    fields:
      label: {type: string, required: true}
      token: {type: string, required: true, unique: true, generate: token, max_length: 64}
      ref: {type: uuid, required: true, generate: uuid}
      opened_at: {type: datetime, generate: now}
      pin: {type: string, encrypted: true}
    computed:
      reviews: {kind: count, relation: ratings}
      good: {kind: count, relation: ratings, where: [{field: stars, op: gte, value: 4}]}
      average: {kind: avg, relation: ratings, field: stars}
      best: {kind: max, relation: ratings, field: stars}
      total: {kind: sum, relation: ratings, field: stars}
  Rating:
    fields:
      stars: {type: int, required: true, min: 1, max: 5}
    relations:
      box: {kind: many_to_one, target: Box, required: true, inverse: ratings}
"""


@pytest.fixture(scope="module")
def vault() -> Design:
    return design(parse_blueprint(TEXT))


def test_generated_values_are_never_written_by_clients(vault: Design) -> None:
    fields = {f.name: f for f in vault.entities["Box"].fields}
    assert [(n, fields[n].generate, fields[n].in_create) for n in ("token", "ref", "opened_at")] == [
        ("token", "token", False), ("ref", "uuid", False), ("opened_at", "now", False)]
    create = vault.openapi["components"]["schemas"]["BoxCreate"]["properties"]
    assert set(create) == {"label", "pin"}
    conn = sqlite3.connect(":memory:")
    conn.executescript(vault.ddl["sqlite"])
    conn.execute("INSERT INTO boxes (label, token, created_at, updated_at) VALUES ('a', 't', '2024-01-01', "
                 "'2024-01-01')")
    ref, opened = conn.execute("SELECT ref, opened_at FROM boxes").fetchone()
    assert len(ref) == 36 and opened is not None


def test_encrypted_fields_are_opaque_and_only_shown_when_named(vault: Design) -> None:
    box = vault.entities["Box"]
    assert box.field("pin").encrypted and "pin" not in {f.name for f in box.views["default"].fields}
    assert vault.table("boxes").column("pin").sql_type == {"sqlite": "TEXT", "postgresql": "TEXT"}
    assert vault.service.encryption_key_env == "VAULT_ENCRYPTION_KEY"


def test_aggregates_are_batched_queries_that_run(vault: Design) -> None:
    computed = {c.name: c for c in vault.entities["Box"].computed}
    assert computed["average"].json_schema["type"] == ["number", "null"]
    assert computed["total"].json_schema["type"] == "integer"
    conn = sqlite3.connect(":memory:")
    conn.executescript(vault.ddl["sqlite"])
    conn.execute("INSERT INTO boxes (id, label, token, created_at, updated_at) VALUES (1, 'a', 't', '2024-01-01', "
                 "'2024-01-01')")
    for stars in (5, 4, 1):
        conn.execute("INSERT INTO ratings (stars, box_id, created_at, updated_at) VALUES (?, 1, 'x', 'x')", (stars,))
    results = {name: conn.execute(c.sql.replace(":ids", "1")).fetchone()[1] for name, c in computed.items()}
    assert results == {"reviews": 3, "good": 2, "average": pytest.approx(10 / 3), "best": 5, "total": 10}


def test_hooks_land_in_the_design(vault: Design) -> None:
    assert vault.entities["Box"].hooks == {"after_create": "vault_rules:created", "after_update": "vault_rules:changed"}


@pytest.mark.parametrize(("old", "new", "key_path", "words"), [
    ("generate: uuid}", "generate: token}", "entities.Box.fields.ref.generate", "not a uuid"),
    ("pin: {type: string, encrypted: true}", "pin: {type: string, encrypted: true, unique: true}",
     "entities.Box.fields.pin.unique", "ciphertext"),
    ("field: stars}\n      best", "field: starz}\n      best", "entities.Box.computed.average.field",
     "did you mean 'stars'"),
    ("average: {kind: avg, relation: ratings, field: stars}", "average: {kind: avg, relation: ratings}",
     "entities.Box.computed.average.field", "needs the field"),
    ('after_create: "vault_rules:created"', 'after_create: "vault rules"',
     "entities.Box.hooks.after_create", "text matching"),
    ("generate: now}", "generate: nwo}", "entities.Box.fields.opened_at.generate", "did you mean 'now'"),
])
def test_semantic_mistakes_are_located(old: str, new: str, key_path: str, words: str) -> None:
    assert old in TEXT, old
    with pytest.raises(BlueprintError) as info:
        parse_blueprint(TEXT.replace(old, new), source="vault.yaml")
    hits = [p for p in info.value.problems if p.location and p.location.key_path == key_path]
    assert hits, [str(p) for p in info.value.problems]
    text = " ".join(f"{p.message} {p.expected} {p.hint}" for p in hits)
    assert words in text and all(p.location and p.location.line for p in hits)


FLOWS = """
service: {name: flows}
auth:
  user_entity: User
  identity: [email]
  tokens: {refresh: true}
  require_verified_email: true
  operations:
    logout: {enabled: true}
    verify_email: {enabled: true}
    request_password_reset: {enabled: true, path: /auth/forgot}
    reset_password: {enabled: true}
entities:
  User:
    fields:
      email: {type: email, required: true, unique: true}
      password: {type: string, required: true, secret: true, min_length: 12}
"""


def test_auth_flows_a_product_needs() -> None:
    result = design(parse_blueprint(FLOWS))
    auth = result.auth
    assert auth is not None
    assert (auth.logout, auth.refresh_rotation, auth.email_verification, auth.password_reset,
            auth.require_verified_email, auth.email_field) == (True, True, True, True, True, "email")
    ops = {op.kind: op for op in result.operations}
    assert (ops["logout"].status_code, ops["logout"].auth.public) == (204, False)
    assert ops["request_password_reset"].path == "/auth/forgot" and ops["request_password_reset"].status_code == 202
    assert 403 in ops["login"].error_statuses  # not verified yet
    confirm = result.openapi["components"]["schemas"]["PasswordResetConfirm"]
    assert confirm["required"] == ["token", "password"] and confirm["properties"]["password"]["minLength"] == 12
    assert openapi_diff(result.openapi, wire_openapi(result)) == []


@pytest.mark.parametrize(("old", "new", "key_path"), [
    ("    reset_password: {enabled: true}\n", "", "auth.operations.reset_password"),
    ("    verify_email: {enabled: true}\n", "", "auth.require_verified_email"),
    ("email: {type: email, required: true, unique: true}", "email: {type: string, required: true, unique: true}",
     "auth.operations.verify_email"),
])
def test_auth_flow_mistakes_are_located(old: str, new: str, key_path: str) -> None:
    with pytest.raises(BlueprintError) as info:
        parse_blueprint(FLOWS.replace(old, new), source="flows.yaml")
    assert any(p.location and p.location.key_path == key_path and p.location.line for p in info.value.problems), [
        str(p) for p in info.value.problems]
