"""A real stdio MCP server (mcp SDK) configured in .mcp.json: listed and called."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from backend_agent.errors import ConfigError
from backend_agent.runtime.mcp import parse_mcp_config
from tests.runtime.conftest import write_script

SERVER = Path(__file__).parent / "fixtures" / "mcp_server.py"


def configure(workspace: Path) -> None:
    config = {
        "mcpServers": {
            "demo": {"command": sys.executable, "args": [str(SERVER)], "env": {"DEMO": "${DEMO_VALUE:-x}"}}
        }
    }
    (workspace / ".mcp.json").write_text(json.dumps(config))


def test_mcp_list_shows_server_and_tools(workspace: Path, cli) -> None:
    configure(workspace)
    proc = cli("mcp", "list", "--json", cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    (status,) = json.loads(proc.stdout)
    assert status["name"] == "demo" and status["status"] == "ok"
    assert sorted(status["tools"]) == ["mcp__demo__add", "mcp__demo__shout"]


def test_run_calls_an_mcp_tool(workspace: Path, run_agent) -> None:
    configure(workspace)
    write_script(workspace, [
        {"tool_calls": [{"tool": "mcp__demo__add", "input": {"a": 2, "b": 40}}]},
        {"expect": {"tool": "mcp__demo__add", "ok": True, "contains": "42"}, "text": "42"},
    ])  # fmt: skip
    result, events = run_agent(workspace, permission_mode="bypassPermissions")
    assert result.status == "success", result.error
    assert any(e.name == "mcp__demo__add" for e in events.of("tool_result"))


def test_definition_tools_filter_mcp_tools_and_missing_servers_warn(workspace: Path, run_agent) -> None:
    configure(workspace)
    agents = workspace / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "mcp-user.md").write_text(
        "---\nname: mcp-user\ndescription: uses one MCP tool\ntools: Read, mcp__demo__shout\n"
        "mcpServers: [demo, context7]\n---\nUse the shout tool.\n"
    )
    write_script(workspace, [
        {"tool_calls": [{"tool": "mcp__demo__shout", "input": {"text": "hi"}},
                        {"tool": "mcp__demo__add", "input": {"a": 1, "b": 1}}]},
        {"expect": [{"tool": "mcp__demo__shout", "ok": True, "contains": "HI!"},
                    {"tool": "mcp__demo__add", "ok": False}], "text": "done"},
    ])  # fmt: skip
    result, _ = run_agent(workspace, agent="mcp-user", permission_mode="bypassPermissions")
    assert result.status == "success", result.error
    assert any("context7" in w for w in result.warnings)


def test_env_expansion_and_errors() -> None:
    servers = parse_mcp_config(
        {"mcpServers": {"h": {"type": "http", "url": "http://127.0.0.1:${PORT:-9}/mcp", "headers": {"A": "${TOKEN}"}}}},
        source=".mcp.json", environ={"TOKEN": "t0k"},
    )  # fmt: skip
    assert servers["h"].url == "http://127.0.0.1:9/mcp" and servers["h"].headers == {"A": "t0k"}
    with pytest.raises(ConfigError) as info:
        parse_mcp_config({"mcpServers": {"h": {"command": "${MISSING}"}}}, source=".mcp.json", environ={})
    assert "MISSING" in str(info.value) and "mcpServers.h.command" in str(info.value)


def test_a_server_that_cannot_start_is_a_warning(workspace: Path, run_agent) -> None:
    (workspace / ".mcp.json").write_text(
        json.dumps({"mcpServers": {"ghost": {"command": "/nonexistent/mcp-server"}}})
    )
    write_script(workspace, [{"text": "still works"}])
    result, _ = run_agent(workspace)
    assert result.status == "success", result.error
    assert any("ghost" in w and "unavailable" in w for w in result.warnings)
