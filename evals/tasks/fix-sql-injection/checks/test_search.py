from conftest import sign_up


def test_search_finds_the_callers_matching_items(client) -> None:
    alice = sign_up(client, "alice")
    for name in ("red apple", "green apple", "pear"):
        client.post("/api/items", json={"name": name}, headers=alice)
    found = client.get("/api/items/search", params={"q": "apple"}, headers=alice).json()
    assert sorted(i["name"] for i in found) == ["green apple", "red apple"]
