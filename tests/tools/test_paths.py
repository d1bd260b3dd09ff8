"""Workspace confinement: '..', absolute paths and symlinks out of the workspace are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.tools import EditTool, GrepTool, ReadTool, ToolContext, WriteTool


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text("top secret\n")
    return folder


def test_dotdot_escape_is_refused(ctx: ToolContext, outside: Path) -> None:
    result = ReadTool().call({"file_path": "../outside/secret.txt"}, ctx)
    assert result.error is not None and result.error.code == "outside_workspace"
    assert "top secret" not in result.output


def test_absolute_path_outside_is_refused_for_every_file_tool(ctx: ToolContext, outside: Path) -> None:
    target = str(outside / "secret.txt")
    assert ReadTool().call({"file_path": target}, ctx).error.code == "outside_workspace"  # type: ignore[union-attr]
    write = WriteTool().call({"file_path": str(outside / "new.txt"), "content": "x"}, ctx)
    assert write.error is not None and write.error.code == "outside_workspace"
    assert not (outside / "new.txt").exists()
    edit = EditTool().call({"file_path": target, "old_string": "top", "new_string": "low"}, ctx)
    assert edit.error is not None and edit.error.code == "outside_workspace"
    grep = GrepTool().call({"pattern": "secret", "path": str(outside)}, ctx)
    assert grep.error is not None and grep.error.code == "outside_workspace"


def test_symlink_to_a_file_outside_is_refused(ctx: ToolContext, workspace: Path, outside: Path) -> None:
    (workspace / "link.txt").symlink_to(outside / "secret.txt")
    result = ReadTool().call({"file_path": "link.txt"}, ctx)
    assert result.error is not None and result.error.code == "outside_workspace"


def test_symlinked_folder_cannot_be_written_through(ctx: ToolContext, workspace: Path, outside: Path) -> None:
    (workspace / "out").symlink_to(outside, target_is_directory=True)
    result = WriteTool().call({"file_path": "out/planted.txt", "content": "x"}, ctx)
    assert result.error is not None and result.error.code == "outside_workspace"
    assert not (outside / "planted.txt").exists()


def test_extra_directory_is_allowed_when_given(workspace: Path, outside: Path) -> None:
    ctx = ToolContext(workspace=workspace, extra_dirs=[outside])
    result = ReadTool().call({"file_path": str(outside / "secret.txt")}, ctx)
    assert result.ok and "top secret" in result.output


def test_symlink_inside_the_workspace_is_fine(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "real.txt").write_text("inside\n")
    (workspace / "alias.txt").symlink_to(workspace / "real.txt")
    assert ReadTool().call({"file_path": "alias.txt"}, ctx).ok
