"""The SQLite (WAL) session store, in the user's data folder, one database per workspace.

Default location: ``$XDG_DATA_HOME/backend-agent/sessions/<workspace-name>-<hash>/sessions.db``
(``~/.local/share/...`` without XDG_DATA_HOME), so transcripts never land in the repository or in
``git status``; ``--session-dir`` / ``BACKEND_AGENT_SESSION_DIR`` choose another folder. The folder is
created 0700 and the database files 0600: transcripts hold code and tool output.

Messages, tool calls, permission decisions, tool state and usage are written after every step,
so a run killed with SIGKILL loses at most the step in flight and resumes from there. A run holds
an exclusive lock on its session, so a second ``--resume`` of a busy session is refused.
"""

from __future__ import annotations

import builtins
import fcntl
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic_core import to_jsonable_python

if TYPE_CHECKING:  # pydantic-ai costs most of a second to import: listing sessions needs none of it
    from pydantic_ai.messages import ModelMessage

from backend_agent.errors import ConfigError, Location, Problem, UsageError
from backend_agent.runtime._userdata import data_dir, workspace_key
from backend_agent.runtime.redact import Redactor

SESSION_DIR_ENV = "BACKEND_AGENT_SESSION_DIR"
_DB_SUFFIXES = ("", "-wal", "-shm", "-journal")


def default_session_dir(workspace: Path) -> Path:
    """Where a workspace's sessions live unless ``--session-dir`` says otherwise."""
    chosen = os.environ.get(SESSION_DIR_ENV)
    if chosen:
        return Path(chosen).expanduser().resolve()
    return data_dir() / "sessions" / workspace_key(workspace)


def session_db_path(workspace: Path, session_dir: Path | None = None) -> Path:
    folder = session_dir.expanduser().resolve() if session_dir is not None else default_session_dir(workspace)
    return folder / "sessions.db"


class SessionBusy(UsageError):
    """Another process is running this session."""


