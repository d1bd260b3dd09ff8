"""``backend-agent mcp serve``: the backend tools (and optionally the file tools) as an MCP server.

Built on the official ``mcp`` SDK's low-level server so each tool keeps its own JSON Schema. Every
call runs in a worker thread on one shared ToolContext (so services started with the Service tool
stay up between calls and are stopped when the server exits). The file tools, when enabled, are
decided by the permission engine first; a call that would need approval is refused, because an
MCP server has nobody to ask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend_agent.backend_tools._service import stop_all
from backend_agent.tools import Tool, ToolContext, ToolResult

if TYPE_CHECKING:
    from mcp.server.lowlevel import Server

SERVER_NAME = "backend-agent"
FILE_TOOL_NAMES = ("Read", "Write", "Edit", "Bash", "Grep", "Glob")
HTTP_PATH = "/mcp"


@dataclass
class ServerSetup:
    """What the server exposes and how the file tools are governed."""

    workspace: Path
    file_tools: bool = False
    permission_mode: str | None = None
    allow: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)
    home: Path | None = None


class MCPToolHost:
    """The tools of one server and the permission check in front of the file tools (transport-free)."""

    def __init__(self, setup: ServerSetup, tools: Sequence[Tool[Any]] | None = None) -> None:
        from backend_agent.backend_tools import backend_tools
        from backend_agent.tools import get_tool

        self.workspace = setup.workspace.resolve()
        chosen: list[Tool[Any]] = list(tools) if tools is not None else backend_tools()
        if setup.file_tools and tools is None:
            chosen += [get_tool(name) for name in FILE_TOOL_NAMES]
        self.tools = {tool.name: tool for tool in chosen}
        self.guarded = set(FILE_TOOL_NAMES) & set(self.tools) if setup.file_tools else set()
        self.context = ToolContext(workspace=self.workspace, state_dir=self.workspace / ".backend-agent")
        self.engine = _engine(setup) if self.guarded else None

    def refusal(self, name: str, arguments: dict[str, Any]) -> str | None:
        """None when the call may run, else why not (file tools only)."""
        if self.engine is None or name not in self.guarded:
            return None
        decision = self.engine.decide(name, arguments)
        if decision.action == "allow":
            return None
        why = decision.reason or "no rule allows it"
        if decision.action == "ask":
            why += "; this MCP server cannot ask for approval, so add an allow rule (--allow) or use --permission-mode"
        return f"Permission to use {name} was denied: {why}"

    def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        tool = self.tools.get(name)
        if tool is None:
            return ToolResult.failure("unknown_tool", f"Unknown tool {name!r}; available: {', '.join(self.tools)}")
        refused = self.refusal(name, arguments)
        if refused is not None:
            return ToolResult.failure("refused", refused)
        return tool.call(arguments, self.context)


def _engine(setup: ServerSetup) -> Any:
    from backend_agent.errors import UsageError
    from backend_agent.runtime import PermissionEngine, RuleSet, load_permission_settings

    rules = load_permission_settings(setup.workspace, home=setup.home)
    if setup.allow or setup.deny:
        try:
            rules = rules.merged(RuleSet.from_lists(allow=setup.allow, deny=setup.deny, source="cli"))
        except ValueError as exc:
            raise UsageError(f"bad --allow/--deny rule: {exc}", hint="rules look like Bash(git log:*), Edit(src/**)") from exc
    return PermissionEngine(mode=setup.permission_mode, rules=rules, workspace=setup.workspace, home=setup.home)


def build_server(host: MCPToolHost) -> Server[Any]:
    """The low-level MCP server listing and calling ``host``'s tools."""
    import anyio
    import mcp.types as types
    from mcp.server.lowlevel import Server

    from backend_agent import __version__

    listed = [
        types.Tool(
            name=tool.name,
            description=tool.description,
            input_schema=tool.json_schema(),
            annotations=types.ToolAnnotations(read_only_hint=tool.read_only or None),
        )
        for tool in host.tools.values()
    ]

    async def list_tools(_ctx: Any, _params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listed)

    async def call_tool(_ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        arguments = dict(params.arguments or {})
        result = await anyio.to_thread.run_sync(host.call, params.name, arguments)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=result.output or ("ok" if result.ok else "failed"))],
            structured_content=result.data or None,
            is_error=not result.ok,
        )

    return Server(
        SERVER_NAME,
        version=__version__,
        instructions="backend-agent: design (Blueprint), generate, verify (Check), profile (Doctor) and run "
        "(Service) backend services. Work is done when Check reports every gate passing.",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def serve_stdio(host: MCPToolHost) -> None:
    """Serve over stdin/stdout until the client closes the connection."""
    from mcp.server.stdio import stdio_server

    server = build_server(host)
    try:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
    finally:
        stop_all()


async def serve_http(host: MCPToolHost, *, bind: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve streamable HTTP at http://BIND:PORT/mcp until cancelled (Ctrl-C)."""
    import uvicorn

    server = build_server(host)
    app = server.streamable_http_app(streamable_http_path=HTTP_PATH, host=bind)
    config = uvicorn.Config(app, host=bind, port=port, log_level="warning", lifespan="on")
    web = uvicorn.Server(config)
    try:
        await web.serve()
    finally:
        stop_all()


__all__ = [
    "FILE_TOOL_NAMES",
    "HTTP_PATH",
    "SERVER_NAME",
    "MCPToolHost",
    "ServerSetup",
    "build_server",
    "serve_http",
    "serve_stdio",
]  # fmt: skip
