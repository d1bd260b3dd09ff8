"""Error bodies, middleware and operations endpoints of the rendered app/core, over real HTTP."""

from __future__ import annotations

import re
import signal
import socket
import threading
import time
from collections.abc import Callable

import httpx

from tests.generate.platform.conftest import Server

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_every_framework_error_has_the_blueprint_error_body(sqlite_server: Server, auth: dict[str, str]) -> None:
    with sqlite_server.client() as client:
        unknown = client.get("/api/nothing-here")
        assert (unknown.status_code, unknown.json()) == (404, {"errors": {"body": ["not found"]}})

        wrong_method = client.delete("/api/me")
        assert wrong_method.status_code == 405
        assert wrong_method.json() == {"errors": {"body": ["method not allowed"]}}
        assert "GET" in wrong_method.headers["allow"]

        invalid = client.post("/api/items", json={"item": {"name": ""}}, headers=auth)
        assert invalid.status_code == 422
        assert list(invalid.json()["errors"]) == ["name"]

        malformed = client.post("/api/items", content=b'{"item": {', headers={**auth, "Content-Type": "application/json"})
        assert malformed.status_code == 422
        assert malformed.json() == {"errors": {"body": ["the body is not valid JSON"]}}

        wrong_type = client.get("/api/items/not-a-number")
        assert wrong_type.status_code == 422 and "item_id" in wrong_type.json()["errors"]


def test_an_unhandled_exception_is_a_500_without_details_and_the_connection_survives(sqlite_server: Server, auth: dict[str, str]) -> None:
    with sqlite_server.client() as client:
        response = client.get("/api/boom", headers={"X-Request-ID": "boom-1"})
        assert response.status_code == 500
        assert response.json() == {"errors": {"body": ["internal server error"]}}
        assert "passwd" not in response.text and "Traceback" not in response.text
        # Same keep-alive connection still serves.
        assert client.get("/health/live").status_code == 200
    log = sqlite_server.logs()
    assert '"request_id":"boom-1"' in log and "RuntimeError" in log


def test_oversize_bodies_are_refused_with_413_declared_or_streamed(sqlite_server: Server, auth: dict[str, str]) -> None:
    big = b'{"item": {"name": "' + b"x" * (1024 * 1024 + 10) + b'"}}'
    with sqlite_server.client() as client:
        declared = client.post("/api/items", content=big, headers={**auth, "Content-Type": "application/json"})
        assert declared.status_code == 413
        assert declared.json() == {"errors": {"body": ["request body too large"]}}

        def chunks() -> object:
            for start in range(0, len(big), 65536):
                yield big[start:start + 65536]

        streamed = client.post("/api/items", content=chunks(), headers={**auth, "Content-Type": "application/json"})
        assert streamed.status_code == 413
        assert streamed.json() == {"errors": {"body": ["request body too large"]}}


def test_garbage_on_the_wire_never_produces_a_500(sqlite_server: Server, auth: dict[str, str]) -> None:
    host, port = sqlite_server.url.removeprefix("http://").split(":")
    nasty = [
        b"GET /api/items/%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /api/verify/confirm HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n\xff\xfe\x00{}[]\"",
        b"POST /api/verify/confirm HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n",
        b"GET /api/me HTTP/1.1\r\nHost: x\r\nAuthorization: Token \xff\xff.\x00.x\r\n\r\n",
    ]
    for raw in nasty:
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(raw)
            head = sock.recv(65536).split(b"\r\n", 1)[0]
        status = int(head.split()[1])
        assert 400 <= status < 500, (raw, head)
    with httpx.Client(base_url=sqlite_server.url) as client:
        for body in ([], "x", {"token": None}, {"token": "a" * 10_000}, {"token": {"$gt": ""}}, {"token": 1e308}):
            assert client.post("/api/verify/confirm", json=body).status_code == 422
        assert client.get("/api/me", headers={"Authorization": "Token not.a.jwt"}).status_code == 401
        assert client.get("/api/me", headers={"Authorization": "Bearer x"}).status_code == 401


def test_request_id_security_headers_and_json_access_log(sqlite_server: Server, auth: dict[str, str]) -> None:
    with sqlite_server.client() as client:
        response = client.get("/health/live", headers={"X-Request-ID": "abc-123"})
        generated = client.get("/health/live", headers={"X-Request-ID": "<script>"})
    assert response.headers["x-request-id"] == "abc-123"
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])  # unsafe ids are replaced
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "strict-transport-security" not in response.headers  # development/test mode: plain HTTP
    assert '"route":"/health/live","status":200' in sqlite_server.logs()


