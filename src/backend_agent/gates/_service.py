"""Start the checked service on a free loopback port against a given database, and always stop it.

``start_service`` runs the project's migrations (``alembic upgrade head`` when it has Alembic),
starts uvicorn (or the project's own start command with ``{port}`` substituted) in its own
process group, waits for readiness with a time bound and fetches the OpenAPI document. Leaving
the block, an exception, Ctrl-C, SIGTERM or interpreter exit kills the whole group.
"""

from __future__ import annotations

import atexit
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
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from backend_agent.errors import GateError
from backend_agent.gates._alembic import (
    MisdirectedDatabase,
    applied_revisions,
    heads,
    misdirected,
    reached_elsewhere,
    read_revisions,
)
from backend_agent.gates._alembic import script_location as alembic_scripts
from backend_agent.gates._database import DatabaseUnavailable, ThrowawayDatabase, throwaway_database
from backend_agent.gates._proc import MissingTool, ProcResult, kill_group, run_process, track_process
from backend_agent.gates._project import project_python
from backend_agent.gates._projectenv import EnvironmentUnavailable
from backend_agent.gates._sandbox import Sandbox, project_sandbox, wants_postgres
from backend_agent.gates.base import Finding, GateResult, Target, could_not_run, note

HOST = "127.0.0.1"
READINESS_PATHS = ("/health", "/healthz", "/api/health", "/api/v1/health", "/api/v1/utils/health-check/",
                   "/openapi.json", "/api/openapi.json", "/api/v1/openapi.json", "/docs")
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
    env: dict[str, str] = field(default_factory=dict, repr=False)  # the environment the project got
    database_where: str = ""  # where check's throwaway database was, for the report
    # runs a command of the project beside the service: same sandbox, environment and database
    runner: Callable[[list[str]], ProcResult] | None = field(default=None, repr=False)

    def run_command(self, command: list[str]) -> ProcResult:
        """Run ``command`` in the project as the service runs (``{python}``: the project's interpreter)."""
        if self.runner is None:
            raise ServiceStartError("this service runs no project commands",
                                    hint="start it with start_service, which knows the project")
        return self.runner(command)

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


def service_command(target: Target, *, port: int, uds: Path | None = None) -> list[str]:
    """The command that starts the service on ``port`` (loopback only), or on the Unix socket ``uds``."""
    if target.start_command:
        return [part.replace("{port}", str(port)).replace("{host}", HOST) for part in target.start_command]
    if not target.app:
        raise ServiceStartError(
            f"no application to start in {target.root}",
            hint='set app = "package.module:app" (or start = "...{port}...") in [tool.backend-agent]',
        )
    python = project_python(target.root, target.options.get("python"))
    # On a socket file only check's relay connects: trust its forwarded headers as uvicorn trusts
    # 127.0.0.1 by default on TCP (an HTTPS-only header such as HSTS depends on X-Forwarded-Proto).
    where = (
        ["--uds", str(uds), "--forwarded-allow-ips", "*"] if uds is not None else ["--host", HOST, "--port", str(port)]
    )
    command = [python, "-m", "uvicorn", target.app, *where, "--no-access-log"]
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


def run_migrations(
    target: Target, *, env: Mapping[str, str], timeout_s: float = 120.0, sandbox: Sandbox | None = None
) -> str | None:
    """``alembic upgrade head`` when the project has Alembic; returns its output, None when absent."""
    if not (target.root / "alembic.ini").is_file():
        return None
    cmd = [project_python(target.root, target.options.get("python")), "-m", "alembic", "upgrade", "head"]
    try:
        if sandbox is not None:
            result = run_process(sandbox.wrap(cmd), cwd=target.root, env=sandbox.env, inherit_env=False,
                                 timeout_s=timeout_s)
        else:
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


def verify_migrated(target: Target, db: ThrowawayDatabase, sandbox: Sandbox, *, step: str) -> None:
    """Raise MisdirectedDatabase unless ``db`` holds the revisions the project's migrations just ran."""
    location = alembic_scripts(target.root)
    if location is None:
        return
    expected = heads(read_revisions(location / "versions"))
    if not expected:
        return
    applied = applied_revisions(db) or set()
    if not expected <= applied:
        raise misdirected(db, target.root, step=step, set_vars=sorted(sandbox.env))


