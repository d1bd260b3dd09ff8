"""Fixtures for the hidden checks: an in-process client and the service running on a loopback port."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "eval.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    return path


@pytest.fixture
def client(database: Path) -> Iterator[TestClient]:
    from app.main import app

    with TestClient(app) as test_client:
        yield test_client


def sign_up(http: httpx.Client | TestClient, username: str) -> dict[str, str]:
    """Headers of a new user."""
    response = http.post("/api/users", json={"username": username})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


RUNNING = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")


@pytest.fixture
def live(database: Path) -> Iterator[httpx.Client]:
    """The service started with uvicorn on a loopback port it picks itself, and a client for it.

    Port 0 lets the kernel choose, so two test runs never talk to each other's server; the
    address is read from uvicorn's start-up line.
    """
    workspace = os.environ.get("EVAL_WORKSPACE", os.getcwd())
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", "0",
         "--timeout-keep-alive", "120"],  # a slow, busy machine must not race a closing keep-alive
        cwd=workspace, env={**os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    found: queue.Queue[str] = queue.Queue()

    def drain() -> None:  # keep reading so the pipe never fills and blocks the service
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            match = RUNNING.search(line)
            if match:
                found.put(match.group(1))

    threading.Thread(target=drain, daemon=True).start()
    try:
        try:
            base = found.get(timeout=30)
        except queue.Empty:
            raise RuntimeError("the service did not start in 30 s: " + "".join(lines)[-2000:]) from None
        with httpx.Client(base_url=base, timeout=10, trust_env=False) as http:
            yield http
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        print("service output:\n" + "".join(lines[-60:]))  # pytest shows it when a test failed
