"""Grep and Glob over real trees: output modes, limits, .gitignore, modification-time order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backend_agent.tools import GlobTool, GrepTool, ToolContext


@pytest.fixture
def tree(workspace: Path) -> Path:
    files = {
        "src/app.py": "import os\ndef handler():\n    return 'Hello'\n",
        "src/util.py": "def helper():\n    return 'hello world'\n",
        "src/web/index.ts": "export const hello = 1;\n",
        "docs/readme.md": "Say hello.\n",
        "build/out.py": "hello = 'generated'\n",
        ".gitignore": "build/\n*.log\n",
        "debug.log": "hello from a log\n",
    }
    for index, (rel, content) in enumerate(sorted(files.items())):
        path = workspace / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        os.utime(path, (1_700_000_000 + index, 1_700_000_000 + index))
    return workspace


def grep(ctx: ToolContext, **args: object):
    return GrepTool().call(args, ctx)


def test_files_with_matches_respects_gitignore_and_sorts_newest_first(ctx: ToolContext, tree: Path) -> None:
    result = grep(ctx, pattern="hello")
    entries = result.data["entries"]
    names = [Path(e).relative_to(tree).as_posix() for e in entries]
    assert names == ["src/web/index.ts", "src/util.py", "docs/readme.md"]  # newest mtime first
    assert result.output.startswith("Found 3 files\n")


def test_case_insensitive_and_content_mode_with_line_numbers(ctx: ToolContext, tree: Path) -> None:
    result = grep(ctx, pattern="hello'", output_mode="content", **{"-i": True}, path="src")
    assert result.data["entries"] == [f"{tree / 'src/app.py'}:3:    return 'Hello'"]


def test_context_lines(ctx: ToolContext, tree: Path) -> None:
    result = grep(ctx, pattern="def handler", output_mode="content", **{"-A": 1}, path="src/app.py")
    assert result.data["entries"] == [
        f"{tree / 'src/app.py'}:2:def handler():",
        f"{tree / 'src/app.py'}-3-    return 'Hello'",
    ]


def test_count_mode_sums_occurrences(ctx: ToolContext, tree: Path) -> None:
    result = grep(ctx, pattern="return", output_mode="count", glob="*.py")
    assert sorted(
        Path(e.rsplit(":", 1)[0]).name + ":" + e.rsplit(":", 1)[1] for e in result.data["entries"]
    ) == [
        "app.py:1",
        "util.py:1",
    ]
    assert "Found 2 total occurrences across 2 files." in result.output


def test_type_filter_and_multiline(ctx: ToolContext, tree: Path) -> None:
    assert [Path(e).name for e in grep(ctx, pattern="hello", type="ts").data["entries"]] == ["index.ts"]
    multi = grep(ctx, pattern=r"handler\(\):.*Hello", multiline=True)
    assert [Path(e).name for e in multi.data["entries"]] == ["app.py"]


def test_head_limit_and_offset_page_through_results(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "many.txt").write_text("".join(f"match {i}\n" for i in range(300)))
    first = grep(ctx, pattern="match", output_mode="content")
    assert first.data["returned"] == 250 and first.data["truncated"] is True and first.data["total"] == 300
    page = grep(ctx, pattern="match", output_mode="content", head_limit=10, offset=295)
    assert [e.rsplit(":", 1)[1] for e in page.data["entries"]] == [f"match {i}" for i in range(295, 300)]
    everything = grep(ctx, pattern="match", output_mode="content", head_limit=0)
    assert everything.data["returned"] == 300


def test_no_match_and_bad_regex(ctx: ToolContext, tree: Path) -> None:
    assert grep(ctx, pattern="zzz_nothing").output == "No files found"
    bad = grep(ctx, pattern="(unclosed")
    assert bad.error is not None and bad.error.code == "rg_error"


def test_glob_matches_by_pattern_newest_first_and_respects_gitignore(ctx: ToolContext, tree: Path) -> None:
    result = GlobTool().call({"pattern": "**/*.py"}, ctx)
    assert [Path(p).relative_to(tree).as_posix() for p in result.data["files"]] == [
        "src/util.py",
        "src/app.py",
    ]
    top = GlobTool().call({"pattern": "*.md", "path": "docs"}, ctx)
    assert [Path(p).name for p in top.data["files"]] == ["readme.md"]
    assert GlobTool().call({"pattern": "*.py"}, ctx).output == "No files found"  # '*' stays in one folder
    braces = GlobTool().call({"pattern": "src/**/*.{ts,py}"}, ctx)
    assert len(braces.data["files"]) == 3


def test_glob_caps_at_100_and_says_it_truncated(ctx: ToolContext, workspace: Path) -> None:
    for index in range(130):
        (workspace / f"f{index:03}.txt").write_text("x")
    result = GlobTool().call({"pattern": "*.txt"}, ctx)
    assert (
        len(result.data["files"]) == 100 and result.data["truncated"] is True and result.data["total"] == 130
    )
    assert "truncated" in result.output
