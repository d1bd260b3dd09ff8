"""Throughput of a generated service with 1 and 2 uvicorn workers, as a ratio (issue 13).

The "orders" example is generated, migrated on its embedded SQLite database, seeded with one
catalogue item, and started twice on loopback: ``--workers 1`` and ``--workers 2``. wrk drives
``GET /v1/catalog/{sku}`` (a public read that goes to the database: the read cache is off) with
50 connections, alternating between the two servers for several rounds; the figure is the median
requests per second, and the ratio is 2 workers over 1 in the same session. ``GET /health/live``
(no database) is measured the same way, to tell the framework's scaling from the database's. On the 2-core machine wrk itself takes CPU, so the ideal ratio is below 2.

    .venv/bin/python bench/bench_workers.py [--seconds 8] [--connections 50] [--rounds 3] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "orders.blueprint.yaml"
PASSWORD = "correct-horse-battery-9"
SKU = "BENCH-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(project: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "APP_", "RATE_"))}
    env.update(
        APP_ENV="production",
        APP_SECRET="bench-workers-secret-" + "x" * 40,
        DATABASE_URL=f"sqlite:///{project / 'bench.sqlite3'}",
        RATE_LIMIT_ENABLED="false",
        CACHE_ENABLED="false",
        LOG_LEVEL="WARNING",
    )
    return env


@contextlib.contextmanager
def _server(project: Path, workers: int) -> Iterator[str]:
    port = _free_port()
    log = (project / f"server-{workers}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--no-access-log"],
        cwd=project, env=_env(project), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {(project / f'server-{workers}.log').read_text()[-2000:]}")
            started = (project / f"server-{workers}.log").read_text(errors="replace").count("startup complete")
            with contextlib.suppress(httpx.HTTPError):
                if started >= workers and httpx.get(base + "/health/ready", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("server not ready after 120 s")
            time.sleep(0.3)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def _prepare(project: Path) -> None:
    from backend_agent.generate import generate_service

    generate_service(EXAMPLE, project)
    migrated = subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=project, env=_env(project),
                              capture_output=True, text=True, timeout=120)
    if migrated.returncode != 0:
        raise RuntimeError(f"alembic upgrade head failed: {migrated.stderr[-2000:]}")
    with _server(project, 1) as base:
        signup = httpx.post(f"{base}/v1/auth/signup",
                            json={"email": "admin@example.com", "name": "Admin", "password": PASSWORD})
        signup.raise_for_status()
        with sqlite3.connect(project / "bench.sqlite3") as db:
            db.execute("UPDATE customers SET role = 'admin' WHERE email = 'admin@example.com'")
        token = httpx.post(f"{base}/v1/auth/token", json={"email": "admin@example.com", "password": PASSWORD})
        token.raise_for_status()
        created = httpx.post(f"{base}/v1/catalog", headers={"Authorization": f"Bearer {token.json()['token']}"},
                             json={"sku": SKU, "title": "Benchmark shirt", "price": "24.90", "currency": "EUR"})
        created.raise_for_status()


def _wrk(url: str, seconds: int, connections: int) -> tuple[float, str, int]:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"99%\s+(\S+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if rps is None:
        raise RuntimeError(f"unreadable wrk output:\n{out}")
    return float(rps.group(1)), p99.group(1) if p99 else "?", int(errors.group(1)) if errors else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated project")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian package 'wrk'; `make system-tools` installs it)")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    project = tmp / "orders"
    try:
        _prepare(project)
        # Both servers stay up and the runs alternate (1, 2, 1, 2, ...): on a shared machine the load
        # from elsewhere drifts, and interleaving spreads it over both sides of the ratio.
        paths = {"read": f"/v1/catalog/{SKU}", "liveness": "/health/live"}
        results: dict[tuple[str, int], list[float]] = {(name, w): [] for name in paths for w in (1, 2)}
        with _server(project, 1) as one, _server(project, 2) as two:
            for base in (one, two):
                assert httpx.get(base + paths["read"]).status_code == 200
                _wrk(base + paths["read"], 2, args.connections)  # warm-up
            for round_ in range(1, args.rounds + 1):
                for name, path in paths.items():
                    for workers, base in ((1, one), (2, two)):
                        rps, p99, errors = _wrk(base + path, args.seconds, args.connections)
                        results[(name, workers)].append(rps)
                        print(f"round {round_}  {name:<8} {workers} worker{'s' if workers > 1 else ' '}: "
                              f"{rps:8.0f} requests/s  p99 {p99:>8}  non-2xx {errors}")
        for name, path in paths.items():
            one_rps, two_rps = statistics.median(results[(name, 1)]), statistics.median(results[(name, 2)])
            print(f"{name:<8} GET {path}: median {one_rps:6.0f} -> {two_rps:6.0f} requests/s, "
                  f"ratio 2 workers / 1 worker: {two_rps / one_rps:.2f}x")
        print(f"({os.cpu_count()} CPUs, SQLite, cache off, wrk -t1 -c{args.connections}, {args.rounds} interleaved "
              f"rounds of {args.seconds} s; load average now {os.getloadavg()[0]:.1f}: on a busy shared machine a "
              "second process also wins a larger share of the CPU, which can push the ratio past 2)")
        return 0
    finally:
        if args.keep:
            print(f"project kept in {project}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
