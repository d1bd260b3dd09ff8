from conftest import sign_up


def test_reading_is_public_and_authors_post_and_delete(client) -> None:
    alice = sign_up(client, "alice")
    notice = client.post("/api/notices", json={"text": "hello"}, headers=alice)
    assert notice.status_code == 201
    assert [n["text"] for n in client.get("/api/notices").json()] == ["hello"]
    assert client.delete(f"/api/notices/{notice.json()['id']}", headers=alice).status_code == 204
