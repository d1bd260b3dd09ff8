"""Each language construct and what the design makes of it, on one small blueprint."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from backend_agent.blueprint import parse_blueprint
from backend_agent.design import Design, design
from tests.design.conftest import apply_postgresql

TEXT = """
service:
  name: clinic
  base_path: /api
  cors_origins: ["https://app.example.com"]
  rate_limit: 100/minute
  cache_ttl: 15
  pagination: {style: offset, default_limit: 10, max_limit: 50}
auth:
  user_entity: Account
  identity: [email, login]
  password_policy: {min_length: 12, max_length: 64, require_digit: true}
  tokens: {refresh: true, access_ttl_minutes: 5, algorithm: HS512}
  roles: [patient, doctor, admin]
  default_role: patient
  operations:
    register: {message: Welcome}
entities:
  Account:
    options: {id_type: uuid}
    fields:
      email: {type: email, required: true, unique: true}
      login: {type: string, required: true, unique: true, max_length: 30}
      password: {type: string, required: true, secret: true}
  Doctor:
    options: {soft_delete: true}
    lookup: slug
    fields:
      name: {type: string, required: true, max_length: 80}
      slug: {type: string, required: true, unique: true, read_only: true, derive: {from: name, transform: slug}}
      fee: {type: "decimal(8,2)", min: 0, max: 1000}
      rating: {type: float, min: 0, max: 5}
      visits: {type: bigint, required: true, default: 0}
      bio: {type: text, max_length: 500}
      photo: {type: bytes}
      opens: {type: time}
      since: {type: date}
      tags: {type: json}
      active: {type: bool, required: true, default: true}
      code: {type: uuid, index: true, index_reason: looked up by partner systems}
    relations:
      account: {kind: one_to_one, target: Account, on_delete: cascade, inverse: doctor_profile, request: none}
      specialties: {kind: many_to_many, target: Specialty, request: id, response: {as: object, fields: [title]}}
    api:
      visible_if: [{field: active, op: eq, value: true}]
      search: [name, bio]
      sort: [name, fee]
      operations:
        list: {public: true, cache_ttl: 60}
        get: {public: true}
        create: {roles: [admin]}
        update: {roles: [admin, doctor], rate_limit: 5/minute}
        delete: {roles: [admin]}
  Specialty:
    options: {timestamps: false}
    fields:
      title: {type: string, required: true, unique: true}
  Appointment:
    owner: patient
    fields:
      starts_at: {type: datetime, required: true}
      status: {type: enum, values: [booked, done, missed], required: true, default: booked}
    relations:
      patient: {kind: many_to_one, target: Account, required: true, on_delete: cascade}
      doctor: {kind: many_to_one, target: Doctor, required: true, on_delete: restrict}
    unique_together: [[doctor, starts_at]]
    api:
      visibility: owner
      operations: [list, get, create]
    actions:
      reschedule:
        kind: custom
        handler: clinic_rules:reschedule
        input:
          starts_at: {type: datetime, required: true}
