"""examples/login (uuid ids named userId, token beside the account, 400 errors with a top-level message)
and examples/monitors (no auth, cursor pages, a computed count, nested probes) generated and served."""

from __future__ import annotations

import httpx

from tests.generate.contract.conftest import RunningService, assert_serves_its_contract, assert_wire

PASSWORD = "correct horse battery"


def test_login_serves_its_contract(login: RunningService) -> None:
    assert_serves_its_contract(login)


def test_login_sign_up_sign_in_and_profile(login: RunningService) -> None:
    with httpx.Client(base_url=f"{login.base_url}/auth") as client:
        body = {"email": "ann@example.com", "password": PASSWORD, "displayName": "Ann"}
        signed_up = assert_wire(login, "signUp", client.post("/signup", json=body), 201)
        assert signed_up["token"] and signed_up["account"]["email"] == "ann@example.com"
        assert len(signed_up["account"]["userId"]) == 36
        again = assert_wire(login, "signUp", client.post("/signup", json=body), 409)
        assert again["message"]
        short = assert_wire(login, "signUp", client.post("/signup", json={**body, "password": "short"}), 400)
        assert "password" in short["message"]

        signed_in = assert_wire(login, "signIn", client.post("/signin", json={"email": body["email"],
                                                                              "password": PASSWORD}), 200)
        wrong = client.post("/signin", json={"email": body["email"], "password": "not the password"})
        assert_wire(login, "signIn", wrong, 401)
        headers = {"Authorization": f"Bearer {signed_in['token']}"}
        me = assert_wire(login, "getProfile", client.get("/me", headers=headers), 200)
        assert me["userId"] == signed_up["account"]["userId"]
        assert_wire(login, "getProfile", client.get("/me"), 401)
        renamed = assert_wire(login, "updateProfile", client.patch("/me", headers=headers,
                                                                   json={"displayName": "Annie"}), 200)
        assert renamed["displayName"] == "Annie"
        too_long = client.patch("/me", headers=headers, json={"displayName": "x" * 61})
        assert_wire(login, "updateProfile", too_long, 400)


def test_monitors_serves_its_contract(monitors: RunningService) -> None:
    assert_serves_its_contract(monitors)


def test_monitors_crud_cursor_pages_and_probes(monitors: RunningService) -> None:
    with httpx.Client(base_url=f"{monitors.base_url}/api/v1") as client:
        created = [assert_wire(monitors, "createMonitor",
                               client.post("/monitors", json={"name": f"m{i}", "url": f"https://e{i}.example"}), 201)
                   for i in range(3)]
        assert created[0]["interval_seconds"] == 60 and created[0]["probe_count"] == 0
        assert_wire(monitors, "createMonitor", client.post("/monitors", json={"name": "x", "url": "https://x.example",
                                                                             "interval_seconds": 5}), 422)
        first = assert_wire(monitors, "listMonitors", client.get("/monitors", params={"limit": 2}), 200)
        assert len(first["items"]) == 2 and first["next_cursor"]
        rest = assert_wire(monitors, "listMonitors",
                           client.get("/monitors", params={"limit": 2, "cursor": first["next_cursor"]}), 200)
        assert {m["id"] for m in first["items"] + rest["items"]} == {m["id"] for m in created}
        assert rest["next_cursor"] is None

        monitor_id = created[0]["id"]
        probe = client.post(f"/monitors/{monitor_id}/probes", json={"ok": True, "latency_ms": 12, "status_code": 200})
        assert assert_wire(monitors, "recordProbe", probe, 201)["latency_ms"] == 12
        probes = assert_wire(monitors, "listProbes", client.get(f"/monitors/{monitor_id}/probes"), 200)
        assert [p["status_code"] for p in probes["items"]] == [200]
        assert_wire(monitors, "listProbes", client.get("/monitors/999999/probes"), 404)
        got = assert_wire(monitors, "getMonitor", client.get(f"/monitors/{monitor_id}"), 200)
        assert got["probe_count"] == 1
        paused = client.patch(f"/monitors/{monitor_id}", json={"state": "paused"})
        assert assert_wire(monitors, "updateMonitor", paused, 200)["state"] == "paused"
        assert_wire(monitors, "updateMonitor", client.patch(f"/monitors/{monitor_id}", json={"state": "gone"}), 422)
        assert_wire(monitors, "getMonitor", client.get("/monitors/999999"), 404)
        assert_wire(monitors, "deleteMonitor", client.delete(f"/monitors/{monitor_id}"), 204)
        assert_wire(monitors, "deleteMonitor", client.delete(f"/monitors/{monitor_id}"), 404)
