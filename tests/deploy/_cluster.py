"""Replicas of a generated service on loopback, and the PostgreSQL and Redis they share.

A replica is one ``uvicorn --workers N`` process group, as one pod runs it. ``PrivatePostgres`` is
a throwaway PostgreSQL cluster made with ``initdb`` in a temp folder, so a test can restart it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import redis

APP_SECRET = "scale-out-test-secret-" + "x" * 40


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def generate_project(example: Path, out_dir: Path) -> Path:
    """``backend-agent new`` for one example (the same function the command calls)."""
    from backend_agent.generate import generate_service

    generate_service(example, out_dir)
    return out_dir


def service_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "APP_", "RATE_"))}
    env.update(
        APP_ENV="production",
        APP_SECRET=APP_SECRET,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DB_POOL_SIZE="4",
        LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


def migrate(project: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=project, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, f"alembic upgrade head failed:\n{result.stdout}\n{result.stderr}"


@dataclass
class Replica:
    """One replica: a uvicorn master with ``workers`` worker processes, in its own process group."""

    name: str
    project: Path
    env: dict[str, str]
    workers: int = 3
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Replica:
        self.log = self.project / f"replica-{self.name}-{self.port}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", str(self.workers), "--timeout-graceful-shutdown", "30", "--no-access-log"],
                cwd=self.project, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        return self

    def wait_ready(self, timeout: float = 90.0) -> Replica:
        """Ready when every worker answers: /health/ready is asked until ``workers`` distinct pids did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"replica {self.name} exited:\n{self.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/health/ready", timeout=2).status_code == 200 and self._all_workers_up():
                    return self
            time.sleep(0.3)
        raise AssertionError(f"replica {self.name} not ready after {timeout} s:\n{self.tail()}")

    def _all_workers_up(self) -> bool:
        text = self.log.read_text(errors="replace") if self.log else ""
        return text.count("Application startup complete") >= self.workers

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log and self.log.exists() else ""

    def pids(self) -> list[int]:
        """The master and its workers (every process in the replica's group)."""
        assert self.process is not None
        out = subprocess.run(["pgrep", "-g", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def kill(self) -> None:
        """SIGKILL the whole replica at once, as the kubelet does to a pod that does not stop."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self) -> None:
        """SIGTERM to the master only, as Kubernetes signals a container's PID 1."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self._reap_group()
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._reap_group()

    def _reap_group(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)


@contextlib.contextmanager
def scratch_database(admin_dsn: str) -> Iterator[str]:
    """A new, empty database on the server at ``admin_dsn``; dropped afterwards. Yields its name."""
    name = f"ba_scale_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def scratch_redis_db(host: str = "127.0.0.1", port: int = 6379) -> Iterator[int]:
    """An empty Redis logical database (others' tests may use the rest); flushed afterwards."""
    for index in range(15, 0, -1):
        client = redis.Redis(host=host, port=port, db=index)
        if client.dbsize() == 0 and client.set("ba-scale-out:claim", "1", nx=True, ex=3600):
            try:
                yield index
            finally:
                client.flushdb()
                client.close()
            return
        client.close()
    raise AssertionError("no empty Redis database (1-15) to run the scale-out test in")


def _pg_bin() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    found = shutil.which("initdb")
    if candidates:
        return candidates[-1].parent
    if found:
        return Path(found).parent
    raise FileNotFoundError("initdb not found (install the postgresql server package)")


class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb in a temp folder) that a test may stop and start."""

    def __init__(self, root: Path) -> None:
        self.bin = _pg_bin()
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.log = root / "postgres.log"
        self._as_postgres: list[str] = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        result = subprocess.run([*self._as_postgres, *args], capture_output=True, text=True, timeout=timeout)
        assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"

    def init(self) -> PrivatePostgres:
        self.root.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8", timeout=120)
        return self

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                  "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
