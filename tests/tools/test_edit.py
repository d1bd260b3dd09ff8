"""Edit: exact replacement, line endings and encodings kept, near-match diagnostics on failure."""

from __future__ import annotations

import os
from pathlib import Path

from backend_agent.tools import EditTool, ReadTool, ToolContext


def edit(ctx: ToolContext, path: str, old: str, new: str, **extra: object):
    return EditTool().call({"file_path": path, "old_string": old, "new_string": new, **extra}, ctx)


def read(ctx: ToolContext, path: str) -> None:
    assert ReadTool().call({"file_path": path}, ctx).ok


PY = "def handler(event):\n    if event:\n        return process(event)\n    return None\n"


def test_edit_on_crlf_file_keeps_crlf(ctx: ToolContext, workspace: Path) -> None:
    path = workspace / "win.txt"
    path.write_bytes(b"first\r\nsecond line\r\nthird\r\n")
    read(ctx, "win.txt")
    result = edit(ctx, "win.txt", "second line\nthird", "2nd line\nthird line")
    assert result.ok, result.output
    assert path.read_bytes() == b"first\r\n2nd line\r\nthird line\r\n"
    assert result.data["line_ending"] == "CRLF"


def test_crlf_in_old_string_matches_an_lf_file(ctx: ToolContext, workspace: Path) -> None:
    path = workspace / "unix.txt"
    path.write_bytes(b"a\nb\nc\n")
    read(ctx, "unix.txt")
    assert edit(ctx, "unix.txt", "a\r\nb", "A\r\nB").ok
    assert path.read_bytes() == b"A\nB\nc\n"


def test_wrong_indentation_fails_with_a_near_match_naming_the_lines(
    ctx: ToolContext, workspace: Path
) -> None:
    (workspace / "h.py").write_text(PY)
    read(ctx, "h.py")
    result = edit(ctx, "h.py", "  if event:\n      return process(event)", "    if event is not None:")
    assert not result.ok and result.error is not None
    assert result.error.code == "no_match"
    assert "closest match is lines 2-3" in result.output
    assert "line 2: indentation differs: the file has 4 spaces, old_string has 2 spaces" in result.output
    assert "line 3: indentation differs: the file has 8 spaces, old_string has 6 spaces" in result.output
    assert "     2\t    if event:" in result.output  # the real lines, in Read format
    closest = result.error.details["closest"]
    assert closest["start_line"] == 2 and closest["end_line"] == 3
    assert [d["kind"] for d in closest["differences"]] == ["indentation", "indentation"]
    assert (workspace / "h.py").read_text() == PY


def test_tabs_versus_spaces_are_named(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "Makefile").write_text("build:\n\tgo build ./...\n")
    read(ctx, "Makefile")
    result = edit(ctx, "Makefile", "build:\n    go build ./...", "build:\n\tgo build -v ./...")
    assert "the file has 1 tab, old_string has 4 spaces" in result.output


def test_text_difference_is_shown_with_both_versions(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "h.py").write_text(PY)
    read(ctx, "h.py")
    result = edit(ctx, "h.py", "    if event:\n        return proces(event)", "x")
    assert "line 3: text differs from column 22" in result.output
    assert "'return process(event)'" in result.output and "'return proces(event)'" in result.output


def test_non_unique_match_fails_and_replace_all_succeeds(ctx: ToolContext, workspace: Path) -> None:
    path = workspace / "dup.txt"
    path.write_text("foo = 1\nbar = 2\nfoo = 1\n")
    read(ctx, "dup.txt")
    result = edit(ctx, "dup.txt", "foo = 1", "foo = 3")
    assert result.error is not None and result.error.code == "not_unique"
    assert "Found 2 matches" in result.output and "lines 1, 3" in result.output
    assert path.read_text() == "foo = 1\nbar = 2\nfoo = 1\n"
    result = edit(ctx, "dup.txt", "foo = 1", "foo = 3", replace_all=True)
    assert result.ok and result.data["replacements"] == 2
    assert path.read_text() == "foo = 3\nbar = 2\nfoo = 3\n"


