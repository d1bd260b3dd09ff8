from conftest import sign_up


def test_other_users_get_404(live) -> None:
    alice, mallory = sign_up(live, "alice"), sign_up(live, "mallory")
    item = live.post("/api/items", json={"name": "private"}, headers=alice).json()
    assert live.get(f"/api/items/{item['id']}", headers=mallory).status_code == 404
    assert live.delete(f"/api/items/{item['id']}", headers=mallory).status_code == 404
    assert live.get(f"/api/items/{item['id']}", headers=alice).status_code == 200
