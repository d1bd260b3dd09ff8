"""Read records: what Read saw, so Write and Edit refuse to clobber a file changed since."""

from __future__ import annotations

import hashlib
from pathlib import Path

from backend_agent.tools.base import ReadRecord, ToolContext, ToolResult


def record_read(
    ctx: ToolContext, path: Path, data: bytes | None, *, partial: bool = False, sha256: str | None = None
) -> ReadRecord:
    """Remember what was read: pass the bytes, or their ``sha256`` when the file was streamed."""
    digest = sha256 if sha256 is not None else hashlib.sha256(data or b"").hexdigest()
    record = ReadRecord(path=str(path), mtime_ns=path.stat().st_mtime_ns, sha256=digest, partial=partial)
    ctx.session.reads[str(path)] = record
    return record


def check_fresh(ctx: ToolContext, path: Path, data: bytes, *, action: str) -> ToolResult | None:
    """None when ``path`` was read in this session and is unchanged since; else the failure to return."""
    record = ctx.session.reads.get(str(path))
    if record is None:
        return ToolResult.failure(
            "not_read",
            f"File has not been read yet: {path}. Read it first with the Read tool before you {action} it.",
            path=str(path),
        )
    if path.stat().st_mtime_ns == record.mtime_ns:
        return None
    # A touched but identical file is still safe to edit; only a content change blocks.
    if hashlib.sha256(data).hexdigest() == record.sha256:
        return None
    return ToolResult.failure(
        "modified_since_read",
        f"File has been modified since read, either by the user or by a linter: {path}. "
        f"Read it again before you {action} it.",
        path=str(path),
    )


__all__ = ["check_fresh", "record_read"]
