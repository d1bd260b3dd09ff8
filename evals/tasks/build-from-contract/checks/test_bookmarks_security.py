from conftest import sign_up


def test_bookmarks_are_private_and_need_a_token(live) -> None:
    assert live.get("/api/bookmarks").status_code == 401
    alice, mallory = sign_up(live, "alice"), sign_up(live, "mallory")
    mine = live.post("/api/bookmarks", json={"url": "https://a.example", "title": "A"}, headers=alice).json()
    assert live.get("/api/bookmarks", headers=mallory).json() == []
    assert live.delete(f"/api/bookmarks/{mine['id']}", headers=mallory).status_code == 404
