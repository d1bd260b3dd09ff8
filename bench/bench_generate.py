"""Benchmark the generated conduit service against FastAPI's hello world and a hand-written version.

Run: .venv/bin/python bench/bench_generate.py [--duration 10] [--dialects sqlite,postgresql]

Targets (issue 10, Performance): wrk on loopback, 50 connections, one uvicorn worker. For a GET of
an article by slug (tags, author profile, favourites count, ``favorited`` for the signed-in user)
and for a list of 20 of them, the generated service reaches >= 20 % (GET) / >= 10 % (list) of the
requests per second of a hello-world endpoint measured in the same run, with p95 < 50 ms, and
>= 3x the hand-written FastAPI + SQLAlchemy ORM + pydantic version in ``bench/handwritten/``.
Both services read the same seeded data on SQLite and on PostgreSQL. ``backend-agent new`` for the
example must take < 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
from argon2 import PasswordHasher
from sqlalchemy import MetaData, create_engine, insert, text
from sqlalchemy.engine import Engine

REPO = Path(__file__).resolve().parents[1]
BLUEPRINT = REPO / "examples" / "conduit.blueprint.yaml"
PYTHON = sys.executable
CONNECTIONS = 50
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
PASSWORD = "benchmark-password"
SEED = {"users": 200, "articles": 1000, "tags": 50, "tags_per_article": 3, "max_favorites": 20, "follows": 10}
WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("REPORT %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), errors, summary.errors.status))
end
"""
TARGET_GET, TARGET_LIST, TARGET_P95_MS, TARGET_VS_HANDWRITTEN = 0.20, 0.10, 50.0, 3.0


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    cpu_ms: float | None  # the server process's CPU time per request: steady on a shared machine


@dataclass
class Served:
    url: str
    pid: int


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux), or None where /proc is not there."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- data ------------------------------------------------------------------------------------------