def database_for(target: Target, *, prefix: str) -> Any:
    """The throwaway database of one gate: on the named server, check's own PostgreSQL, or SQLite."""
    choice = target.options.get("database")
    postgres = choice == "postgresql" or (choice is None and wants_postgres(target.root))
    return throwaway_database(target.database_url, prefix=prefix, postgres=postgres)


def _as_database(url: str) -> ThrowawayDatabase:
    """A database given by URL only (callers that made their own): described from the URL."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database) if parsed.database and parsed.database != ":memory:" else None
        return ThrowawayDatabase(url=url, dialect="sqlite", where=f"SQLite file {path or '(in memory)'}", sqlite_path=path)
    return ThrowawayDatabase(
        url=url, dialect="postgresql", where=f"database {parsed.database} at {parsed.host}:{parsed.port or 5432}",
        name=parsed.database, host=parsed.host or "127.0.0.1", port=parsed.port or 5432, user=parsed.username,
        password=parsed.password if isinstance(parsed.password, str) else None,
    )


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
            answered = False
            for path in paths:
                with suppress(httpx.HTTPError):
                    client.get(base_url + path)
                    answered = True
                    break
            if answered:
                # Up now: the first path in order of preference that answers well is the readiness path.
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
    database_url: str | None = None,
    database: ThrowawayDatabase | None = None,
    env: Mapping[str, str] | None = None,
    gate: str = "service",
    ready_timeout_s: float | None = None,
) -> Iterator[RunningService]:
    """Migrate the database, start the service on a free loopback port and yield it once ready.

    The project's processes run in check's sandbox (``_sandbox``): every database variable names
    ``database`` (or ``database_url``), in a network namespace that reaches nothing else. After the
    migrations, the database must hold the revisions they ran, else MisdirectedDatabase stops
    everything. Raises ServiceStartError (with the service's output in ``logs``) when it cannot be
    migrated, started or reached. The process group is killed on leaving the block, however it is left.
    """
    if database is None:
        if database_url is None:
            raise ValueError("start_service needs database or database_url")
        database = _as_database(database_url)
    extra = service_env(target, database_url=database.url, env=env, gate=gate)
    extra.pop("DATABASE_URL", None)
    variables = target.options.get("database_variables") or ()
    with project_sandbox(target.root, database, extra_env=extra, database_variables=variables,
                         generated_secrets=target.options.get("generated_secrets") or ()) as sandbox:
        try:
            run_migrations(target, env=sandbox.env, sandbox=sandbox)
        except ServiceStartError as exc:
            if reached_elsewhere(exc.logs, database):
                raise misdirected(database, target.root, step="`alembic upgrade head`",
                                  set_vars=sorted(sandbox.env)) from exc
            raise
        verify_migrated(target, database, sandbox, step="`alembic upgrade head`")
        with _started(target, sandbox, gate=gate, ready_timeout_s=ready_timeout_s) as service:
            yield service


@contextmanager
def _started(target: Target, sandbox: Sandbox, *, gate: str, ready_timeout_s: float | None) -> Iterator[RunningService]:
    port = free_port()
    if sandbox.isolated and not target.start_command:
        # uvicorn listens on a socket file the host relays to 127.0.0.1:port: one hop, not two.
        command = sandbox.wrap(service_command(target, port=port, uds=sandbox.service_socket(port)))
    else:
        command = sandbox.wrap(service_command(target, port=port), expose=port)
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
                env=sandbox.env,
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
                    database_url=sandbox.db.url,
                    secret_key=sandbox.env["SECRET_KEY"],
                    openapi=document,
                    openapi_url=openapi_url,
                    ready_url=ready_url,
                    log_path=log_path,
                    process=proc,
                    env=sandbox.env,
                    database_where=sandbox.describe(),
                    runner=partial(_project_command, target, sandbox),
                )
        finally:
            kill_group(proc, grace_s=1.0)
            _GUARD.discard(proc)
            shutil.rmtree(log_dir, ignore_errors=True)


def _project_command(target: Target, sandbox: Sandbox, command: list[str], timeout_s: float = 60.0) -> ProcResult:
    python = project_python(target.root, target.options.get("python"))
    cmd = [python if part == "{python}" else part for part in command]
    return run_process(sandbox.wrap(cmd), cwd=target.root, env=sandbox.env, inherit_env=False, timeout_s=timeout_s)


def cannot_start(target: Target) -> str | None:
    """Why a gate that needs the running service does not apply (nothing to start), or None."""
    if not target.app and not target.start_command:
        return "no application to start (set app or start in [tool.backend-agent])"
    return None


_ENVIRONMENT_MARKS = (
    "ModuleNotFoundError", "No module named", "ImportError", "Field required", "field required",
    "Connection refused", "could not translate host name", "Name or service not known",
    "Temporary failure in name resolution", "Read-only file system", "attempt to write a readonly database",
)


def start_failure(gate: str, exc: ServiceStartError, *, rule: str, hint: str | None = None) -> GateResult:
    """The result of a gate whose service could not be started, with its log as evidence.

    A start that failed for a reason of the environment (a module missing from the project's
    environment, a variable it needs, a server it tried to reach outside the sandbox) means check
    could not run the gate; any other failure is the project's own.
    """
    logs = exc.logs or ""
    cause = next((mark for mark in _ENVIRONMENT_MARKS if mark in logs), None)
    if cause is not None:
        line = next((ln.strip() for ln in reversed(logs.splitlines()) if cause in ln), cause)
        return could_not_run(
            gate,
            f"the service could not be started: {line[:300]}",
            _environment_fix(cause, line),
            evidence={"service_log": logs},
        )
    return GateResult(
        gate=gate,
        status="fail",
        summary=f"the service could not be started: {exc.message}",
        findings=[Finding(rule=rule, message=exc.message, severity="high", hint=exc.hint)],
        evidence={"service_log": logs},
        hint=hint,
    )


def _environment_fix(cause: str, line: str) -> str:
    if "module" in cause.lower() or cause == "ImportError":
        return ("install the project's dependencies into its environment (a .venv in the project, or let check "
                "build one: it needs a lock file, requirements*.txt or pyproject dependencies)")
    if "required" in cause.lower():
        return "add the missing setting to .env.example (check passes its variables) or to [tool.backend-agent] env"
    if "readonly" in cause or "Read-only" in cause:
        return ("the project writes into its own folder, which check keeps read-only; make it read its database "
                "path from a variable and list it in [tool.backend-agent] database_variables")
    return ("the project tried to reach a server outside check's sandbox; make it read its address from a variable "
            "check sets (DATABASE_URL, POSTGRES_*, ...) or list it in [tool.backend-agent] database_variables")


def run_on_service(
    target: Target, *, gate: str, db_prefix: str, start_rule: str, check: Callable[[RunningService], GateResult]
) -> GateResult:
    """Start the service on a throwaway database, ``check`` it and time the whole run.

    A service that cannot be started is a ``start_failure`` with rule ``start_rule``; a database
    check cannot create, or migrations that reached another database, mean the gate could not run.
    """
    started = time.monotonic()
    try:
        with (
            database_for(target, prefix=db_prefix) as db,
            start_service(target, database=db, gate=gate) as service,
        ):
            note(f"service ready at {service.base_url}")
            result = check(service)
            result.evidence.setdefault("database", db.dialect)
            result.evidence.setdefault("throwaway_database", service.database_where)
            if db.fallback:
                result.evidence["database_fallback"] = db.fallback
    except ServiceStartError as exc:
        result = start_failure(gate, exc, rule=start_rule)
    except (MisdirectedDatabase, DatabaseUnavailable, EnvironmentUnavailable) as exc:
        result = could_not_run(gate, exc.message, exc.hint or "")
    result.duration_s = time.monotonic() - started
    return result


__all__ = [
    "HOST",
    "RunningService",
    "ServiceStartError",
    "cannot_start",
    "database_for",
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
    "verify_migrated",
]
