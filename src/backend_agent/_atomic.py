"""Atomic file writes: a temp file in the same folder, then a rename, so nothing is half-written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: str | bytes, *, encoding: str = "utf-8", newline: str | None = None) -> None:
    """Write ``data`` to ``path`` atomically, creating parent folders; keeps the old file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data if isinstance(data, bytes) else data.encode(encoding)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp_name, path.stat().st_mode & 0o7777)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def write_tree_atomic(root: Path, files: dict[str, str | bytes]) -> list[Path]:
    """Write several files under ``root``; each one atomically. Returns the written paths."""
    written = []
    for rel, content in sorted(files.items()):
        target = root / rel
        write_atomic(target, content)
        written.append(target)
    return written


__all__ = ["write_atomic", "write_tree_atomic"]
