"""Projects as they are (issue 15, point 2): their environment, their Python, their auth conventions."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from backend_agent.gates._apiclient import find_auth_operations, sign_up
from backend_agent.gates._projectenv import (
    EnvironmentUnavailable,
    declared,
    matching_python,
    own_virtualenv,
    project_environment,
    requires_python,
)


def test_own_virtualenv_wins(tmp_path: Path) -> None:
    import venv

    venv.EnvBuilder(with_pip=False).create(tmp_path / "venv")
    python, origin = own_virtualenv(tmp_path) or ("", "")
    assert python == str(tmp_path / "venv" / "bin" / "python") and origin == "the project's venv"
    assert project_environment(tmp_path).python == python


def test_our_interpreter_is_used_only_when_it_has_every_dependency(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("httpx\npydantic>=2\n")
    env = project_environment(tmp_path)
    assert env.python == sys.executable and "has every declared dependency" in env.origin


def test_poetry_lock_pins_and_python_constraint(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "svc"\n[tool.poetry.dependencies]\npython = "^3.9"\nfastapi = "^0.79"\n'
    )
    (tmp_path / "poetry.lock").write_text(
        '[[package]]\nname = "fastapi"\nversion = "0.79.1"\n\n[[package]]\nname = "svc"\nversion = "0.0.0"\n\n'
        '[[package]]\nname = "colorama"\nversion = "0.4.5"\nmarkers = "sys_platform == \\"win32\\""\n'
    )
    decl = declared(tmp_path)
    assert decl.requirements == ("fastapi==0.79.1", 'colorama==0.4.5 ; sys_platform == "win32"')
    assert decl.sources == (tmp_path / "poetry.lock",)
    assert requires_python(tmp_path) == ">=3.9,<4"


def test_requirements_files_and_pyproject_extras(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nrequires-python = ">=3.10"\ndependencies = ["fastapi"]\n'
        '[project.optional-dependencies]\ntest = ["pytest"]\n'
    )
    assert declared(tmp_path).requirements == ("fastapi", "pytest")
    (tmp_path / "requirements-dev.txt").write_text("pytest\n")
    assert declared(tmp_path).requirement_files == (tmp_path / "requirements-dev.txt",)


def test_a_python_nobody_installed_is_named_with_the_fix() -> None:
    with pytest.raises(EnvironmentUnavailable) as caught:
        matching_python(">=3.99")
    assert "needs Python >=3.99" in caught.value.message and "found" in caught.value.message
    assert caught.value.hint is not None and "python =" in caught.value.hint


# --- auth as real APIs do it --------------------------------------------------------------------

REALWORLD = {
    "openapi": "3.0.2",
    "paths": {
        "/api/users": {"post": {"operationId": "auth:register", "requestBody": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Register"}}}}}},
        "/api/users/login": {"post": {"operationId": "auth:login", "requestBody": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Login"}}}}}},
        "/api/user": {"get": {"security": [{"RWAPIKeyHeader": []}]}},
    },
    "components": {
        "schemas": {
            "Register": {"type": "object", "properties": {"user": {"$ref": "#/components/schemas/NewUser"}}},
            "NewUser": {"type": "object", "properties": {"email": {"type": "string"}, "password": {"type": "string"},
                                                         "username": {"type": "string"}}},
            "Login": {"type": "object", "properties": {"user": {"$ref": "#/components/schemas/Creds"}}},
            "Creds": {"type": "object", "properties": {"email": {"type": "string"}, "password": {"type": "string"}}},
        },
        "securitySchemes": {"RWAPIKeyHeader": {"type": "apiKey", "in": "header", "name": "Authorization"}},
    },
}


def test_wrapped_bodies_and_the_token_scheme_are_detected() -> None:
    seen: list[tuple[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        import json

        if request.method == "POST":
            body = json.loads(request.content)
            seen.append((request.url.path, body))
            assert set(body) == {"user"} and "password" in body["user"]
            return httpx.Response(200, json={"user": {"email": body["user"]["email"], "token": "jwt-1"}})
        ok = request.headers.get("Authorization") == "Token jwt-1"
        return httpx.Response(200 if ok else 403)

    client = httpx.Client(transport=httpx.MockTransport(handler), base_url="http://svc")
    auth = find_auth_operations(REALWORLD)
    assert auth.register is not None and auth.register.path == "/api/users"
    assert auth.login is not None and auth.login.path == "/api/users/login"
    user = sign_up(client, REALWORLD)
    assert user.headers == {"Authorization": "Token jwt-1"}
    assert [path for path, _ in seen] == ["/api/users", "/api/users/login"]
    login_body = seen[1][1]
    assert isinstance(login_body, dict) and login_body["user"]["email"] == user.email
    configured = sign_up(client, REALWORLD, config={"scheme": "Token"})
    assert configured.headers == {"Authorization": "Token jwt-1"}


def test_form_login_like_oauth2_password_request_form() -> None:
    doc = {
        "openapi": "3.1.0",
        "paths": {
            "/api/v1/users/signup": {"post": {"requestBody": {"content": {"application/json": {"schema": {
                "type": "object", "properties": {"email": {"type": "string"}, "password": {"type": "string"}}}}}}}},
            "/api/v1/login/access-token": {"post": {"requestBody": {"content": {
                "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
                    "username": {"type": "string"}, "password": {"type": "string"}}}}}}}},
        },
        "components": {"securitySchemes": {"OAuth2PasswordBearer": {"type": "oauth2", "flows": {}}}},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("access-token"):
            assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
            assert b"username=" in request.content and b"%40example.com" in request.content
            return httpx.Response(200, json={"access_token": "t", "token_type": "bearer"})
        return httpx.Response(200, json={"id": 1})

    user = sign_up(httpx.Client(transport=httpx.MockTransport(handler), base_url="http://svc"), doc)
    assert user.headers == {"Authorization": "Bearer t"}


def test_a_token_command_signs_in_where_the_api_has_no_login(tmp_path: Path) -> None:
    import sys

    from backend_agent.gates._apiclient import AuthSetupError
    from backend_agent.gates._proc import ProcResult, run_process

    doc = {"openapi": "3.1.0", "paths": {"/items": {"post": {"security": [{"key": []}]}}},
           "components": {"securitySchemes": {"key": {"type": "http", "scheme": "bearer"}}}}
    client = httpx.Client(transport=httpx.MockTransport(lambda _: httpx.Response(500)), base_url="http://svc")

    def run(command: list[str]) -> ProcResult:
        python = [sys.executable if part == "{python}" else part for part in command]
        return run_process(python, cwd=tmp_path, timeout_s=30)

    script = "import sys; print('minting for', sys.argv[1]); print('tok-' + sys.argv[1].split('@')[0])"
    config = {"token_command": ["{python}", "-c", script, "{email}"]}
    user = sign_up(client, doc, config=config, name="owner", run=run)
    assert user.headers == {"Authorization": f"Bearer tok-{user.username}"}  # the last line printed

    with pytest.raises(AuthSetupError, match="exited with 3"):
        sign_up(client, doc, config={"token_command": ["{python}", "-c", "raise SystemExit(3)"]},
                run=run)
    with pytest.raises(AuthSetupError, match="runs no project commands"):
        sign_up(client, doc, config=config)


def test_seeding_never_posts_a_logout_or_a_password_reset() -> None:
    from backend_agent.gates._apiclient import creatable

    doc = {"openapi": "3.1.0", "paths": {path: {"post": {"operationId": op_id}} for path, op_id in (
        ("/auth/login", "login"), ("/auth/logout", "logout"), ("/auth/refresh", "refresh"),
        ("/auth/password-reset", "request_password_reset"), ("/auth/verify-email", "verify_email"),
        ("/products", "products_create"), ("/products/{sku}/movements", "movements_create"))}}
    paths = [op.path for op in creatable(doc, find_auth_operations(doc))]
    assert paths == ["/products", "/products/{sku}/movements"]  # parents first


def test_a_row_without_an_id_is_addressed_by_the_key_its_item_path_names() -> None:
    from backend_agent.gates._apiclient import row_key

    doc = {"paths": {"/links": {}, "/links/{code}": {}, "/links/{code}/clicks": {}, "/cards.issue": {}}}
    assert row_key(doc, "/links", {"code": "x7Kp", "target": "https://example.com"}) == "x7Kp"
    assert row_key(doc, "/links", {"id": 7, "code": "x7Kp"}) == 7  # an id wins
    assert row_key(doc, "/cards.issue", {"number": "4111111111111111"}) is None  # no item path names it
    assert row_key(doc, "/links", {"code": None}) is None and row_key(doc, "/links", ["x"]) is None
