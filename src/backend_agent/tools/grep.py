"""Grep: regular-expression search backed by ripgrep, respecting .gitignore."""

from __future__ import annotations

import os
import subprocess
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from backend_agent.tools._paths import workspace_path
from backend_agent.tools._ripgrep import RG_MISSING, base_args, rg_path
from backend_agent.tools.base import Tool, ToolContext, ToolResult

DEFAULT_HEAD_LIMIT = 250
RG_TIMEOUT_S = 120


class GrepInput(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    pattern: str = Field(description="Regular expression (ripgrep syntax).")
    path: str | None = Field(None, description="File or folder to search (default: the workspace).")
    glob: str | None = Field(
        None, description="Only search files matching this glob, e.g. '*.py' or '**/*.{ts,tsx}'."
    )
    type: str | None = Field(None, description="Only search files of this ripgrep type, e.g. 'py', 'js'.")
    output_mode: Literal["files_with_matches", "content", "count"] = Field(
        "files_with_matches", description="files_with_matches (default), content (matching lines) or count."
    )
    after: int | None = Field(None, alias="-A", ge=0, description="Lines after each match (content mode).")
    before: int | None = Field(None, alias="-B", ge=0, description="Lines before each match (content mode).")
    context: int | None = Field(None, alias="-C", ge=0, description="Lines around each match (content mode).")
    ignore_case: bool = Field(False, alias="-i", description="Case-insensitive search.")
    line_numbers: bool = Field(True, alias="-n", description="Show line numbers (content mode).")
    multiline: bool = Field(False, description="Let patterns span lines; '.' matches newlines.")
    head_limit: int = Field(
        DEFAULT_HEAD_LIMIT, ge=0, description="Return at most this many entries (0 = all)."
    )
    offset: int = Field(0, ge=0, description="Skip this many entries first.")


def build_command(rg: str, input: GrepInput, target: str) -> list[str]:
    args = base_args(rg)
    if input.output_mode == "files_with_matches":
        args.append("--files-with-matches")
    elif input.output_mode == "count":
        args += ["--count", "--with-filename"]
    else:
        args.append("--with-filename")
        if input.line_numbers:
            args.append("--line-number")
        for flag, value in (("-A", input.after), ("-B", input.before), ("-C", input.context)):
            if value is not None:
                args += [flag, str(value)]
    if input.ignore_case:
        args.append("--ignore-case")
    if input.multiline:
        args += ["--multiline", "--multiline-dotall"]
    if input.glob:
        args += ["--glob", input.glob]
    if input.type:
        args += ["--type", input.type]
    return [*args, "--regexp", input.pattern, "--", target]


def _by_mtime(paths: list[str]) -> list[str]:
    def key(path: str) -> tuple[float, str]:
        try:
            return (-os.stat(path).st_mtime, path)
        except OSError:
            return (0.0, path)

    return sorted(paths, key=key)


class GrepTool(Tool[GrepInput]):
    name = "Grep"
    description = (
        "Search file contents with a regular expression (ripgrep). output_mode: files_with_matches "
        "(default, newest first), content (with -A/-B/-C context, -n line numbers) or count. Filter "
        "with glob or type; -i ignores case; multiline lets a pattern span lines. Results are capped "
        "by head_limit (default 250, 0 = all) after skipping offset entries. Respects .gitignore."
    )
    Input = GrepInput
    read_only = True

    def run(self, input: GrepInput, ctx: ToolContext) -> ToolResult:
        rg = rg_path()
        if rg is None:
            return ToolResult.failure("rg_missing", RG_MISSING)
        target = workspace_path(input.path or ".", ctx)
        if isinstance(target, ToolResult):
            return target
        if not target.exists():
            return ToolResult.failure("not_found", f"Path does not exist: {target}.", path=str(target))
        proc = subprocess.run(
            build_command(rg, input, str(target)),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=RG_TIMEOUT_S,
            cwd=ctx.workspace,
        )
        stdout = proc.stdout.decode("utf-8", errors="replace")
        if proc.returncode == 2 and not stdout:
            message = proc.stderr.decode("utf-8", errors="replace").strip()
            return ToolResult.failure("rg_error", f"Search failed: {message}", pattern=input.pattern)
        entries = stdout.splitlines()
        if input.output_mode == "files_with_matches":
            entries = _by_mtime(entries)
        total = len(entries)
        end = None if input.head_limit == 0 else input.offset + input.head_limit
        shown = entries[input.offset : end]
        truncated = end is not None and total > end
        return ToolResult(
            output=self._render(input, shown, entries, truncated),
            data={
                "mode": input.output_mode,
                "total": total,
                "returned": len(shown),
                "offset": input.offset,
                "truncated": truncated,
                "entries": shown,
            },
        )

    @staticmethod
    def _render(input: GrepInput, shown: list[str], entries: list[str], truncated: bool) -> str:
        more = (
            f"\n(Results truncated; use offset={input.offset + len(shown)} to see more.)" if truncated else ""
        )
        if input.output_mode == "files_with_matches":
            if not entries:
                return "No files found"
            return f"Found {len(entries)} file{'s' if len(entries) != 1 else ''}\n" + "\n".join(shown) + more
        if input.output_mode == "count":
            if not entries:
                return "No matches found"
            occurrences = sum(
                int(line.rsplit(":", 1)[1]) for line in entries if line.rsplit(":", 1)[-1].isdigit()
            )
            summary = f"\n\nFound {occurrences} total occurrences across {len(entries)} files."
            return "\n".join(shown) + summary + more
        if not entries:
            return "No matches found"
        return "\n".join(shown) + more


__all__ = ["GrepInput", "GrepTool"]
