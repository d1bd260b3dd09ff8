"""Started services built from the rendered ``app/core`` templates (real uvicorn processes, real HTTP)."""

from __future__ import annotations

import copy
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.generate.platform._render import conduit_design, render_core

APP_MAIN = Path(__file__).with_name("app_main.py")
SECRET = "s" * 48
REDIS_DB = 11  # a database of its own on the shared Redis
SERVICE_VARIABLES = ("APP_ENV", "APP_SECRET", "DATABASE_URL", "REDIS_URL", "RATE_LIMIT", "CORS_ORIGINS")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def envelope_design() -> dict[str, Any]:
    """Conduit with the envelope error style and logout + refresh enabled (the other template branches)."""
    data = copy.deepcopy(conduit_design())
    data["service"]["error_style"] = "envelope"
    data["service"]["error_key"] = "error"
    data["auth"]["logout"] = True
    data["auth"]["refresh"] = True
    return data


def build_project(root: Path, design_json: dict[str, Any]) -> Path:
    render_core(root, design_json)
    shutil.copy(APP_MAIN, root / "app" / "main.py")
    return root


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


def start_server(project: Path, env: dict[str, str], name: str = "server") -> Server:
    port = free_port()
    log = project / f"{name}.log"
    inherited = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
    full_env = {**inherited, "APP_ENV": "test", "APP_SECRET": SECRET, "PYTHONPATH": str(project),
                "OUTBOX_POLL_SECONDS": "0.2", **env}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port),
             "--timeout-graceful-shutdown", "5"],
            cwd=project, env=full_env, stdout=out, stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with {process.returncode}:\n{server.logs()}")
        try:
            if httpx.get(server.url + "/health/live", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    stop_server(server)
    raise RuntimeError(f"the service did not start in 30 s:\n{server.logs()}")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture
def spawn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    """Start services on demand; all are stopped at the end of the test."""
    started: list[Server] = []

    def _spawn(design_json: dict[str, Any] | None = None, env: dict[str, str] | None = None,
               project: Path | None = None, name: str = "server") -> Server:
        root = project or build_project(tmp_path_factory.mktemp("svc"), design_json or conduit_design())
        server = start_server(root, {"DATABASE_URL": f"sqlite:///{root / 'db.sqlite3'}", **(env or {})}, name)
        started.append(server)
        return server

    yield _spawn
    for server in started:
        stop_server(server)


@pytest.fixture
def redis_test_url(redis_url: str) -> Iterator[str]:
    import redis

    url = redis_url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    import psycopg

    name = f"platform_{uuid.uuid4().hex[:12]}"
    admin = postgres_url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Conduit's app/core (field_list errors, `Token` scheme) on SQLite, in-process limits and cache."""
    root = build_project(tmp_path_factory.mktemp("sqlite"), conduit_design())
    server = start_server(root, {"DATABASE_URL": f"sqlite:///{root / 'db.sqlite3'}", "RATE_LIMIT": "1000/minute"})
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def auth(sqlite_server: Server) -> dict[str, str]:
    with sqlite_server.client() as client:
        return sign_in(client)


def sign_in(client: httpx.Client, scheme: str = "Token") -> dict[str, str]:
    response = client.post("/api/login", json={"email": "demo@example.com", "password": "correct horse battery"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"{scheme} {response.json()['token']}"}