def seed(engine: Engine) -> str:
    """The same deterministic data in either schema; returns the slug of a well-connected article."""
    rng = random.Random(42)
    tables = MetaData()
    tables.reflect(engine, only=["users", "tags", "articles", "article_tags", "favorites", "follows"])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    password_hash = PasswordHasher().hash(PASSWORD)
    users = [{"id": i, "email": f"user{i}@example.com", "username": f"user{i}", "password_hash": password_hash,
              "bio": f"bio of user {i}", "image": "", "role": "user", "created_at": start, "updated_at": start}
             for i in range(1, SEED["users"] + 1)]
    tags = [{"id": i, "name": f"tag{i}"} for i in range(1, SEED["tags"] + 1)]
    articles, article_tags, favorites = [], [], []
    for i in range(1, SEED["articles"] + 1):
        moment = start + timedelta(minutes=i, milliseconds=i)
        articles.append({"id": i, "slug": f"article-{i}", "title": f"Article {i}", "description": f"About {i}",
                         "body": f"Body of article {i}. " * 20, "author_id": rng.randint(1, SEED["users"]),
                         "created_at": moment, "updated_at": moment})
        for tag in rng.sample(range(1, SEED["tags"] + 1), SEED["tags_per_article"]):
            article_tags.append({"article_id": i, "tag_id": tag, "created_at": moment})
        for user in rng.sample(range(1, SEED["users"] + 1), rng.randint(0, SEED["max_favorites"])):
            favorites.append({"article_id": i, "user_id": user, "created_at": moment})
    if not any(f["article_id"] == 1 and f["user_id"] == 1 for f in favorites):
        favorites.append({"article_id": 1, "user_id": 1, "created_at": start})  # the viewer's flag is true
    follows = [{"user_id": u, "followed_user_id": f, "created_at": start}
               for u in range(1, SEED["users"] + 1)
               for f in rng.sample([x for x in range(1, SEED["users"] + 1) if x != u], SEED["follows"])]
    with engine.begin() as conn:
        for name, rows in (("users", users), ("tags", tags), ("articles", articles),
                           ("article_tags", article_tags), ("favorites", favorites), ("follows", follows)):
            conn.execute(insert(tables.tables[name]), rows)
        if engine.dialect.name == "postgresql":
            for name in ("users", "tags", "articles"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"))
    # Planner statistics and visibility maps, as autovacuum gives any real database after bulk inserts:
    # without them PostgreSQL plans the subqueries of both services on default row estimates and its
    # index-only scans visit the table anyway.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    return "article-1"


@contextmanager
def database(dialect: str, name: str, folder: Path) -> Iterator[str]:
    """A fresh database URL for one service."""
    if dialect == "sqlite":
        yield f"sqlite:///{folder / (name + '.sqlite3')}"
        return
    import psycopg

    admin = POSTGRES_SERVER.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    db = f"bench_{name}_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    try:
        yield f"{POSTGRES_SERVER}/{db}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


# -- services --------------------------------------------------------------------------------------


@contextmanager
def serve(app: str, cwd: Path, env: dict[str, str], log: Path) -> Iterator[Served]:
    """One uvicorn worker (uvloop + httptools, no access log) on a free loopback port."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
             "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"],
            cwd=cwd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{app} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                httpx.get(url + "/", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{app} did not start:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.2)
        yield Served(url, process.pid)  # one worker: uvicorn serves in this very process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wrk(name: str, server: Served, path: str, duration: int, script: Path, headers: dict[str, str]) -> Result:
    url = server.url + path
    args = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{duration}s", "--timeout", "10s", "-s", str(script)]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    subprocess.run([*args[:3], "-d2s", *args[4:], url], capture_output=True, check=True)  # warm-up
    cpu_before = cpu_seconds(server.pid)
    output = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    cpu_after = cpu_seconds(server.pid)
    line = next(line for line in output.splitlines() if line.startswith("REPORT "))
    requests, duration_us, p50_us, p95_us, p99_us, errors, non2xx = (int(part) for part in line.split()[1:])
    cpu_ms = None
    if cpu_before is not None and cpu_after is not None and requests:
        cpu_ms = (cpu_after - cpu_before) * 1000 / requests
    return Result(name, requests / (duration_us / 1e6), p50_us / 1000, p95_us / 1000, p99_us / 1000,
                  errors + non2xx, cpu_ms)


def generate(folder: Path) -> tuple[Path, float]:
    out = folder / "conduit"
    started = time.perf_counter()
    subprocess.run([str(Path(PYTHON).parent / "backend-agent"), "new", str(BLUEPRINT), "-o", str(out)],
                   check=True, capture_output=True, text=True)
    return out, time.perf_counter() - started


def service_token(url: str) -> str:
    reply = httpx.post(url + "/api/users/login", json={"user": {"email": "user1@example.com", "password": PASSWORD}},
                       timeout=30)
    reply.raise_for_status()
    return str(reply.json()["user"]["token"])


def handwritten_token(secret: str) -> str:
    return jwt.encode({"sub": "1", "exp": datetime.now(UTC) + timedelta(hours=2)}, secret, algorithm="HS256")


def _normalised(value: object) -> object:
    """The document with tag lists sorted (the API does not promise an order)."""
    if isinstance(value, dict):
        return {key: sorted(item) if key == "tagList" else _normalised(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normalised(item) for item in value]
    return value


def same_document(a: str, b: str, path: str, headers_a: dict[str, str], headers_b: dict[str, str]) -> None:
    """Both services must answer the benchmarked requests identically, or the comparison means nothing."""
    left = httpx.get(a + path, headers=headers_a, timeout=30)
    right = httpx.get(b + path, headers=headers_b, timeout=30)
    if left.status_code != 200 or _normalised(left.json()) != _normalised(right.json()):
        raise SystemExit(f"the services disagree on GET {path}:\n generated:   {left.text[:600]}\n"
                         f" hand-written: {right.text[:600]}")


# -- the run ---------------------------------------------------------------------------------------


def measure_dialect(dialect: str, project: Path, folder: Path, duration: int, script: Path,
                    slug: str = "article-1") -> list[Result]:
    secret = secrets.token_urlsafe(48)
    results: list[Result] = []
    with database(dialect, "generated", folder) as gen_url, database(dialect, "handwritten", folder) as hand_url:
        env = {"APP_ENV": "production", "APP_SECRET": secret, "DATABASE_URL": gen_url, "LOG_LEVEL": "WARNING",
               "RATE_LIMIT_ENABLED": "false", "OUTBOX_ENABLED": "false", "PYTHONPATH": str(project)}
        # Both databases get the generated project's migration: the same tables, indexes and data.
        for url in (gen_url, hand_url):
            subprocess.run([PYTHON, "-m", "alembic", "upgrade", "head"], cwd=project,
                           env={**os.environ, **env, "DATABASE_URL": url}, check=True, capture_output=True)
            seed(create_engine(url))
        hand_env = {"DATABASE_URL": hand_url, "APP_SECRET": secret, "PYTHONPATH": str(REPO)}
        with serve("app.main:app", project, env, folder / f"generated-{dialect}.log") as gen, \
                serve("bench.handwritten.main:app", REPO, hand_env, folder / f"handwritten-{dialect}.log") as hand:
            gen_auth = {"Authorization": f"Token {service_token(gen.url)}"}
            hand_auth = {"Authorization": f"Token {handwritten_token(secret)}"}
            paths = {"get": f"/api/articles/{slug}", "list": "/api/articles?limit=20"}
            for kind, path in paths.items():
                same_document(gen.url, hand.url, path, gen_auth, hand_auth)
                results.append(wrk(f"{dialect} {kind} generated", gen, path, duration, script, gen_auth))
                results.append(wrk(f"{dialect} {kind} hand-written", hand, path, duration, script, hand_auth))
    return results


def measure_hello(folder: Path, duration: int, script: Path) -> Result:
    with serve("bench.handwritten.hello:app", REPO, {"PYTHONPATH": str(REPO)}, folder / "hello.log") as server:
        return wrk("hello", server, "/hello", duration, script, {})


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _mark(ok: bool) -> str:
    return "ok" if ok else "NO"


def report(hello: Result, results: list[Result], new_seconds: float) -> bool:
    """Per database and endpoint: throughput, latency, the ratios and each target's verdict."""
    print(f"\nbackend-agent new (conduit): {new_seconds:.2f} s (target < 10 s): {_mark(new_seconds < 10)}")
    hello_cpu = f", {hello.cpu_ms:.3f} ms CPU/request" if hello.cpu_ms else ""
    print(f"hello world (mean of the bracketing runs): {hello.rps:,.0f} req/s, p50 {hello.p50_ms:.1f} / "
          f"p95 {hello.p95_ms:.1f} / p99 {hello.p99_ms:.1f} ms{hello_cpu}")
    print(f"with {CONNECTIONS} connections the mean latency is {CONNECTIONS}/throughput (Little's law): p95 < "
          f"{TARGET_P95_MS:.0f} ms needs well over {CONNECTIONS * 1000 / TARGET_P95_MS:,.0f} req/s\n")
    print(f"{'endpoint':<30}{'req/s':>7}{'p50':>7}{'p95':>7}{'p99':>7}{'x hello':>8}{'x hand':>7}{'cpu ms':>7}"
          f"{'cpu x hello':>12}{'err':>5}  targets")
    by_name = {r.name: r for r in results}
    ok = new_seconds < 10
    for result in results:
        dialect, kind, who = result.name.split()
        share = result.rps / hello.rps
        cpu = f"{result.cpu_ms:>7.3f}" if result.cpu_ms is not None else f"{'-':>7}"
        cpu_share = (f"{hello.cpu_ms / result.cpu_ms:>11.1%} " if hello.cpu_ms and result.cpu_ms
                     else f"{'-':>11} ")
        line = (f"{result.name:<30}{result.rps:>7,.0f}{result.p50_ms:>7.1f}{result.p95_ms:>7.1f}"
                f"{result.p99_ms:>7.1f}{share:>8.1%}")
        if who == "generated":
            hand = by_name[f"{dialect} {kind} hand-written"]
            speedup = result.rps / hand.rps if hand.rps else float("inf")
            floor = TARGET_GET if kind == "get" else TARGET_LIST
            checks = {f">={floor:.0%} hello": share >= floor, f"p95<{TARGET_P95_MS:.0f}ms": result.p95_ms < TARGET_P95_MS,
                      f">={TARGET_VS_HANDWRITTEN:.0f}x hand": speedup >= TARGET_VS_HANDWRITTEN,
                      "no errors": result.errors == 0}
            ok = ok and all(checks.values())
            verdict = ", ".join(f"{name} {_mark(passed)}" for name, passed in checks.items())
            line += f"{speedup:>6.1f}x{cpu}{cpu_share}{result.errors:>5}  {verdict}"
        else:
            line += f"{'':>7}{cpu}{cpu_share}{result.errors:>5}"
        print(line)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement (default 10)")
    parser.add_argument("--dialects", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk); it drives the load", file=sys.stderr)
        return 2
    dialects = [d.strip() for d in args.dialects.split(",") if d.strip()]
    if "postgresql" in dialects and not postgres_reachable():
        print("PostgreSQL is not reachable on 127.0.0.1:5432: measuring SQLite only", file=sys.stderr)
        dialects.remove("postgresql")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="ba-bench-gen-") as tmp:
        folder = Path(tmp)
        script = folder / "report.lua"
        script.write_text(WRK_REPORT)
        project, new_seconds = generate(folder)
        results: list[Result] = []
        hellos = [measure_hello(folder, args.duration, script)]
        for dialect in dialects:
            results += measure_dialect(dialect, project, folder, args.duration, script)
            hellos.append(measure_hello(folder, args.duration, script))  # the machine is shared: bracket
        hello = Result("hello", sum(h.rps for h in hellos) / len(hellos), max(h.p50_ms for h in hellos),
                       max(h.p95_ms for h in hellos), max(h.p99_ms for h in hellos), sum(h.errors for h in hellos),
                       _mean([h.cpu_ms for h in hellos]))
        print("hello-world runs: " + ", ".join(f"{h.rps:,.0f} req/s" for h in hellos), file=sys.stderr)
    print(json.dumps({"hello": hello.__dict__, "new_seconds": round(new_seconds, 2), "load_average": os.getloadavg()[0],
                      "results": [r.__dict__ for r in results]}))
    passed = report(hello, results, new_seconds)
    print(f"load average at the start {load_before[0]:.2f}, at the end {os.getloadavg()[0]:.2f} "
          f"({os.cpu_count()} CPUs; wrk and the server share them)")
    print("\nall targets met" if passed else "\nsome targets NOT met (see the NO marks)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
