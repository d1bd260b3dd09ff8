"""Edit: exact string replacement that keeps line endings and encoding, with near-match diagnostics."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from pydantic import BaseModel, Field

from backend_agent._atomic import write_atomic
from backend_agent.tools._edit_match import (
    NearMatch,
    find_near_match,
    line_numbers_of,
    prefix_line_number,
    strip_number_prefixes,
    strip_some_number_prefixes,
)
from backend_agent.tools._paths import workspace_path
from backend_agent.tools._records import check_fresh, record_read
from backend_agent.tools._text import DecodedText, decode, looks_binary
from backend_agent.tools.base import Tool, ToolContext, ToolResult
from backend_agent.tools.read import format_numbered

SNIPPET_CONTEXT = 4


class EditInput(BaseModel):
    file_path: str = Field(description="Path of the file to edit (absolute, or relative to the workspace).")
    old_string: str = Field(
        description="The exact text to replace, copied from the file without line-number prefixes."
    )
    new_string: str = Field(description="The replacement text (must differ from old_string).")
    replace_all: bool = Field(
        False, description="Replace every occurrence instead of requiring a unique one."
    )


def _near_match_message(path: Path, text: str, near: NearMatch | None) -> str:
    message = f"String to replace not found in file {path}."
    if near is None:
        return message + " No similar region was found; Read the file again and copy the exact text."
    lines = text.split("\n")[near.start_line - 1 : near.end_line]
    body, _ = format_numbered(lines, near.start_line)
    diffs = (
        "\n".join(f"  line {d.line}: {d.detail}" for d in near.differences) or "  (only whitespace differs)"
    )
    return (
        f"{message}\nThe closest match is lines {near.start_line}-{near.end_line} "
        f"({round(near.similarity * 100)}% similar). What differs:\n{diffs}\n"
        f"Those lines in the file are:\n{body}\n"
        "Copy old_string exactly from these lines (without the line-number prefix) and try again."
    )


def _occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    """(offset, 1-based line) of each non-overlapping occurrence of ``needle``."""
    found: list[tuple[int, int]] = []
    at = text.find(needle)
    while at != -1:
        found.append((at, text.count("\n", 0, at) + 1))
        at = text.find(needle, at + len(needle))
    return found


class EditTool(Tool[EditInput]):
    name = "Edit"
    description = (
        "Replace exact text in a file. Read the file first. old_string must match exactly (including "
        "indentation) and uniquely unless replace_all is true; include more surrounding lines to make "
        "it unique. Line endings and encoding of the file are preserved."
    )
    Input = EditInput

    def run(self, input: EditInput, ctx: ToolContext) -> ToolResult:
        path = workspace_path(input.file_path, ctx)
        if isinstance(path, ToolResult):
            return path
        if input.old_string == input.new_string:
            return ToolResult.failure(
                "no_change",
                "old_string and new_string are identical; there is nothing to change.",
                path=str(path),
            )
        if not path.exists():
            if input.old_string == "":
                write_atomic(path, input.new_string.encode("utf-8"))
                record_read(ctx, path, path.read_bytes())
                return ToolResult(
                    output=f"File created successfully at: {path}", data={"path": str(path), "created": True}
                )
            return ToolResult.failure("not_found", f"File does not exist: {path}.", path=str(path))
        if path.is_dir():
            return ToolResult.failure("is_directory", f"{path} is a directory, not a file.", path=str(path))
        data = path.read_bytes()
        stale = check_fresh(ctx, path, data, action="edit")
        if stale is not None:
            return stale
        if looks_binary(data):
            return ToolResult.failure(
                "binary_file", f"{path} is a binary file; Edit works on text files only."
            )
        decoded = decode(data)
        if input.old_string == "":
            if decoded.text.strip():
                return ToolResult.failure(
                    "empty_old_string",
                    f"old_string is empty but {path} is not; give the text to replace, or use Write.",
                )
            return self._write(path, decoded, input.new_string, ctx, replacements=1, first_line=1)
        return self._replace(path, decoded, input, ctx)

    def _replace(self, path: Path, decoded: DecodedText, input: EditInput, ctx: ToolContext) -> ToolResult:
        crlf = decoded.line_ending == "\r\n"
        text = decoded.text.replace("\r\n", "\n") if crlf else decoded.text
        old, new = input.old_string, input.new_string
        if crlf or (decoded.line_ending == "\n" and "\r\n" in old and text.count(old) == 0):
            old, new = old.replace("\r\n", "\n"), new.replace("\r\n", "\n")
        notes: list[str] = []
        count = text.count(old)
        if count == 0 and decoded.line_ending == "mixed" and "\n" in old and "\r\n" not in old:
            # A mixed file: the model's LF text may match a CRLF stretch; only taken when that is unique.
            as_crlf = old.replace("\n", "\r\n")
            if text.count(as_crlf) == 1:
                old, new, count = as_crlf, new.replace("\r\n", "\n").replace("\n", "\r\n"), 1
                notes.append("old_string was matched with this region's CRLF line endings")
        position: int | None = None  # the one occurrence to replace, when line numbers chose it
        if count == 0:
            pasted_line = prefix_line_number(old)
            stripped = strip_number_prefixes(old)
            partial = stripped is None
            if partial:
                stripped = strip_some_number_prefixes(old)
            # Only tolerated when the stripped text is then found; uniqueness is checked below as usual.
            # Prefixes on some lines only must leave exactly one match.
            if stripped is not None and stripped in text and (not partial or text.count(stripped) == 1):
                old = stripped
                new = strip_number_prefixes(new) or strip_some_number_prefixes(new) or new
                count = text.count(old)
                notes.append("line-number prefixes from Read output were removed from old_string")
                if count > 1 and not input.replace_all and pasted_line is not None:
                    # The pasted line numbers say which occurrence was meant: take it if one starts there.
                    chosen = [at for at, line in _occurrences(text, old) if line == pasted_line]
                    if len(chosen) == 1:
                        position, count = chosen[0], 1
                        notes.append(f"the occurrence at line {pasted_line} was chosen by its line number")
        if count == 0:
            near = find_near_match(text, old)
            details: dict[str, object] = {"path": str(path)}
            if near is not None:
                details["closest"] = asdict(near)
            return ToolResult.failure("no_match", _near_match_message(path, text, near), **details)
        if count > 1 and not input.replace_all:
            where = ", ".join(str(n) for n in line_numbers_of(text, old)[:20])
            return ToolResult.failure(
                "not_unique",
                f"Found {count} matches of old_string in {path} (starting at lines {where}). To replace "
                "every one set replace_all to true; to replace one, add surrounding lines so it is unique.",
                path=str(path),
                matches=count,
            )
        at = text.find(old) if position is None else position
        first_line = text.count("\n", 0, at) + 1
        replaced_one = text[:at] + new + text[at + len(old) :]
        updated = text.replace(old, new) if input.replace_all else replaced_one
        if crlf:
            updated = updated.replace("\n", "\r\n")
        return self._write(
            path,
            decoded,
            updated,
            ctx,
            replacements=count,
            first_line=first_line,
            notes=notes,
            new_lines=new.count("\n") + 1,
        )

    def _write(
        self,
        path: Path,
        decoded: DecodedText,
        updated: str,
        ctx: ToolContext,
        *,
        replacements: int,
        first_line: int,
        notes: list[str] | None = None,
        new_lines: int = 1,
    ) -> ToolResult:
        payload = decoded.encode(updated)
        write_atomic(path, payload)
        record_read(ctx, path, payload)
        lines = updated.replace("\r\n", "\n").split("\n")
        if len(lines) > 1 and lines[-1] == "":
            lines.pop()
        start = max(1, first_line - SNIPPET_CONTEXT)
        end = min(len(lines), first_line + new_lines - 1 + SNIPPET_CONTEXT)
        snippet, _ = format_numbered(lines[start - 1 : end], start)
        header = f"The file {path} has been updated"
        header += f" ({replacements} replacements)." if replacements > 1 else "."
        if notes:
            header += " Note: " + "; ".join(notes) + "."
        return ToolResult(
            output=f"{header} A snippet of the edited file:\n{snippet}",
            data={
                "path": str(path),
                "replacements": replacements,
                "first_line": first_line,
                "line_ending": {"\n": "LF", "\r\n": "CRLF", "mixed": "mixed"}[decoded.line_ending],
                "encoding": decoded.encoding,
                "notes": notes or [],
            },
        )


__all__ = ["EditInput", "EditTool"]
