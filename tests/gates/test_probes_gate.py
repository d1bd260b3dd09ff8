"""security-probes gate: the clean project passes; BOLA, an open secured endpoint, SQL injection and a
missing rate limit each fail and are named."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest

from backend_agent.gates import Target
from backend_agent.gates._probekit import bad_tokens, decode_unverified, parse_sqlmap
from backend_agent.gates._proc import find_tool
from backend_agent.gates.probes import SecurityProbesGate
from tests.gates.projects import build, target

KEY = "service-key-for-tests-0123456789abcdef"


def _real_token() -> str:
    now = int(time.time())
    return jwt.encode({"sub": "7", "iat": now, "exp": now + 600, "typ": "access"}, KEY, algorithm="HS256")


def test_bad_tokens_are_each_rejected_for_their_own_reason() -> None:
    tokens = bad_tokens(_real_token(), service_key=KEY)
    assert set(tokens) == {"garbage-token", "expired-token", "forged-signature", "alg-none"}
    with pytest.raises(jwt.ExpiredSignatureError):  # right key, so only the expiry is wrong
        jwt.decode(tokens["expired-token"], KEY, algorithms=["HS256"])
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(tokens["forged-signature"], KEY, algorithms=["HS256"])
    header, claims = decode_unverified(tokens["alg-none"]) or ({}, {})
    assert header["alg"] == "none" and claims["sub"] == "7" and tokens["alg-none"].endswith(".")
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(tokens["alg-none"], KEY, algorithms=["HS256"])


def test_opaque_tokens_only_get_a_garbage_variant() -> None:
    assert set(bad_tokens("opaque-session-id", service_key=KEY)) == {"garbage-token"}
    assert decode_unverified("a.b") is None


def test_sqlmap_output_is_judged_by_its_text() -> None:
    found = (
        "sqlmap identified the following injection point(s) with a total of 77 HTTP(s) requests:\n---\n"
        "Parameter: name (GET)\n    Type: boolean-based blind\n---\n"
    )
    clean = "[WARNING] GET parameter 'limit' does not seem to be injectable\nall tested parameters do not appear to be injectable."
    assert parse_sqlmap(found) == (True, ["name (GET)"])
    assert parse_sqlmap(clean) == (False, [])


def test_not_applicable_without_an_app(tmp_path: Path) -> None:
    assert SecurityProbesGate().applicable(Target(root=tmp_path))


# A low credential limit makes the rate-limit burst short; the probes need 4 sign-up/sign-in calls.
QUICK_LIMIT = {"RATE_LIMIT_AUTH_PER_MINUTE": "8"}


def _run(project: Path, **probe_options: object) -> tuple[str, dict[str, set[str]]]:
    probe_options.setdefault("env", QUICK_LIMIT)
    result = SecurityProbesGate().run(target(project, **{"security-probes": probe_options}))
    if probe_options.get("sqlmap") is False:  # a part left out is said in the summary
        assert result.summary.endswith("; sqlmap skipped: disabled (sqlmap = false in the configuration)")
    by_rule: dict[str, set[str]] = {}
    for finding in result.findings:
        by_rule.setdefault(finding.rule, set()).add(finding.operation or "")
    return result.status, by_rule


@pytest.mark.slow
def test_clean_project_passes_every_probe(tmp_path: Path) -> None:
    result = SecurityProbesGate().run(target(build(tmp_path)))
    assert result.status == "pass", [f.message for f in result.findings]
    assert result.metrics["auth_requests"] > 50 and result.metrics["bola_requests"] > 10
    assert result.evidence["rate_limit"]["limited"] is True
    assert result.evidence["hsts"] == "present over (forwarded) HTTPS"
    if find_tool("sqlmap"):
        assert {entry["operation"] for entry in result.evidence["sqlmap"]} >= {
            "GET /api/tags",
            "GET /api/tasks/{task_id}",
        }


@pytest.mark.slow
def test_bola_is_found_and_named(tmp_path: Path) -> None:
    status, rules = _run(build(tmp_path, "bola"), sqlmap=False)
    assert status == "fail"
    assert rules == {"probe:bola": {"GET /api/projects/{project_id}"}}


@pytest.mark.slow
def test_secured_but_open_endpoint_is_found_with_every_bad_token(tmp_path: Path) -> None:
    status, rules = _run(build(tmp_path, "open-endpoint"), sqlmap=False)
    assert status == "fail"
    for rule in ("probe:no-token", "probe:expired-token", "probe:forged-signature", "probe:alg-none"):
        assert rules[rule] == {"GET /api/tags"}


@pytest.mark.slow
def test_sql_injection_is_confirmed_by_sqlmap(tmp_path: Path) -> None:
    if find_tool("sqlmap") is None:
        pytest.skip("sqlmap is not installed")
    status, rules = _run(build(tmp_path, "sqli"))
    assert status == "fail"
    assert rules == {"probe:sql-injection": {"GET /api/tags"}}


@pytest.mark.slow
def test_missing_rate_limit_fails(tmp_path: Path) -> None:
    status, rules = _run(
        build(tmp_path), sqlmap=False, rate_limit_burst=40, env={"RATE_LIMIT_AUTH_PER_MINUTE": "0"}
    )
    assert status == "fail"
    assert rules == {"probe:rate-limit": {"POST /api/auth/login"}}


BARE_API = """
from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/items/{item_id}")
def item(item_id: int) -> dict[str, int]:
    return {"id": item_id}