def test_edit_after_external_change_fails(ctx: ToolContext, workspace: Path) -> None:
    path = workspace / "a.txt"
    path.write_text("value = 1\n")
    read(ctx, "a.txt")
    path.write_text("value = 2\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    result = edit(ctx, "a.txt", "value = 2", "value = 3")
    assert result.error is not None and result.error.code == "modified_since_read"
    assert "modified since read" in result.output
    assert path.read_text() == "value = 2\n"


def test_edit_without_read_fails(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "a.txt").write_text("x\n")
    result = edit(ctx, "a.txt", "x", "y")
    assert result.error is not None and result.error.code == "not_read"


def test_identical_strings_are_refused(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "a.txt").write_text("x\n")
    read(ctx, "a.txt")
    result = edit(ctx, "a.txt", "x", "x")
    assert result.error is not None and result.error.code == "no_change"


def test_pasted_line_number_prefixes_are_tolerated_when_unique(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "h.py").write_text(PY)
    read(ctx, "h.py")
    old = "     2\t    if event:\n     3\t        return process(event)"
    new = "     2\t    if event is not None:\n     3\t        return process(event)"
    result = edit(ctx, "h.py", old, new)
    assert result.ok, result.output
    assert "line-number prefixes" in result.output
    assert (workspace / "h.py").read_text() == PY.replace("if event:", "if event is not None:")


def test_tabs_and_latin1_encoding_are_preserved(ctx: ToolContext, workspace: Path) -> None:
    path = workspace / "legacy.txt"
    path.write_bytes("caf\xe9\n\tprix = 5\n".encode("latin-1"))
    read(ctx, "legacy.txt")
    assert edit(ctx, "legacy.txt", "\tprix = 5", "\tprix = 6").ok
    assert path.read_bytes() == "caf\xe9\n\tprix = 6\n".encode("latin-1")


def test_utf16_with_bom_is_preserved(ctx: ToolContext, workspace: Path) -> None:
    path = workspace / "u16.txt"
    path.write_bytes(b"\xff\xfe" + "hello\r\nworld\r\n".encode("utf-16-le"))
    read(ctx, "u16.txt")
    assert edit(ctx, "u16.txt", "world", "there").ok
    assert path.read_bytes() == b"\xff\xfe" + "hello\r\nthere\r\n".encode("utf-16-le")


def test_empty_old_string_creates_a_missing_file(ctx: ToolContext, workspace: Path) -> None:
    result = edit(ctx, "new/file.txt", "", "content\n")
    assert result.ok and (workspace / "new/file.txt").read_text() == "content\n"


def test_success_shows_a_numbered_snippet(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "h.py").write_text(PY)
    read(ctx, "h.py")
    result = edit(ctx, "h.py", "return None", "return False")
    assert "     4\t    return False" in result.output


def test_mixed_line_endings_match_a_unique_crlf_region(ctx: ToolContext, workspace: Path) -> None:
    path = workspace / "mixed.txt"
    path.write_bytes(b"unix line\nwin one\r\nwin two\r\nlast\n")
    read(ctx, "mixed.txt")
    result = edit(ctx, "mixed.txt", "win one\nwin two", "win 1\nwin 2")
    assert result.ok, result.output
    assert path.read_bytes() == b"unix line\nwin 1\r\nwin 2\r\nlast\n"


def test_a_line_missing_from_old_string_is_named(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "h.py").write_text(PY)
    read(ctx, "h.py")
    result = edit(ctx, "h.py", "def handler(event):\n        return process(event)\n    return None", "x")
    assert "closest match is lines 1-4" in result.output
    assert "line 2: the file has 'if event:' here, which old_string lacks" in result.output
    assert "100%" not in result.output


def test_an_extra_blank_line_in_old_string_is_named(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "h.py").write_text(PY)
    read(ctx, "h.py")
    result = edit(ctx, "h.py", "    if event:\n\n        return process(event)", "x")
    assert "closest match is lines 2-3" in result.output
    assert "old_string has a blank line here, which the file does not have" in result.output
    assert result.error is not None
    assert [d["kind"] for d in result.error.details["closest"]["differences"]] == ["extra_line"]


def test_pasted_line_numbers_pick_the_meant_occurrence(ctx: ToolContext, workspace: Path) -> None:
    path = workspace / "twice.py"
    path.write_text("x = 1\ny = 2\nx = 1\ny = 2\n")
    read(ctx, "twice.py")
    result = edit(ctx, "twice.py", "     3\tx = 1\n     4\ty = 2", "     3\tx = 9\n     4\ty = 2")
    assert result.ok, result.output
    assert path.read_text() == "x = 1\ny = 2\nx = 9\ny = 2\n"
    assert "chosen by its line number" in result.output


def test_pasted_line_numbers_naming_no_occurrence_still_fail_as_not_unique(
    ctx: ToolContext, workspace: Path
) -> None:
    path = workspace / "twice.py"
    path.write_text("x = 1\ny = 2\nx = 1\ny = 2\n")
    read(ctx, "twice.py")
    result = edit(ctx, "twice.py", "     2\tx = 1\n     3\ty = 2", "x = 9\ny = 2")
    assert not result.ok and result.error is not None and result.error.code == "not_unique"
    assert path.read_text() == "x = 1\ny = 2\nx = 1\ny = 2\n"


def test_a_prefix_on_the_first_line_only_is_tolerated_when_unique(ctx: ToolContext, workspace: Path) -> None:
    path = workspace / "h.py"
    path.write_text(PY)
    read(ctx, "h.py")
    result = edit(
        ctx, "h.py", "     2\t    if event:\n        return process(event)", "    if event:\n        return 1"
    )
    assert result.ok, result.output
    assert path.read_text() == PY.replace("return process(event)", "return 1")


def test_a_fragment_with_different_spacing_names_the_file_text(ctx: ToolContext, workspace: Path) -> None:
    path = workspace / "h.py"
    path.write_text(PY)
    read(ctx, "h.py")
    result = edit(ctx, "h.py", "process(event )", "handle(event)")
    assert not result.ok and result.error is not None
    assert "whitespace differs: the file has 'process(event)'" in result.error.message
    assert "line 3" in result.error.message
