"""The runtime's edge paths: a failing Redis, database errors, both SQL dialects, paging, derived values.

Each case drives a branch that normal traffic on one machine does not reach (Redis down, a
constraint race, the other SQL dialect) and checks the answer the service gives then.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

import anyio
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel
from redis.exceptions import RedisError
from sqlalchemy import literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.responses import Response

from app.core import errors, http, kv, ratelimit, tracing
from app.core.cache import cache_get, cache_invalidate, cache_set
from app.core.database import Prepared, engine, get_connection
from app.core.errors import ApiError, error_body, install_error_handlers
from app.core.health import mark_draining, mark_ready
from app.core.middleware import install_middleware
from app.core.ratelimit import Limit, hit, login_throttle
from app.core.settings import get_settings
from app.core.tables import outbox, revoked_tokens
from app.repositories import base, sqljson
from app.services import access, paging, text


class BrokenRedis:
    """A Redis client whose every command fails, as when the server is down."""

    def __getattr__(self, name: str) -> Any:
        async def fail(*_args: Any, **_kwargs: Any) -> Any:
            raise RedisError(f"{name}: connection refused")

        return fail

    def pipeline(self, **_kwargs: Any) -> BrokenRedis:
        return self

    async def __aenter__(self) -> BrokenRedis:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None

    def hset(self, *_args: Any) -> None:
        return None

    def expire(self, *_args: Any, **_kwargs: Any) -> None:
        return None

    async def aclose(self) -> None:
        return None


@pytest.fixture
def broken_redis(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(get_settings(), "redis_url", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(get_settings(), "cache_enabled", True)
    monkeypatch.setattr(kv, "_client", BrokenRedis())
    yield
    kv._client = None


def test_a_failing_redis_degrades_to_no_cache_and_no_limits(broken_redis: None, client: TestClient) -> None:
    async def scenario() -> None:
        await cache_set("Edge:a", b"value", 30)  # logged, not raised
        assert await cache_get("Edge:a") is None
        await cache_invalidate("Edge")
        usage = await hit("edge-key", Limit(1, 60))
        assert usage.allowed  # the limit store is down: requests pass rather than fail
        await login_throttle.check("edge@example.com")
        await login_throttle.failed("edge@example.com")
        await login_throttle.succeeded("edge@example.com")
        await kv.close_redis()

    anyio.run(scenario)
    ready = client.get("/health/ready")
    assert ready.json()["checks"]["redis"].startswith("unavailable")


def test_redis_client_is_made_once_and_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "redis_url", "redis://127.0.0.1:1/0")
    kv._client = None
    first = kv.redis_client()
    assert first is not None and kv.redis_client() is first
    anyio.run(kv.close_redis)
    assert kv._client is None
    monkeypatch.setattr(get_settings(), "redis_url", None)
    assert kv.redis_client() is None


def test_local_cache_expires_and_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core import cache

    monkeypatch.setattr(get_settings(), "cache_enabled", True)
    monkeypatch.setattr(cache, "MAX_LOCAL_ENTRIES_PER_PREFIX", 2)

    async def scenario() -> None:
        await cache_set("Bounded:a", b"1", 30)
        await cache_set("Bounded:b", b"2", 30)
        await cache_set("Bounded:c", b"3", 30)  # evicts the oldest
        assert await cache_get("Bounded:a") is None and await cache_get("Bounded:c") == b"3"
        await cache_set("Bounded:d", b"4", 0)  # no TTL: not cached
        assert await cache_get("Bounded:d") is None
        monkeypatch.setattr(get_settings(), "cache_enabled", False)
        assert await cache_get("Bounded:c") is None

    anyio.run(scenario)


def test_local_rate_limit_windows_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    counters = ratelimit._LocalCounters()
    assert counters.hit("k", 60)[0] == 1 and counters.hit("k", 60)[0] == 2
    counters.delete("k")
    assert counters.get("k") == (0, 0.0)
    counters.hit("old", 60)
    counters._prune(10**12)  # far in the future: every window has ended
    assert counters.get("old") == (0, 0.0)
    assert Limit(3, 60).policy


# -- error handlers ------------------------------------------------------------------------------


class Named(BaseModel):
    name: str


@pytest.fixture(scope="module")
def failing_app() -> Iterator[TestClient]:
    app = FastAPI()
    install_error_handlers(app)
    install_middleware(app, get_settings())
    failures: dict[str, Exception] = {
        "integrity": IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed")),
        "data": DataError("INSERT", {}, Exception("invalid byte sequence")),
        "operational": OperationalError("SELECT", {}, Exception("database is locked")),
        "overflow": OverflowError("Python int too large to convert to SQLite INTEGER"),
    }

    @app.get("/fail/{kind}")
    async def fail(kind: str) -> Response:
        raise failures[kind]

    @app.post("/echo")
    async def echo(request: Request) -> Response:
        return http.json_response(await request.json())

    @app.put("/echo")
    async def replace(request: Request) -> Response:
        return http.json_response({"ok": True})

    @app.post("/typed")
    async def typed(body: Named) -> Response:
        return http.json_response({"name": body.name})

    with TestClient(app) as client:
        yield client


def test_database_failures_have_the_error_body(failing_app: TestClient) -> None:
    integrity = failing_app.get("/fail/integrity")
    assert integrity.status_code == 409 and integrity.json() == error_body(409, "conflicts with existing data")
    data = failing_app.get("/fail/data")
    assert data.status_code == errors.VALIDATION_STATUS and "UNIQUE" not in data.text
    overflow = failing_app.get("/fail/overflow")  # an integer beyond what the column holds: no 500
    assert overflow.status_code == errors.VALIDATION_STATUS and "SQLite" not in overflow.text
    busy = failing_app.get("/fail/operational")
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"


def test_bodies_and_methods_outside_the_routes(failing_app: TestClient) -> None:
    wrong = failing_app.delete("/echo")
    assert wrong.status_code == 405 and set(wrong.headers["allow"].split(", ")) == {"POST", "PUT"}
    bad_length = failing_app.post("/echo", content=b"{}", headers={"Content-Length": "many"})
    assert bad_length.status_code == 400
    streamed = failing_app.post("/echo", content=iter([b"x" * (get_settings().max_body_bytes + 1)]))
    assert streamed.status_code == 413
    undecodable = failing_app.post("/typed", content=b"\xff\xfe{", headers={"Content-Type": "application/json"})
    assert undecodable.status_code == errors.VALIDATION_STATUS, undecodable.text


def test_error_constructors() -> None:
    cases = [(errors.bad_request("b", field="f"), 400), (errors.invalid("i"), errors.VALIDATION_STATUS),
             (errors.unauthorized(), 401), (errors.forbidden(), 403), (errors.not_found(), 404),
             (errors.conflict("c", field="f"), 409)]
    for error, status in cases:
        assert isinstance(error, ApiError) and error.status == status
    assert errors._problem({"type": "json_invalid", "loc": ("body", 1)})[1] == "the body is not valid JSON"
    assert errors._problem({"type": "missing", "loc": ("body",)}) == (None, "a JSON body is required")


def test_service_wide_rate_limit_answers_429(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "rate_limit_enabled", True)
    monkeypatch.setattr(get_settings(), "rate_limit", "2/minute")
    monkeypatch.setattr(get_settings(), "cors_origins", ["https://app.example"])
    app = FastAPI()
    install_error_handlers(app)
    install_middleware(app, get_settings())

    @app.get("/ping")
    async def ping() -> Response:
        return http.json_response({"ok": True})

    with TestClient(app, client=("203.0.113.9", 50000)) as limited:
        statuses = [limited.get("/ping").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert limited.get("/health/live").status_code in (200, 404)  # health checks are never limited
        preflight = limited.options("/ping", headers={"Origin": "https://app.example",
                                                      "Access-Control-Request-Method": "GET"})
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"


# -- formats, SQL of both dialects ---------------------------------------------------------------


def test_json_values_of_every_python_type() -> None:
    body = http.json_response({"d": date(2026, 1, 31), "n": Decimal("1.50"), "s": {"b", "a"},
                               "t": datetime(2026, 1, 31, 12, 0)}).body
    assert b'"2026-01-31"' in body and b'"1.50"' in body and b'["a","b"]' in body
    assert http.format_timestamp(datetime(2026, 1, 31, 12, 0)) == "2026-01-31T12:00:00.000Z"
    with pytest.raises(TypeError):
        http.dumps({"x": object()})
    assert http.raw_json_response(b"[]").body == b"[]"


def _sql_constructs() -> list[Any]:
    made: dict[str, tuple[Any, ...]] = {
        "json_object": ("key", literal(1)), "json_decimal": (literal(Decimal("1.5")), 2),
        "json_const": ('{"a": 1}',), "json_timestamp": (literal(datetime(2026, 1, 31, tzinfo=UTC)),),
        "json_bool": (literal(True),), "json_time": (literal(time(12, 30)),), "json_base64": (literal(b"hi"),),
        "json_value": (literal("[1]"),), "json_nested": (literal("[1]"),),
    }
    return [getattr(sqljson, name)(*made.get(name, (literal(1),))) for name in sqljson.__all__]


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "postgresql"])
def test_sql_json_constructs_compile_on_both_dialects(dialect: Any) -> None:
    for construct in _sql_constructs():
        assert str(select(construct).compile(dialect=dialect)).startswith("SELECT")


def test_sql_json_constructs_run_here() -> None:
    with engine.connect() as conn:
        values = [conn.execute(select(construct)).scalar() for construct in _sql_constructs()]
    assert len(values) == len(sqljson.__all__)


def test_connection_dependency_commits() -> None:
    dependency = get_connection()
    conn = next(dependency)
    conn.execute(revoked_tokens.insert().values(jti="dependency-jti", expires_at=http.utcnow()))
    with pytest.raises(StopIteration):
        next(dependency)
    with engine.connect() as check:
        assert check.execute(select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == "dependency-jti")).scalar()


def test_repository_helpers() -> None:
    assert base.like_pattern("50%_off/") == "%50/%/_off//%"
    assert base.wrap(None, "{}") == "{}" and base.wrap("item", "{}") == '{"item":{}}'
    assert base.with_keys("{}", '"a":1') == '{"a":1}' and base.with_keys('{"a":1}', '"b":2') == '{"a":1,"b":2}'
    assert base.join_documents(["1", "2"]) == "[1,2]"
    for op in ("eq", "ne", "lt", "lte", "gt", "gte"):
        assert base.compare(outbox.c.id, op, 1) is not None
    with engine.begin() as conn:
        base.insert_ignore(conn, revoked_tokens, [])
        base.insert_ignore(conn, revoked_tokens, [{"jti": "dup", "expires_at": http.utcnow()}] * 1)
        base.insert_ignore(conn, revoked_tokens, [{"jti": "dup", "expires_at": http.utcnow()}])
        assert base.ids_by(conn, outbox, "recipient", []) == {}
        new_id = base.insert_row(conn, outbox, {"kind": "email", "recipient": "ids@example.com", "subject": "s",
                                                "body": "b", "created_at": http.utcnow(),
                                                "next_attempt_at": http.utcnow(), "attempts": 0})
        assert base.ids_by(conn, outbox, "recipient", ["ids@example.com"]) == {"ids@example.com": new_id}


def test_cursors_round_trip_and_refuse_tampering() -> None:
    assert paging.decode_cursor(paging.encode_cursor(40)) == 40 and paging.decode_cursor(None) == 0
    forged = base64.urlsafe_b64encode(b"x:5").decode()
    negative = base64.urlsafe_b64encode(b"o:-1").decode()
    for bad in ("%%%", forged, negative, base64.urlsafe_b64encode(b"\xff\xfe").decode()):
        with pytest.raises(ApiError):
            paging.decode_cursor(bad)


def test_derived_values_are_unique() -> None:
    assert text.slugify("Héllo, World!") == "hello-world" and text.slugify("!!!") == "item"
    with engine.begin() as conn:
        assert text.derive(conn, outbox.c.subject, "upper", None, unique=False) is None
        assert text.derive(conn, outbox.c.subject, "lower", "MiXed", unique=False) == "mixed"
        for subject in ("derived-title", "derived-title-2"):
            conn.execute(outbox.insert().values(kind="email", recipient="d@example.com", subject=subject, body="b",
                                                created_at=http.utcnow(), next_attempt_at=http.utcnow(), attempts=0))
        assert text.derive(conn, outbox.c.subject, "slug", "Derived Title", unique=True) == "derived-title-3"
        assert text.derive(conn, outbox.c.subject, "slug", "Fresh Title", unique=True, exclude_id=0) == "fresh-title"


def test_access_rules() -> None:
    owner = SimpleNamespace(id=7, role="member")
    assert access.user_id(None) is None and access.user_id(owner) == 7
    with pytest.raises(ApiError):
        access.require_user(None)
    assert access.require_role(owner, ()) is owner
    with pytest.raises(ApiError):
        access.require_role(owner, ("editor",))
    access.require_owner(owner, 7, None)
    access.require_owner(SimpleNamespace(id=8, role="boss"), 7, "boss")
    with pytest.raises(ApiError):
        access.require_owner(SimpleNamespace(id=8, role="member"), 7, "boss")
    assert not access.is_admin(None)
    caller_check = getattr(access, "require_caller", None)
    if caller_check is not None:
        caller_check(7, 7, "forbidden")
        for outcome, status in (("not_found", 404), ("unauthorized", 401), ("forbidden", 403)):
            with pytest.raises(ApiError) as refused:
                caller_check(7, 8, outcome)
            assert refused.value.status == status


def test_health_while_draining_and_tracing_without_packages(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    mark_draining()
    try:
        assert client.get("/health/ready").status_code == 503
    finally:
        mark_ready()
    assert client.get("/health/ready").status_code == 200
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    monkeypatch.setattr(tracing, "tracing_available", lambda: False)
    with caplog.at_level(logging.WARNING, logger="app.tracing"):
        assert tracing.install_tracing(FastAPI()) is False
    assert "not installed" in caplog.text


def test_engines_for_both_databases(tmp_path: Any) -> None:
    from app.core.database import create_database_engine
    from app.core.settings import Settings

    remote = create_database_engine(Settings(app_env="development", database_url="postgresql://u@127.0.0.1:1/x"))
    assert remote.dialect.name == "postgresql"  # made, not connected
    remote.dispose()
    local = create_database_engine(Settings(app_env="development", database_url=f"sqlite:///{tmp_path / 'e.db'}"))
    with local.connect() as conn:
        conn.execution_options(writes=True)
        with conn.begin():
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    local.dispose()


def test_outbox_mail_goes_through_starttls_and_login(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core import outbox as mail

    sent: list[str] = []

    class FakeSMTP:
        def __init__(self, *_args: Any, **_kwargs: Any) -> None:
            return None

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *_exc: object) -> None:
            return None

        def starttls(self) -> None:
            sent.append("starttls")

        def login(self, user: str, _password: str) -> None:
            sent.append(f"login {user}")

        def send_message(self, message: Any) -> None:
            sent.append(str(message["To"]))

    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(get_settings(), "smtp_starttls", True)
    monkeypatch.setattr(get_settings(), "smtp_username", "mailer")
    monkeypatch.setattr(get_settings(), "smtp_password", "secret-for-tests")
    mail._send("to@example.com", "Hi", "text")
    assert sent == ["starttls", "login mailer", "to@example.com"]


def test_outbox_sender_outlives_a_failing_round(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from app.core import outbox as mail

    rounds: list[int] = []

    async def failing() -> int:
        rounds.append(1)
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(mail, "deliver_pending", failing)
    monkeypatch.setattr(get_settings(), "outbox_poll_seconds", 0.01)

    async def scenario() -> None:
        sender = mail.OutboxSender()
        sender.start()
        await asyncio.sleep(0.1)
        await sender.stop()

    anyio.run(scenario)
    assert len(rounds) >= 2


def test_context_of_custom_code() -> None:
    custom = pytest.importorskip("app.services.context", reason="this service has no custom-code context")
    from app.core import security

    someone = SimpleNamespace(id=uuid4() if security.UserId is UUID else 999_999, role="member")
    seen: list[Any] = []

    async def later(_ctx: Any, row: Any) -> None:
        seen.append(row)

    with engine.begin() as conn:
        anonymous = custom.ActionContext(conn=conn, principal=None, entity="Thing", operation_id="op")
        assert anonymous.session is conn and anonymous.settings is get_settings()
        assert anonymous.roles == () and anonymous.user is None
        signed_in = custom.ActionContext(conn=conn, principal=someone, entity="Thing", operation_id="op")
        assert signed_in.roles == ("member",) and signed_in.user is None  # no such user row
        custom.run_hook(lambda _ctx, row: seen.append(row), anonymous, 1)
        custom.run_hook(later, anonymous, 2)
    assert seen == [1, 2]
    error = custom.ActionError(409, "taken", field="name")
    assert isinstance(error, ApiError) and (error.status, error.field) == (409, "name")
