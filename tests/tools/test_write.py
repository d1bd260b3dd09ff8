"""Write: creates parents, needs a fresh Read to overwrite, writes atomically."""

from __future__ import annotations

import os
from pathlib import Path

from backend_agent.tools import ReadTool, ToolContext, WriteTool


def test_creates_a_new_file_with_parent_folders(ctx: ToolContext, workspace: Path) -> None:
    result = WriteTool().call({"file_path": "src/pkg/mod.py", "content": "x = 1\n"}, ctx)
    assert result.ok and result.data["created"] is True
    assert (workspace / "src/pkg/mod.py").read_text() == "x = 1\n"


def test_overwrite_without_read_fails(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "a.txt").write_text("original\n")
    result = WriteTool().call({"file_path": "a.txt", "content": "new\n"}, ctx)
    assert result.error is not None and result.error.code == "not_read"
    assert (workspace / "a.txt").read_text() == "original\n"


def test_overwrite_after_read_succeeds_and_leaves_no_temp_files(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "a.txt").write_text("original\n")
    ReadTool().call({"file_path": "a.txt"}, ctx)
    result = WriteTool().call({"file_path": "a.txt", "content": "new\n"}, ctx)
    assert result.ok and result.data["created"] is False
    assert (workspace / "a.txt").read_text() == "new\n"
    assert sorted(p.name for p in workspace.iterdir()) == ["a.txt"]


def test_overwrite_after_external_change_fails(ctx: ToolContext, workspace: Path) -> None:
    path = workspace / "a.txt"
    path.write_text("original\n")
    ReadTool().call({"file_path": "a.txt"}, ctx)
    path.write_text("changed by someone else\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    result = WriteTool().call({"file_path": "a.txt", "content": "new\n"}, ctx)
    assert result.error is not None and result.error.code == "modified_since_read"
    assert path.read_text() == "changed by someone else\n"


def test_touch_without_content_change_still_allows_write(ctx: ToolContext, workspace: Path) -> None:
    path = workspace / "a.txt"
    path.write_text("same\n")
    ReadTool().call({"file_path": "a.txt"}, ctx)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000))
    assert WriteTool().call({"file_path": "a.txt", "content": "new\n"}, ctx).ok


def test_write_then_edit_needs_no_second_read(ctx: ToolContext, workspace: Path) -> None:
    from backend_agent.tools import EditTool

    WriteTool().call({"file_path": "b.txt", "content": "alpha\n"}, ctx)
    assert EditTool().call({"file_path": "b.txt", "old_string": "alpha", "new_string": "beta"}, ctx).ok
    assert (workspace / "b.txt").read_text() == "beta\n"
