"""examples/login (uuid ids named userId, token beside the account, 400 errors with a top-level message)
and examples/monitors (no auth, cursor pages, a computed count, nested probes) generated and served."""

from __future__ import annotations

import re

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


def _mailed_token(login: RunningService, address: str, subject: str) -> str:
    """The single-use token in the newest mail to ``address`` (the outbox holds it; nothing is sent here)."""
    body = login.run_python(
        "from sqlalchemy import select\n"
        "from app.core.database import engine\n"
        "from app.core.tables import outbox\n"
        "with engine.connect() as conn:\n"
        f"    print(conn.execute(select(outbox.c.body).where(outbox.c.recipient == {address!r},"
        f" outbox.c.subject == {subject!r}).order_by(outbox.c.id.desc())).scalars().first())")
    found = re.search(r"^([\w-]{16,}\.[\w-]{16,})$", body, re.MULTILINE)
    assert found, body
    return found.group(1)


def test_login_refresh_logout_verification_and_reset(login: RunningService) -> None:
    with httpx.Client(base_url=f"{login.base_url}/auth") as client:
        body = {"email": "bea@example.com", "password": PASSWORD, "displayName": "Bea"}
        session = assert_wire(login, "signUp", client.post("/signup", json=body), 201)
        assert session["refreshToken"] and session["refreshToken"] != session["token"]

        # refresh rotates: the spent token is refused, and reusing it revokes the whole family
        pair = assert_wire(login, "refreshSession", client.post("/token", json={"refreshToken": session["refreshToken"]}),
                           200)
        assert set(pair) == {"token", "refreshToken"} and pair["refreshToken"] != session["refreshToken"]
        assert_wire(login, "refreshSession", client.post("/token", json={"refreshToken": session["refreshToken"]}), 401)
        assert_wire(login, "refreshSession", client.post("/token", json={"refreshToken": pair["refreshToken"]}), 401)
        assert_wire(login, "refreshSession", client.post("/token", json={}), 400)

        # sign-out refuses the token from then on
        signed_in = assert_wire(login, "signIn", client.post("/signin", json={"email": body["email"],
                                                                              "password": PASSWORD}), 200)
        headers = {"Authorization": f"Bearer {signed_in['token']}"}
        assert_wire(login, "getProfile", client.get("/me", headers=headers), 200)
        assert_wire(login, "signOut", client.post("/signout", headers=headers), 204)
        assert_wire(login, "getProfile", client.get("/me", headers=headers), 401)
        assert_wire(login, "signOut", client.post("/signout", headers=headers), 401)

        # the verification mail's token works once
        token = _mailed_token(login, body["email"], "Confirm your email address")
        assert_wire(login, "verifyEmail", client.post("/verify", json={"token": token}), 204)
        assert_wire(login, "verifyEmail", client.post("/verify", json={"token": token}), 400)

        # a reset answers the same for unknown addresses, and its token sets a new password once
        assert_wire(login, "forgotPassword", client.post("/password/forgot", json={"email": "nobody@example.com"}),
                    202)
        assert_wire(login, "forgotPassword", client.post("/password/forgot", json={"email": body["email"]}), 202)
        reset = _mailed_token(login, body["email"], "Reset your password")
        new = {"token": reset, "password": "a brand new password"}
        assert_wire(login, "resetPassword", client.post("/password/reset", json=new), 204)
        assert_wire(login, "resetPassword", client.post("/password/reset", json=new), 400)
        old = client.post("/signin", json={"email": body["email"], "password": PASSWORD})
        assert_wire(login, "signIn", old, 401)
        assert_wire(login, "signIn", client.post("/signin", json={"email": body["email"],
                                                                  "password": new["password"]}), 200)


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
