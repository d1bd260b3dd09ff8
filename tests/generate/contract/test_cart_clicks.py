"""examples/cart (bare JSON array, nested items, 400 errors) and examples/clicks (date-range filters,
a computed count, wire name `at`, bare array, per-field 400 errors) generated and served."""

from __future__ import annotations

import httpx

from tests.generate.contract.conftest import RunningService, assert_serves_its_contract, assert_wire


def test_cart_serves_its_contract(cart: RunningService) -> None:
    assert_serves_its_contract(cart)


def test_cart_items_as_a_bare_array(cart: RunningService) -> None:
    with httpx.Client(base_url=f"{cart.base_url}/cart-api") as client:
        created = assert_wire(cart, "createCart", client.post("/carts", json={"customer": "ann"}), 201)
        assert created["note"] is None
        cart_id = created["id"]
        bad = assert_wire(cart, "createCart", client.post("/carts", json={"note": "x"}), 400)
        assert "customer" in bad["message"]
        assert assert_wire(cart, "getCart", client.get(f"/carts/{cart_id}"), 200)["customer"] == "ann"
        assert_wire(cart, "getCart", client.get("/carts/999999"), 404)
        assert_wire(cart, "getCart", client.get("/carts/not-a-number"), 400)

        item = assert_wire(cart, "addItem", client.post(f"/carts/{cart_id}/items", json={"sku": "A-1", "quantity": 2}),
                           201)
        assert_wire(cart, "addItem", client.post(f"/carts/{cart_id}/items", json={"sku": "A-1", "quantity": 0}), 400)
        assert_wire(cart, "addItem", client.post("/carts/999999/items", json={"sku": "A-1", "quantity": 1}), 404)
        items = assert_wire(cart, "listItems", client.get(f"/carts/{cart_id}/items"), 200)
        assert items == [{"id": item["id"], "sku": "A-1", "quantity": 2}]
        assert_wire(cart, "listItems", client.get("/carts/999999/items"), 404)
        assert_wire(cart, "removeItem", client.delete(f"/carts/{cart_id}/items/{item['id']}"), 204)
        assert_wire(cart, "removeItem", client.delete(f"/carts/{cart_id}/items/{item['id']}"), 404)
        assert assert_wire(cart, "listItems", client.get(f"/carts/{cart_id}/items"), 200) == []
        assert_wire(cart, "deleteCart", client.delete(f"/carts/{cart_id}"), 204)
        assert_wire(cart, "deleteCart", client.delete(f"/carts/{cart_id}"), 404)


def test_clicks_serves_its_contract(clicks: RunningService) -> None:
    assert_serves_its_contract(clicks)


def test_clicks_counts_and_date_filters(clicks: RunningService) -> None:
    with httpx.Client(base_url=f"{clicks.base_url}/api") as client:
        link = {"code": "docs", "target": "https://example.com/docs"}
        created = assert_wire(clicks, "createLink", client.post("/links", json=link), 201)
        assert created["clicks"] == 0
        assert_wire(clicks, "createLink", client.post("/links", json=link), 409)
        bad = assert_wire(clicks, "createLink", client.post("/links", json={"code": "x!", "target": "nope"}), 400)
        assert bad["message"]
        for country in ("DE", "FR", None):
            click = client.post("/links/docs/clicks", json={"country": country, "referrer": None})
            assert assert_wire(clicks, "recordClick", click, 201)["country"] == country
        assert_wire(clicks, "recordClick", client.post("/links/none-such/clicks", json={}), 404)
        assert assert_wire(clicks, "getLink", client.get("/links/docs"), 200)["clicks"] == 3
        every = assert_wire(clicks, "listClicks", client.get("/links/docs/clicks"), 200)
        assert len(every) == 3 and all(c["at"].endswith("Z") for c in every)
        german = assert_wire(clicks, "listClicks", client.get("/links/docs/clicks", params={"country": "DE"}), 200)
        assert [c["country"] for c in german] == ["DE"]
        assert_wire(clicks, "listClicks", client.get("/links/none-such/clicks"), 404)


def test_clicks_date_range(clicks: RunningService) -> None:
    with httpx.Client(base_url=f"{clicks.base_url}/api") as client:
        assert_wire(clicks, "createLink", client.post("/links", json={"code": "dates", "target": "https://e.x"}), 201)
        assert_wire(clicks, "recordClick", client.post("/links/dates/clicks", json={"country": "DE"}), 201)
        later = client.get("/links/dates/clicks", params={"from": "2999-01-01T00:00:00Z"})
        assert assert_wire(clicks, "listClicks", later, 200) == []
        earlier = client.get("/links/dates/clicks", params={"to": "2999-01-01T00:00:00Z"})
        assert len(assert_wire(clicks, "listClicks", earlier, 200)) == 1
        assert_wire(clicks, "listClicks", client.get("/links/dates/clicks", params={"from": "yesterday"}), 400)


def test_cart_note_may_be_null(cart: RunningService) -> None:
    response = httpx.post(f"{cart.base_url}/cart-api/carts", json={"customer": "bob", "note": None})
    assert assert_wire(cart, "createCart", response, 201)["note"] is None
