"""Bearer tokens: each user has one, issued at sign-up."""

from __future__ import annotations

import sqlite3
from typing import Annotated

from fastapi import Depends, Header, HTTPException

from app.db import session

Db = Annotated[sqlite3.Connection, Depends(session)]


def current_user(db: Db, authorization: Annotated[str | None, Header()] = None) -> sqlite3.Row:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(status_code=401, detail="Not authenticated", headers={"WWW-Authenticate": "Bearer"})
    user = db.execute("SELECT id, username FROM users WHERE token = ?", (token,)).fetchone()
    if user is None:
        raise HTTPException(status_code=401, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"})
    return user


User = Annotated[sqlite3.Row, Depends(current_user)]
