"""examples/secrets (a value encrypted at rest, a generated uuid version, an after-delete hook, a closed
request object, `{message}` errors) and examples/invitations (a generated URL-safe code, accept/decline
transitions answering 409 from the wrong state, `{data}` envelopes, `{error: {code, message}}`)
generated and served."""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend_agent.generate import generate_service
from tests.generate.conftest import run_project_tests
from tests.generate.contract.conftest import (
    REPO_ROOT,
    RunningService,
    assert_serves_its_contract,
    assert_wire,
    running_example,
    service_env,
    start_service,
)

KEY = "5f" * 32  # 32 bytes as 64 hex characters: SECRETS_ENCRYPTION_KEY of the running service
PLAINTEXT = "hunter2-db-password-never-logged"


@pytest.fixture(scope="module")
def secret_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    root = tmp_path_factory.mktemp("contract-secrets")
    result = generate_service(REPO_ROOT / "examples" / "secrets" / "secrets.blueprint.yaml", root / "service")
    design = json.loads((result.out_dir / "design/design.json").read_text())
    env = {**service_env(root), "SECRETS_ENCRYPTION_KEY": KEY, "LOG_LEVEL": "INFO"}
    for url in start_service(result.out_dir, root, env):
        yield RunningService(result.out_dir, url, design, env)