def test_cors_allows_only_the_configured_origins(sqlite_server: Server, auth: dict[str, str]) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    with sqlite_server.client() as client:
        allowed = client.options("/api/items", headers={"Origin": "http://localhost:3000", **preflight})
        denied = client.options("/api/items", headers={"Origin": "https://evil.example", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "access-control-allow-origin" not in denied.headers


def test_health_and_metrics(sqlite_server: Server, auth: dict[str, str]) -> None:
    with sqlite_server.client() as client:
        assert client.get("/health/ready").json() == {"status": "ok", "checks": {"database": "ok"}}
        client.get("/api/items/999")
        text = client.get("/metrics").text
    assert 'http_requests_total{method="GET",route="/api/items/{item_id}",status="404"}' in text
    assert 'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/items/{item_id}"}' in text
    assert 'route="unmatched"' in text or "/api/nothing-here" not in text  # unknown paths never become labels


def test_timestamps_are_rfc3339_utc_milliseconds_in_python_and_sql(sqlite_server: Server, auth: dict[str, str]) -> None:
    with sqlite_server.client() as client:
        body = client.get("/api/time").json()
    assert TIMESTAMP.match(body["python"]) and body["python"] == body["sql"] == body["native"]


def test_route_rate_limit_headers_and_429(spawn: Callable[..., Server]) -> None:
    server = spawn(env={"RATE_LIMIT": "1000/minute"})
    wrong = {"email": "nobody@example.com", "password": "wrong password"}
    with server.client() as client:
        statuses = []
        for _ in range(8):
            response = client.post("/api/login", json=wrong)
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
        assert statuses[-1] == 429, statuses
        assert response.json()["errors"]["body"][0].startswith("too many")
        assert int(response.headers["retry-after"]) > 0
        assert response.headers["ratelimit-remaining"] == "0"
        assert response.headers["ratelimit-limit"] == "5"
        other = client.get("/health/live")
        assert "ratelimit-limit" not in other.headers  # health is not limited
        api = client.get("/api/items/1")
        assert api.headers["ratelimit-limit"] == "1000"  # the service-wide limit


def test_idempotency_key_replays_and_refuses_a_different_body(sqlite_server: Server, auth: dict[str, str]) -> None:
    with sqlite_server.client() as client:
        key = {"Idempotency-Key": "create-once-1"}
        first = client.post("/api/items", json={"item": {"name": "once"}}, headers={**auth, **key})
        again = client.post("/api/items", json={"item": {"name": "once"}}, headers={**auth, **key})
        other = client.post("/api/items", json={"item": {"name": "twice"}}, headers={**auth, **key})
        fresh = client.post("/api/items", json={"item": {"name": "once"}}, headers=auth)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert other.status_code == 422
    assert fresh.json()["item"]["id"] != first.json()["item"]["id"]


def test_cache_serves_then_invalidates_on_write_and_if_match_prevents_lost_updates(sqlite_server: Server, auth: dict[str, str]) -> None:
    with sqlite_server.client() as client:
        item_id = client.post("/api/items", json={"item": {"name": "v1"}}, headers=auth).json()["item"]["id"]
        miss = client.get(f"/api/items/{item_id}")
        hit = client.get(f"/api/items/{item_id}")
        assert (miss.headers["x-cache"], hit.headers["x-cache"]) == ("miss", "hit")
        etag = hit.headers["etag"]
        assert client.get(f"/api/items/{item_id}", headers={"If-None-Match": etag}).status_code in (200, 304)

        updated = client.put(f"/api/items/{item_id}", json={"item": {"name": "v2"}}, headers={**auth, "If-Match": etag})
        assert updated.status_code == 200
        stale = client.put(f"/api/items/{item_id}", json={"item": {"name": "v3"}}, headers={**auth, "If-Match": etag})
        assert stale.status_code == 412
        after = client.get(f"/api/items/{item_id}")
        assert after.headers["x-cache"] == "miss" and after.json()["item"]["name"] == "v2"


def test_prepared_statements_run_precompiled_sql(sqlite_server: Server, auth: dict[str, str]) -> None:
    with sqlite_server.client() as client:
        first = client.post("/api/items", json={"item": {"name": "p1"}}, headers=auth).json()["item"]["id"]
        client.post("/api/items", json={"item": {"name": "p2"}}, headers=auth)
        names = client.get(f"/api/items/{first}/names").json()
        missing = client.get("/api/items/999999/names")
    assert names == {"names": ["p1", "p2"], "row": ["p1"]}
    assert missing.status_code == 404


def test_sigterm_lets_in_flight_requests_finish(spawn: Callable[..., Server]) -> None:
    server = spawn()
    result: dict[str, httpx.Response] = {}

    def call() -> None:
        result["slow"] = httpx.get(server.url + "/api/slow", timeout=30)

    worker = threading.Thread(target=call)
    worker.start()
    time.sleep(0.5)  # the request is in flight
    server.process.send_signal(signal.SIGTERM)
    worker.join(timeout=30)
    assert result["slow"].status_code == 200 and result["slow"].json() == {"finished": True}
    # uvicorn re-raises SIGTERM once the shutdown is complete, so the exit status is the signal's.
    assert server.process.wait(timeout=15) in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in server.logs()
