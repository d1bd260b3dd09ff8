"""Login with a username and token (checks the pair; used by the web client)."""

from __future__ import annotations

from app.auth import Db
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

router = APIRouter(prefix="/api/login", tags=["login"])


class Credentials(BaseModel):
    username: str
    token: str


@router.post("")
def login(body: Credentials, db: Db) -> dict[str, str]:
    row = db.execute("SELECT id FROM users WHERE username = ? AND token = ?", (body.username, body.token)).fetchone()
    if row is None:
        raise HTTPException(status_code=401, detail="Wrong username or token")
    return {"status": "ok"}
