"""Scale-out, proven: two replicas of a generated service on one PostgreSQL and one Redis.

Each replica is a ``uvicorn --workers 3`` process group on its own loopback port, as a pod runs it.
The service is the "orders" example (auth, a cached catalogue, idempotent creates, a per-route rate
limit). The tests show that what one replica does, the other sees: rate limits are global, a write
on one invalidates the other's cached reads, idempotency keys replay on either, tokens work on both;
that SIGKILL under write load loses no acknowledged write; that SIGTERM finishes in-flight requests;
and that a PostgreSQL restart is survived without restarting the service.
"""

from __future__ import annotations

import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.deploy._cluster import (
    PrivatePostgres,
    Replica,
    generate_project,
    migrate,
    scratch_database,
    scratch_redis_db,
    service_env,
)
from tests.utils.services import need_service, services_required

pytestmark = [pytest.mark.slow, pytest.mark.services]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "orders.blueprint.yaml"
PASSWORD = "correct-horse-battery-9"
# The service-wide limit stays on but out of the way of the write load; the per-route limit under
# test is the blueprint's 30/minute on payment creation.
SERVICE_WIDE_LIMIT = "1000000/minute"
PAYMENT_LIMIT = 30


@dataclass
class Cluster:
    project: Path
    database_url: str  # for the service (SQLAlchemy URL)
    dsn: str  # for the test (psycopg)
    redis_url: str
    a: Replica
    b: Replica

    def env(self) -> dict[str, str]:
        return service_env(self.database_url, self.redis_url, RATE_LIMIT=SERVICE_WIDE_LIMIT)

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []


@pytest.fixture(scope="module")
def project(scratch_dir: Path) -> Path:
    return generate_project(EXAMPLE, scratch_dir / "orders")


@pytest.fixture(scope="module")
def cluster(project: Path) -> Iterator[Cluster]:
    need_service("PostgreSQL", "127.0.0.1", 5432)
    need_service("Redis", "127.0.0.1", 6379)
    with scratch_database("postgresql://postgres@127.0.0.1:5432/postgres") as db, scratch_redis_db() as redis_db:
        dsn = f"postgresql://postgres@127.0.0.1:5432/{db}"
        env = service_env(f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}", f"redis://127.0.0.1:6379/{redis_db}",
                          RATE_LIMIT=SERVICE_WIDE_LIMIT)
        migrate(project, env)
        a, b = Replica("a", project, env).start(), Replica("b", project, env).start()
        try:
            a.wait_ready()
            b.wait_ready()
            yield Cluster(project, env["DATABASE_URL"], dsn, env["REDIS_URL"], a, b)
        finally:
            a.stop()
            b.stop()


def _signup(base: str, *, email: str | None = None) -> tuple[str, str]:
    """A new customer; returns (id, token)."""
    email = email or f"c-{uuid.uuid4().hex[:12]}@example.com"
    response = httpx.post(f"{base}/v1/auth/signup", json={"email": email, "name": "Scale", "password": PASSWORD})
    assert response.status_code == 201, response.text
    return response.json()["customer"]["id"], response.json()["token"]


