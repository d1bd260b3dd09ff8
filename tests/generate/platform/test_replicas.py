"""Two replicas on one PostgreSQL and one Redis: limits, cache, idempotency and tokens are shared."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.generate.platform.conftest import Server, envelope_design, free_port, sign_in

pytestmark = pytest.mark.services


@pytest.fixture
def replicas(spawn: Callable[..., Server], postgres_database: str, redis_test_url: str,
             tmp_path_factory: pytest.TempPathFactory) -> tuple[Server, Server]:
    from tests.generate.platform.conftest import build_project

    project = build_project(tmp_path_factory.mktemp("replicas"), envelope_design())
    env = {"DATABASE_URL": postgres_database, "REDIS_URL": redis_test_url, "RATE_LIMIT": "12/minute"}
    first = spawn(project=project, env=env, name="replica-a")
    second = spawn(project=project, env=env, name="replica-b")
    return first, second


def test_state_is_shared_across_replicas(replicas: tuple[Server, Server]) -> None:
    a, b = replicas
    with a.client() as ca, b.client() as cb:
        # Tokens issued by one replica are accepted by the other.
        auth = sign_in(ca)
        assert cb.get("/api/me", headers=auth).status_code == 200

        # Idempotency keys replay on the other replica.
        key = {**auth, "Idempotency-Key": "replicated-1"}
        created = ca.post("/api/items", json={"item": {"name": "v1"}}, headers=key)
        replayed = cb.post("/api/items", json={"item": {"name": "v1"}}, headers=key)
        assert created.status_code == replayed.status_code == 201
        assert replayed.json() == created.json() and replayed.headers["idempotent-replayed"] == "true"
        item = created.json()["item"]["id"]

        # A write on one replica invalidates the cached read on the other.
        assert ca.get(f"/api/items/{item}").headers["x-cache"] == "miss"
        cached = ca.get(f"/api/items/{item}")
        assert cached.headers["x-cache"] == "hit"
        assert cb.get(f"/api/items/{item}").headers["x-cache"] == "hit"  # one cache for both
        updated = cb.put(f"/api/items/{item}", json={"item": {"name": "v2"}},
                         headers={**auth, "If-Match": cached.headers["etag"]})
        assert updated.status_code == 200
        after = ca.get(f"/api/items/{item}")
        assert after.headers["x-cache"] == "miss" and after.json()["item"]["name"] == "v2"

        # Logout on one replica is honoured by the other.
        assert ca.post("/api/logout", headers=auth).status_code == 204
        assert cb.get("/api/me", headers=auth).status_code == 401


def test_the_rate_limit_is_global_across_replicas(replicas: tuple[Server, Server]) -> None:
    a, b = replicas
    with a.client() as ca, b.client() as cb:
        # 7 requests to each replica: each alone would stay under 12/minute; together they must not.
        statuses = [client.get("/api/time").status_code for _ in range(7) for client in (ca, cb)]
        assert statuses == [200] * 12 + [429, 429], statuses
        refused = cb.get("/api/time")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) > 0 and refused.headers["ratelimit-remaining"] == "0"


def test_postgresql_timestamps_and_readiness(spawn: Callable[..., Server], postgres_database: str) -> None:
    server = spawn(env={"DATABASE_URL": postgres_database})
    with server.client() as client:
        body = client.get("/api/time").json()
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["sql"])
        assert body["sql"] == body["python"]
        assert client.get("/health/ready").json() == {"status": "ok", "checks": {"database": "ok"}}
        auth = sign_in(client)
        first = client.post("/api/items", json={"item": {"name": "pg1"}}, headers=auth).json()["item"]["id"]
        client.post("/api/items", json={"item": {"name": "pg2"}}, headers=auth)
        assert client.get(f"/api/items/{first}/names").json() == {"names": ["pg1", "pg2"], "row": ["pg1"]}


def test_readiness_fails_when_the_database_is_unreachable(spawn: Callable[..., Server], tmp_path_factory:
                                                          pytest.TempPathFactory) -> None:
    from tests.generate.platform.conftest import build_project, conduit_design

    project = build_project(tmp_path_factory.mktemp("down"), conduit_design())
    # The test app creates its tables at import; point it at SQLite for that, then at a dead server.
    main = project / "app" / "main.py"
    main.write_text(main.read_text().replace("metadata.create_all(engine)\nplatform_metadata.create_all(engine)\n", ""))
    server = spawn(project=project, env={
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/none", "OUTBOX_ENABLED": "false"})
    with server.client() as client:
        assert client.get("/health/live").status_code == 200
        ready = client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"].startswith("unavailable")


def test_the_service_survives_postgresql_dropping_its_connections(spawn: Callable[..., Server],
                                                                  postgres_database: str) -> None:
    """No pre-ping on checkout: a connection the server dropped is found when used, the pool renewed
    and the request still answered (reads retry once, writes retry a failed BEGIN) instead of a 500."""
    import psycopg

    server = spawn(env={"DATABASE_URL": postgres_database, "OUTBOX_ENABLED": "false"})
    admin = postgres_database.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    database = postgres_database.rsplit("/", 1)[1]

    def drop_connections() -> int:
        with psycopg.connect(admin, autocommit=True) as conn:
            rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = %s AND pid <> pg_backend_pid()", (database,)).fetchall()
        return len(rows)

    with server.client() as client:
        auth = sign_in(client)
        first = client.post("/api/items", json={"item": {"name": "before"}}, headers=auth).json()["item"]["id"]
        for _ in range(6):  # the driver prepares a statement after a few runs: drop those connections too
            assert client.get(f"/api/items/{first}/names").status_code == 200
        assert drop_connections() >= 1
        prepared = client.get(f"/api/items/{first}/names")  # Prepared: the driver's cursor
        assert prepared.status_code == 200, prepared.text
        assert prepared.json()["names"] == ["before"]
        assert drop_connections() >= 1
        core = client.get("/api/time")  # conn.execute
        assert core.status_code == 200, core.text
        assert drop_connections() >= 1
        written = client.post("/api/items", json={"item": {"name": "after"}}, headers=auth)
        assert written.status_code == 201, written.text
        assert client.get("/health/ready").status_code == 200
    assert " 500 " not in server.logs() and "Traceback" not in server.logs()