"""


@pytest.fixture(scope="module")
def clinic() -> Design:
    return design(parse_blueprint(TEXT, source="clinic.blueprint.yaml"))


def test_openapi_valid(clinic: Design) -> None:
    validate(clinic.openapi)


def test_service_cross_cutting(clinic: Design) -> None:
    svc = clinic.service
    assert svc.cors_origins == ["https://app.example.com"] and svc.rate_limit == "100/minute"
    ops = {op.operation_id: op for op in clinic.operations}
    assert ops["doctors_list"].cache_ttl == 60 and ops["doctors_get"].cache_ttl == 15
    assert ops["doctors_update"].rate_limit == "5/minute" and 429 in ops["doctors_update"].error_statuses
    assert ops["doctors_update"].auth.roles == ["admin", "doctor"]
    assert ops["doctors_list"].auth.public and not ops["appointments_list"].auth.public
    assert ops["appointments_list"].auth.owner_only  # visibility: owner
    assert {p.name for p in ops["doctors_list"].parameters} == {"limit", "offset", "sort", "q"}
    limit = next(p for p in ops["doctors_list"].parameters if p.name == "limit")
    assert limit.json_schema == {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}


def test_auth_design(clinic: Design) -> None:
    auth = clinic.auth
    assert auth is not None and auth.identity == ["email", "login"] and auth.refresh
    assert (auth.algorithm, auth.access_ttl_minutes, auth.password_min_length) == ("HS512", 5, 12)
    ops = {op.operation_id for op in clinic.operations}
    assert {"auth_register", "auth_login", "auth_me", "auth_update_me", "auth_refresh"} <= ops
    schemas = clinic.openapi["components"]["schemas"]
    assert schemas["AccountRegister"]["properties"]["password"]["minLength"] == 12
    assert schemas["AccountRegister"]["properties"]["password"]["maxLength"] == 64
    assert set(schemas["AuthRegisterResponse"]["properties"]) == {"user", "token", "refresh_token", "message"}
    assert schemas["LoginRequest"]["required"] == ["password"]  # and exactly one identity field:
    assert schemas["LoginRequest"]["oneOf"] == [{"required": ["email"]}, {"required": ["login"]}]


def test_types_in_sql_and_json(clinic: Design) -> None:
    doctors = clinic.table("doctors")
    pg = {c.name: c.sql_type["postgresql"] for c in doctors.columns}
    lite = {c.name: c.sql_type["sqlite"] for c in doctors.columns}
    assert pg["fee"] == "NUMERIC(8,2)" and pg["rating"] == "DOUBLE PRECISION" and pg["visits"] == "BIGINT"
    assert pg["photo"] == "BYTEA" and lite["photo"] == "BLOB" and pg["tags"] == "JSONB" and pg["opens"] == "TIME"
    assert pg["code"] == "UUID" and lite["code"] == "CHAR(36)" and pg["active"] == "BOOLEAN"
    assert doctors.column("active").default_sql == {"sqlite": "1", "postgresql": "TRUE"}
    props = clinic.openapi["components"]["schemas"]["Doctor"]["properties"]
    assert props["fee"]["type"] == ["string", "null"] and props["fee"]["format"] == "decimal"
    assert props["photo"]["contentEncoding"] == "base64" and props["opens"]["format"] == "time"
    assert props["specialties"]["items"]["required"] == ["id", "title"]
    accounts = clinic.table("accounts")
    assert accounts.column("id").default_sql["postgresql"] == "gen_random_uuid()"
    assert "randomblob" in accounts.column("id").default_sql["sqlite"]  # D5: never a NULL key
    assert clinic.table("doctors").column("account_id").sql_type["postgresql"] == "UUID"


def test_indexes_and_constraints(clinic: Design) -> None:
    doctors = {tuple(ix.columns): ix for ix in clinic.table("doctors").indexes}
    assert doctors[("deleted_at",)].reason.startswith("soft delete")
    assert doctors[("code",)].reason == "looked up by partner systems"
    by_kind = {(tuple(ix.columns), ix.unique): ix for ix in clinic.table("doctors").indexes}
    # one_to_one under soft delete: unique among live rows; the partial index cannot serve the FK's
    # ON DELETE checks (they must see deleted rows too), so a plain index does.
    assert by_kind[(("account_id",), True)].where == '"deleted_at" IS NULL'
    assert by_kind[(("account_id",), False)].where is None
    appts = {tuple(ix.columns): ix for ix in clinic.table("appointments").indexes}
    assert appts[("doctor_id", "starts_at")].unique
    assert ("patient_id",) in appts
    checks = {c.name for c in clinic.table("doctors").checks}
    assert {"ck_doctors_fee_min", "ck_doctors_fee_max", "ck_doctors_rating_max"} <= checks
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(clinic.ddl["sqlite"])
        conn.execute("INSERT INTO doctors (name, slug) VALUES ('A', 'a')")
        with pytest.raises(sqlite3.IntegrityError, match="ck_doctors_fee_max"):
            conn.execute("INSERT INTO doctors (name, slug, fee) VALUES ('B', 'b', 2000)")
    finally:
        conn.close()


def test_relations_resolved(clinic: Design) -> None:
    doctor = clinic.entities["Doctor"]
    account = doctor.relation("account")
    assert account.kind == "one_to_one" and account.fk_column == "account_id" and account.on_delete == "cascade"
    profile = clinic.entities["Account"].relation("doctor_profile")
    assert profile.kind == "one_to_one" and not profile.declared and profile.remote_fk_column == "account_id"
    spec = doctor.relation("specialties")
    assert spec.request_as == "id" and spec.request_json_name == "specialty_ids"
    assert clinic.openapi["components"]["schemas"]["DoctorCreate"]["properties"]["specialty_ids"]["type"] == "array"
    assert doctor.soft_delete and doctor.field("slug").derive_transform == "slug"
    assert clinic.entities["Appointment"].owner_column == "patient_id"


def test_read_visibility_rule(clinic: Design) -> None:
    rule = clinic.entities["Doctor"].visible_if
    assert [(c.column, c.op, c.value) for c in rule] == [("active", "eq", True)]
    assert "| Doctor | active eq True |" in clinic.design_md


def test_custom_operation(clinic: Design) -> None:
    op = clinic.operation("appointments_reschedule")
    assert (op.method, op.path, op.handler) == ("POST", "/api/appointments/{id}/reschedule", "clinic_rules:reschedule")
    body = clinic.openapi["components"]["schemas"]["AppointmentRescheduleInput"]
    assert body["required"] == ["starts_at"] and body["properties"]["starts_at"]["format"] == "date-time"


@pytest.mark.services
def test_postgresql_applies_uuid_soft_delete_and_one_to_one(pg_engine: sa.Engine, clinic: Design) -> None:
    assert apply_postgresql(pg_engine, clinic.ddl["postgresql"], "s_clinic") == {t.name for t in clinic.tables}


@pytest.mark.services
def test_postgresql_breaks_reference_cycles_with_alter_table(pg_engine: sa.Engine) -> None:
    text = """
service: {name: cyc}
entities:
  Department:
    fields: {name: string}
    relations:
      head: {kind: many_to_one, target: Employee}
  Employee:
    fields: {name: string}
    relations:
      department: {kind: many_to_one, target: Department}
"""
    d = design(parse_blueprint(text, source="x"))
    assert "ALTER TABLE" in d.ddl["postgresql"]
    assert apply_postgresql(pg_engine, d.ddl["postgresql"], "s_cycle") == {"departments", "employees"}
