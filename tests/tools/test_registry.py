"""Tool registry and stored tool sessions."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.errors import ConfigError, ToolError, UsageError
from backend_agent.tools import (
    ReadRecord,
    ToolSession,
    default_tools,
    get_tool,
    load_tool_session,
    save_tool_session,
)


def test_default_tools_are_fresh_instances_in_order() -> None:
    names = [tool.name for tool in default_tools()]
    assert names == [
        "Read", "Write", "Edit", "Bash", "BashOutput", "KillShell", "Grep", "Glob",
        "NotebookEdit", "TodoWrite", "WebFetch", "WebSearch",
    ]  # fmt: skip
    assert default_tools()[0] is not default_tools()[0]
    assert {t.name for t in default_tools() if t.read_only} == {
        "Read", "BashOutput", "Grep", "Glob", "TodoWrite", "WebFetch", "WebSearch",
    }  # fmt: skip


def test_get_tool_is_case_insensitive_and_lists_valid_names() -> None:
    assert get_tool("edit").name == "Edit"
    with pytest.raises(ToolError) as info:
        get_tool("Delete")
    assert "Read, Write, Edit, Bash" in str(info.value)


def test_every_tool_has_a_json_schema_with_its_fields() -> None:
    schemas = {tool.name: tool.json_schema() for tool in default_tools()}
    assert set(schemas["Grep"]["properties"]) >= {
        "pattern",
        "-A",
        "-B",
        "-C",
        "-i",
        "-n",
        "head_limit",
        "offset",
    }
    assert schemas["Edit"]["required"] == ["file_path", "old_string", "new_string"]


def test_sessions_round_trip_and_new_becomes_current(workspace: Path) -> None:
    session = load_tool_session(workspace)
    assert session.id == "default" and session.reads == {}
    session.reads["/x"] = ReadRecord(path="/x", mtime_ns=1, sha256="ab")
    session.cwd = str(workspace)
    save_tool_session(workspace, session)
    again = load_tool_session(workspace)
    assert again.reads["/x"].sha256 == "ab" and again.cwd == str(workspace)
    fresh = load_tool_session(workspace, "new")
    assert fresh.id != "default" and fresh.reads == {}
    save_tool_session(workspace, fresh)
    assert load_tool_session(workspace).id == fresh.id
    assert load_tool_session(workspace, "default").reads["/x"].path == "/x"


def test_bad_session_id_and_corrupt_file_are_clear_errors(workspace: Path) -> None:
    with pytest.raises(UsageError):
        load_tool_session(workspace, "../escape")
    save_tool_session(workspace, ToolSession(id="broken"))
    (workspace / ".backend-agent/tool-sessions/broken.json").write_text("{not json")
    with pytest.raises(ConfigError) as info:
        load_tool_session(workspace, "broken")
    assert "broken.json" in str(info.value) and "--session new" in str(info.value)


def test_concurrent_saves_merge_read_records(workspace: Path) -> None:
    first = load_tool_session(workspace)
    second = load_tool_session(workspace)
    first.reads["/a"] = ReadRecord(path="/a", mtime_ns=1, sha256="aa")
    second.reads["/b"] = ReadRecord(path="/b", mtime_ns=2, sha256="bb")
    save_tool_session(workspace, first)
    save_tool_session(workspace, second)
    assert set(load_tool_session(workspace).reads) == {"/a", "/b"}
