"""Check's own PostgreSQL server: initdb into a temporary folder, listening on a free loopback port.

One server per check run, started on first use and stopped when the run ends (``stop_own_postgres``,
also at interpreter exit). Each gate creates its own database in it. The server binaries are the
machine's (``/usr/lib/postgresql/*/bin``, ``pg_config --bindir`` or PATH; Debian's ``postgresql``
package). PostgreSQL refuses to run as root, so under root it runs in a bubblewrap user namespace
as an unprivileged user (the files stay the caller's).
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

USER = "check"
PASSWORD = "check"  # trust authentication; some projects refuse an empty password variable


class PostgresUnavailable(Exception):
    """Check cannot start its own PostgreSQL; the message says why and ``hint`` how to fix it."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.hint = hint


def server_bindir() -> Path | None:
    """The folder holding ``initdb`` and ``postgres`` (newest version first), or None."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out:
            candidates.append(out)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).parent))
    for folder in candidates:
        if (Path(folder) / "initdb").is_file() and (Path(folder) / "postgres").is_file():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _accepts(port: int) -> bool:
    """True once the server accepts sessions (not merely TCP connections while it starts up)."""
    import psycopg

    try:
        with psycopg.connect(host="127.0.0.1", port=port, user=USER, dbname="postgres", connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


def _unprivileged(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise PostgresUnavailable(
            "PostgreSQL cannot run as root and bubblewrap (bwrap) is not installed",
            "install bubblewrap (apt-get install bubblewrap) or run check as an ordinary user",
        )
    return [bwrap, "--dev-bind", "/", "/", "--unshare-user", "--uid", "1000", "--gid", "1000", "--die-with-parent", *command]


@dataclass
class OwnPostgres:
    """A running server: where it listens and the folder it lives in."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes]
    version: str
    host: str = "127.0.0.1"
    user: str = USER
    password: str = PASSWORD

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    def describe(self) -> str:
        return f"check's own PostgreSQL {self.version} in {self.folder} (127.0.0.1:{self.port})"

    def stop(self) -> None:
        if self.process.poll() is None:
            # SIGTERM is PostgreSQL's "smart" shutdown's faster sibling; the whole group gets it
            # (bubblewrap and the postmaster under it).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres(timeout_s: float = 30.0) -> OwnPostgres:
    """initdb a fresh cluster into a temporary folder and start it on a free loopback port."""
    bindir = server_bindir()
    if bindir is None:
        raise PostgresUnavailable(
            "no PostgreSQL server binaries (initdb, postgres) on this machine",
            "install them (apt-get install postgresql) or pass --database-url naming a server "
            "on which check may create its own database",
        )
    folder = Path(tempfile.mkdtemp(prefix="ba-postgres-"))
    data = folder / "data"
    init = subprocess.run(
        _unprivileged([str(bindir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync"]),
        capture_output=True, text=True, check=False, timeout=120,
    )
    if init.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise PostgresUnavailable(
            f"initdb failed: {(init.stderr or init.stdout).strip().splitlines()[-1:]}",
            "run initdb by hand to see why, or pass --database-url naming a server check may use",
        )
    port = _free_port()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        _unprivileged([
            str(bindir / "postgres"), "-D", str(data), "-k", str(folder), "-h", "127.0.0.1", "-p", str(port),
            "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off",
            "-c", "max_connections=200", "-c", "shared_buffers=64MB",
        ]),
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
    )
    log.close()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            text = (folder / "server.log").read_text(errors="replace")[-500:]
            shutil.rmtree(folder, ignore_errors=True)
            raise PostgresUnavailable(f"check's PostgreSQL exited at start: {text.strip()}", "read the log above")
        if (folder / f".s.PGSQL.{port}").exists() and _accepts(port):
            break
        time.sleep(0.05)
    else:
        process.kill()
        shutil.rmtree(folder, ignore_errors=True)
        raise PostgresUnavailable(f"check's PostgreSQL did not start within {timeout_s:.0f} s", "retry on a quieter machine")
    return OwnPostgres(folder=folder, port=port, process=process, version=bindir.parent.name)


_LOCK = threading.Lock()
_SERVER: OwnPostgres | None = None
_KEEPER_STOP = threading.Event()


def _start_in_keeper() -> OwnPostgres:
    """Start the server from a thread that lives as long as the check.

    Under bubblewrap the server dies with the thread that started it (``--die-with-parent`` is
    per thread), so it must not be a gate's worker thread; a killed check still takes it along.
    """
    outcome: dict[str, Any] = {}
    ready = threading.Event()

    def keeper() -> None:
        try:
            outcome["server"] = start_postgres()
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc
        ready.set()
        _KEEPER_STOP.wait()

    _KEEPER_STOP.clear()
    threading.Thread(target=keeper, name="ba-postgres", daemon=True).start()
    ready.wait()
    if "error" in outcome:
        raise outcome["error"]
    server: OwnPostgres = outcome["server"]
    return server


def own_postgres() -> OwnPostgres:
    """This run's server, started on first use."""
    global _SERVER
    with _LOCK:
        if _SERVER is None or _SERVER.process.poll() is not None:
            _SERVER = _start_in_keeper()
            atexit.register(stop_own_postgres)
        return _SERVER


def stop_own_postgres() -> None:
    """Stop this run's server and delete its folder (no-op when none was started)."""
    global _SERVER
    with _LOCK:
        server, _SERVER = _SERVER, None
    if server is not None:
        server.stop()
    _KEEPER_STOP.set()


__all__ = ["OwnPostgres", "PostgresUnavailable", "own_postgres", "server_bindir", "start_postgres", "stop_own_postgres"]
