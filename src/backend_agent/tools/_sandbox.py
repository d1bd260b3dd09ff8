"""Process groups, bubblewrap, timeouts and output caps for the Bash tools."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path

MAX_OUTPUT_CHARS = 30_000
# Folders holding permission settings and tool state: read-only inside the sandbox, so a command
# cannot grant itself new permissions for later calls.
PROTECTED_DIRS = (".claude", ".backend-agent", ".opencode")
# Files that define agents, permissions and MCP servers, and git's own folder (hooks, config): what is
# written there runs later outside the sandbox. Read-only inside the sandbox when they exist.
PROTECTED_FILES = ("opencode.json", "opencode.jsonc", ".mcp.json", ".gitmodules")
# In git's folder only what makes git run programs is protected (hooks, config): commits still work.
PROTECTED_IF_PRESENT = (".git/hooks", ".git/config")
# Files that must not be created either: an absent one is covered by a read-only /dev/null for the run.
GUARDED_ABSENT_FILES = (".mcp.json",)


def protected_paths(roots: Sequence[Path], extra: Sequence[Path] = ()) -> list[Path]:
    """The settings folders (existing or not), existing settings files, ``.git`` and ``extra`` (hook scripts)."""
    folders = [root / name for root in roots for name in PROTECTED_DIRS]
    files = [root / name for root in roots for name in PROTECTED_FILES if (root / name).is_file()]
    present = [root / name for root in roots for name in PROTECTED_IF_PRESENT if (root / name).exists()]
    present += [root / ".git" for root in roots if (root / ".git").is_file()]  # a worktree's gitdir pointer
    return folders + files + present + [path for path in extra if path.exists()]


def absent_guarded_files(roots: Sequence[Path]) -> list[Path]:
    """Guarded files that do not exist yet (``.mcp.json``): the sandbox keeps them from being created."""
    return [root / name for root in roots for name in GUARDED_ABSENT_FILES if not (root / name).exists()]


def remove_placeholders(paths: Sequence[Path]) -> None:
    """Remove the empty mount points a sandbox run left for absent protected folders and files."""
    for path in paths:
        try:
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            elif path.is_file() and path.stat().st_size == 0:
                path.unlink()
        except OSError:
            pass


KILL_GRACE_S = 1.0
SANDBOX_OFF_WARNING = (
    "Warning: bubblewrap (bwrap) is not available, so Bash runs without a sandbox; "
    "permission rules still apply. Install bubblewrap to confine commands to the workspace."
)


@cache
def bwrap_path() -> str | None:
    """The bwrap binary when installed and able to create namespaces here (probed once per process)."""
    path = shutil.which("bwrap")
    if path is None:
        return None
    try:
        probe = subprocess.run(
            [path, "--ro-bind", "/", "/", "--dev", "/dev", "--unshare-pid", "--unshare-net", "true"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return path if probe.returncode == 0 else None


def bash_path() -> str:
    return shutil.which("bash") or "/bin/bash"


def sandbox_argv(
    command: Sequence[str],
    *,
    bwrap: str,
    cwd: Path,
    writable: Sequence[Path],
    allow_network: bool,
    protected: Sequence[Path] = (),
    writable_inside_protected: Sequence[Path] = (),
    absent_files: Sequence[Path] = (),
    die_with_parent: bool = True,
) -> list[str]:
    """Wrap ``command`` in bubblewrap: everything read-only, ``writable`` folders read-write.

    A private /tmp hides the host's; writable folders are bound after it, so a workspace that
    lives under /tmp stays visible. ``protected`` folders inside them (permission settings) are
    bound read-only on top, then ``writable_inside_protected`` (job output) read-write again. A new
    PID namespace means that when its init dies, every process the command started dies with it.
    """
    argv = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    seen: set[tuple[str, Path]] = set()
    for flag, folders in (
        ("--ro-bind", _toolchain_under_tmp()),
        ("--bind", writable),
        ("--ro-bind", protected),
        ("--bind", writable_inside_protected),
    ):
        for folder in folders:
            real = folder.resolve()
            if flag == "--ro-bind" and folders is protected and not real.exists():
                # A settings folder that does not exist yet must not be creatable either: an empty
                # read-only mount holds its place (bwrap leaves the empty mount point behind).
                if ("--tmpfs", real) not in seen:
                    seen.add(("--tmpfs", real))
                    argv += ["--tmpfs", str(real), "--remount-ro", str(real)]
                continue
            if (flag, real) in seen or not real.exists():
                continue
            seen.add((flag, real))
            argv += [flag, str(real), str(real)]
    for path in absent_files:
        if not path.exists() and path.parent.exists():
            argv += ["--ro-bind", "/dev/null", str(path.parent.resolve() / path.name)]
    # No --new-session: the caller already starts bwrap in a new session without a controlling
    # terminal (so TIOCSTI injection is impossible), and keeping the sandboxed processes in that
    # process group lets one killpg reach all of them even if bwrap is killed mid-setup.
    argv += ["--unshare-pid"]
    if not allow_network:
        argv.append("--unshare-net")
    if die_with_parent:
        argv.append("--die-with-parent")
    argv += ["--chdir", str(cwd), "--"]
    return argv + list(command)


def _toolchain_under_tmp() -> list[Path]:
    """Folders under /tmp that commands need to run: this Python's environment and PATH entries.

    The private /tmp would otherwise hide a virtualenv (or a checkout) that lives there, and the
    commands the model runs (``python``, ``pytest``, ``backend-agent``) would vanish.
    """
    candidates = [Path(sys.prefix), Path(sys.base_prefix)]
    candidates += [Path(entry) for entry in os.environ.get("PATH", "").split(os.pathsep) if entry]
    tmp = Path("/tmp")
    return [path for path in candidates if path.is_absolute() and path.resolve().is_relative_to(tmp)]


def group_alive(pgid: int) -> bool:
    """Whether any live (non-zombie) process is in group ``pgid``.

    Zombies count for ``killpg(pgid, 0)``, and orphans can stay zombies for long where PID 1 does
    not reap (containers), so /proc is consulted when it exists.
    """
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            return True
    return False


def kill_group(
    pgid: int, *, proc: subprocess.Popen[bytes] | None = None, grace_s: float = KILL_GRACE_S
) -> None:
    """SIGTERM the whole process group, then SIGKILL whatever is left after ``grace_s``."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if proc is not None:
            proc.poll()
        if not group_alive(pgid):
            return
        time.sleep(0.02)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return
    if proc is not None:
        proc.wait()


