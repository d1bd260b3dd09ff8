"""``backend-agent mcp serve``: expose Blueprint, Generate, Check, Doctor and Service to MCP clients."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from backend_agent.errors import UsageError

TRANSPORTS = ("stdio", "http")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def mcp_serve(
    transport: str = typer.Option("stdio", "--transport", help="stdio (for a client that starts us) or http."),
    cwd: Path = typer.Option(Path("."), "--cwd", help="Workspace folder the tools work in (default: here)."),
    host: str = typer.Option("127.0.0.1", "--host", help="http: address to listen on (loopback only)."),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="http: port to listen on."),
    file_tools: bool = typer.Option(
        False, "--file-tools", help="Also expose Read, Write, Edit, Bash, Grep and Glob, under the permission engine."
    ),
    permission_mode: str = typer.Option(
        None, "--permission-mode", help="File tools: default, acceptEdits, plan, dontAsk or bypassPermissions."
    ),
    allow: list[str] = typer.Option(None, "--allow", help="File tools: allow rule, e.g. 'Edit(app/**)' (repeatable)."),
    deny: list[str] = typer.Option(None, "--deny", help="File tools: deny rule, e.g. 'Bash(rm:*)' (repeatable)."),
) -> None:
    """Serve backend-agent's tools over MCP (stdio or streamable HTTP at http://HOST:PORT/mcp)."""
    from backend_agent.backend_tools.mcp_server import MCPToolHost, ServerSetup, serve_http, serve_stdio

    if transport not in TRANSPORTS:
        raise UsageError(f"unknown --transport {transport!r}", hint="use stdio or http")
    if host not in LOOPBACK:
        raise UsageError(f"--host {host} is not a loopback address",
                         hint="the MCP server listens on loopback only: use 127.0.0.1")  # fmt: skip
    workspace = cwd.resolve()
    if not workspace.is_dir():
        raise UsageError(f"--cwd {cwd} is not a folder", hint="pass an existing workspace folder")
    modes = ("default", "acceptEdits", "plan", "dontAsk", "bypassPermissions")
    if permission_mode is not None and permission_mode not in modes:
        raise UsageError(f"unknown --permission-mode {permission_mode!r}", hint=f"use one of {', '.join(modes)}")
    setup = ServerSetup(workspace=workspace, file_tools=file_tools, permission_mode=permission_mode,
                        allow=list(allow or []), deny=list(deny or []))  # fmt: skip
    tool_host = MCPToolHost(setup)
    try:
        if transport == "stdio":
            asyncio.run(serve_stdio(tool_host))
        else:
            typer.echo(f"backend-agent MCP server: http://{host}:{port}/mcp (Ctrl-C to stop)", err=True)
            asyncio.run(serve_http(tool_host, bind=host, port=port))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
