import pytest
from conftest import sign_up


@pytest.mark.parametrize("body", [{"name": ""}, {"name": "x" * 101}, {"name": "a", "price": -1}])
def test_invalid_items_are_rejected(client, body) -> None:
    alice = sign_up(client, "alice")
    assert client.post("/api/items", json=body, headers=alice).status_code == 422
    assert client.get("/api/items", headers=alice).json() in ([], {"items": [], "total": 0})


def test_valid_items_are_accepted(client) -> None:
    alice = sign_up(client, "alice")
    for body in ({"name": "x" * 100, "price": 0}, {"name": "a", "price": 2.5}):
        assert client.post("/api/items", json=body, headers=alice).status_code == 201
