"""Workspace confinement: resolve a tool's path argument and refuse anything outside the allowed roots."""

from __future__ import annotations

import os
from pathlib import Path

from backend_agent.tools.base import ToolContext, ToolResult


class OutsideWorkspace(Exception):
    """A path resolves (through ``..``, an absolute path or a symlink) outside every allowed root."""

    def __init__(self, raw: str, resolved: Path, roots: list[Path]):
        self.raw = raw
        self.resolved = resolved
        self.roots = roots
        shown = ", ".join(str(root) for root in roots)
        super().__init__(
            f"Path '{raw}' resolves to {resolved}, which is outside the workspace ({shown}). "
            "Only files inside the workspace or an explicitly allowed directory can be used; "
            "use a path inside the workspace."
        )


def allowed_roots(ctx: ToolContext) -> list[Path]:
    roots = [ctx.workspace.resolve()]
    roots.extend(extra.resolve() for extra in ctx.extra_dirs)
    return roots


def is_inside(path: Path, roots: list[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def resolve_in_workspace(raw: str, ctx: ToolContext, *, base: Path | None = None) -> Path:
    """Turn a tool's path argument into a real absolute path inside the allowed roots.

    Relative paths are taken from ``base`` (default: the workspace). Symlinks are followed even
    for a file that does not exist yet (its nearest existing parent is resolved), so a link that
    points out of the workspace cannot be used to read or write there.
    """
    expanded = os.path.expanduser(raw)
    candidate = Path(expanded)
    if not candidate.is_absolute():
        candidate = (base or ctx.workspace) / candidate
    resolved = candidate.resolve(strict=False)
    roots = allowed_roots(ctx)
    if not is_inside(resolved, roots):
        raise OutsideWorkspace(raw, resolved, roots)
    return resolved


def workspace_path(raw: str, ctx: ToolContext) -> Path | ToolResult:
    """``resolve_in_workspace``, or the ``outside_workspace`` failure for a tool to return as is."""
    try:
        return resolve_in_workspace(raw, ctx)
    except OutsideWorkspace as exc:
        return ToolResult.failure("outside_workspace", str(exc), path=str(exc.resolved))


__all__ = ["OutsideWorkspace", "allowed_roots", "is_inside", "resolve_in_workspace", "workspace_path"]
