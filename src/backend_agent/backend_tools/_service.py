"""Services the Service tool started: one per project per tool session, always stopped.

Each service runs in its own process group on a free loopback port against a throwaway SQLite
database in a temporary folder (migrated with ``alembic upgrade head`` when the project has
Alembic). ``stop_services`` ends a session's services; interpreter exit ends any left.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

HOST = "127.0.0.1"
READY_PATHS = ("/health", "/healthz", "/api/health", "/openapi.json")


class ServiceError(Exception):
    """The service could not be migrated, started or reached; ``logs`` holds its output."""

    def __init__(self, message: str, logs: str = "") -> None:
        super().__init__(message)
        self.logs = logs


@dataclass
class Started:
    """A running service of one project."""

    root: Path
    base_url: str
    port: int
    process: subprocess.Popen[bytes]
    folder: Path  # temporary folder: database file and log
    env: dict[str, str] = field(default_factory=dict)

    @property
    def log_path(self) -> Path:
        return self.folder / "service.log"

    def logs(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.process.poll() is None


_lock = threading.Lock()
_running: dict[tuple[int, Path], Started] = {}
_atexit_registered = False


def project_python(root: Path) -> str:
    for name in (".venv", "venv"):
        candidate = root / name / "bin" / "python"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return sys.executable


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _command(root: Path, app: str | None, start: list[str] | None, port: int) -> list[str]:
    if start:
        return [part.replace("{port}", str(port)).replace("{host}", HOST) for part in start]
    if not app:
        raise ServiceError(
            f"no FastAPI application found in {root} (looked for app/main.py, main.py, <pkg>/main.py); "
            'set app = "package.module:app" in [tool.backend-agent] of pyproject.toml'
        )
    command = [project_python(root), "-m", "uvicorn", app, "--host", HOST, "--port", str(port), "--no-access-log"]
    top = app.split(":", 1)[0].split(".")[0]
    if not ((root / top).exists() or (root / f"{top}.py").exists()) and (root / "src" / top).exists():
        command += ["--app-dir", "src"]
    return command


def start(session_key: int, root: Path, *, app: str | None, start_command: list[str] | None,
          env: dict[str, str] | None = None, ready_timeout_s: float = 45.0) -> Started:  # fmt: skip
    """Start (or return the already running) service of ``root`` for this session."""
    key = (session_key, root)
    with _lock:
        existing = _running.get(key)
    if existing is not None and existing.alive():
        return existing
    folder = Path(tempfile.mkdtemp(prefix="ba-service-tool-"))
    secret = secrets.token_urlsafe(48)  # a fresh secret per start; generated services read APP_SECRET
    values = {"PYTHONUNBUFFERED": "1", "SECRET_KEY": secret, "APP_SECRET": secret, **(env or {}),
              "DATABASE_URL": f"sqlite:///{folder / 'service.db'}"}  # fmt: skip
    full_env = {**os.environ, **values}
    try:
        _migrate(root, full_env)
        port = _free_port()
        command = _command(root, app, start_command, port)
        with (folder / "service.log").open("wb") as log:
            proc = subprocess.Popen(command, cwd=str(root), env=full_env, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    started = Started(root=root, base_url=f"http://{HOST}:{port}", port=port, process=proc, folder=folder, env=values)
    _remember(key, started)
    try:
        _wait_ready(started, ready_timeout_s)
    except BaseException:
        stop(session_key, root)
        raise
    return started


def _migrate(root: Path, env: dict[str, str]) -> None:
    if not (root / "alembic.ini").is_file():
        return
    proc = subprocess.run([project_python(root), "-m", "alembic", "upgrade", "head"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)  # fmt: skip
    if proc.returncode != 0:
        raise ServiceError("`alembic upgrade head` failed on the throwaway database",
                           logs=(proc.stdout + proc.stderr)[-4000:])  # fmt: skip


def _wait_ready(started: Started, timeout_s: float) -> None:
    import httpx  # imported on use: listing the tools must stay cheap

    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if not started.alive():
                raise ServiceError(f"the service exited with code {started.process.returncode} before it was ready",
                                   logs=started.logs())  # fmt: skip
            for path in READY_PATHS:
                with suppress(httpx.HTTPError):
                    if client.get(started.base_url + path).status_code < 400:
                        return
            time.sleep(0.1)
    raise ServiceError(f"the service did not answer {', '.join(READY_PATHS)} within {timeout_s:.0f} s",
                       logs=started.logs())  # fmt: skip


def _remember(key: tuple[int, Path], started: Started) -> None:
    global _atexit_registered
    with _lock:
        _running[key] = started
        if not _atexit_registered:
            atexit.register(stop_all)
            _atexit_registered = True


def get(session_key: int, root: Path) -> Started | None:
    with _lock:
        return _running.get((session_key, root))


def running(session_key: int) -> list[Started]:
    with _lock:
        return [s for (key, _), s in _running.items() if key == session_key]


def _kill(started: Started) -> None:
    proc = started.process
    if proc.poll() is None:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=3)
    shutil.rmtree(started.folder, ignore_errors=True)


def stop(session_key: int, root: Path) -> bool:
    with _lock:
        started = _running.pop((session_key, root), None)
    if started is None:
        return False
    _kill(started)
    return True


def stop_session(session_key: int) -> int:
    """Stop every service a session started; how many were running."""
    with _lock:
        keys = [key for key in _running if key[0] == session_key]
        stopped = [_running.pop(key) for key in keys]
    for started in stopped:
        _kill(started)
    return len(stopped)


def stop_all() -> None:
    with _lock:
        stopped = list(_running.values())
        _running.clear()
    for started in stopped:
        _kill(started)


def request(started: Started, method: str, path: str, *, headers: dict[str, str], body: Any, timeout_s: float) -> httpx.Response:
    import httpx

    with httpx.Client(base_url=started.base_url, timeout=timeout_s, trust_env=False) as client:
        return client.request(method, path, headers=headers, json=body if body is not None else None)


__all__ = ["ServiceError", "Started", "get", "request", "running", "start", "stop", "stop_all", "stop_session"]
