"""Start the checked service on a free loopback port against a given database, and always stop it.

``start_service`` runs the project's migrations (``alembic upgrade head`` when it has Alembic),
starts uvicorn (or the project's own start command with ``{port}`` substituted) in its own
process group, waits for readiness with a time bound and fetches the OpenAPI document. Leaving
the block, an exception, Ctrl-C, SIGTERM or interpreter exit kills the whole group.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from backend_agent.errors import GateError
from backend_agent.gates._database import throwaway_database
from backend_agent.gates._proc import MissingTool, kill_group, run_process, track_process
from backend_agent.gates._project import project_python
from backend_agent.gates.base import Finding, GateResult, Target, note

HOST = "127.0.0.1"
READINESS_PATHS = ("/health", "/healthz", "/api/health", "/openapi.json")
OPENAPI_PATHS = ("/openapi.json", "/api/openapi.json", "/api/v1/openapi.json", "/docs/openapi.json")


class ServiceStartError(GateError):
    """The service could not be migrated, started or reached; ``logs`` holds its output."""

    def __init__(self, message: str, *, hint: str | None = None, logs: str = ""):
        super().__init__(message, hint=hint)
        self.logs = logs


@dataclass
class RunningService:
    """A started service: where it listens, its OpenAPI document and its output so far."""

    base_url: str
    port: int
    database_url: str
    secret_key: str
    openapi: dict[str, Any]
    openapi_url: str | None
    ready_url: str
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def logs(self, chars: int = 6000) -> str:
        """The last ``chars`` characters the service wrote to stdout/stderr."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return text[-chars:]

    def alive(self) -> bool:
        return self.process.poll() is None


def option(target: Target, gate: str, key: str, default: Any = None) -> Any:
    """A gate option: ``[tool.backend-agent.<gate>] key`` first, then the top-level ``key``."""
    per_gate = target.options.get(gate)
    if isinstance(per_gate, dict) and per_gate.get(key) is not None:
        return per_gate[key]
    value = target.options.get(key)
    return default if value is None else value


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((HOST, port)) != 0


def service_command(target: Target, *, port: int) -> list[str]:
    """The command that starts the service on ``port`` (loopback only)."""
    if target.start_command:
        return [part.replace("{port}", str(port)).replace("{host}", HOST) for part in target.start_command]
    if not target.app:
        raise ServiceStartError(
            f"no application to start in {target.root}",
            hint='set app = "package.module:app" (or start = "...{port}...") in [tool.backend-agent]',
        )
    python = project_python(target.root)
    command = [python, "-m", "uvicorn", target.app, "--host", HOST, "--port", str(port), "--no-access-log"]
    top = target.app.split(":", 1)[0].split(".")[0]

    def has(base: Path) -> bool:
        return (base / top).exists() or (base / f"{top}.py").exists()

    if not has(target.root) and has(target.root / "src"):
        command += ["--app-dir", "src"]
    return command


def service_env(
    target: Target, *, database_url: str, env: Mapping[str, str] | None, gate: str = "service"
) -> dict[str, str]:
    """Environment for migrations and the service: the database, a fresh secret, project extras.

    The secret is generated per run so probes can sign tokens the service would accept (expired
    ones, for instance) without the project's real key.
    """
    values: dict[str, str] = {"PYTHONUNBUFFERED": "1", "SECRET_KEY": secrets.token_urlsafe(48)}
    extra = option(target, gate, "env")
    if isinstance(extra, dict):
        values.update({str(k): str(v) for k, v in extra.items()})
    values.update(env or {})
    values["DATABASE_URL"] = database_url
    return values


def run_migrations(target: Target, *, env: Mapping[str, str], timeout_s: float = 120.0) -> str | None:
    """``alembic upgrade head`` when the project has Alembic; returns its output, None when absent."""
    if not (target.root / "alembic.ini").is_file():
        return None
    cmd = [project_python(target.root), "-m", "alembic", "upgrade", "head"]
    try:
        result = run_process(cmd, cwd=target.root, env=env, timeout_s=timeout_s)
    except MissingTool as exc:  # pragma: no cover - the interpreter itself exists
        raise ServiceStartError(str(exc), hint=exc.hint) from exc
    if not result.ok:
        reason = "timed out" if result.timed_out else f"exited with {result.returncode}"
        raise ServiceStartError(
            f"`alembic upgrade head` {reason} before the service could start",
            hint="run the migrations against an empty database and fix the first error",
            logs=result.tail(),
        )
    return result.tail(2000)


def _wait_ready(
    proc: subprocess.Popen[bytes], base_url: str, paths: list[str], *, timeout_s: float, log: Path
) -> str:
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ServiceStartError(
                    f"the service exited with code {proc.returncode} before it was ready",
                    hint="start it by hand with the same command and read the error below",
                    logs=_read_tail(log),
                )
            for path in paths:
                with suppress(httpx.HTTPError):
                    if client.get(base_url + path).status_code < 400:
                        return base_url + path
            time.sleep(0.1)
    raise ServiceStartError(
        f"the service did not answer {', '.join(paths)} within {timeout_s:.0f} s",
        hint="add a /health endpoint, or set health_path in [tool.backend-agent.<gate>]",
        logs=_read_tail(log),
    )


