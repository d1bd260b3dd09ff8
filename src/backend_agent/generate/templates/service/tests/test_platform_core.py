"""The service's runtime (app/core): errors, middleware, tokens, mail outbox, idempotency, cache, limits.

Uses the migrated test database of conftest.py. A small FastAPI app built here exercises the helpers
routes use (idempotency, cache, ETags, rate limits) over the same middleware and error handlers.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from pathlib import Path
from collections.abc import Iterator
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import anyio
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import AliasChoices, BaseModel, ValidationError
from sqlalchemy import bindparam, insert, literal, select
from sqlalchemy.types import DateTime
from starlette.responses import Response

from app.core import kv, security
from app.core.cache import cache_get, cache_invalidate, cache_set
from app.core.database import Prepared, engine, run_read
from app.core.errors import VALIDATION_STATUS, ApiError, error_body, install_error_handlers, not_found
from app.core.etag import check_if_match, etag_of, not_modified
from app.core.http import format_timestamp, json_response, json_timestamp, raw_json_response, utcnow
from app.core.idempotency import HEADER, idempotent, purge_expired
from app.core.logging import JsonFormatter, request_id
from app.core.middleware import install_middleware
from app.core.outbox import deliver_pending, enqueue_email
from app.core.ratelimit import Limit, login_throttle, rate_limit
from app.core.settings import Settings, get_settings
from app.core.tables import outbox, revoked_tokens
from app.core.tracing import install_tracing

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
# A user id of the type this service uses (integer or UUID primary keys).
USER_ID: Any = uuid4() if security.UserId is UUID else 7


class Body(BaseModel):
    name: str


@pytest.fixture(scope="module")
def helpers_app() -> Iterator[TestClient]:
    app = FastAPI()
    install_error_handlers(app)
    install_middleware(app, get_settings())
    calls = {"create": 0}

    @app.post("/things", status_code=201)
    async def create(request: Request, body: Body) -> Response:
        async def compute() -> Response:
            calls["create"] += 1
            if body.name == "fail":
                raise ApiError(409, "refused", field="name")
            await cache_invalidate("Thing")
            return json_response({"name": body.name, "n": calls["create"]}, status=201)

        return await idempotent(request, "tester", compute)

    @app.get("/things/{name}")
    async def read(request: Request, name: str) -> Response:
        cached = await cache_get(f"Thing:{name}")
        if cached is not None:
            return raw_json_response(cached, headers={"X-Cache": "hit"})
        body = json_response({"name": name, "at": utcnow()}).body
        await cache_set(f"Thing:{name}", bytes(body), 60)
        etag = etag_of(bytes(body))
        if not_modified(request, etag):
            return Response(status_code=304)
        return raw_json_response(body, headers={"X-Cache": "miss", "ETag": etag})

    @app.put("/things/{name}")
    async def update(request: Request, name: str) -> Response:
        check_if_match(request, '"v1"', required=True)
        return json_response({"name": name})

    @app.get("/limited", dependencies=[Depends(rate_limit("2/minute", scope="limited"))])
    async def limited() -> Response:
        return json_response({"ok": True})

    @app.get("/boom")
    async def boom() -> Response:
        raise RuntimeError("internal detail")

    @app.get("/missing")
    async def missing() -> Response:
        raise not_found("no such thing")

    with TestClient(app) as client:
        yield client


# -- the service's own routes --------------------------------------------------------------------


def test_framework_errors_use_the_error_body(client: TestClient) -> None:
    unknown = client.get("/no/such/route")
    assert unknown.status_code == 404 and unknown.json() == error_body(404, "not found")
    wrong_method = client.post("/health/live")
    assert wrong_method.status_code == 405 and wrong_method.json() == error_body(405, "method not allowed")
    too_big = client.post("/health/live", content=b"x" * (get_settings().max_body_bytes + 1))
    assert too_big.status_code == 413 and too_big.json() == error_body(413, "request body too large")


def test_health_metrics_and_headers(client: TestClient) -> None:
    live = client.get("/health/live", headers={"X-Request-ID": "req-1"})
    assert live.json() == {"status": "ok"} and live.headers["x-request-id"] == "req-1"
    assert live.headers["x-content-type-options"] == "nosniff"
    assert client.get("/health/ready").json()["checks"]["database"] == "ok"
    assert 'http_requests_total{method="GET",route="/health/live",status="200"}' in client.get("/metrics").text


# -- settings, passwords, tokens -----------------------------------------------------------------


def test_settings_refuse_a_weak_secret_outside_development(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A secret in the environment or a .env file (CI, backend-agent check) would satisfy Settings.
    alias = Settings.model_fields["app_secret"].validation_alias
    for name in alias.choices if isinstance(alias, AliasChoices) else ["APP_SECRET"]:
        monkeypatch.delenv(str(name).upper(), raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValidationError, match="is not set"):
        Settings(app_env="production")
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(app_env="production", app_secret="s" * 12)
    assert Settings(app_env="production", app_secret="x" * 40).app_env == "production"
    assert Settings(app_env="development", database_url="postgresql://u@h/db").database_url.startswith(
        "postgresql+psycopg://")
    monkeypatch.setenv("CORS_ORIGINS", "a.test, b.test")
    assert Settings(app_env="development").cors_origins == ["a.test", "b.test"]
    monkeypatch.setenv("CORS_ORIGINS", '["c.test"]')
    assert Settings(app_env="development").cors_origins == ["c.test"]
    assert Settings(app_env="development", rate_limit="off").rate_limit is None
    with pytest.raises(ValidationError):
        Settings(app_env="development", rate_limit="lots")


def test_passwords_are_argon2id() -> None:
    hashed = security.hash_password("pa55word!")
    assert hashed.startswith("$argon2id$")
    assert security.verify_password("pa55word!", hashed) and not security.verify_password("nope", hashed)
    assert not security.verify_password("x", "not-a-hash") and not security.needs_rehash(hashed)
    assert anyio.run(security.check_password, "pa55word!", hashed)
    assert not anyio.run(security.check_password, "pa55word!", None)


def test_access_tokens_round_trip_and_refuse_tampering() -> None:
    token = security.create_access_token(USER_ID, "user")
    principal = security.decode_access_token(token)
    assert (principal.id, principal.role) == (USER_ID, "user")
    head, payload, signature = token.split(".")
    for bad in (f"{head}.{payload}.{signature[:-4]}AAAA", "not-a-token", ""):
        with pytest.raises(ApiError) as refused:
            security.decode_access_token(bad)
        assert refused.value.status == 401


def test_verified_tokens_are_remembered_only_until_they_expire() -> None:
    token = security.create_access_token(USER_ID, "user")
    assert security.decode_access_token(token) is security.decode_access_token(token)  # verified once
    expired = security.Principal(USER_ID, "user", "jti", utcnow().replace(year=2000))
    security._verified["forged.but.remembered"] = expired
    with pytest.raises(ApiError) as refused:
        security.decode_access_token("forged.but.remembered")  # an expired entry is verified again, and fails
    assert refused.value.status == 401


def test_revocation_refresh_rotation_and_single_use_tokens() -> None:
    principal = security.decode_access_token(security.create_access_token(USER_ID, None))
    anyio.run(security.revoke_token, principal)
    anyio.run(security.revoke_token, principal)  # twice is harmless
    with engine.connect() as conn:
        assert conn.execute(select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == principal.jti)).first()

    with engine.begin() as conn:
        refresh = security.issue_refresh_token(conn, USER_ID)
    user_id, rotated = anyio.run(security.rotate_refresh_token, refresh)
    assert user_id == USER_ID and rotated != refresh
    with pytest.raises(ApiError):
        anyio.run(security.rotate_refresh_token, refresh)  # reuse ...
    with pytest.raises(ApiError):
        anyio.run(security.rotate_refresh_token, rotated)  # ... ended the whole family
    with engine.begin() as conn:
        security.revoke_refresh_family(conn, security.issue_refresh_token(conn, USER_ID))

    with engine.begin() as conn:
        token = security.issue_action_token(conn, USER_ID, "reset-password", ttl_minutes=5)
    with engine.begin() as conn:
        with pytest.raises(ApiError):
            security.consume_action_token(conn, token, "verify-email")  # another purpose
        assert security.consume_action_token(conn, token, "reset-password") == USER_ID
    with engine.begin() as conn, pytest.raises(ApiError):
        security.consume_action_token(conn, token, "reset-password")  # works once
    with engine.begin() as conn, pytest.raises(ApiError):
        security.consume_action_token(conn, "forged.signature", "reset-password")


# -- helpers used by routes ----------------------------------------------------------------------


def test_errors_of_helpers_and_unexpected_exceptions(helpers_app: TestClient) -> None:
    missing = helpers_app.get("/missing")
    assert missing.status_code == 404 and missing.json() == error_body(404, "no such thing")
    boom = helpers_app.get("/boom")
    assert boom.status_code == 500 and "internal detail" not in boom.text
    invalid = helpers_app.post("/things", json={"name": 3})
    assert invalid.status_code in (400, 422)


def test_idempotency_keys_replay_the_first_answer(helpers_app: TestClient) -> None:
    key = {HEADER: "key-1"}
    first = helpers_app.post("/things", json={"name": "a"}, headers=key)
    again = helpers_app.post("/things", json={"name": "a"}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert helpers_app.post("/things", json={"name": "b"}, headers=key).status_code == 422
    assert helpers_app.post("/things", json={"name": "a"}, headers={HEADER: " "}).status_code == VALIDATION_STATUS
    assert helpers_app.post("/things", json={"name": "fail"}, headers={HEADER: "key-2"}).status_code == 409
    assert helpers_app.post("/things", json={"name": "fail"}, headers={HEADER: "key-2"}).status_code == 409
    assert helpers_app.post("/things", json={"name": "c"}).json()["name"] == "c"
    with engine.begin() as conn:
        assert purge_expired(conn) >= 0


def test_cache_etags_and_invalidation(helpers_app: TestClient) -> None:
    miss = helpers_app.get("/things/x")
    hit = helpers_app.get("/things/x")
    assert (miss.headers["x-cache"], hit.headers["x-cache"]) == ("miss", "hit") and miss.json() == hit.json()
    assert TIMESTAMP.match(miss.json()["at"])
    helpers_app.post("/things", json={"name": "y"})  # a write invalidates the prefix
    fresh = helpers_app.get("/things/x", headers={"If-None-Match": "*"})
    assert fresh.status_code == 304
    assert helpers_app.put("/things/x").status_code == 428
    assert helpers_app.put("/things/x", headers={"If-Match": '"v0"'}).status_code == 412
    assert helpers_app.put("/things/x", headers={"If-Match": 'W/"v1", "v2"'}).status_code == 200


def test_rate_limits_and_login_throttling(helpers_app: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "rate_limit_enabled", True)
    statuses = [helpers_app.get("/limited").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = helpers_app.get("/limited")
    assert refused.headers["ratelimit-limit"] == "2" and int(refused.headers["retry-after"]) > 0
    assert Limit.parse("5/hour") == Limit(5, 3600)
    with pytest.raises(ValueError):
        Limit.parse("5 per hour")

    async def throttle() -> None:
        for _ in range(get_settings().login_max_failures):
            await login_throttle.check("Someone@Example.com")
            await login_throttle.failed("someone@example.com")
        with pytest.raises(ApiError):
            await login_throttle.check("someone@example.com")
        await login_throttle.succeeded("someone@example.com")
        await login_throttle.check("someone@example.com")

    anyio.run(throttle)


def test_outbox_delivers_queued_mail(monkeypatch: pytest.MonkeyPatch) -> None:
    controller_module = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd (test extra) sends no mail")
    received: list[bytes] = []

    class Inbox:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
            received.append(envelope.content)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = controller_module.Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with engine.begin() as conn:
            enqueue_email(conn, "reader@example.com", "Hello", "Welcome aboard.")
        monkeypatch.setattr(get_settings(), "smtp_port", 1)  # refused: the mail waits
        assert anyio.run(deliver_pending) == 0
        with engine.begin() as conn:
            conn.execute(outbox.update().values(next_attempt_at=utcnow()))
        monkeypatch.setattr(get_settings(), "smtp_port", port)
        assert anyio.run(deliver_pending) >= 1  # with any mail other tests queued
    finally:
        controller.stop()
    assert any(b"Welcome aboard." in message for message in received)


# -- formats -------------------------------------------------------------------------------------


def test_timestamps_match_in_python_and_sql_and_prepared_statements() -> None:
    moment = utcnow()
    query = Prepared(select(json_timestamp(literal(moment, DateTime(timezone=True)))))
    with engine.connect() as conn:
        in_sql = conn.execute(select(json_timestamp(literal(moment, DateTime(timezone=True))))).scalar_one()
        by_jti = Prepared(select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == bindparam("jti")))
        assert by_jti.scalar(conn, jti="no-such-token") is None and by_jti.rows(conn, jti="x") == []
        assert isinstance(by_jti.scalars(conn, jti="x"), list)
        assert query.first(conn) is not None
    assert TIMESTAMP.match(format_timestamp(moment)) and in_sql == format_timestamp(moment)
    assert anyio.run(partial(run_read, by_jti.scalar, jti="none")) is None
    with engine.begin() as conn:
        conn.execute(insert(revoked_tokens).values(jti="jti-ts", expires_at=moment))


def test_json_logs_carry_the_request_id() -> None:
    token = request_id.set("rid-9")
    try:
        record = logging.LogRecord("app", logging.INFO, __file__, 1, "hello %s", ("world",), None)
        record.route = "/x"
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert line["message"] == "hello world" and line["request_id"] == "rid-9" and line["route"] == "/x"
    assert TIMESTAMP.match(line["ts"])
    assert install_tracing(FastAPI()) is False  # no exporter configured


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="set TEST_REDIS_URL to test the Redis-backed state")
def test_shared_state_in_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "redis_url", os.environ["TEST_REDIS_URL"])
    monkeypatch.setattr(get_settings(), "rate_limit_enabled", True)
    monkeypatch.setattr(kv, "KEY_PREFIX", f"test-{os.getpid()}:")

    async def scenario() -> None:
        kv._client = None
        try:
            await cache_set("Shared:a", b"one", 30)
            assert await cache_get("Shared:a") == b"one"
            await cache_invalidate("Shared")
            assert await cache_get("Shared:a") is None
            for _ in range(get_settings().login_max_failures):
                await login_throttle.failed("redis@example.com")
            with pytest.raises(ApiError):
                await login_throttle.check("redis@example.com")
            await login_throttle.succeeded("redis@example.com")
            await login_throttle.check("redis@example.com")
        finally:
            await kv.close_redis()

    anyio.run(scenario)


def test_the_migrations_make_the_schema_the_models_declare() -> None:
    """What ``alembic check`` (and check's migrations gate) asks: nothing left to autogenerate."""
    from alembic import command
    from alembic.config import Config

    command.check(Config(str(Path(__file__).resolve().parents[1] / "alembic.ini")))
