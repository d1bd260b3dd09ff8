def test_count_needs_a_token(live) -> None:
    assert live.get("/api/items/count").status_code == 401
    assert live.get("/api/items/count", headers={"Authorization": "Bearer forged"}).status_code == 401