def _login(base: str, email: str) -> str:
    response = httpx.post(f"{base}/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _order(reference: str) -> dict[str, Any]:
    return {"reference": reference, "shipping_address": {"line1": "1 Main St", "city": "Berlin"}}


# --- shared state across replicas --------------------------------------------------------------


def test_tokens_issued_by_one_replica_are_accepted_by_the_other(cluster: Cluster) -> None:
    email = f"t-{uuid.uuid4().hex[:10]}@example.com"
    customer_id, token_from_a = _signup(cluster.a.url, email=email)
    me = httpx.get(f"{cluster.b.url}/v1/me", headers=_auth(token_from_a))
    assert me.status_code == 200 and me.json()["id"] == customer_id
    token_from_b = _login(cluster.b.url, email)
    me = httpx.get(f"{cluster.a.url}/v1/me", headers=_auth(token_from_b))
    assert me.status_code == 200 and me.json()["id"] == customer_id
    forged = token_from_b[:-4] + ("AAAA" if not token_from_b.endswith("AAAA") else "BBBB")
    assert httpx.get(f"{cluster.a.url}/v1/me", headers=_auth(forged)).status_code == 401


def test_rate_limit_is_global_across_replicas_and_workers(cluster: Cluster) -> None:
    """30 payments a minute per client: 6 processes sharing Redis still let exactly 30 through."""
    _, token = _signup(cluster.a.url)
    order = httpx.post(f"{cluster.a.url}/v1/orders", json=_order("rate"), headers=_auth(token))
    assert order.status_code == 201, order.text
    path = f"/v1/orders/{order.json()['id']}/payments"
    body = {"amount": "1.00", "currency": "EUR", "method": "card"}
    statuses: list[int] = []
    retry_after: list[str] = []
    with httpx.Client() as client:
        for i in range(PAYMENT_LIMIT + 6):
            replica = (cluster.a, cluster.b)[i % 2]
            response = client.post(replica.url + path, json=body, headers=_auth(token))
            statuses.append(response.status_code)
            if response.status_code == 429:
                retry_after.append(response.headers.get("Retry-After", ""))
                assert response.headers["RateLimit-Remaining"] == "0"
    assert statuses == [201] * PAYMENT_LIMIT + [429] * 6, statuses
    assert all(value.isdigit() and int(value) > 0 for value in retry_after), retry_after


def _admin_token(cluster: Cluster) -> str:
    email = f"admin-{uuid.uuid4().hex[:10]}@example.com"
    customer_id, _ = _signup(cluster.a.url, email=email)
    cluster.sql("UPDATE customers SET role = 'admin' WHERE id = %s", customer_id)
    return _login(cluster.a.url, email)


def test_a_write_on_one_replica_invalidates_cached_reads_on_the_other(cluster: Cluster) -> None:
    admin = _admin_token(cluster)
    sku = f"SKU-{uuid.uuid4().hex[:8].upper()}"
    created = httpx.post(f"{cluster.a.url}/v1/catalog", headers=_auth(admin),
                         json={"sku": sku, "title": "Blue shirt", "price": "24.90", "currency": "EUR"})
    assert created.status_code == 201, created.text
    item = f"/v1/catalog/{sku}"
    assert httpx.get(cluster.b.url + item).json()["title"] == "Blue shirt"  # cached now

    # A change behind the service's back is not seen: the reads really are served from the cache.
    cluster.sql("UPDATE catalog_items SET title = 'Changed behind the cache' WHERE sku = %s", sku)
    assert httpx.get(cluster.a.url + item).json()["title"] == "Blue shirt"
    assert httpx.get(cluster.b.url + item).json()["title"] == "Blue shirt"

    updated = httpx.patch(cluster.a.url + item, json={"title": "Green shirt"}, headers=_auth(admin))
    assert updated.status_code == 200, updated.text
    for replica in (cluster.b, cluster.a, cluster.b):
        assert httpx.get(replica.url + item).json()["title"] == "Green shirt", replica.name
    listed = httpx.get(f"{cluster.b.url}/v1/catalog", params={"q": "shirt"})
    assert listed.status_code == 200
    titles = [i["title"] for i in listed.json()["items"] if i["sku"] == sku]
    assert titles == ["Green shirt"]


def test_idempotency_keys_replay_across_replicas(cluster: Cluster) -> None:
    _, token = _signup(cluster.a.url)
    key = uuid.uuid4().hex
    reference = f"idem-{key[:8]}"
    headers = {**_auth(token), "Idempotency-Key": key}
    first = httpx.post(f"{cluster.a.url}/v1/orders", json=_order(reference), headers=headers)
    assert first.status_code == 201, first.text
    replay = httpx.post(f"{cluster.b.url}/v1/orders", json=_order(reference), headers=headers)
    assert replay.status_code == 201 and replay.json() == first.json()
    assert replay.headers.get("Idempotent-Replayed") == "true"
    other_body = httpx.post(f"{cluster.b.url}/v1/orders", json=_order(reference + "-x"), headers=headers)
    assert other_body.status_code == 422, other_body.text
    assert cluster.sql("SELECT count(*) FROM orders WHERE reference = %s", reference) == [(1,)]


# --- failures ------------------------------------------------------------------------------------


@dataclass
class WriteLog:
    acknowledged: list[str]
    failed_connections: int
    other_errors: list[int]


def _write_load(bases: list[str], token: str, stop: threading.Event, log: WriteLog, prefix: str) -> None:
    with httpx.Client(timeout=10) as client:
        n = 0
        while not stop.is_set():
            base = bases[n % len(bases)]
            reference = f"{prefix}-{n}"
            n += 1
            try:
                response = client.post(f"{base}/v1/orders", json=_order(reference), headers=_auth(token))
            except httpx.TransportError:
                log.failed_connections += 1
                continue
            if 200 <= response.status_code < 300:
                log.acknowledged.append(response.json()["reference"])
            else:
                log.other_errors.append(response.status_code)


def test_sigkill_of_a_replica_under_write_load_loses_no_acknowledged_write(cluster: Cluster) -> None:
    victim = Replica("victim", cluster.project, cluster.env(), workers=2).start().wait_ready()
    try:
        _, token = _signup(cluster.a.url)
        stop = threading.Event()
        logs = [WriteLog([], 0, []) for _ in range(4)]
        prefix = f"kill-{uuid.uuid4().hex[:6]}"
        threads = [
            threading.Thread(target=_write_load, args=([victim.url, cluster.a.url], token, stop, log, f"{prefix}-{i}"))
            for i, log in enumerate(logs)
        ]
        for thread in threads:
            thread.start()
        time.sleep(2.0)
        acknowledged_before_kill = sum(len(log.acknowledged) for log in logs)
        victim.kill()
        time.sleep(1.5)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        victim.stop()
    acknowledged = [ref for log in logs for ref in log.acknowledged]
    assert acknowledged_before_kill > 20, "the write load did not get going before the kill"
    assert sum(log.failed_connections for log in logs) > 0, "the kill happened after the load stopped"
    stored = {row[0] for row in cluster.sql("SELECT reference FROM orders WHERE reference LIKE %s", prefix + "-%")}
    missing = sorted(set(acknowledged) - stored)
    assert missing == [], f"{len(missing)} acknowledged writes lost, e.g. {missing[:5]}"
    assert len(acknowledged) == len(set(acknowledged))
    assert all(status < 500 or status == 503 for log in logs for status in log.other_errors)
    print(f"SIGKILL under load: {len(acknowledged)} acknowledged writes ({acknowledged_before_kill} before the kill), "
          f"all stored; {sum(log.failed_connections for log in logs)} requests refused by the killed replica")


def test_sigterm_finishes_in_flight_requests(cluster: Cluster) -> None:
    """Requests blocked in the database when SIGTERM arrives still get their full answer."""
    replica = Replica("drain", cluster.project, cluster.env(), workers=2).start().wait_ready()
    _, token = _signup(cluster.a.url)
    results: list[int | str] = []

    def call() -> None:
        try:
            results.append(httpx.get(f"{replica.url}/v1/orders", headers=_auth(token), timeout=60).status_code)
        except httpx.HTTPError as exc:
            results.append(type(exc).__name__)

    try:
        with psycopg.connect(cluster.dsn) as conn:
            conn.execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")  # every read of orders now waits
            # DB_POOL_SIZE is 4 per worker: 4 requests reach the database whichever worker takes them.
            callers = [threading.Thread(target=call) for _ in range(4)]
            for thread in callers:
                thread.start()
            _wait_for(lambda: _waiting_on_lock(cluster) >= 4, timeout=20, what="requests to reach the database")
            replica.terminate()
            time.sleep(1.5)
            assert replica.process is not None and replica.process.poll() is None, "exited with requests in flight"
            assert results == []
        # the lock is released with the transaction: the in-flight requests finish
        for thread in callers:
            thread.join(timeout=30)
        assert results == [200] * 4, results
        assert replica.process.wait(timeout=30) == 0
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{replica.url}/health/live", timeout=2)
    finally:
        replica.stop()


def _waiting_on_lock(cluster: Cluster) -> int:
    rows = cluster.sql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = "
                       "current_database()")
    return int(rows[0][0])


