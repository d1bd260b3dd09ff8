from conftest import sign_up


def test_anonymous_and_forged_writes_are_refused(live) -> None:
    assert live.post("/api/notices", json={"text": "spam"}).status_code == 401
    forged = {"Authorization": "Bearer 0000"}
    assert live.post("/api/notices", json={"text": "spam"}, headers=forged).status_code == 401
    assert live.get("/api/notices").json() == []


def test_only_the_author_deletes(live) -> None:
    alice, mallory = sign_up(live, "alice"), sign_up(live, "mallory")
    notice = live.post("/api/notices", json={"text": "mine"}, headers=alice).json()
    assert live.delete(f"/api/notices/{notice['id']}").status_code == 401
    assert live.delete(f"/api/notices/{notice['id']}", headers=mallory).status_code == 404
    assert len(live.get("/api/notices").json()) == 1