def fetch_openapi(base_url: str, paths: list[str]) -> tuple[dict[str, Any], str | None]:
    with httpx.Client(timeout=10.0, trust_env=False) as client:
        for path in paths:
            with suppress(httpx.HTTPError, ValueError):
                response = client.get(base_url + path)
                if response.status_code == 200:
                    document = response.json()
                    if isinstance(document, dict) and "paths" in document:
                        return document, base_url + path
    return {}, None


def _read_tail(path: Path, chars: int = 6000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return ""


class _Guard:
    """Kills started groups at interpreter exit and turns SIGTERM into an orderly exit."""

    def __init__(self) -> None:
        self._procs: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._registered = False

    def add(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.add(proc)
            if not self._registered:
                atexit.register(self.kill_all)
                self._registered = True

    def discard(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.discard(proc)

    def kill_all(self) -> None:
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            kill_group(proc, grace_s=1.0)


_GUARD = _Guard()


@contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """While the service runs, SIGTERM raises SystemExit so ``finally`` blocks stop the group."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous not in (signal.SIG_DFL, None):
        yield
        return

    def _exit(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def start_service(
    target: Target,
    *,
    database_url: str,
    env: Mapping[str, str] | None = None,
    gate: str = "service",
    ready_timeout_s: float | None = None,
) -> Iterator[RunningService]:
    """Migrate ``database_url``, start the service on a free loopback port and yield it once ready.

    Raises ServiceStartError (with the service's output in ``logs``) when it cannot be migrated,
    started or reached. The process group is killed on leaving the block, however it is left.
    """
    full_env = service_env(target, database_url=database_url, env=env, gate=gate)
    run_migrations(target, env=full_env)
    port = free_port()
    command = service_command(target, port=port)
    base_url = f"http://{HOST}:{port}"
    log_dir = Path(tempfile.mkdtemp(prefix="ba-service-"))
    log_path = log_dir / "service.log"
    health = option(target, gate, "health_path")
    openapi_path = option(target, gate, "openapi_path")
    timeout_s = float(ready_timeout_s or option(target, gate, "ready_timeout_s", 45.0))
    with _sigterm_as_exit(), log_path.open("wb") as log:
        try:
            proc = subprocess.Popen(
                command,
                cwd=str(target.root),
                env={**os.environ, **full_env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise ServiceStartError(
                f"cannot run {command[0]}: {exc}", hint="check the start command in [tool.backend-agent]"
            ) from exc
        _GUARD.add(proc)
        try:
            with track_process(proc):
                ready_paths = [health] if health else list(READINESS_PATHS)
                ready_url = _wait_ready(proc, base_url, ready_paths, timeout_s=timeout_s, log=log_path)
                openapi_paths = [openapi_path] if openapi_path else list(OPENAPI_PATHS)
                document, openapi_url = fetch_openapi(base_url, openapi_paths)
                yield RunningService(
                    base_url=base_url,
                    port=port,
                    database_url=database_url,
                    secret_key=full_env["SECRET_KEY"],
                    openapi=document,
                    openapi_url=openapi_url,
                    ready_url=ready_url,
                    log_path=log_path,
                    process=proc,
                )
        finally:
            kill_group(proc, grace_s=1.0)
            _GUARD.discard(proc)
            shutil.rmtree(log_dir, ignore_errors=True)


def cannot_start(target: Target) -> str | None:
    """Why a gate that needs the running service does not apply (nothing to start), or None."""
    if not target.app and not target.start_command:
        return "no application to start (set app or start in [tool.backend-agent])"
    return None


def start_failure(gate: str, exc: ServiceStartError, *, rule: str, hint: str | None = None) -> GateResult:
    """The failed result of a gate whose service could not be started, with its log as evidence."""
    return GateResult(
        gate=gate,
        status="fail",
        summary=f"the service could not be started: {exc.message}",
        findings=[Finding(rule=rule, message=exc.message, severity="high", hint=exc.hint)],
        evidence={"service_log": exc.logs},
        hint=hint,
    )


def run_on_service(
    target: Target, *, gate: str, db_prefix: str, start_rule: str, check: Callable[[RunningService], GateResult]
) -> GateResult:
    """Start the service on a throwaway database, ``check`` it and time the whole run.

    A service that cannot be started is a ``start_failure`` with rule ``start_rule``.
    """
    started = time.monotonic()
    try:
        with (
            throwaway_database(target.database_url, prefix=db_prefix) as db,
            start_service(target, database_url=db.url, gate=gate) as service,
        ):
            note(f"service ready at {service.base_url}")
            result = check(service)
            result.evidence.setdefault("database", db.dialect)
            if db.fallback:
                result.evidence["database_fallback"] = db.fallback
    except ServiceStartError as exc:
        result = start_failure(gate, exc, rule=start_rule)
    result.duration_s = time.monotonic() - started
    return result


__all__ = [
    "HOST",
    "RunningService",
    "ServiceStartError",
    "cannot_start",
    "fetch_openapi",
    "free_port",
    "option",
    "port_is_free",
    "run_migrations",
    "run_on_service",
    "service_command",
    "service_env",
    "start_failure",
    "start_service",
]
