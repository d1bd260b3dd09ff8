"""Backend tools over MCP: what a call costs through `backend-agent mcp serve` against calling the tool directly.

Both sides run the same Blueprint validate (load, check and design a small blueprint) N times in
one session; the ratio is the MCP transport's overhead per call (stdio and streamable HTTP),
measured against the direct call in the same run.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CALLS = 30
BLUEPRINT = """service:
  name: notes
  version: 0.1.0
  base_path: /api
entities:
  Note:
    fields:
      title: {type: string, required: true, max_length: 120}
      body: {type: text}
"""
ARGS = {"action": "validate", "file": "notes.blueprint.yaml"}


def _direct(workspace: Path) -> list[float]:
    from backend_agent.backend_tools import BlueprintTool
    from backend_agent.tools import ToolContext

    tool, ctx, times = BlueprintTool(), ToolContext(workspace=workspace), []
    for _ in range(CALLS):
        start = time.perf_counter()
        assert tool.call(dict(ARGS), ctx).ok
        times.append(time.perf_counter() - start)
    return times


async def _over(server: object) -> list[float]:
    from mcp import Client

    times = []
    async with Client(server) as client:  # type: ignore[arg-type]
        await client.call_tool("Blueprint", ARGS)  # warm-up: imports in the server
        for _ in range(CALLS):
            start = time.perf_counter()
            result = await client.call_tool("Blueprint", ARGS)
            times.append(time.perf_counter() - start)
            assert not result.is_error
    return times


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    from mcp.client.stdio import StdioServerParameters

    with tempfile.TemporaryDirectory() as folder:
        workspace = Path(folder)
        (workspace / "notes.blueprint.yaml").write_text(BLUEPRINT)
        _direct(workspace)  # warm-up
        direct = statistics.median(_direct(workspace))
        stdio = statistics.median(asyncio.run(_over(StdioServerParameters(
            command=sys.executable, args=["-m", "backend_agent", "mcp", "serve", "--cwd", str(workspace)]))))
        port = _free_port()
        proc = subprocess.Popen([sys.executable, "-m", "backend_agent", "mcp", "serve", "--transport", "http",
                                 "--port", str(port), "--cwd", str(workspace)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with socket.socket() as sock:
                    if sock.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.1)
            http = statistics.median(asyncio.run(_over(f"http://127.0.0.1:{port}/mcp")))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"Blueprint validate, median of {CALLS} calls")
    print(f"  direct call          {direct * 1000:8.2f} ms  (baseline)")
    print(f"  MCP stdio            {stdio * 1000:8.2f} ms  ratio {stdio / direct:5.2f}x")
    print(f"  MCP streamable HTTP  {http * 1000:8.2f} ms  ratio {http / direct:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