class SessionLock:
    """An exclusive, process-held lock on one session (released on exit, crash or SIGKILL included)."""

    def __init__(self, folder: Path, session_id: str) -> None:
        locks = folder / "locks"
        locks.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = locks / f"{session_id}.lock"
        self.session_id = session_id
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise SessionBusy(
                f"session {self.session_id} is busy: it is being run by {holder}",
                hint="wait for that run to finish (or stop it), then resume again",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            # The file stays: unlinking it would let two processes lock two different files.
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, parent_id TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL,
    workspace TEXT NOT NULL, agent TEXT NOT NULL, model TEXT NOT NULL, title TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'running', tool_session TEXT NOT NULL DEFAULT '{}',
    usage TEXT NOT NULL DEFAULT '{}', result TEXT, checkpoint_key TEXT
);
CREATE TABLE IF NOT EXISTS messages (
    session_id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (session_id, seq)
);
CREATE TABLE IF NOT EXISTS tool_calls (
    session_id TEXT NOT NULL, tool_use_id TEXT NOT NULL, name TEXT NOT NULL, input TEXT NOT NULL,
    ok INTEGER, output TEXT, error_code TEXT, duration_ms INTEGER, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS permissions (
    session_id TEXT NOT NULL, tool_use_id TEXT NOT NULL, tool TEXT NOT NULL, input TEXT NOT NULL,
    decision TEXT NOT NULL, asked INTEGER NOT NULL, rule TEXT, source TEXT, reason TEXT, created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_updated ON sessions (workspace, updated_at);
"""


@dataclass(frozen=True)
class SessionInfo:
    id: str
    parent_id: str | None
    created_at: float
    updated_at: float
    workspace: str
    agent: str
    model: str
    title: str
    status: str
    tool_session: dict[str, Any]
    usage: dict[str, Any]
    result: dict[str, Any] | None
    message_count: int = 0


class SessionStore:
    """One SQLite database per workspace; cheap to open, safe to write from one process at a time."""

    def __init__(self, path: Path, *, redactor: Redactor | None = None) -> None:
        self.path = path
        self.redactor = redactor or Redactor()
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            for suffix in _DB_SUFFIXES[
                :1
            ]:  # created private before SQLite opens it (WAL/SHM follow its mode)
                os.close(os.open(str(path) + suffix, os.O_RDWR | os.O_CREAT, 0o600))
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(sessions)")}
            if "checkpoint_key" not in columns:  # a store written before subagent checkpoints
                self._db.execute("ALTER TABLE sessions ADD COLUMN checkpoint_key TEXT")
            self._make_private()
        except (sqlite3.DatabaseError, OSError) as exc:
            raise ConfigError(
                "the workspace's session store cannot be opened",
                problems=[Problem(str(exc), Location(str(path)), expected="a writable SQLite database")],
                hint=f"check the folder's permissions, or move the file aside (mv {path} {path}.bak) to start a "
                "fresh store; sessions in the old file cannot be resumed",
            ) from exc
        # Per session: the serialized messages already on disk, to write only what changed.
        self._saved: dict[str, list[tuple[object, str]]] = {}
        self._locks: dict[str, SessionLock] = {}

    @classmethod
    def for_workspace(
        cls, workspace: Path, *, session_dir: Path | None = None, redactor: Redactor | None = None,
        state_dir_name: str | None = None,
    ) -> SessionStore:  # fmt: skip
        """The store of a workspace: ``session_dir`` if given, else the user's data folder.

        (``state_dir_name`` is accepted for callers of the old in-workspace layout and ignored.)
        """
        del state_dir_name
        return cls(session_db_path(workspace, session_dir), redactor=redactor)

    def _make_private(self) -> None:
        for suffix in _DB_SUFFIXES:
            target = Path(str(self.path) + suffix)
            if target.exists():
                os.chmod(target, 0o600)

    def hold(self, session_id: str) -> None:
        """Hold ``session_id`` until this store is closed; SessionBusy when another run holds it."""
        if session_id in self._locks:
            return
        lock = SessionLock(self.path.parent, session_id)
        lock.acquire()
        self._locks[session_id] = lock

    def write_transcript(self, session_id: str) -> Path:
        """The conversation as JSON lines (one message a line, redacted), for hooks' ``transcript_path``."""
        folder = self.path.parent / "transcripts"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"{session_id}.jsonl"
        rows = self._db.execute("SELECT data FROM messages WHERE session_id = ? ORDER BY seq", (session_id,))
        text = "".join(row[0] + "\n" for row in rows)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        return path

    def find_checkpoint(self, parent_id: str, checkpoint_key: str) -> SessionInfo | None:
        """The subagent session started by one Agent tool call of ``parent_id`` (for resuming it)."""
        row = self._db.execute(
            "SELECT * FROM sessions WHERE parent_id = ? AND checkpoint_key = ? ORDER BY created_at DESC LIMIT 1",
            (parent_id, checkpoint_key),
        ).fetchone()
        return self._info(row) if row else None

    def close(self) -> None:
        for lock in self._locks.values():
            lock.release()
        self._locks.clear()
        self._db.close()

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- sessions -------------------------------------------------------------------------------

    def create(
        self, *, workspace: Path, agent: str, model: str, title: str, parent_id: str | None = None,
        checkpoint_key: str | None = None,
    ) -> str:  # fmt: skip
        session_id = str(uuid.uuid4())
        now = time.time()
        self._db.execute(
            "INSERT INTO sessions (id, parent_id, created_at, updated_at, workspace, agent, model, title, "
            "checkpoint_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (session_id, parent_id, now, now, str(workspace), agent, model, self.redactor.text(title)[:500],
             checkpoint_key),
        )  # fmt: skip
        return session_id

    def _info(self, row: sqlite3.Row | tuple[Any, ...]) -> SessionInfo:
        (sid, parent, created, updated, ws, agent, model, title, status, tool_session, usage, result) = row[
            :12
        ]
        count = self._db.execute("SELECT COUNT(*) FROM messages WHERE session_id = ?", (sid,)).fetchone()[0]
        return SessionInfo(
            sid, parent, created, updated, ws, agent, model, title, status,
            json.loads(tool_session), json.loads(usage), json.loads(result) if result else None, count,
        )  # fmt: skip

    def get(self, session_id: str) -> SessionInfo:
        """A session by id or unique id prefix; a UsageError lists recent ids otherwise."""
        rows = self._db.execute(
            "SELECT * FROM sessions WHERE id = ? OR id LIKE ? ORDER BY updated_at DESC",
            (session_id, session_id + "%"),
        ).fetchall()
        exact = [row for row in rows if row[0] == session_id]
        if exact or len(rows) == 1:
            return self._info((exact or rows)[0])
        recent = ", ".join(info.id[:8] for info in self.list(limit=5)) or "none yet"
        what = "is ambiguous" if rows else "was not found"
        raise UsageError(
            f"session {session_id!r} {what} in {self.path}",
            hint=f"run 'backend-agent sessions list' to see them (recent: {recent})",
        )

    def latest(self, *, workspace: Path) -> SessionInfo | None:
        row = self._db.execute(
            "SELECT * FROM sessions WHERE workspace = ? AND parent_id IS NULL ORDER BY updated_at DESC LIMIT 1",
            (str(workspace),),
        ).fetchone()
        return self._info(row) if row else None

    def list(self, *, limit: int = 50, include_subagents: bool = False) -> builtins.list[SessionInfo]:
        where = "" if include_subagents else "WHERE parent_id IS NULL"
        rows = self._db.execute(
            f"SELECT * FROM sessions {where} ORDER BY updated_at DESC LIMIT ?", (limit,)
        ).fetchall()
        return [self._info(row) for row in rows]

    def finish(self, session_id: str, *, status: str, result: dict[str, Any]) -> None:
        self._db.execute(
            "UPDATE sessions SET status = ?, result = ?, updated_at = ? WHERE id = ?",
            (status, json.dumps(self.redactor.data(result)), time.time(), session_id),
        )

    # -- messages ---------------------------------------------------------------------------------

    def save_step(
        self,
        session_id: str,
        messages: Sequence[ModelMessage],
        *,
        tool_session: dict[str, Any] | None = None,
        usage: dict[str, Any] | None = None,
    ) -> None:
        """Write the conversation (only messages that changed) and the tool state in one transaction."""
        saved = self._saved.setdefault(session_id, self._load_saved_keys(session_id))
        first_changed = 0
        for index, message in enumerate(messages):
            # Re-check the last few even when identical objects: pydantic-ai may update them in place.
            if index >= len(saved) or saved[index][0] is not message or index >= len(messages) - 2:
                break
            first_changed = index + 1
        rows: builtins.list[tuple[int, str, ModelMessage]] = []
        for index in range(first_changed, len(messages)):
            data = json.dumps(self.redactor.data(to_jsonable_python(messages[index])), separators=(",", ":"))
            rows.append((index, data, messages[index]))
        with self._db:
            self._db.execute("BEGIN")
            changed = [r for r in rows if r[0] >= len(saved) or saved[r[0]][1] != r[1]]
            if len(saved) > len(messages):
                self._db.execute(
                    "DELETE FROM messages WHERE session_id = ? AND seq >= ?", (session_id, len(messages))
                )
            self._db.executemany(
                "INSERT OR REPLACE INTO messages (session_id, seq, data) VALUES (?, ?, ?)",
                [(session_id, index, data) for index, data, _ in changed],
            )
            sets: list[str] = ["updated_at = ?"]
            params: list[object] = [time.time()]
            if tool_session is not None:
                sets.append("tool_session = ?")
                params.append(json.dumps(tool_session))
            if usage is not None:
                sets.append("usage = ?")
                params.append(json.dumps(usage))
            self._db.execute(f"UPDATE sessions SET {', '.join(sets)} WHERE id = ?", (*params, session_id))
        del saved[len(messages) :]
        for index, data, message in rows:
            entry: tuple[object, str] = (message, data)
            if index < len(saved):
                saved[index] = entry
            else:
                saved.append(entry)

    def _load_saved_keys(self, session_id: str) -> builtins.list[tuple[object, str]]:
        rows = self._db.execute(
            "SELECT data FROM messages WHERE session_id = ? ORDER BY seq", (session_id,)
        ).fetchall()
        return [(None, row[0]) for row in rows]

    def load_messages(self, session_id: str) -> builtins.list[ModelMessage]:
        rows = self._db.execute(
            "SELECT data FROM messages WHERE session_id = ? ORDER BY seq", (session_id,)
        ).fetchall()
        if not rows:
            return []
        from pydantic_ai.messages import ModelMessagesTypeAdapter

        messages = ModelMessagesTypeAdapter.validate_json("[" + ",".join(row[0] for row in rows) + "]")
        self._saved[session_id] = [(message, row[0]) for message, row in zip(messages, rows, strict=True)]
        return list(messages)

    # -- tool calls and permission decisions ----------------------------------------------------

    def record_tool_call(
        self, session_id: str, *, tool_use_id: str, name: str, tool_input: dict[str, Any], ok: bool,
        output: str, error_code: str | None, duration_ms: int,
    ) -> None:  # fmt: skip
        self._db.execute(
            "INSERT INTO tool_calls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                session_id, tool_use_id, name, json.dumps(self.redactor.data(tool_input)), int(ok),
                self.redactor.text(output[:20000]), error_code, duration_ms, time.time(),
            ),
        )  # fmt: skip

    def record_permission(
        self, session_id: str, *, tool_use_id: str, tool: str, tool_input: dict[str, Any], decision: str,
        asked: bool, rule: str | None, source: str | None, reason: str | None,
    ) -> None:  # fmt: skip
        self._db.execute(
            "INSERT INTO permissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                session_id, tool_use_id, tool, json.dumps(self.redactor.data(tool_input)), decision, int(asked),
                rule, source, reason, time.time(),
            ),
        )  # fmt: skip

    def tool_calls(self, session_id: str) -> builtins.list[dict[str, Any]]:
        cursor = self._db.execute(
            "SELECT * FROM tool_calls WHERE session_id = ? ORDER BY created_at", (session_id,)
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def permissions(self, session_id: str) -> builtins.list[dict[str, Any]]:
        cursor = self._db.execute(
            "SELECT * FROM permissions WHERE session_id = ? ORDER BY created_at", (session_id,)
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def export(self, session_id: str) -> dict[str, Any]:
        """Everything stored about a session as one JSON-serialisable object."""
        info = self.get(session_id)
        rows = self._db.execute(
            "SELECT data FROM messages WHERE session_id = ? ORDER BY seq", (info.id,)
        ).fetchall()
        children = self._db.execute("SELECT id FROM sessions WHERE parent_id = ?", (info.id,)).fetchall()
        return {
            "session": {k: v for k, v in info.__dict__.items()},
            "messages": [json.loads(row[0]) for row in rows],
            "tool_calls": self.tool_calls(info.id),
            "permissions": self.permissions(info.id),
            "subagent_sessions": [row[0] for row in children],
        }


__all__ = [
    "SESSION_DIR_ENV",
    "SessionBusy",
    "SessionInfo",
    "SessionLock",
    "SessionStore",
    "default_session_dir",
    "session_db_path",
]
