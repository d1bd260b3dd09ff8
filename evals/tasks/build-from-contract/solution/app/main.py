"""The items service: users, their items, and a health check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app import db
from app.routes import bookmarks, items, users
from fastapi import FastAPI


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    db.init()
    yield


app = FastAPI(title="items", version="1.0.0", lifespan=lifespan)
app.include_router(users.router)
app.include_router(items.router)
app.include_router(bookmarks.router)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
