from conftest import sign_up


def test_unknown_ids_are_404(client) -> None:
    alice, bob = sign_up(client, "alice"), sign_up(client, "bob")
    item = client.post("/api/items", json={"name": "a"}, headers=alice).json()
    for item_id, headers in ((999, alice), (item["id"], bob)):
        response = client.get(f"/api/items/{item_id}", headers=headers)
        assert response.status_code == 404 and response.json() == {"detail": "Item not found"}
    assert client.get(f"/api/items/{item['id']}", headers=alice).status_code == 200
