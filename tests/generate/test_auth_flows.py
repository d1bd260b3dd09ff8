"""Logout, email verification and password reset of a generated service, over HTTP with a real SMTP server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import yaml
from aiosmtpd.controller import Controller

from backend_agent.generate import generate_service
from tests.generate.conftest import REPO_ROOT, run_project_tests
from tests.generate.platform.conftest import SECRET, Server, free_port, start_server, stop_server

PASSWORD = "Warehouse-key-2024"
NEW_PASSWORD = "Another-key-2025"


def _blueprint(tmp: Path) -> Path:
    """Inventory (logout, verify_email, password reset, a login reply with a message) with sign-up on and
    sign-in refused until the address is verified."""
    data = yaml.safe_load((REPO_ROOT / "examples" / "inventory.blueprint.yaml").read_text())
    ops = data["auth"]["operations"]
    for name in ("logout", "verify_email", "request_password_reset", "reset_password"):
        assert name in ops, f"examples/inventory.blueprint.yaml enables {name}"
    assert ops["login"]["reply"]["message"] == "Signed in"
    ops["register"] = {"reply": {"message": "Check your mail", "staff": "$user"}}
    data["auth"]["require_verified_email"] = True
    path = tmp / "inventory-verified.blueprint.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("auth_flows")
    out = tmp / "svc"
    generate_service(_blueprint(tmp), out)
    return out


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.messages if str(m["To"]) == address]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no mail to {address} in {timeout} s: {[str(m['To']) for m in self.messages]}")


def _token(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    found = re.search(r"^([\w-]{16,}\.[\w-]{16,})$", payload.decode().replace("\r\n", "\n"), re.MULTILINE)
    assert found, payload
    return found.group(1)


@pytest.fixture(scope="module")
def inbox() -> Iterator[_Inbox]:
    box = _Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def server(project: Path, inbox: _Inbox) -> Iterator[Server]:
    database = f"sqlite:///{project / 'flows.sqlite3'}"
    env = {"DATABASE_URL": database, "APP_SECRET": SECRET, "APP_ENV": "test", "PYTHONPATH": str(project)}
    migrated = subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=project, env=env,
                              capture_output=True, text=True, timeout=120, check=False)
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    started = start_server(project, {"DATABASE_URL": database, "SMTP_HOST": "127.0.0.1",
                                     "SMTP_PORT": str(inbox.port),  # type: ignore[attr-defined]
                                     "RATE_LIMIT_ENABLED": "false"}, "flows")
    yield started
    stop_server(started)


def _login(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_design_declares_the_flows(project: Path) -> None:
    design = json.loads((project / "design" / "design.json").read_text())
    ops = {op["kind"]: op for op in design["operations"] if op["tag"] == "auth"}
    assert {k: (ops[k]["method"], ops[k]["path"], ops[k]["status_code"]) for k in
            ("logout", "verify_email", "request_password_reset", "reset_password")} == {
        "logout": ("POST", "/api/v1/auth/logout", 204),
        "verify_email": ("POST", "/api/v1/auth/verify-email", 204),
        "request_password_reset": ("POST", "/api/v1/auth/password-reset", 202),
        "reset_password": ("POST", "/api/v1/auth/password-reset/confirm", 204),
    }
    assert ops["login"]["outcomes"]["forbidden"] == 403
    routes = (project / "app" / "api" / "auth.py").read_text()
    assert "service.auth_logout" not in (project / "app" / "api" / "staff.py").read_text()
    for name in ("auth_logout", "auth_verify_email", "auth_request_password_reset", "auth_reset_password"):
        assert f"async def {name}(" in routes


@pytest.mark.slow
def test_flows_over_http_with_a_real_smtp_server(server: Server, inbox: _Inbox) -> None:
    email = "ada@example.com"
    with server.client() as client:
        signed_up = client.post("/api/v1/auth/register",
                                json={"email": email, "full_name": "Ada", "password": PASSWORD})
        assert signed_up.status_code == 201, signed_up.text
        assert signed_up.json()["message"] == "Check your mail"
        assert signed_up.json()["staff"]["email"] == email

        refused = _login(client, email, PASSWORD)  # not verified yet
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "forbidden"

        verification = inbox.wait_for(email)[0]
        assert verification["Subject"] == "Confirm your email address"
        token = _token(verification)
        assert client.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 204
        reused = client.post("/api/v1/auth/verify-email", json={"token": token})
        assert reused.status_code == 422, reused.text  # the declared `invalid` outcome
        assert reused.json()["error"]["details"][0]["field"] == "token"

        signed_in = _login(client, email, PASSWORD)
        assert signed_in.status_code == 200, signed_in.text
        reply = signed_in.json()
        assert set(reply) == {"message", "staff", "access_token", "refresh_token", "token_type", "expires_in"}
        assert reply["message"] == "Signed in" and reply["token_type"] == "Bearer" and reply["expires_in"] == 1800
        access, refresh = reply["access_token"], reply["refresh_token"]
        me = client.get("/api/v1/users/me", headers=_bearer(access))
        assert me.status_code == 200 and me.json()["email"] == email

        # logout: the access token and the refresh tokens of its sign-in stop working
        assert client.post("/api/v1/auth/logout", headers=_bearer(access)).status_code == 204
        assert client.get("/api/v1/users/me", headers=_bearer(access)).status_code == 401
        assert client.post("/api/v1/auth/refresh", json={"refresh_token": refresh}).status_code == 401

        # a refreshed access token keeps its sign-in's family: logout still ends the whole sign-in
        second = _login(client, email, PASSWORD).json()
        rotated = client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
        assert rotated.status_code == 200, rotated.text
        claims = jwt.decode(rotated.json()["access_token"], options={"verify_signature": False})
        assert claims["role"] == "clerk" and claims["fam"]  # the role and the sign-in survive a refresh
        assert client.post("/api/v1/auth/logout", headers=_bearer(rotated.json()["access_token"])).status_code == 204
        assert client.post("/api/v1/auth/refresh",
                           json={"refresh_token": rotated.json()["refresh_token"]}).status_code == 401

        # password reset: same answer for a known and an unknown address; one mail, to the known one
        third = _login(client, email, PASSWORD).json()
        unknown = client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.com"})
        known = client.post("/api/v1/auth/password-reset", json={"email": email})
        assert unknown.status_code == known.status_code == 202
        assert unknown.content == known.content == b""
        reset_mail = inbox.wait_for(email, count=2)[1]
        assert reset_mail["Subject"] == "Reset your password"
        time.sleep(0.5)  # the outbox polls every 0.2 s: a mail to the unknown address would be here by now
        assert not [m for m in inbox.messages if str(m["To"]) == "nobody@example.com"]
        reset_token = _token(reset_mail)
        forged = reset_token.split(".")[0] + ".AAAAAAAAAAAAAAAAAAAAAAAA"
        assert client.post("/api/v1/auth/password-reset/confirm",
                           json={"token": forged, "password": NEW_PASSWORD}).status_code == 422
        assert client.post("/api/v1/auth/password-reset/confirm",
                           json={"token": token, "password": NEW_PASSWORD}).status_code == 422  # another purpose
        confirmed = client.post("/api/v1/auth/password-reset/confirm",
                                json={"token": reset_token, "password": NEW_PASSWORD})
        assert confirmed.status_code == 204, confirmed.text
        again = client.post("/api/v1/auth/password-reset/confirm",
                            json={"token": reset_token, "password": "Yet-another-key-1"})
        assert again.status_code == 422, again.text
        # every sign-in of the account ends; the new password works, the old one does not
        assert client.post("/api/v1/auth/refresh", json={"refresh_token": third["refresh_token"]}).status_code == 401
        assert _login(client, email, PASSWORD).status_code == 401
        assert _login(client, email, NEW_PASSWORD).status_code == 200
    assert "Traceback" not in server.logs()


@pytest.mark.slow
def test_generated_suite_passes_on_sqlite(project: Path) -> None:
    report = project / "coverage.json"
    result = run_project_tests(project, None, ("--cov=app", f"--cov-report=json:{report}"))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "test_auth_flows.py" in "\n".join(p.name for p in (project / "tests").iterdir())
    covered = json.loads(report.read_text())["totals"]["percent_covered"]
    assert covered >= 90.0, f"{covered:.1f} % of app/ covered"


@pytest.mark.slow
def test_generated_suite_passes_on_postgresql(project: Path, postgres_database: str) -> None:
    result = run_project_tests(project, {"TEST_DATABASE_URL": postgres_database})
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
