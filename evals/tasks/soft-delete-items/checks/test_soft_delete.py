import sqlite3

from conftest import sign_up


def test_deleted_items_are_hidden_but_kept(client, database) -> None:
    alice = sign_up(client, "alice")
    keep = client.post("/api/items", json={"name": "keep"}, headers=alice).json()
    gone = client.post("/api/items", json={"name": "gone"}, headers=alice).json()
    assert client.delete(f"/api/items/{gone['id']}", headers=alice).status_code == 204
    listed = client.get("/api/items", headers=alice).json()
    listed = listed["items"] if isinstance(listed, dict) else listed
    assert [i["id"] for i in listed] == [keep["id"]]
    assert client.get(f"/api/items/{gone['id']}", headers=alice).status_code == 404
    assert client.delete(f"/api/items/{gone['id']}", headers=alice).status_code == 404
    row = sqlite3.connect(database).execute("SELECT deleted_at FROM items WHERE id = ?", (gone["id"],)).fetchone()
    assert row is not None and row[0] is not None
