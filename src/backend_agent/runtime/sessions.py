"""The SQLite (WAL) session store under ``<workspace>/.backend-agent/sessions.db``.

Messages, tool calls, permission decisions, tool state and usage are written after every step,
so a run killed with SIGKILL loses at most the step in flight and resumes from there.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelMessagesTypeAdapter
from pydantic_core import to_jsonable_python

from backend_agent.errors import ConfigError, Location, Problem, UsageError
from backend_agent.runtime.redact import Redactor

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, parent_id TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL,
    workspace TEXT NOT NULL, agent TEXT NOT NULL, model TEXT NOT NULL, title TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'running', tool_session TEXT NOT NULL DEFAULT '{}',
    usage TEXT NOT NULL DEFAULT '{}', result TEXT
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
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise ConfigError(
                "the workspace's session store cannot be opened",
                problems=[Problem(str(exc), Location(str(path)), expected="a writable SQLite database")],
                hint=f"check the folder's permissions, or move the file aside (mv {path} {path}.bak) to start a "
                "fresh store; sessions in the old file cannot be resumed",
            ) from exc
        # Per session: the serialized messages already on disk, to write only what changed.
        self._saved: dict[str, list[tuple[object, str]]] = {}

    @classmethod
    def for_workspace(
        cls, workspace: Path, *, state_dir_name: str = ".backend-agent", redactor: Redactor | None = None
    ) -> SessionStore:
        return cls(workspace / state_dir_name / "sessions.db", redactor=redactor)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- sessions -------------------------------------------------------------------------------

    def create(
        self, *, workspace: Path, agent: str, model: str, title: str, parent_id: str | None = None
    ) -> str:
        session_id = str(uuid.uuid4())
        now = time.time()
        self._db.execute(
            "INSERT INTO sessions (id, parent_id, created_at, updated_at, workspace, agent, model, title) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (session_id, parent_id, now, now, str(workspace), agent, model, self.redactor.text(title)[:500]),
        )
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


__all__ = ["SessionInfo", "SessionStore"]
