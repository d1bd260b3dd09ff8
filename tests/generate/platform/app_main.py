"""A small service wired the way the generated ``app/main.py`` wires ``app/core`` (test fixture)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from app.core import health, metrics
from app.core.cache import cache_get, cache_invalidate, cache_set
from app.core.database import Prepared, engine, run_read, run_write
from app.core.errors import ApiError, install_error_handlers, not_found
from app.core.etag import check_if_match, etag_of, not_modified
from app.core.http import (
    JSONBytesResponse,
    format_timestamp,
    json_response,
    json_timestamp,
    raw_json_response,
    utcnow,
)
from app.core.idempotency import idempotent
from app.core.lifespan import lifespan
from app.core.middleware import install_middleware
from app.core.outbox import deliver_pending, enqueue_email
from app.core.ratelimit import login_throttle, rate_limit
from app.core.security import (
    CurrentUser,
    OptionalUser,
    consume_action_token,
    create_access_token,
    dummy_hash,
    hash_password,
    issue_action_token,
    issue_refresh_token,
    revoke_token,
    rotate_refresh_token,
    verify_password,
)
from app.core.settings import get_settings
from app.core.tables import platform_metadata
from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, Field
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.engine import Connection
from starlette.responses import Response

metadata = MetaData()
items = Table(
    "items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(50), nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
USERS = {"demo@example.com": (7, "user")}
PASSWORD_HASH = hash_password("correct horse battery")

metadata.create_all(engine)
platform_metadata.create_all(engine)

settings = get_settings()
app = FastAPI(lifespan=lifespan, default_response_class=JSONBytesResponse)
install_error_handlers(app)
install_middleware(app, settings)
app.include_router(health.router)
app.include_router(metrics.router)
api = APIRouter(prefix="/api")


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=50)


class ItemEnvelope(BaseModel):
    item: ItemIn


class Login(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=128)


class TokenIn(BaseModel):
    token: str = Field(max_length=1000)


def _item(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "version": row.version, "createdAt": row.created_at}


def _insert_item(conn: Connection, name: str) -> dict[str, Any]:
    row = conn.execute(insert(items).values(name=name, version=1, created_at=utcnow()).returning(items)).one()
    return _item(row)


def _get_item(conn: Connection, item_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(items).where(items.c.id == item_id)).first()
    return _item(row) if row is not None else None


def _update_item(conn: Connection, item_id: int, name: str) -> None:
    conn.execute(update(items).where(items.c.id == item_id).values(name=name, version=items.c.version + 1))


@api.post("/items", status_code=201)
async def create_item(request: Request, body: ItemEnvelope, user: CurrentUser) -> Response:
    async def create() -> Response:
        item = await run_write(_insert_item, body.item.name)
        await cache_invalidate("Item")
        return json_response({"item": item}, status=201, headers={"Location": f"/api/items/{item['id']}"})

    return await idempotent(request, str(user.id), create)


@api.get("/items/{item_id}")
async def get_item(request: Request, item_id: int, user: OptionalUser) -> Response:
    key = f"Item:{item_id}:viewer={user.id if user else '-'}"
    cached = await cache_get(key)
    if cached is not None:
        return raw_json_response(cached, headers={"X-Cache": "hit", "ETag": etag_of(cached)})
    item = await run_read(_get_item, item_id)
    if item is None:
        raise not_found("no such item")
    body = json_response({"item": item}).body
    await cache_set(key, body, 60)
    etag = etag_of(body)
    if not_modified(request, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return raw_json_response(body, headers={"X-Cache": "miss", "ETag": etag})


@api.put("/items/{item_id}")
async def update_item(request: Request, item_id: int, body: ItemEnvelope, user: CurrentUser) -> Response:
    current = await run_read(_get_item, item_id)
    if current is None:
        raise not_found("no such item")
    check_if_match(request, etag_of(json_response({"item": current}).body))
    await run_write(_update_item, item_id, body.item.name)
    await cache_invalidate("Item")
    return json_response({"item": await run_read(_get_item, item_id)})


@api.post("/login", dependencies=[Depends(rate_limit("5/minute", scope="login"))])
async def login(body: Login) -> Response:
    await login_throttle.check(body.email)
    user = USERS.get(body.email.lower())
    ok = verify_password(body.password, PASSWORD_HASH if user else dummy_hash())
    if user is None or not ok:
        await login_throttle.failed(body.email)
        raise ApiError(401, "wrong email or password", field="email or password")
    await login_throttle.succeeded(body.email)
    refresh = await run_write(issue_refresh_token, user[0])
    return json_response({"token": create_access_token(user[0], user[1]), "refresh": refresh})


@api.get("/me")
async def me(user: CurrentUser) -> Response:
    return json_response({"id": user.id, "role": user.role})


@api.post("/logout", status_code=204)
async def logout(user: CurrentUser) -> Response:
    await revoke_token(user)
    return Response(status_code=204)


@api.post("/refresh")
async def refresh(body: TokenIn) -> Response:
    user_id, token = await rotate_refresh_token(body.token)
    return json_response({"token": create_access_token(user_id), "refresh": token})


def _request_verification(conn: Connection, user_id: int, email: str) -> None:
    token = issue_action_token(conn, user_id, "verify-email", ttl_minutes=30)
    enqueue_email(conn, email, "Confirm your address", f"Your code: {token}\n")


@api.post("/verify/request", status_code=202)
async def request_verification(user: CurrentUser) -> Response:
    await run_write(_request_verification, user.id, "demo@example.com")
    return json_response({"queued": True, "sent": await deliver_pending()}, status=202)


@api.post("/verify/confirm")
async def confirm_verification(body: TokenIn) -> Response:
    user_id = await run_write(consume_action_token, body.token, "verify-email")
    return json_response({"verified": user_id})


ITEM_NAMES = Prepared(select(items.c.name).where(items.c.id >= bindparam("first")).order_by(items.c.id).limit(2))


@api.get("/items/{item_id}/names")
async def item_names(item_id: int) -> Response:
    first = await run_read(ITEM_NAMES.scalar, first=item_id)
    if first is None:
        raise not_found("no such item")
    return json_response({"names": await run_read(ITEM_NAMES.scalars, first=item_id),
                          "row": await run_read(ITEM_NAMES.first, first=item_id)})


@api.get("/slow")
async def slow() -> Response:
    await asyncio.sleep(1.5)
    return json_response({"finished": True})


@api.get("/boom")
async def boom() -> Response:
    raise RuntimeError("secret internal detail /etc/passwd")


def _sql_time(conn: Connection, moment: datetime) -> str:
    return str(conn.execute(select(json_timestamp(literal(moment, DateTime(timezone=True))))).scalar_one())


@api.get("/time")
async def time_formats() -> Response:
    moment = utcnow()
    return json_response({"python": format_timestamp(moment), "sql": await run_read(_sql_time, moment),
                          "native": moment})


app.include_router(api)
