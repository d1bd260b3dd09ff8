"""Secrets, tokens and mail flows of the rendered app/core: envelope error style, logout and refresh on."""

from __future__ import annotations

import hashlib
import hmac
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiosmtpd.controller import Controller

from tests.generate.platform.conftest import (
    SECRET,
    Server,
    build_project,
    conduit_design,
    envelope_design,
    free_port,
    sign_in,
)


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, _Inbox]]:
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, inbox
    controller.stop()


def _jwt_key() -> bytes:
    return hmac.new(SECRET.encode(), b"jwt", hashlib.sha256).digest()


def test_envelope_errors_logout_and_token_claims(spawn: Callable[..., Server]) -> None:
    server = spawn(envelope_design())
    with server.client() as client:
        missing = client.get("/api/me")
        assert missing.status_code == 401
        assert missing.json()["error"]["code"] == "unauthorized"
        assert missing.headers["www-authenticate"] == "Token"
        invalid = client.post("/api/verify/confirm", json={})
        assert invalid.status_code == 422
        assert invalid.json()["error"]["code"] == "validation_error"
        assert invalid.json()["error"]["details"] == [{"field": "token", "message": "Field required"}]

        auth = sign_in(client)
        token = auth["Authorization"].split()[1]
        claims = jwt.decode(token, _jwt_key(), algorithms=["HS256"], audience="conduit", issuer="conduit")
        assert {"sub", "exp", "iat", "iss", "aud", "jti", "role"} <= set(claims)
        assert claims["exp"] - claims["iat"] == 1440 * 60  # the blueprint's access_ttl_minutes
        assert client.get("/api/me", headers={"Authorization": f"token {token}"}).json() == {"id": 7, "role": "user"}

        now = datetime.now(UTC)
        forged = [
            {**claims, "aud": "another-service"},
            {**claims, "iss": "someone-else"},
            {**claims, "exp": now - timedelta(minutes=5)},
            {**claims, "typ": "refresh"},
        ]
        for payload in forged:
            bad = jwt.encode(payload, _jwt_key(), algorithm="HS256")
            assert client.get("/api/me", headers={"Authorization": f"Token {bad}"}).status_code == 401, payload
        wrong_key = jwt.encode(claims, b"k" * 32, algorithm="HS256")
        assert client.get("/api/me", headers={"Authorization": f"Token {wrong_key}"}).status_code == 401
        assert client.get("/api/me", headers={"Authorization": f"Token {jwt.encode(claims, '', algorithm='none')}"}
                          ).status_code == 401

        assert client.post("/api/logout", headers=auth).status_code == 204
        revoked = client.get("/api/me", headers=auth)
        assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]["message"]


def test_refresh_rotation_detects_reuse_and_ends_the_family(spawn: Callable[..., Server]) -> None:
    server = spawn(envelope_design())
    with server.client() as client:
        first = client.post("/api/login", json={"email": "demo@example.com", "password": "correct horse battery"})
        old = first.json()["refresh"]
        rotated = client.post("/api/refresh", json={"token": old})
        assert rotated.status_code == 200
        new = rotated.json()["refresh"]
        assert new != old
        reused = client.post("/api/refresh", json={"token": old})
        assert reused.status_code == 401 and "already used" in reused.json()["error"]["message"]
        # The thief's use of the old token also ended the legitimate new one.
        assert client.post("/api/refresh", json={"token": new}).status_code == 401
        access = first.json()["token"]
        assert client.post("/api/refresh", json={"token": access}).status_code == 401  # wrong kind of token


def test_login_throttling_locks_an_identity_after_repeated_failures(spawn: Callable[..., Server]) -> None:
    server = spawn(env={"LOGIN_MAX_FAILURES": "3"})
    good = {"email": "demo@example.com", "password": "correct horse battery"}
    with server.client() as client:
        for _ in range(3):
            assert client.post("/api/login", json={**good, "password": "nope nope"}).status_code == 401
        locked = client.post("/api/login", json=good)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0


def test_verification_mail_goes_through_the_outbox_and_the_token_works_once(
        spawn: Callable[..., Server], smtp: tuple[int, _Inbox]) -> None:
    port, inbox = smtp
    server = spawn(env={"SMTP_PORT": str(port), "MAIL_FROM": "noreply@conduit.test"})
    with server.client() as client:
        auth = sign_in(client)
        assert client.post("/api/verify/request", headers=auth).status_code == 202
        deadline = time.monotonic() + 10
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(inbox.messages) == 1
        mail = inbox.messages[0]
        assert mail["To"] == "demo@example.com" and mail["From"] == "noreply@conduit.test"
        match = re.search(r"Your code: (\S+)", mail.get_payload())
        assert match is not None
        token = match.group(1)
        nonce, signature = token.split(".")
        assert client.post("/api/verify/confirm", json={"token": f"{nonce}.{signature[:-2]}xx"}).status_code == 400
        assert client.post("/api/verify/confirm", json={"token": token}).json() == {"verified": 7}
        second = client.post("/api/verify/confirm", json={"token": token})
        assert second.status_code == 400 and second.json() == {"errors": {"token": [
            "the link is invalid or has expired; ask for a new one"]}}


def test_outbox_keeps_mail_while_smtp_is_down(spawn: Callable[..., Server]) -> None:
    port = free_port()
    server = spawn(env={"SMTP_PORT": str(port)})
    with server.client() as client:
        auth = sign_in(client)
        assert client.post("/api/verify/request", headers=auth).json() == {"queued": True, "sent": 0}
    database = Path(server.log.parent / "db.sqlite3")
    # The request's own delivery round or the background sender may hold the row: wait for the outcome.
    deadline = time.monotonic() + 10
    while True:
        with sqlite3.connect(database) as conn:
            attempts, sent_at, error = conn.execute("SELECT attempts, sent_at, last_error FROM outbox").fetchone()
        if error is not None or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert attempts >= 1 and sent_at is None and error is not None and "refused" in error.lower()


def _python(project: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(project), **env})


def test_refuses_to_start_outside_development_with_a_default_or_short_secret(tmp_path: Path) -> None:
    project = build_project(tmp_path, conduit_design())
    code = "from app.core.settings import get_settings; print(get_settings().app_env)"
    default = _python(project, code, APP_ENV="production")
    assert default.returncode != 0 and "APP_SECRET is not set" in default.stderr
    short = _python(project, code, APP_ENV="production", APP_SECRET="short-secret")
    assert short.returncode != 0 and "at least 32" in short.stderr
    assert _python(project, code, APP_ENV="production", APP_SECRET=SECRET).stdout.strip() == "production"
    assert _python(project, code, APP_ENV="production", SECRET_KEY=SECRET).stdout.strip() == "production"
    assert _python(project, code, APP_ENV="development").stdout.strip() == "development"


def test_passwords_are_argon2id_and_verify(tmp_path: Path) -> None:
    project = build_project(tmp_path, conduit_design())
    code = (
        "from app.core.security import hash_password, verify_password\n"
        "h = hash_password('pa55word!')\n"
        "print(h.split('$')[1], verify_password('pa55word!', h), verify_password('other', h),"
        " verify_password('x', 'not-a-hash'))"
    )
    result = _python(project, code, APP_ENV="development")
    assert result.stdout.split() == ["argon2id", "True", "False", "False"], result.stderr