@pytest.fixture(scope="module")
def invitations(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    yield from running_example("invitations", tmp_path_factory)


def _token(service: RunningService, table: str, identity: str, value: str) -> str:
    """A caller row written directly (the contracts have no sign-up) and a token from the service's own code."""
    return service.run_python(
        "from sqlalchemy import insert\n"
        "from app.core.database import engine\n"
        "from app.core.security import create_access_token, hash_password\n"
        "from app.core.http import utcnow\n"
        f"from app.models.tables import {table}\n"
        "with engine.begin() as conn:\n"
        "    now = utcnow()\n"
        f"    row = conn.execute(insert({table}).values({identity}={value!r}, password_hash=hash_password('x' * 12),"
        " created_at=now, updated_at=now)).inserted_primary_key\n"
        "print(create_access_token(row[0]))\n")


def _database(service: RunningService) -> Path:
    return Path(service.env["DATABASE_URL"].removeprefix("sqlite:///"))


def _log(service: RunningService) -> str:
    return (_database(service).parent / "uvicorn.log").read_text()


# -- secrets ----------------------------------------------------------------------------------------


def test_secrets_serves_its_contract(secret_store: RunningService) -> None:
    assert_serves_its_contract(secret_store)


def test_secrets_every_operation_and_status(secret_store: RunningService) -> None:
    s = secret_store
    headers = {"Authorization": f"Bearer {_token(s, 'pipelines', 'name', 'deploy-main')}"}
    with httpx.Client(base_url=f"{s.base_url}/v1", headers=headers) as client:
        info = assert_wire(s, "putSecret", client.post("/secrets", json={"name": "DB_PASSWORD", "value": PLAINTEXT}),
                           201)
        assert info["name"] == "DB_PASSWORD" and "value" not in info
        assert uuid.UUID(info["version"]).version == 4
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", info["storedAt"])
        assert_wire(s, "putSecret", client.post("/secrets", json={"name": "DB_PASSWORD", "value": "again"}), 409)
        assert_wire(s, "putSecret", client.post("/secrets", json={"name": "lower", "value": "x"}), 400)
        assert_wire(s, "putSecret", client.post("/secrets", json={"name": "TOO_LONG", "value": PLAINTEXT * 200}), 400)
        # the version is made by the service: the closed request object refuses a client's
        sent = client.post("/secrets", json={"name": "MINE", "value": "v", "version": str(uuid.uuid4())})
        assert_wire(s, "putSecret", sent, 400)
        assert_wire(s, "putSecret", httpx.post(f"{s.base_url}/v1/secrets", json={"name": "X_Y", "value": "v"}), 401)

        listed = assert_wire(s, "listSecrets", client.get("/secrets"), 200)
        assert [item["name"] for item in listed] == ["DB_PASSWORD"] and PLAINTEXT not in json.dumps(listed)
        assert_wire(s, "listSecrets", httpx.get(f"{s.base_url}/v1/secrets"), 401)

        revealed = assert_wire(s, "revealSecret", client.get("/secrets/DB_PASSWORD"), 200)
        assert revealed == {"name": "DB_PASSWORD", "value": PLAINTEXT, "version": info["version"]}
        assert_wire(s, "revealSecret", client.get("/secrets/NO_SUCH"), 404)
        assert_wire(s, "revealSecret", httpx.get(f"{s.base_url}/v1/secrets/DB_PASSWORD"), 401)

        assert_wire(s, "deleteSecret", httpx.delete(f"{s.base_url}/v1/secrets/DB_PASSWORD"), 401)
        stranger = {"Authorization": f"Bearer {_token(s, 'pipelines', 'name', 'deploy-other')}"}
        assert_wire(s, "deleteSecret", client.delete("/secrets/DB_PASSWORD", headers=stranger), 403)
        assert_wire(s, "deleteSecret", client.delete("/secrets/DB_PASSWORD"), 204)
        assert_wire(s, "deleteSecret", client.delete("/secrets/DB_PASSWORD"), 404)
        assert_wire(s, "revealSecret", client.get("/secrets/DB_PASSWORD"), 404)
    # the after-delete hook (examples/secrets/secrets_rules/audit.py) ran with the caller's row
    assert "secret DB_PASSWORD deleted by deploy-main" in _log(s)


def test_values_are_encrypted_at_rest_and_never_logged(secret_store: RunningService) -> None:
    s = secret_store
    headers = {"Authorization": f"Bearer {_token(s, 'pipelines', 'name', 'deploy-at-rest')}"}
    for name in ("AT_REST_ONE", "AT_REST_TWO"):
        response = httpx.post(f"{s.base_url}/v1/secrets", json={"name": name, "value": PLAINTEXT}, headers=headers)
        assert_wire(s, "putSecret", response, 201)
    with sqlite3.connect(_database(s)) as db:
        stored = dict(db.execute("SELECT name, value FROM secrets WHERE name LIKE 'AT_REST_%'").fetchall())
        dump = "\n".join(db.iterdump())
    assert set(stored) == {"AT_REST_ONE", "AT_REST_TWO"}
    assert PLAINTEXT not in dump
    one, two = stored["AT_REST_ONE"], stored["AT_REST_TWO"]
    assert one != two  # a fresh nonce per value
    raw = base64.urlsafe_b64decode(one)
    assert len(raw) == 12 + len(PLAINTEXT) + 16  # nonce || ciphertext || tag
    revealed = httpx.get(f"{s.base_url}/v1/secrets/AT_REST_ONE", headers=headers)
    assert assert_wire(s, "revealSecret", revealed, 200)["value"] == PLAINTEXT
    # a 409 (same name) and a 400 (too long) carry the value too: neither reaches the log
    assert_wire(s, "putSecret", httpx.post(f"{s.base_url}/v1/secrets", headers=headers,
                                           json={"name": "AT_REST_ONE", "value": PLAINTEXT}), 409)
    assert_wire(s, "putSecret", httpx.post(f"{s.base_url}/v1/secrets", headers=headers,
                                           json={"name": "AT_REST_BIG", "value": PLAINTEXT * 200}), 400)
    log = _log(s)
    assert '"path": "/v1/secrets/AT_REST_ONE"' in log or "/v1/secrets/AT_REST_ONE" in log  # requests are logged
    assert PLAINTEXT not in log


def test_a_wrong_key_does_not_decrypt(secret_store: RunningService) -> None:
    s = secret_store
    headers = {"Authorization": f"Bearer {_token(s, 'pipelines', 'name', 'deploy-keys')}"}
    created = httpx.post(f"{s.base_url}/v1/secrets", json={"name": "KEYED", "value": PLAINTEXT}, headers=headers)
    assert_wire(s, "putSecret", created, 201)
    with sqlite3.connect(_database(s)) as db:
        (stored,) = db.execute("SELECT value FROM secrets WHERE name = 'KEYED'").fetchone()
    script = ("from app.core.crypto import DecryptionError, decrypt\n"
              "try:\n"
              f"    print(decrypt({stored!r}, 'secrets.value'))\n"
              "except DecryptionError as exc:\n"
              "    print('refused:', exc)\n")
    assert s.run_python(script) == PLAINTEXT
    other = RunningService(s.project, s.base_url, s.design, {**s.env, "SECRETS_ENCRYPTION_KEY": "a0" * 32})
    refused = other.run_python(script)
    assert refused.startswith("refused: a value of secrets.value cannot be decrypted") and PLAINTEXT not in refused
    # bound to its column: the same ciphertext read as another column does not open either
    moved = s.run_python(script.replace("'secrets.value'", "'secrets.name'"))
    assert moved.startswith("refused:")


@pytest.mark.parametrize(("key", "expected"), [
    (None, "SECRETS_ENCRYPTION_KEY is not set"),
    ("too-short", "SECRETS_ENCRYPTION_KEY"),
    (base64.urlsafe_b64encode(b"k" * 16).decode(), "holds 16 bytes"),  # an AES-128 key
])
def test_the_service_refuses_to_start_without_a_proper_key(secret_store: RunningService, key: str | None,
                                                            expected: str) -> None:
    env = {k: v for k, v in secret_store.env.items() if k != "SECRETS_ENCRYPTION_KEY"}
    if key is not None:
        env["SECRETS_ENCRYPTION_KEY"] = key
    done = subprocess.run([sys.executable, "-c", "import app.main"], cwd=secret_store.project, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "ValidationError" in done.stderr and expected in done.stderr
    assert env["APP_SECRET"] not in done.stderr and (key is None or key not in done.stderr)  # no settings echoed
    development = subprocess.run([sys.executable, "-c", "import app.main"], cwd=secret_store.project,
                                 env={**env, "APP_ENV": "development"}, capture_output=True, text=True, timeout=60,
                                 check=False)
    assert development.returncode == (0 if key is None else 1), development.stderr[-2000:]


def test_a_raising_hook_rolls_the_delete_back(secret_store: RunningService) -> None:
    s = secret_store
    token = _token(s, "pipelines", "name", "deploy-rollback")
    headers = {"Authorization": f"Bearer {token}"}
    assert_wire(s, "putSecret", httpx.post(f"{s.base_url}/v1/secrets", json={"name": "KEPT", "value": "v"},
                                           headers=headers), 201)
    outcome = s.run_python(
        "from app.core.database import _write\n"
        "from app.core.security import decode_access_token\n"
        "from app.custom.secrets_rules import audit\n"
        "from app.services import secret\n"
        "def refuse(ctx, row):\n"
        "    raise RuntimeError(f'audit store down, {row.name} kept')\n"
        "audit.forget = refuse\n"
        "try:\n"
        f"    _write(secret.delete_secret, decode_access_token({token!r}), 'KEPT')\n"
        "except RuntimeError as exc:\n"
        "    print(exc)\n")
    assert outcome == "audit store down, KEPT kept"
    kept = httpx.get(f"{s.base_url}/v1/secrets/KEPT", headers=headers)
    assert assert_wire(s, "revealSecret", kept, 200)["value"] == "v"


# -- invitations ------------------------------------------------------------------------------------


def test_invitations_serves_its_contract(invitations: RunningService) -> None:
    assert_serves_its_contract(invitations)


def test_invitations_codes_and_transitions(invitations: RunningService) -> None:
    s = invitations
    headers = {"Authorization": f"Bearer {_token(s, 'members', 'email', 'owner@example.com')}"}
    with httpx.Client(base_url=f"{s.base_url}/v1") as client:
        sent = client.post("/invitations", json={"email": "ann@example.com", "code": "chosen-by-me"}, headers=headers)
        ann = assert_wire(s, "sendInvitation", sent, 201)["data"]
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", ann["code"]) and ann["code"] != "chosen-by-me"
        assert ann["status"] == "pending" and ann["role"] == "member" and ann["answeredAt"] is None
        assert ann["createdAt"].endswith("Z")
        bob = assert_wire(s, "sendInvitation", client.post(
            "/invitations", json={"email": "bob@example.com", "role": "admin"}, headers=headers), 201)["data"]
        assert bob["code"] != ann["code"]
        assert_wire(s, "sendInvitation", client.post("/invitations", json={"email": "ann@example.com"},
                                                     headers=headers), 409)
        assert_wire(s, "sendInvitation", client.post("/invitations", json={"email": "not-an-email"},
                                                     headers=headers), 400)
        assert_wire(s, "sendInvitation", client.post("/invitations", json={"email": "c@example.com"}), 401)

        accepted = assert_wire(s, "acceptInvitation", client.post(f"/invitations/{ann['code']}/accept"), 200)["data"]
        assert accepted["status"] == "accepted" and accepted["answeredAt"].endswith("Z")
        again = assert_wire(s, "acceptInvitation", client.post(f"/invitations/{ann['code']}/accept"), 409)
        assert again["error"]["message"]
        assert_wire(s, "declineInvitation", client.post(f"/invitations/{ann['code']}/decline"), 409)
        assert_wire(s, "acceptInvitation", client.post("/invitations/no-such-code/accept"), 404)
        assert_wire(s, "declineInvitation", client.post("/invitations/no-such-code/decline"), 404)
        declined = assert_wire(s, "declineInvitation", client.post(f"/invitations/{bob['code']}/decline"), 200)
        assert declined["data"]["status"] == "declined"

        mine = assert_wire(s, "listInvitations", client.get("/invitations", headers=headers), 200)["data"]
        assert sorted(i["status"] for i in mine) == ["accepted", "declined"]
        pending = client.get("/invitations", params={"status": "pending"}, headers=headers)
        assert assert_wire(s, "listInvitations", pending, 200)["data"] == []
        lost = client.get("/invitations", params={"status": "lost"}, headers=headers)
        assert_wire(s, "listInvitations", lost, 400)  # the contract declares 400 for a bad filter
        assert_wire(s, "listInvitations", client.get("/invitations"), 401)
        other = {"Authorization": f"Bearer {_token(s, 'members', 'email', 'other@example.com')}"}
        assert assert_wire(s, "listInvitations", client.get("/invitations", headers=other), 200)["data"] == []


# -- the generated projects' own suites -------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", ["secrets", "invitations"])
def test_the_generated_suites_pass_on_sqlite_and_postgresql(name: str, tmp_path: Path,
                                                            postgres_database: str) -> None:
    result = generate_service(REPO_ROOT / "examples" / name / f"{name}.blueprint.yaml", tmp_path / name)
    assert result.stubs == []  # the secrets' audit hook is the example's own secrets_rules/audit.py
    for extra in ({}, {"TEST_DATABASE_URL": postgres_database}):
        done = run_project_tests(result.out_dir, extra)
        assert done.returncode == 0, f"{name} {extra}: {done.stdout[-4000:]}{done.stderr[-2000:]}"
        assert re.search(r"\b\d+ passed", done.stdout) and " failed" not in done.stdout


# -- the same constructs in a blueprint-first service -----------------------------------------------

VAULT = """
service:
  name: vault
entities:
  Note:
    fields:
      title: {type: string, required: true, max_length: 80}
      body: {type: text, required: true, encrypted: true}
      ref: {type: string, required: true, max_length: 64, generate: token}
      stamp: {type: uuid, required: true, generate: uuid}
      seen_on: {type: date, required: true, generate: now}
      noted_at: {type: datetime, required: true, generate: now}
    hooks:
      after_create: "vault_rules:noted"
    api:
      operations: {list: {}, get: {}, create: {}}
"""
VAULT_RULES = '''
import logging

from app.custom.context import ActionContext, ActionError

log = logging.getLogger("vault.rules")


def noted(ctx: ActionContext, row: object) -> None:
    if getattr(row, "title", "") == "refused":
        raise ActionError(409, "notes titled 'refused' are refused")
    log.info("noted %s ref=%s", getattr(row, "title", "?"), getattr(row, "ref", "?"))
'''


def test_blueprint_first_generated_values_encryption_and_hooks(tmp_path: Path) -> None:
    blueprint = tmp_path / "vault.blueprint.yaml"
    blueprint.write_text(VAULT)
    stubbed = generate_service(blueprint, tmp_path / "stubbed")
    assert stubbed.stubs == ["app/custom/vault_rules.py:noted"]  # a missing hook module: a stub, listed
    assert "does nothing" in (stubbed.out_dir / "app/custom/vault_rules.py").read_text()

    (tmp_path / "vault_rules.py").write_text(VAULT_RULES)
    result = generate_service(blueprint, tmp_path / "service")
    assert result.stubs == [] and (result.out_dir / "app/custom/vault_rules.py").read_text() == VAULT_RULES
    design = json.loads((result.out_dir / "design/design.json").read_text())
    env = {**service_env(tmp_path), "VAULT_ENCRYPTION_KEY": KEY}
    for url in start_service(result.out_dir, tmp_path, env):
        created = httpx.post(f"{url}/notes", json={"title": "first", "body": PLAINTEXT})
        assert created.status_code == 201, created.text
        note = created.json()
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", note["ref"]) and uuid.UUID(note["stamp"]).version == 4
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", note["seen_on"])
        assert note["noted_at"].endswith("Z") and note["noted_at"][:10] == note["seen_on"]
        assert "body" not in note  # no view names the encrypted field
        # generated fields are never accepted: the request object is closed
        sent = httpx.post(f"{url}/notes", json={"title": "mine", "body": "b", "ref": "chosen"})
        assert sent.status_code == 422, sent.text
        refused = httpx.post(f"{url}/notes", json={"title": "refused", "body": PLAINTEXT})
        assert refused.status_code == 409 and "refused" in refused.text  # the hook's ActionError
        listed = httpx.get(f"{url}/notes").json()
        titles = [n["title"] for n in listed[next(k for k in listed if isinstance(listed[k], list))]]
        assert titles == ["first"]  # the refused create was rolled back
    with sqlite3.connect(tmp_path / "service.sqlite3") as db:
        stored = db.execute("SELECT body FROM notes").fetchall()
    assert len(stored) == 1 and PLAINTEXT not in stored[0][0]
    log = (tmp_path / "uvicorn.log").read_text()
    assert f"noted first ref={note['ref']}" in log and PLAINTEXT not in log
    assert design["service"]["encryption_key_env"] == "VAULT_ENCRYPTION_KEY"
