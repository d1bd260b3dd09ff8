"""Read: ``cat -n`` style numbered lines of a text file, recorded for later Write/Edit checks."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from backend_agent.tools._media import IMAGE_EXTENSIONS, PDF_EXTENSIONS, describe_media
from backend_agent.tools._paths import workspace_path
from backend_agent.tools._records import record_read
from backend_agent.tools._text import decode, looks_binary
from backend_agent.tools.base import Tool, ToolContext, ToolResult

DEFAULT_LIMIT = 2000
STREAM_THRESHOLD = 64 * 1024 * 1024  # larger text files are streamed instead of loaded whole
MEDIA_EXTENSIONS = IMAGE_EXTENSIONS | PDF_EXTENSIONS
MAX_LINE_CHARS = 2000
TRUNCATION_MARK = "... [line truncated]"
EMPTY_FILE_NOTICE = "<system-reminder>Warning: the file exists but the contents are empty.</system-reminder>"


class ReadInput(BaseModel):
    file_path: str = Field(description="Path of the file to read (absolute, or relative to the workspace).")
    offset: int | None = Field(None, ge=1, description="Line number to start at (1-based).")
    limit: int | None = Field(None, ge=1, description="Number of lines to read (default 2000).")


def format_numbered(lines: list[str], first_number: int) -> tuple[str, int]:
    """``cat -n`` format: the line number right-aligned to 6 columns, a tab, the text."""
    out: list[str] = []
    truncated = 0
    for number, line in enumerate(lines, start=first_number):
        if len(line) > MAX_LINE_CHARS:
            line = line[:MAX_LINE_CHARS] + TRUNCATION_MARK
            truncated += 1
        out.append(f"{number:>6}\t{line}")
    return "\n".join(out), truncated


def suggest_similar(path: Path) -> list[str]:
    """Files next to a missing path with the same stem or name, to help the model correct itself."""
    parent = path.parent
    if not parent.is_dir():
        return []
    stem = path.stem.lower()
    return sorted(
        str(p) for p in parent.iterdir() if p.stem.lower() == stem or p.name.lower() == path.name.lower()
    )[:5]


def _past_end(path: Path, start: int, total: int) -> ToolResult:
    return ToolResult.failure(
        "offset_out_of_range",
        f"{path} has only {total} lines; offset {start} is past the end. Use a smaller offset.",
        total_lines=total,
    )


def _numbered(path: Path, lines: list[str], *, start: int, total: int, **extra: Any) -> ToolResult:
    """``lines`` (starting at line ``start`` of ``total``) numbered, with a hint to read on if more follow."""
    body, long_lines = format_numbered(lines, start)
    end = start + len(lines) - 1
    if end < total:
        body += f"\n\n(Showing lines {start}-{end} of {total}. Use offset={end + 1} to read more.)"
    return ToolResult(
        output=body,
        data={
            "path": str(path),
            "start_line": start,
            "end_line": end,
            "total_lines": total,
            "partial": start > 1 or end < total,
            "truncated_lines": long_lines,
            **extra,
        },
    )


class ReadTool(Tool[ReadInput]):
    name = "Read"
    description = (
        "Read a file from the workspace. Returns lines in cat -n format (line number, tab, text), "
        "2000 lines by default; use offset and limit for long files. Lines over 2000 characters are "
        "truncated. Images and PDFs are described, binary files refused."
    )
    Input = ReadInput
    read_only = True

    def run(self, input: ReadInput, ctx: ToolContext) -> ToolResult:
        path = workspace_path(input.file_path, ctx)
        if isinstance(path, ToolResult):
            return path
        if not path.exists():
            similar = suggest_similar(path)
            hint = f" Did you mean: {', '.join(similar)}?" if similar else ""
            return ToolResult.failure("not_found", f"File does not exist: {path}.{hint}", path=str(path))
        if path.is_dir():
            return ToolResult.failure(
                "is_directory",
                f"{path} is a directory, not a file. Use Glob or Bash 'ls' to list it.",
                path=str(path),
            )
        size = path.stat().st_size
        if size > STREAM_THRESHOLD and path.suffix.lower() not in MEDIA_EXTENSIONS:
            return self._read_streamed(path, input, ctx)
        data = path.read_bytes()
        media = describe_media(path, data)
        if media is not None:
            text, details = media
            record_read(ctx, path, data)
            return ToolResult(output=text, data={"path": str(path), **details})
        if looks_binary(data):
            return ToolResult.failure(
                "binary_file",
                f"{path} is a binary file ({len(data)} bytes) and cannot be shown as text. "
                "Inspect it with Bash (e.g. 'file' or 'xxd | head') if you need to.",
                path=str(path),
            )
        return self._read_text(path, data, input, ctx)

    def _read_streamed(self, path: Path, input: ReadInput, ctx: ToolContext) -> ToolResult:
        """A very large file: hash and count it in chunks, keep only the requested lines in memory."""
        start = input.offset or 1
        limit = input.limit or DEFAULT_LIMIT
        digest = hashlib.sha256()
        wanted: list[bytes] = []
        total = 0
        pending = b""
        with path.open("rb") as handle:
            head = handle.read(8192)
            if looks_binary(head):
                return ToolResult.failure(
                    "binary_file", f"{path} is a binary file and cannot be shown as text.", path=str(path)
                )
            chunk = head
            while chunk:
                digest.update(chunk)
                pieces = (pending + chunk).split(b"\n")
                pending = pieces.pop()
                for line in pieces:
                    total += 1
                    if start <= total < start + limit:
                        wanted.append(line)
                chunk = handle.read(1 << 20)
        if pending:
            total += 1
            if start <= total < start + limit:
                wanted.append(pending)
        record_read(ctx, path, None, partial=True, sha256=digest.hexdigest())
        if start > total:
            return _past_end(path, start, total)
        lines = [line.decode("utf-8", errors="replace").removesuffix("\r") for line in wanted]
        return _numbered(path, lines, start=start, total=total, streamed=True)

    def _read_text(self, path: Path, data: bytes, input: ReadInput, ctx: ToolContext) -> ToolResult:
        decoded = decode(data)
        text = decoded.text
        if text == "":
            record_read(ctx, path, data)
            return ToolResult(
                output=EMPTY_FILE_NOTICE, data={"path": str(path), "total_lines": 0, "empty": True}
            )
        total = text.count("\n") + (0 if text.endswith("\n") else 1)
        start = input.offset or 1
        limit = input.limit or DEFAULT_LIMIT
        pieces = text.split("\n", start - 1 + limit)
        lines = [line.removesuffix("\r") for line in pieces[start - 1 : start - 1 + limit]]
        if start > total:
            record_read(ctx, path, data, partial=True)
            return _past_end(path, start, total)
        if text.endswith("\n") and start - 1 + len(lines) > total:
            lines = lines[: total - start + 1]
        result = _numbered(
            path,
            lines,
            start=start,
            total=total,
            encoding=decoded.encoding,
            line_ending={"\n": "LF", "\r\n": "CRLF", "mixed": "mixed"}[decoded.line_ending],
        )
        record_read(ctx, path, data, partial=result.data["partial"])
        return result


__all__ = ["ReadInput", "ReadTool", "format_numbered"]
