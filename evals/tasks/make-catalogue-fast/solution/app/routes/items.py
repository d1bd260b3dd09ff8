"""Items: each belongs to the user who created it."""

from __future__ import annotations

from app.auth import Db, User
from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel

router = APIRouter(prefix="/api/items", tags=["items"])


class ItemIn(BaseModel):
    name: str
    price: float = 0


def _item(row: object) -> dict[str, object]:
    return {"id": row["id"], "name": row["name"], "price": row["price"], "owner_id": row["owner_id"]}  # type: ignore[index]


@router.get("/all")
def list_all_items(db: Db, user: User) -> list[dict[str, object]]:
    """Every item with its owner's name (the shared catalogue)."""
    rows = db.execute(
        "SELECT items.*, users.username AS owner FROM items JOIN users ON users.id = items.owner_id ORDER BY items.id"
    ).fetchall()
    return [{**_item(row), "owner": row["owner"]} for row in rows]


@router.get("")
def list_items(db: Db, user: User) -> list[dict[str, object]]:
    rows = db.execute("SELECT * FROM items WHERE owner_id = ? ORDER BY id", (user["id"],)).fetchall()
    return [_item(row) for row in rows]


@router.post("", status_code=201)
def create_item(body: ItemIn, db: Db, user: User) -> dict[str, object]:
    cursor = db.execute(
        "INSERT INTO items (owner_id, name, price) VALUES (?, ?, ?)", (user["id"], body.name, body.price)
    )
    row = db.execute("SELECT * FROM items WHERE id = ?", (cursor.lastrowid,)).fetchone()
    return _item(row)


@router.get("/{item_id}")
def get_item(item_id: int, db: Db, user: User) -> dict[str, object]:
    row = db.execute("SELECT * FROM items WHERE id = ? AND owner_id = ?", (item_id, user["id"])).fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail="Item not found")
    return _item(row)


@router.delete("/{item_id}", status_code=204)
def delete_item(item_id: int, db: Db, user: User) -> Response:
    cursor = db.execute("DELETE FROM items WHERE id = ? AND owner_id = ?", (item_id, user["id"]))
    if cursor.rowcount == 0:
        raise HTTPException(status_code=404, detail="Item not found")
    return Response(status_code=204)
