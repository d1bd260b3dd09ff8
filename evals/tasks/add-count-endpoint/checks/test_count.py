from conftest import sign_up


def test_counts_only_the_callers_items(client) -> None:
    alice, bob = sign_up(client, "alice"), sign_up(client, "bob")
    assert client.get("/api/items/count", headers=alice).json() == {"count": 0}
    for name in ("a", "b"):
        assert client.post("/api/items", json={"name": name}, headers=alice).status_code == 201
    client.post("/api/items", json={"name": "c"}, headers=bob)
    assert client.get("/api/items/count", headers=alice).json() == {"count": 2}
    assert client.get("/api/items/count", headers=bob).json() == {"count": 1}


def test_item_routes_still_work(client) -> None:
    alice = sign_up(client, "alice")
    created = client.post("/api/items", json={"name": "a"}, headers=alice).json()
    assert client.get(f"/api/items/{created['id']}", headers=alice).status_code == 200
