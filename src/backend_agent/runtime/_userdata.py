"""The user's data folder (XDG): sessions and MCP approvals live there, never in the repository."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

APP = "backend-agent"


def data_dir() -> Path:
    """``$XDG_DATA_HOME/backend-agent``, else ``~/.local/share/backend-agent`` (created 0700)."""
    base = os.environ.get("XDG_DATA_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "share"
    folder = root / APP
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def workspace_key(workspace: Path) -> str:
    """A readable, collision-free folder name for a workspace: ``<name>-<hash of its path>``."""
    resolved = str(workspace.resolve())
    digest = hashlib.sha256(resolved.encode()).hexdigest()[:12]
    name = (
        "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in workspace.resolve().name)[:40] or "root"
    )
    return f"{name}-{digest}"


__all__ = ["data_dir", "workspace_key"]
