def test_sixth_failure_is_throttled(live) -> None:
    token = live.post("/api/users", json={"username": "victim"}).json()["token"]
    bob = live.post("/api/users", json={"username": "bob"}).json()["token"]
    codes = [live.post("/api/login", json={"username": "victim", "token": f"guess{i}"}).status_code
             for i in range(7)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429], codes
    blocked = live.post("/api/login", json={"username": "victim", "token": token})
    assert blocked.status_code == 429 and "retry-after" in blocked.headers
    assert live.post("/api/login", json={"username": "bob", "token": bob}).status_code == 200
