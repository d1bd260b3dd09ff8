"""Read: cat -n format, slices, truncation, binary/media handling and read records."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from backend_agent.tools import ReadTool, ToolContext


def read(ctx: ToolContext, path: str, **extra: object):
    return ReadTool().call({"file_path": path, **extra}, ctx)


def test_numbered_lines_are_right_aligned_to_six_columns_then_a_tab(
    ctx: ToolContext, workspace: Path
) -> None:
    (workspace / "a.py").write_text("import os\n\tindented\nlast")
    result = read(ctx, "a.py")
    assert result.ok
    assert result.output == "     1\timport os\n     2\t\tindented\n     3\tlast"
    assert result.data["total_lines"] == 3


def test_offset_and_limit_select_a_slice_and_say_how_to_continue(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "long.txt").write_text("".join(f"line {i}\n" for i in range(1, 51)))
    result = read(ctx, str(workspace / "long.txt"), offset=10, limit=3)
    assert result.output.splitlines()[:3] == ["    10\tline 10", "    11\tline 11", "    12\tline 12"]
    assert "offset=13" in result.output
    assert result.data["partial"] is True
    assert ctx.session.reads[str((workspace / "long.txt").resolve())].partial is True


def test_default_limit_is_2000_lines(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "big.txt").write_text("x\n" * 2500)
    result = read(ctx, "big.txt")
    assert result.data["end_line"] == 2000
    assert "  2000\tx" in result.output and "  2001\t" not in result.output


def test_long_lines_are_truncated_and_marked(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "wide.txt").write_text("a" * 2500 + "\nshort\n")
    result = read(ctx, "wide.txt")
    first = result.output.splitlines()[0]
    assert first == "     1\t" + "a" * 2000 + "... [line truncated]"
    assert result.data["truncated_lines"] == 1


def test_crlf_is_not_shown_in_the_text(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "w.txt").write_bytes(b"one\r\ntwo\r\n")
    result = read(ctx, "w.txt")
    assert result.output == "     1\tone\n     2\ttwo"
    assert result.data["line_ending"] == "CRLF"


def test_empty_file_says_so(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "empty.txt").write_text("")
    result = read(ctx, "empty.txt")
    assert result.ok and "empty" in result.output


def test_binary_file_is_refused(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "blob.bin").write_bytes(b"\x00\x01\x02binary\x00" * 10)
    result = read(ctx, "blob.bin")
    assert not result.ok and result.error is not None
    assert result.error.code == "binary_file"


def _png(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    return (
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    )


def test_image_is_described_with_its_dimensions(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "logo.png").write_bytes(_png(640, 480))
    result = read(ctx, "logo.png")
    assert result.ok
    assert "640x480" in result.output
    assert result.data["kind"] == "image" and result.data["width"] == 640


def test_pdf_is_described_not_dumped(ctx: ToolContext, workspace: Path) -> None:
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] >>\n2 0 obj << /Type /Page >>\n3 0 obj << /Type /Page >>\n"
    (workspace / "doc.pdf").write_bytes(pdf)
    result = read(ctx, "doc.pdf")
    assert result.data["kind"] == "pdf" and result.data["pages"] == 2
    assert "/Type" not in result.output


def test_missing_file_suggests_similar_names(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "config.yaml").write_text("a: 1\n")
    result = read(ctx, "config.yml")
    assert result.error is not None and result.error.code == "not_found"
    assert "config.yaml" in result.output


def test_directory_is_refused(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "pkg").mkdir()
    result = read(ctx, "pkg")
    assert result.error is not None and result.error.code == "is_directory"


def test_read_records_mtime_and_hash(ctx: ToolContext, workspace: Path) -> None:
    path = workspace / "r.txt"
    path.write_text("hello\n")
    read(ctx, "r.txt")
    record = ctx.session.reads[str(path.resolve())]
    assert record.mtime_ns == path.stat().st_mtime_ns
    assert record.sha256 == "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
    assert record.partial is False


def test_bad_input_is_a_structured_failure(ctx: ToolContext) -> None:
    result = ReadTool().call({"offset": 0}, ctx)
    assert result.error is not None and result.error.code == "bad_input"
    assert "file_path" in result.output and "offset" in result.output


def test_very_large_file_is_streamed_with_the_same_format(
    ctx: ToolContext, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    import backend_agent.tools.read as read_module

    monkeypatch.setattr(read_module, "STREAM_THRESHOLD", 1000)
    content = "".join(f"row {i}\r\n" for i in range(1, 5001))
    (workspace / "huge.csv").write_text(content, newline="")
    result = read(ctx, "huge.csv", offset=4999)
    assert result.data["streamed"] is True and result.data["total_lines"] == 5000
    assert result.output == "  4999\trow 4999\n  5000\trow 5000"
    record = ctx.session.reads[str((workspace / "huge.csv").resolve())]
    assert record.sha256 == hashlib.sha256(content.encode()).hexdigest()
    default = read(ctx, "huge.csv")
    assert default.data["end_line"] == 2000 and "offset=2001" in default.output
