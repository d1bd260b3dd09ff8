"""`backend-agent mcp serve` driven by the official `mcp` SDK client, over stdio and streamable HTTP."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from backend_agent.backend_tools import BACKEND_TOOL_NAMES
from tests.workflow.conftest import write_tiny_project

REPO = Path(__file__).resolve().parents[2]
VALID = """service:
  name: notes
  version: 0.1.0
  base_path: /api
entities:
  Note:
    fields:
      title: {type: string, required: true, max_length: 120}
"""
INVALID = VALID.replace("type: string", "type: strng")


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and not k.startswith("BACKEND_AGENT_")}
    env.update(HOME=str(home), PYTHONPATH=str(REPO / "src"), XDG_CACHE_HOME=str(home / ".cache"))
    return env


@pytest.fixture
def project(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "notes.blueprint.yaml").write_text(VALID)
    (ws / "bad.blueprint.yaml").write_text(INVALID)
    (ws / "README.md").write_text("# hello\n")
    return ws


def _stdio(ws: Path, home: Path, *extra: str) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "backend_agent", "mcp", "serve", "--cwd", str(ws), *extra],
                                 env=_env(home), cwd=str(ws))  # fmt: skip


def _text(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


async def _exercise_blueprint(client: Client) -> None:
    listed = await client.list_tools()
    names = [tool.name for tool in listed.tools]
    assert names[: len(BACKEND_TOOL_NAMES)] == list(BACKEND_TOOL_NAMES)
    blueprint = next(tool for tool in listed.tools if tool.name == "Blueprint")
    assert blueprint.input_schema["properties"]["action"]["enum"] == ["validate", "explain", "design", "from-openapi"]

    ok = await client.call_tool("Blueprint", {"action": "validate", "file": "notes.blueprint.yaml"})
    assert not ok.is_error, _text(ok)
    assert ok.structured_content == {"file": "notes.blueprint.yaml", "valid": True, "service": "notes",
                                     "entities": 1, "tables": 1, "operations": 5}  # fmt: skip

    bad = await client.call_tool("Blueprint", {"action": "validate", "file": "bad.blueprint.yaml"})
    assert bad.is_error
    problem = bad.structured_content["problems"][0]
    assert problem["line"] == 8 and problem["key_path"] == "entities.Note.fields.title.type"
    assert "string" in problem["hint"]

    outside = await client.call_tool("Blueprint", {"action": "validate", "file": "/etc/passwd"})
    assert outside.is_error and "outside the workspace" in _text(outside)


def test_stdio_lists_and_calls_tools(project: Path, tmp_path: Path) -> None:
    async def go() -> None:
        async with Client(_stdio(project, tmp_path / "home")) as client:
            await _exercise_blueprint(client)
            design = await client.call_tool("Blueprint", {"action": "design", "file": "notes.blueprint.yaml", "output": "out"})
            assert not design.is_error, _text(design)
            check = await client.call_tool("Check", {"gates": ["static-security"]})
            assert not check.is_error, _text(check)  # the check ran; the gate's verdict is in the data
            assert check.structured_content["failed"] == ["static-security"]
            finding = check.structured_content["gates"][0]["findings"][0]
            assert finding["file"] == "app/main.py" and finding["line"] == 16

    (tmp_path / "home").mkdir()
    write_tiny_project(project)  # a FastAPI app with an f-string SQL query on line 16
    asyncio.run(go())
    assert (project / "out" / "openapi.yaml").is_file()
    assert "/api/notes" in (project / "out" / "openapi.yaml").read_text()


def test_file_tools_are_governed_by_the_permission_engine(project: Path, tmp_path: Path) -> None:
    async def go() -> None:
        params = _stdio(project, tmp_path / "home", "--file-tools", "--deny", "Read(secret.txt)")
        async with Client(params) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert {"Read", "Write", "Edit", "Bash", "Grep", "Glob"} <= names
            read = await client.call_tool("Read", {"file_path": "README.md"})
            assert not read.is_error and "# hello" in _text(read)
            denied = await client.call_tool("Read", {"file_path": "secret.txt"})
            assert denied.is_error and "denied" in _text(denied)
            # default mode: writing needs approval, and an MCP server has nobody to ask
            write = await client.call_tool("Write", {"file_path": "new.txt", "content": "x"})
            assert write.is_error and "cannot ask" in _text(write)

    (tmp_path / "home").mkdir()
    (project / "secret.txt").write_text("s3cret")
    asyncio.run(go())
    assert not (project / "new.txt").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def http_server(project: Path, tmp_path: Path) -> Iterator[str]:
    home = tmp_path / "home"
    home.mkdir()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend_agent", "mcp", "serve", "--transport", "http", "--port", str(port),
         "--cwd", str(project)],
        env=_env(home), cwd=project, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_streamable_http_lists_and_calls_tools(http_server: str) -> None:
    async def go() -> None:
        async with Client(http_server) as client:
            await _exercise_blueprint(client)

    asyncio.run(go())


def test_http_refuses_a_non_loopback_host(project: Path, tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "backend_agent", "mcp", "serve", "--transport", "http", "--host", "0.0.0.0"],
        env=_env(tmp_path / "home"), cwd=project, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "loopback" in proc.stderr and "Traceback" not in proc.stderr
