"""Tool sessions stored under ``<workspace>/.backend-agent/`` so separate CLI calls share Read records."""

from __future__ import annotations

import fcntl
import json
import re
import uuid
from pathlib import Path

from pydantic import ValidationError

from backend_agent._atomic import write_atomic
from backend_agent.errors import ConfigError, UsageError
from backend_agent.tools.base import ToolSession

DEFAULT_SESSION = "default"
_VALID_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def sessions_dir(workspace: Path) -> Path:
    return workspace / ".backend-agent" / "tool-sessions"


def _current_id(workspace: Path) -> str:
    pointer = sessions_dir(workspace) / "current"
    try:
        value = pointer.read_text().strip()
    except OSError:
        return DEFAULT_SESSION
    return value if _VALID_ID.match(value) else DEFAULT_SESSION


def load_tool_session(workspace: Path, session_id: str | None = None) -> ToolSession:
    """The stored tool session ``session_id`` (default: the workspace's current one).

    ``"new"`` starts a fresh session, which becomes the current one once saved.
    """
    if session_id == "new":
        return ToolSession(id=f"s-{uuid.uuid4().hex[:10]}")
    chosen = session_id or _current_id(workspace)
    if not _VALID_ID.match(chosen):
        raise UsageError(
            f"Invalid tool session id '{chosen}'.",
            hint="use letters, digits, '.', '_' or '-' (at most 64), or 'new' for a fresh session",
        )
    path = sessions_dir(workspace) / f"{chosen}.json"
    if not path.exists():
        return ToolSession(id=chosen)
    try:
        session = ToolSession.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ConfigError(
            f"{path}: the stored tool session is unreadable ({exc.__class__.__name__}: {str(exc).splitlines()[0]}).",
            hint="start a fresh one with --session new, or delete the file",
        ) from exc
    session.id = chosen
    return session


def _merge(stored: ToolSession, ours: ToolSession) -> ToolSession:
    """Combine a concurrently saved version with ours: nobody's reads or jobs are lost; ours win on conflict."""
    merged = ours.model_copy(deep=True)
    for key, record in stored.reads.items():
        mine = merged.reads.get(key)
        if mine is None or record.mtime_ns > mine.mtime_ns:
            merged.reads[key] = record
    for job_id, job in stored.background_jobs.items():
        merged.background_jobs.setdefault(job_id, job)
    merged.warnings = list(dict.fromkeys([*stored.warnings, *ours.warnings]))
    return merged


def save_tool_session(workspace: Path, session: ToolSession) -> Path:
    """Write ``session`` atomically and make it the workspace's current session; returns the file.

    Separate ``tools call`` processes may save the same session at once: under a file lock, the
    stored version is merged in first, so a parallel call's Read records and jobs survive.
    """
    if session.id is None:
        session.id = DEFAULT_SESSION
    folder = sessions_dir(workspace)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{session.id}.json"
    with (folder / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            to_write = session
            if path.exists():
                try:
                    stored = ToolSession.model_validate(json.loads(path.read_text(encoding="utf-8")))
                    to_write = _merge(stored, session)
                except (json.JSONDecodeError, ValidationError):
                    to_write = session  # an unreadable file is replaced by the good state we have
            write_atomic(path, to_write.model_dump_json(indent=2))
            write_atomic(folder / "current", session.id + "\n")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return path


__all__ = ["DEFAULT_SESSION", "load_tool_session", "save_tool_session", "sessions_dir"]