def _wait_for(condition: Any, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    # Not under pytest's tmp_path: the server runs as the postgres user, who cannot enter root's 0700 dirs.
    try:
        server = PrivatePostgres(Path(tempfile.mkdtemp(prefix="ba-pg-")))
    except FileNotFoundError as exc:  # no PostgreSQL server binaries on this machine
        if services_required():
            pytest.fail(f"{exc}; BACKEND_AGENT_REQUIRE_SERVICES=1 forbids skipping")
        pytest.skip(str(exc))
    try:
        server.init().start()
        with psycopg.connect(server.dsn, autocommit=True) as conn:
            conn.execute("CREATE DATABASE orders")
        yield server
    finally:
        server.destroy()


def test_a_postgresql_restart_is_survived_without_restarting_the_service(
    project: Path, cluster: Cluster, private_postgres: PrivatePostgres
) -> None:
    env = service_env(private_postgres.url("orders"), cluster.redis_url, RATE_LIMIT=SERVICE_WIDE_LIMIT)
    migrate(project, env)
    replica = Replica("pg-restart", project, env, workers=2).start().wait_ready()
    try:
        _, token = _signup(replica.url)
        outcomes: list[tuple[float, int]] = []  # (time, status or 0 for a transport error)
        stop = threading.Event()

        def traffic() -> None:
            with httpx.Client(timeout=10) as client:
                n = 0
                while not stop.is_set():
                    n += 1
                    try:
                        status = client.post(f"{replica.url}/v1/orders", json=_order(f"pg-{n}"),
                                             headers=_auth(token)).status_code
                    except httpx.TransportError:
                        status = 0
                    outcomes.append((time.monotonic(), status))
                    time.sleep(0.02)

        pids_before = sorted(replica.pids())
        worker = threading.Thread(target=traffic)
        worker.start()
        time.sleep(1.0)
        private_postgres.stop("fast")
        time.sleep(1.0)
        private_postgres.start()
        back_at = time.monotonic()
        time.sleep(6.0)
        stop.set()
        worker.join(timeout=30)
        pids_after = sorted(replica.pids())
    finally:
        replica.stop()

    failures = [t for t, status in outcomes if status != 201]
    assert failures, "the restart did not interrupt any request; the test proves nothing"
    first_ok_after = min((t for t, status in outcomes if t > back_at and status == 201), default=None)
    assert first_ok_after is not None, "no request succeeded after PostgreSQL came back"
    recovery = first_ok_after - back_at
    assert recovery < 5.0, f"recovered {recovery:.2f} s after PostgreSQL was back"
    tail = [status for t, status in outcomes if t > first_ok_after]
    assert tail and all(status == 201 for status in tail), tail
    assert all(status in (0, 201, 500, 503) for _, status in outcomes)
    assert pids_after == pids_before and len(pids_before) >= 3, "the replica's processes were restarted"
    print(f"PostgreSQL restart: {len(failures)} failed requests, recovery {recovery:.2f} s after restart")

