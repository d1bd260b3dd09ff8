"""Background Bash jobs: started detached, output in files, readable and killable from any process."""

from __future__ import annotations

import shlex
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from backend_agent.tools._sandbox import (
    absent_guarded_files,
    bash_path,
    bwrap_path,
    group_alive,
    kill_group,
    process_start_time,
    protected_paths,
    sandbox_argv,
)
from backend_agent.tools.base import ToolContext, ToolSession

# Popen objects of jobs started by this process, so finished ones are reaped instead of lingering as zombies.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def state_dir(ctx: ToolContext) -> Path:
    return ctx.state_dir or ctx.workspace / ".backend-agent"


def start_job(command: str, *, ctx: ToolContext, cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    """Start ``command`` detached in its own process group; record it in the session and return the record."""
    job_id = f"bash_{uuid.uuid4().hex[:8]}"
    folder = (state_dir(ctx) / "jobs").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    out, err, rc = folder / f"{job_id}.out", folder / f"{job_id}.err", folder / f"{job_id}.rc"
    script = f"trap 'echo $? > {shlex.quote(str(rc))}' EXIT\n{command}\n"
    argv = [bash_path(), "-c", script]
    bwrap = bwrap_path() if ctx.sandbox else None
    if bwrap:
        roots = [ctx.workspace, *ctx.extra_dirs]
        protected = protected_paths(roots, ctx.protected_extra) if ctx.protect_settings else []
        absent_files = absent_guarded_files(roots) if ctx.protect_settings else []
        inner = sandbox_argv(
            argv,
            bwrap=bwrap,
            cwd=cwd,
            writable=[ctx.workspace, *ctx.extra_dirs],
            protected=protected,
            writable_inside_protected=[folder],
            absent_files=absent_files,
            allow_network=ctx.allow_network,
        )
        # Empty mount points the sandbox leaves for settings folders that did not exist are removed.
        absent = " ".join(shlex.quote(str(path)) for path in protected if not path.exists())
        empty = " ".join(shlex.quote(str(path)) for path in absent_files)
        cleanup = f"rmdir -- {absent} 2>/dev/null; " if absent else ""
        cleanup += (
            f'for f in {empty}; do [ -f "$f" ] && [ ! -s "$f" ] && rm -f -- "$f"; done; ' if empty else ""
        )
        # A small parent shell outlives this process; bwrap dies with it, and the sandbox with bwrap.
        argv = ["/bin/sh", "-c", f'"$@"; rc=$?; {cleanup}exit $rc', "sh", *inner]
    with out.open("wb") as out_handle, err.open("wb") as err_handle:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out_handle,
            stderr=err_handle,
            env=env,
            start_new_session=True,
        )
    _CHILDREN[proc.pid] = proc
    job: dict[str, Any] = {
        "id": job_id,
        "command": command,
        "pid": proc.pid,
        "start_time": process_start_time(proc.pid),
        "stdout_path": str(out),
        "stderr_path": str(err),
        "rc_path": str(rc),
        "cwd": str(cwd),
        "started_at": time.time(),
        "sandboxed": bool(bwrap),
        "stdout_offset": 0,
        "stderr_offset": 0,
        "killed": False,
    }
    ctx.session.background_jobs[job_id] = job
    return job


def _exit_code(job: dict[str, Any]) -> int | None:
    try:
        text = Path(job["rc_path"]).read_text().strip()
    except OSError:
        return None
    return int(text) if text.lstrip("-").isdigit() else None


def is_running(job: dict[str, Any]) -> bool:
    pid = int(job["pid"])
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        _CHILDREN.pop(pid, None)
    if job.get("start_time") is None:
        return False
    return process_start_time(pid) == job["start_time"]


def job_status(job: dict[str, Any]) -> tuple[str, int | None]:
    """("running" | "completed" | "failed" | "killed", exit code)."""
    if is_running(job):
        return "running", None
    if job.get("killed"):
        return "killed", None
    code = _exit_code(job)
    if code is None:
        return "killed", None
    return ("completed" if code == 0 else "failed"), code


def kill_job(job: dict[str, Any]) -> bool:
    """Kill a running job's whole process group; False when it had already finished."""
    if not is_running(job):
        return False
    pid = int(job["pid"])
    kill_group(pid, proc=_CHILDREN.get(pid))
    _CHILDREN.pop(pid, None)
    job["killed"] = True
    return True


def shutdown_background_jobs(session: ToolSession) -> None:
    """Kill every still-running background job of ``session`` (called when an agent run ends)."""
    for job in session.background_jobs.values():
        kill_job(job)
    for pid, child in list(_CHILDREN.items()):
        if child.poll() is not None or not group_alive(pid):
            _CHILDREN.pop(pid, None)


__all__ = ["is_running", "job_status", "kill_job", "shutdown_background_jobs", "start_job", "state_dir"]
