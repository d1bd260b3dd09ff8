"""Resolving tool paths inside the workspace (and the extra folders a run was given)."""

from __future__ import annotations

from pathlib import Path

from backend_agent.tools import ToolContext, ToolResult


def resolve_in_workspace(raw: str, ctx: ToolContext, *, what: str = "path") -> Path | ToolResult:
    """``raw`` as an absolute path inside the workspace or an extra folder, else a failure for the model."""
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = ctx.workspace / path
    path = path.resolve()
    roots = [ctx.workspace.resolve(), *(d.resolve() for d in ctx.extra_dirs)]
    if not any(path == root or path.is_relative_to(root) for root in roots):
        return ToolResult.failure(
            "outside_workspace",
            f"The {what} {raw} is outside the workspace {ctx.workspace}; use a path inside it.",
            path=str(path),
        )
    return path


def relative(path: Path | str | None, ctx: ToolContext) -> str | None:
    """A path relative to the workspace when it lies inside it (shorter for the model)."""
    if path is None:
        return None
    candidate = Path(path)
    try:
        return str(candidate.resolve().relative_to(ctx.workspace.resolve()))
    except (ValueError, OSError):
        return str(path)


__all__ = ["relative", "resolve_in_workspace"]
