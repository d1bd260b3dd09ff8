"""Glob: files matching a path pattern, newest first, respecting .gitignore."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from pydantic import BaseModel, Field

from backend_agent.tools._globmatch import glob_to_regex
from backend_agent.tools._paths import workspace_path
from backend_agent.tools._ripgrep import RG_MISSING, base_args, rg_path
from backend_agent.tools.base import Tool, ToolContext, ToolResult

MAX_RESULTS = 100


class GlobInput(BaseModel):
    pattern: str = Field(description="Glob pattern, e.g. '**/*.py' or 'src/**/*.{ts,tsx}'.")
    path: str | None = Field(None, description="Folder to search in (default: the workspace).")


def list_files(rg: str, root: Path) -> list[str]:
    """Every file under ``root`` that .gitignore does not exclude, as paths relative to ``root``."""
    proc = subprocess.run(
        [*base_args(rg), "--files", "."], cwd=root, stdin=subprocess.DEVNULL, capture_output=True, timeout=120
    )
    return [line.removeprefix("./") for line in proc.stdout.decode("utf-8", errors="replace").splitlines()]


class GlobTool(Tool[GlobInput]):
    name = "Glob"
    description = (
        "Find files by path pattern ('**/*.py', 'src/**/*.ts'). Returns matching paths sorted by "
        "modification time, newest first, at most 100. Respects .gitignore."
    )
    Input = GlobInput
    read_only = True

    def run(self, input: GlobInput, ctx: ToolContext) -> ToolResult:
        rg = rg_path()
        if rg is None:
            return ToolResult.failure("rg_missing", RG_MISSING)
        root = workspace_path(input.path or ".", ctx)
        if isinstance(root, ToolResult):
            return root
        if not root.is_dir():
            return ToolResult.failure("not_a_directory", f"Not a folder: {root}. Give a folder as path.")
        pattern = input.pattern
        if os.path.isabs(pattern):
            try:
                pattern = str(Path(pattern).relative_to(root))
            except ValueError:
                return ToolResult.failure(
                    "outside_workspace",
                    f"Pattern {input.pattern} is not under {root}; use a relative pattern.",
                )
        regex = glob_to_regex(pattern.removeprefix("./"))
        matches = [root / rel for rel in list_files(rg, root) if regex.match(rel)]
        stamped = []
        for path in matches:
            try:
                stamped.append((path.stat().st_mtime, str(path)))
            except OSError:
                continue
        stamped.sort(key=lambda item: (-item[0], item[1]))
        total = len(stamped)
        shown = [path for _, path in stamped[:MAX_RESULTS]]
        truncated = total > MAX_RESULTS
        if not shown:
            output = "No files found"
        else:
            output = "\n".join(shown)
            if truncated:
                output += f"\n(Results are truncated: showing {MAX_RESULTS} of {total}. Use a more specific pattern or path.)"
        return ToolResult(output=output, data={"files": shown, "total": total, "truncated": truncated})


__all__ = ["GlobInput", "GlobTool"]