"""


@pytest.mark.slow
def test_an_api_without_headers_or_limits_fails_on_both(tmp_path: Path) -> None:
    (tmp_path / "bare.py").write_text(BARE_API)
    t = Target(
        root=tmp_path, app="bare:app", options={"security-probes": {"sqlmap": False, "rate_limit_burst": 40}}
    )
    result = SecurityProbesGate().run(t)
    assert result.status == "fail"
    rules = [f.rule for f in result.findings]
    assert rules.count("probe:headers") == 4
    assert "probe:rate-limit" in rules and "probe:hsts" in rules
    assert "no operation as secured" in result.evidence["auth"]


# -- the OpenAPI helpers the probes rely on ------------------------------------------------------

TEMPLATE_STYLE_API = """
from typing import Annotated

from fastapi import Depends, FastAPI, Form, HTTPException
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel, Field

app = FastAPI()
users: dict[str, str] = {}
bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/login/access-token")


class SignUp(BaseModel):
    email: str = Field(pattern="@")
    password: str = Field(min_length=8)
    full_name: str | None = None


@app.post("/api/v1/users/signup", status_code=201)
def signup(body: SignUp) -> dict[str, str]:
    users[body.email] = body.password
    return {"email": body.email}


@app.post("/api/v1/login/access-token")
def login(username: Annotated[str, Form()], password: Annotated[str, Form()]) -> dict[str, str]:
    if users.get(username) != password:
        raise HTTPException(status_code=400, detail="bad credentials")
    return {"access_token": "tok-" + username, "token_type": "bearer"}


@app.get("/api/v1/items/{item_id}")
def item(item_id: int, token: Annotated[str, Depends(bearer)]) -> dict[str, int]:
    return {"id": item_id}
"""


def test_sign_up_with_email_and_form_login(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from backend_agent.gates._apiclient import find_auth_operations, sign_up

    namespace: dict[str, object] = {}
    exec(compile(TEMPLATE_STYLE_API, "template_api.py", "exec"), namespace)  # a test-only app
    app = namespace["app"]
    with TestClient(app) as client:  # type: ignore[arg-type]
        doc = client.get("/openapi.json").json()
        auth = find_auth_operations(doc)
        assert auth.register is not None and auth.register.path == "/api/v1/users/signup"
        assert auth.login is not None and auth.login.path == "/api/v1/login/access-token"
        user = sign_up(client, doc)
        assert user.headers == {"Authorization": f"Bearer tok-{user.email}"}
        configured = find_auth_operations(
            doc, {"login": "POST /api/v1/login/access-token", "register": "/api/v1/users/signup"}
        )
        assert configured == auth


def test_fill_path_uses_parent_collections_then_names() -> None:
    from backend_agent.gates._openapi import fill_path

    created = {"/api/projects": 3, "/api/projects/{project_id}/tasks": 9, "/api/tags": 4}
    assert fill_path("/api/projects/{project_id}", created) == "/api/projects/3"
    assert fill_path("/api/projects/{project_id}/tasks", created) == "/api/projects/3/tasks"
    assert fill_path("/api/tasks/{task_id}/tags/{tag_id}", created) == "/api/tasks/9/tags/4"
    assert fill_path("/api/users/{user_id}", created) is None


def test_samples_respect_the_schema() -> None:
    from backend_agent.gates._openapi import sample

    doc = {"components": {"schemas": {"Status": {"type": "string", "enum": ["todo", "done"]}}}}
    schema = {
        "type": "object",
        "required": ["name", "priority", "status", "tags", "code"],
        "properties": {
            "name": {"type": "string", "minLength": 20, "maxLength": 30},
            "priority": {"type": "integer", "minimum": 3, "maximum": 5},
            "status": {"$ref": "#/components/schemas/Status"},
            "tags": {
                "type": "array",
                "minItems": 1,
                "items": {"anyOf": [{"type": "null"}, {"type": "string"}]},
            },
            "code": {"type": "string", "pattern": "^[a-z]+$"},
            "optional": {"type": "string"},
        },
    }
    value = sample(doc, schema, tag="ba12345")
    assert set(value) == {"name", "priority", "status", "tags", "code"}
    assert 20 <= len(value["name"]) <= 30 and "ba12345" in value["name"]
    assert value["priority"] == 3 and value["status"] == "todo" and value["tags"] == ["ba12345"]
    assert value["code"].isalpha() and value["code"].islower()
