from conftest import sign_up


def test_pages(client) -> None:
    alice = sign_up(client, "alice")
    for i in range(25):
        client.post("/api/items", json={"name": f"i{i}"}, headers=alice)
    first = client.get("/api/items", headers=alice).json()
    assert first["total"] == 25 and first["limit"] == 20 and first["offset"] == 0
    assert [i["name"] for i in first["items"]] == [f"i{i}" for i in range(20)]
    rest = client.get("/api/items", params={"limit": 10, "offset": 20}, headers=alice).json()
    assert [i["name"] for i in rest["items"]] == [f"i{i}" for i in range(20, 25)]


def test_limits_are_enforced(client) -> None:
    alice = sign_up(client, "alice")
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}):
        assert client.get("/api/items", params=params, headers=alice).status_code == 422, params
