"""A public notice board."""

from __future__ import annotations

from app.auth import Db
from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, Field

router = APIRouter(prefix="/api/notices", tags=["notices"])
SCHEMA = "CREATE TABLE IF NOT EXISTS notices (id INTEGER PRIMARY KEY, text TEXT NOT NULL, author_id INTEGER)"


class NoticeIn(BaseModel):
    text: str = Field(min_length=1, max_length=500)


@router.get("")
def list_notices(db: Db) -> list[dict[str, object]]:
    db.execute(SCHEMA)
    return [{"id": r["id"], "text": r["text"]} for r in db.execute("SELECT * FROM notices ORDER BY id")]


@router.post("", status_code=201)
def post_notice(body: NoticeIn, db: Db) -> dict[str, object]:
    db.execute(SCHEMA)
    cursor = db.execute("INSERT INTO notices (text) VALUES (?)", (body.text,))
    return {"id": cursor.lastrowid, "text": body.text}


@router.delete("/{notice_id}", status_code=204)
def delete_notice(notice_id: int, db: Db) -> Response:
    db.execute(SCHEMA)
    if db.execute("DELETE FROM notices WHERE id = ?", (notice_id,)).rowcount == 0:
        raise HTTPException(status_code=404, detail="Notice not found")
    return Response(status_code=204)
