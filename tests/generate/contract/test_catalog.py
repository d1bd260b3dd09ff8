"""examples/catalog: free-form `properties`, query filters, RFC 7807 problem bodies
(application/problem+json, `status` in the body), bearer key for writes."""

from __future__ import annotations

import httpx

from tests.generate.contract.conftest import RunningService, assert_serves_its_contract, assert_wire


def _editor_token(catalog: RunningService) -> str:
    """An editor row written directly (the contract has no sign-up) and a token from the service's own code."""
    return catalog.run_python(
        "from sqlalchemy import insert\n"
        "from app.core.database import engine\n"
        "from app.core.security import create_access_token, hash_password\n"
        "from app.core.http import utcnow\n"
        "from app.models.tables import editors\n"
        "with engine.begin() as conn:\n"
        "    now = utcnow()\n"
        "    row = conn.execute(insert(editors).values(email='ed@example.com', password_hash=hash_password('x' * 12),"
        " created_at=now, updated_at=now)).inserted_primary_key\n"
        "print(create_access_token(row[0]))\n")


def test_catalog_serves_its_contract(catalog: RunningService) -> None:
    assert_serves_its_contract(catalog)


def test_catalog_products_and_problem_bodies(catalog: RunningService) -> None:
    headers = {"Authorization": f"Bearer {_editor_token(catalog)}"}
    with httpx.Client(base_url=f"{catalog.base_url}/catalog/v2") as client:
        product = {"sku": "TSHIRT-1", "name": "T-shirt", "category": "apparel", "price": 19.9,
                   "properties": {"sizes": ["S", "M"], "cotton": True}}
        created = assert_wire(catalog, "createProduct", client.post("/products", json=product, headers=headers), 201)
        assert created["properties"] == product["properties"] and created["brand"] is None
        assert_wire(catalog, "createProduct", client.post("/products", json=product), 401)
        taken = client.post("/products", json=product, headers=headers)
        problem = assert_wire(catalog, "createProduct", taken, 409)
        assert problem["status"] == 409 and taken.headers["content-type"].startswith("application/problem+json")
        invalid = assert_wire(catalog, "createProduct",
                              client.post("/products", json={"sku": "X"}, headers=headers), 422)
        assert invalid["status"] == 422 and invalid["title"]

        got = assert_wire(catalog, "getProduct", client.get("/products/TSHIRT-1"), 200)
        assert got["name"] == "T-shirt"
        missing = client.get("/products/NOPE")
        assert assert_wire(catalog, "getProduct", missing, 404)["status"] == 404
        assert missing.headers["content-type"].startswith("application/problem+json")

        listed = assert_wire(catalog, "listProducts", client.get("/products", params={"category": "apparel"}), 200)
        assert [p["sku"] for p in listed["products"]] == ["TSHIRT-1"] and listed["total"] == 1
        other = assert_wire(catalog, "listProducts", client.get("/products", params={"category": "garden"}), 200)
        assert other["products"] == [] and other["total"] == 0

        patched = client.patch("/products/TSHIRT-1", headers=headers, json={"properties": {"sizes": ["L"]}})
        assert assert_wire(catalog, "updateProduct", patched, 200)["properties"] == {"sizes": ["L"]}
        assert_wire(catalog, "updateProduct", client.patch("/products/NOPE", headers=headers, json={"name": "n"}), 404)
        assert_wire(catalog, "updateProduct", client.patch("/products/TSHIRT-1", json={"name": "n"}), 401)
