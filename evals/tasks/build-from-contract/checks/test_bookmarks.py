from pathlib import Path

import app
import yaml
from conftest import sign_up


def _operations(doc):
    return {(path, method, op.get("operationId")) for path, item in doc["paths"].items()
            if path.startswith("/api/bookmarks") for method, op in item.items()
            if method in ("get", "post", "put", "patch", "delete")}


def test_openapi_matches_the_contract(client) -> None:
    contract = yaml.safe_load((Path(app.__file__).parents[1] / "contract.yaml").read_text())
    served = client.get("/openapi.json").json()
    assert _operations(served) == _operations(contract)


def test_create_list_delete(client) -> None:
    alice = sign_up(client, "alice")
    created = client.post("/api/bookmarks", json={"url": "https://a.example", "title": "A"}, headers=alice)
    assert created.status_code == 201
    body = created.json()
    assert body["url"] == "https://a.example" and body["title"] == "A"
    client.post("/api/bookmarks", json={"url": "https://b.example", "title": "B"}, headers=alice)
    assert [b["title"] for b in client.get("/api/bookmarks", headers=alice).json()] == ["B", "A"]
    assert client.delete(f"/api/bookmarks/{body['id']}", headers=alice).status_code == 204
    assert client.delete(f"/api/bookmarks/{body['id']}", headers=alice).status_code == 404


def test_invalid_bookmarks_are_rejected(client) -> None:
    alice = sign_up(client, "alice")
    for body in ({"url": "ftp://x", "title": "x"}, {"url": "https://x", "title": ""}, {"title": "x"}):
        assert client.post("/api/bookmarks", json=body, headers=alice).status_code == 422
