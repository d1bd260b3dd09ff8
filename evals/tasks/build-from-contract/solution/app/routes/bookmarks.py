"""Bookmarks, implemented from contract.yaml."""

from __future__ import annotations

from app.auth import Db, User
from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, Field

router = APIRouter(prefix="/api/bookmarks", tags=["bookmarks"])
SCHEMA = """CREATE TABLE IF NOT EXISTS bookmarks (
    id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL REFERENCES users (id), url TEXT NOT NULL, title TEXT NOT NULL
)"""


class BookmarkIn(BaseModel):
    url: str = Field(pattern=r"^https?://", max_length=2000)
    title: str = Field(min_length=1, max_length=200)


class Bookmark(BaseModel):
    id: int
    url: str
    title: str


@router.get("", operation_id="listBookmarks")
def list_bookmarks(db: Db, user: User) -> list[Bookmark]:
    db.execute(SCHEMA)
    rows = db.execute("SELECT * FROM bookmarks WHERE owner_id = ? ORDER BY id DESC", (user["id"],)).fetchall()
    return [Bookmark(id=r["id"], url=r["url"], title=r["title"]) for r in rows]


@router.post("", status_code=201, operation_id="createBookmark")
def create_bookmark(body: BookmarkIn, db: Db, user: User) -> Bookmark:
    db.execute(SCHEMA)
    cursor = db.execute(
        "INSERT INTO bookmarks (owner_id, url, title) VALUES (?, ?, ?)", (user["id"], body.url, body.title)
    )
    return Bookmark(id=int(cursor.lastrowid or 0), url=body.url, title=body.title)


@router.delete("/{bookmark_id}", status_code=204, operation_id="deleteBookmark")
def delete_bookmark(bookmark_id: int, db: Db, user: User) -> Response:
    db.execute(SCHEMA)
    cursor = db.execute("DELETE FROM bookmarks WHERE id = ? AND owner_id = ?", (bookmark_id, user["id"]))
    if cursor.rowcount == 0:
        raise HTTPException(status_code=404, detail="Bookmark not found")
    return Response(status_code=204)
