def test_right_token_logs_in(client) -> None:
    token = client.post("/api/users", json={"username": "alice"}).json()["token"]
    assert client.post("/api/login", json={"username": "alice", "token": token}).status_code == 200
    assert client.post("/api/login", json={"username": "alice", "token": "x"}).status_code == 401
