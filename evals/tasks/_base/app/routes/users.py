"""Sign-up: a username gets a bearer token."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from app.auth import Db

router = APIRouter(prefix="/api/users", tags=["users"])


class SignUp(BaseModel):
    username: str = Field(min_length=1, max_length=40)


@router.post("", status_code=201)
def sign_up(body: SignUp, db: Db) -> dict[str, object]:
    token = secrets.token_hex(16)
    try:
        cursor = db.execute("INSERT INTO users (username, token) VALUES (?, ?)", (body.username, token))
    except Exception as exc:  # sqlite3.IntegrityError: the name is taken
        raise HTTPException(status_code=409, detail="Username taken") from exc
    return {"id": cursor.lastrowid, "username": body.username, "token": token}
