from conftest import sign_up


def test_owner_reads_and_deletes(client) -> None:
    alice = sign_up(client, "alice")
    item = client.post("/api/items", json={"name": "a"}, headers=alice).json()
    assert client.get(f"/api/items/{item['id']}", headers=alice).json()["name"] == "a"
    assert client.delete(f"/api/items/{item['id']}", headers=alice).status_code == 204