def run_group(
    argv: list[str], *, cwd: Path, stdout: Path, stderr: Path, timeout_s: float, env: dict[str, str]
) -> tuple[int | None, bool]:
    """Run ``argv`` as a new session/process group; returns (exit code, timed out).

    On timeout, Ctrl-C or any other interruption the whole group is killed. Processes the command
    left behind in the background are killed too once it returns: long-running work belongs in
    ``run_in_background``.
    """
    with stdout.open("wb") as out, stderr.open("wb") as err:
        proc = subprocess.Popen(
            argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, start_new_session=True
        )
    _RUNNING.add(proc.pid)
    try:
        code = proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        kill_group(proc.pid, proc=proc)
        proc.wait()
        return None, True
    except BaseException:
        kill_group(proc.pid, proc=proc, grace_s=0.2)
        raise
    finally:
        _RUNNING.discard(proc.pid)
    if group_alive(proc.pid):
        kill_group(proc.pid, grace_s=0.2)
    return code, False


# Process groups of foreground commands now running (in worker threads): a SIGTERM/SIGINT of the
# whole run stops them at once instead of waiting for them to finish.
_RUNNING: set[int] = set()


def stop_foreground_commands() -> int:
    """Kill every running foreground command's process group; returns how many were running."""
    pids = list(_RUNNING)
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return len(pids)


def read_capped(path: Path, limit: int = MAX_OUTPUT_CHARS, *, start: int = 0) -> tuple[str, int, bool]:
    """Text of ``path`` from byte ``start``: head and tail kept when longer than ``limit``.

    Returns (text, number of bytes in the file after ``start``, truncated?).
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return "", 0, False
    total = max(0, size - start)
    with path.open("rb") as handle:
        handle.seek(start)
        if total <= limit:
            return handle.read(total).decode("utf-8", errors="replace"), total, False
        half = limit // 2
        head = handle.read(half)
        handle.seek(start + total - half)
        tail = handle.read(half)
    omitted = total - 2 * half
    text = (
        head.decode("utf-8", errors="replace")
        + f"\n\n... [{omitted} bytes truncated; output was {total} bytes in all] ...\n\n"
        + tail.decode("utf-8", errors="replace")
    )
    return text, total, True


def process_start_time(pid: int) -> str | None:
    """The kernel start time of ``pid`` (to tell a live job from a recycled PID); None if gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    if fields[0] == "Z":
        return None
    return fields[19]


__all__ = [
    "MAX_OUTPUT_CHARS",
    "PROTECTED_DIRS",
    "PROTECTED_FILES",
    "SANDBOX_OFF_WARNING",
    "bash_path",
    "bwrap_path",
    "group_alive",
    "kill_group",
    "process_start_time",
    "protected_paths",
    "read_capped",
    "run_group",
    "sandbox_argv",
]
