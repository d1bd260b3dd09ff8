"""Login with a username and token (checks the pair; used by the web client)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from app.auth import Db
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

router = APIRouter(prefix="/api/login", tags=["login"])


MAX_FAILURES = 5
WINDOW_S = 60.0
_failures: dict[str, deque[float]] = defaultdict(deque)
_lock = threading.Lock()


def _recent_failures(username: str, now: float) -> deque[float]:
    window = _failures[username]
    while window and now - window[0] > WINDOW_S:
        window.popleft()
    return window


class Credentials(BaseModel):
    username: str
    token: str


@router.post("")
def login(body: Credentials, db: Db) -> dict[str, str]:
    now = time.monotonic()
    with _lock:
        if len(_recent_failures(body.username, now)) >= MAX_FAILURES:
            raise HTTPException(status_code=429, detail="Too many failed attempts", headers={"Retry-After": "60"})
    row = db.execute("SELECT id FROM users WHERE username = ? AND token = ?", (body.username, body.token)).fetchone()
    if row is None:
        with _lock:
            _recent_failures(body.username, now).append(now)
        raise HTTPException(status_code=401, detail="Wrong username or token")
    return {"status": "ok"}
