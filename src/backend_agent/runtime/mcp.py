"""MCP servers from ``.mcp.json`` as pydantic-ai toolsets named ``mcp__<server>__<tool>``.

``mcpServers`` entries: stdio ``{command, args, env, cwd}`` or ``{type: http|sse, url, headers}``;
``${VAR}`` and ``${VAR:-default}`` are expanded. Servers start when a run enters its toolsets and
are stopped when it leaves them (also on Ctrl-C).
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic_ai import RunContext
from pydantic_ai.toolsets import AbstractToolset, WrapperToolset
from pydantic_ai.toolsets.abstract import ToolsetTool

from backend_agent.errors import ConfigError, Location, Problem
from backend_agent.runtime._jsonfile import read_json_file
from backend_agent.runtime._userdata import data_dir, workspace_key

SERVER_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}")


@dataclass(frozen=True)
class MCPServerConfig:
    name: str
    transport: Literal["stdio", "http", "sse"]
    command: str | None = None
    args: list[str] = field(default_factory=list)
    env: dict[str, str] | None = None
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] | None = None


def expand_env(value: Any, *, source: str, key_path: str, environ: dict[str, str] | None = None) -> Any:
    """Expand ``${VAR}``/``${VAR:-default}`` in every string; an unset VAR without default is an error."""
    env = os.environ if environ is None else environ
    if isinstance(value, str):

        def repl(match: re.Match[str]) -> str:
            name, has_default, default = match.group(1), match.group(2) is not None, match.group(3)
            if name in env:
                return env[name]
            if has_default:
                return default or ""
            raise ConfigError(
                f"environment variable {name} used in the MCP configuration is not set",
                problems=[Problem(f"${{{name}}} is undefined", Location(source, key_path=key_path))],
                hint=f"export {name}=... or write ${{{name}:-default}}",
            )

        return ENV_REF.sub(repl, value)
    if isinstance(value, dict):
        return {
            k: expand_env(v, source=source, key_path=f"{key_path}.{k}", environ=environ)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            expand_env(v, source=source, key_path=f"{key_path}[{i}]", environ=environ)
            for i, v in enumerate(value)
        ]
    return value


# Optional server fields and the JSON shape each must have.
_SHAPES: dict[str, tuple[type, str, str]] = {
    "args": (list, "a list of strings", '"args": ["-y", "server"]'),
    "env": (dict, "an object of NAME: value strings", '"env": {"TOKEN": "${TOKEN}"}'),
    "headers": (
        dict,
        "an object of header: value strings",
        '"headers": {"Authorization": "Bearer ${TOKEN}"}',
    ),
    "cwd": (str, "a folder path string", '"cwd": "tools/server"'),
}


def _check_shapes(entry: dict[str, Any], *, source: str, where: str) -> None:
    """A located ConfigError when an optional field has the wrong JSON type."""
    for key, (kind, expected, example) in _SHAPES.items():
        value = entry.get(key)
        bad = value is not None and (
            not isinstance(value, kind)
            or (isinstance(value, dict) and not all(isinstance(v, str) for v in value.values()))
        )
        if bad:
            raise ConfigError(
                f"MCP server field '{where}.{key}' has the wrong type",
                problems=[Problem(f"{key} is {value!r}", Location(source, key_path=f"{where}.{key}"), expected=expected)],
                hint=f"write e.g. {example}",
            )  # fmt: skip


def parse_mcp_config(
    data: Any, *, source: str, environ: dict[str, str] | None = None
) -> dict[str, MCPServerConfig]:
    if not isinstance(data, dict) or not isinstance(data.get("mcpServers", {}), dict):
        raise ConfigError("an MCP configuration must be an object with an 'mcpServers' object",
                          problems=[Problem("wrong shape", Location(source, key_path="mcpServers"))],
                          hint='write {"mcpServers": {"name": {"command": "..."}}}')  # fmt: skip
    servers: dict[str, MCPServerConfig] = {}
    for name, raw in data.get("mcpServers", {}).items():
        where = f"mcpServers.{name}"
        if not SERVER_NAME.fullmatch(name):
            raise ConfigError(
                f"MCP server name {name!r} cannot be part of a tool name",
                problems=[Problem(f"name {name!r}", Location(source, key_path=where),
                                  expected="letters, digits, '-' and '_' only (tools are named mcp__<server>__<tool>)")],
                hint=f"rename it, e.g. {re.sub(r'[^A-Za-z0-9_-]+', '-', name).strip('-') or 'server'!r}",
            )  # fmt: skip
        if not isinstance(raw, dict):
            raise ConfigError(
                f"MCP server {name!r} must be an object",
                problems=[Problem("not an object", Location(source, key_path=where))],
            )
        _check_shapes(raw, source=source, where=where)  # before expansion: never echo an expanded secret
        entry = expand_env(raw, source=source, key_path=where, environ=environ)
        if not any(key in entry for key in ("type", "command", "url")):
            raise ConfigError(f"MCP server {name!r} needs a 'command' (stdio) or a 'url' (http/sse)",
                              problems=[Problem("neither 'command' nor 'url' is set", Location(source, key_path=where))],
                              hint='write {"command": "npx", "args": [...]} or {"type": "http", "url": "..."}')  # fmt: skip
        kind = str(entry.get("type") or ("stdio" if "command" in entry else "http"))
        if kind == "streamable-http":
            kind = "http"
        if kind == "stdio":
            if not isinstance(entry.get("command"), str):
                raise ConfigError(f"MCP server {name!r} needs a 'command'",
                                  problems=[Problem("missing command", Location(source, key_path=f"{where}.command"))],
                                  hint='write {"command": "npx", "args": [...]} or {"type": "http", "url": "..."}')  # fmt: skip
            servers[name] = MCPServerConfig(name, "stdio", command=entry["command"], args=[str(a) for a in entry.get("args") or []],
                                            env=entry.get("env"), cwd=entry.get("cwd"))  # fmt: skip
        elif kind in ("http", "sse"):
            if not isinstance(entry.get("url"), str):
                raise ConfigError(f"MCP server {name!r} needs a 'url'",
                                  problems=[Problem("missing url", Location(source, key_path=f"{where}.url"))])  # fmt: skip
            servers[name] = MCPServerConfig(
                name, "sse" if kind == "sse" else "http", url=entry["url"], headers=entry.get("headers")
            )
        else:
            raise ConfigError(f"MCP server {name!r} has unknown type {kind!r}",
                              problems=[Problem(f"type {kind!r}", Location(source, key_path=f"{where}.type"))],
                              hint="use type stdio, http or sse")  # fmt: skip
    return servers


def load_mcp_config(workspace: Path, *, environ: dict[str, str] | None = None) -> dict[str, MCPServerConfig]:
    """The servers of ``<workspace>/.mcp.json`` (none when the file is absent)."""
    path = workspace / ".mcp.json"
    if not _has_content(path):
        return {}
    return parse_mcp_config(read_json_file(path), source=str(path), environ=environ)


# ----------------------------------------------------------------------------------- approval
# A project's .mcp.json is repository content: whoever can write it (a cloned repository, or an
# agent's shell command) chooses a program that starts outside the sandbox. So a project server
# starts only once the user approved it, by name and by the exact configuration approved:
#   * ``backend-agent mcp approve NAME`` (stored in the user's data folder, bound to a fingerprint
#     of the server's entry, so a changed command needs approval again), or
#   * the user's own settings (``~/.claude/settings.json``, ``~/.backend-agent/settings.json``):
#     ``enableAllProjectMcpServers: true`` or ``enabledMcpjsonServers: [NAME, ...]``
#     (``disabledMcpjsonServers`` always wins). Project settings files cannot approve: the repository
#     that ships the server could ship the approval too.
USER_SETTINGS = (".claude/settings.json", ".backend-agent/settings.json")
APPROVAL_FILE = "mcp-approvals.json"


def server_fingerprints(workspace: Path) -> dict[str, str]:
    """A SHA-256 of each ``.mcp.json`` server entry as written (before ``${VAR}`` expansion)."""
    path = workspace / ".mcp.json"
    if not _has_content(path):
        return {}
    data = read_json_file(path)
    servers = data.get("mcpServers", {}) if isinstance(data, dict) else {}
    if not isinstance(servers, dict):
        return {}
    return {
        name: hashlib.sha256(json.dumps(entry, sort_keys=True).encode()).hexdigest()
        for name, entry in servers.items()
    }


def _user_mcp_settings(home: Path) -> tuple[bool, set[str], set[str]]:
    enable_all = False
    enabled: set[str] = set()
    disabled: set[str] = set()
    for rel in USER_SETTINGS:
        path = home / rel
        if not path.is_file():
            continue
        data = read_json_file(path)
        if not isinstance(data, dict):
            continue
        enable_all = enable_all or data.get("enableAllProjectMcpServers") is True
        enabled.update(n for n in data.get("enabledMcpjsonServers") or [] if isinstance(n, str))
        disabled.update(n for n in data.get("disabledMcpjsonServers") or [] if isinstance(n, str))
    return enable_all, enabled, disabled


def user_enabled_servers(home: Path | None = None) -> tuple[bool, set[str], set[str]]:
    """The user's own MCP switches (``enableAllProjectMcpServers``, ``enabledMcpjsonServers``,
    ``disabledMcpjsonServers``) from their settings files, which no repository can write."""
    return _user_mcp_settings(home if home is not None else Path.home())


def _approval_path() -> Path:
    return data_dir() / APPROVAL_FILE


def _read_approvals() -> dict[str, dict[str, str]]:
    path = _approval_path()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def approval_states(workspace: Path, *, home: Path | None = None) -> dict[str, str]:
    """Per project server: ``approved``, ``pending`` (never approved, or changed since) or ``disabled``."""
    home = home if home is not None else Path.home()
    fingerprints = server_fingerprints(workspace)
    enable_all, enabled, disabled = _user_mcp_settings(home)
    stored = _read_approvals().get(workspace_key(workspace), {})
    states: dict[str, str] = {}
    for name, fingerprint in fingerprints.items():
        if name in disabled:
            states[name] = "disabled"
        elif enable_all or name in enabled or stored.get(name) == fingerprint:
            states[name] = "approved"
        else:
            states[name] = "pending"
    return states


def approve_servers(workspace: Path, names: list[str]) -> dict[str, str]:
    """Record approval of these project servers as currently configured; returns name → fingerprint."""
    fingerprints = server_fingerprints(workspace)
    unknown = [n for n in names if n not in fingerprints]
    if unknown:
        raise ConfigError(
            f"no MCP server named {', '.join(map(repr, unknown))} in {workspace / '.mcp.json'}",
            hint=f"configured servers: {', '.join(sorted(fingerprints)) or 'none'}",
        )
    approvals = _read_approvals()
    entry = approvals.setdefault(workspace_key(workspace), {})
    chosen = {n: fingerprints[n] for n in names}
    entry.update(chosen)
    _write_approvals(approvals)
    return chosen


def revoke_servers(workspace: Path, names: list[str]) -> list[str]:
    approvals = _read_approvals()
    entry = approvals.get(workspace_key(workspace), {})
    removed = [n for n in names if entry.pop(n, None) is not None]
    _write_approvals(approvals)
    return removed


def _write_approvals(approvals: dict[str, dict[str, str]]) -> None:
    from backend_agent._atomic import write_atomic

    path = _approval_path()
    write_atomic(path, json.dumps(approvals, indent=2, sort_keys=True) + "\n")
    os.chmod(path, 0o600)


def approved_mcp_config(
    workspace: Path, *, home: Path | None = None, warn: Callable[[str], Any] | None = None
) -> dict[str, MCPServerConfig]:
    """The project servers the user approved; the others are left out with a warning saying how to approve."""
    configured = load_mcp_config(workspace)
    if not configured:
        return {}
    states = approval_states(workspace, home=home)
    pending = sorted(name for name in configured if states.get(name) == "pending")
    if pending and warn is not None:
        warn(
            f"MCP servers from {workspace / '.mcp.json'} were not started because they are not approved: "
            f"{', '.join(pending)} (a project's .mcp.json can run any program; review it, then run "
            f"'backend-agent mcp approve {' '.join(pending)}', or list them in enabledMcpjsonServers in "
            "~/.claude/settings.json)"
        )
    return {name: config for name, config in configured.items() if states.get(name) == "approved"}


def _has_content(path: Path) -> bool:
    """An absent or empty ``.mcp.json`` configures nothing (the sandbox's read-only placeholder is empty)."""
    try:
        return path.is_file() and path.stat().st_size > 0
    except OSError:
        return False


def tool_name(server: str, tool: str) -> str:
    return f"mcp__{server}__{tool}"


def build_toolset(config: MCPServerConfig, *, workspace: Path) -> AbstractToolset[Any]:
    """An ``MCPToolset`` for one server, its tools prefixed ``mcp__<server>__``."""
    from fastmcp.client.transports import SSETransport, StdioTransport, StreamableHttpTransport
    from pydantic_ai.mcp import MCPToolset

    transport: Any
    if config.transport == "stdio":
        assert config.command is not None
        env = {**os.environ, **config.env} if config.env else dict(os.environ)
        transport = StdioTransport(
            command=config.command, args=config.args, env=env, cwd=config.cwd or str(workspace)
        )
    elif config.transport == "sse":
        transport = SSETransport(str(config.url), headers=config.headers)
    else:
        transport = StreamableHttpTransport(str(config.url), headers=config.headers)
    toolset = MCPToolset(transport, id=f"mcp-{config.name}", tool_error_behavior="failed", init_timeout=30)
    return toolset.prefixed(f"mcp__{config.name}_")


@dataclass
class OptionalServer(WrapperToolset[Any]):
    """An MCP server that may fail to start: the run goes on without its tools and warns once."""

    name: str = ""
    failure: str | None = None
    _reported: bool = False

    async def __aenter__(self) -> OptionalServer:
        try:
            await self.wrapped.__aenter__()
        except Exception as exc:  # a broken server must not take the run down
            self.failure = f"{type(exc).__name__}: {exc}"
        return self

    async def __aexit__(self, *args: Any) -> bool | None:
        if self.failure is not None:
            return None
        return await self.wrapped.__aexit__(*args)

    async def get_tools(self, ctx: RunContext[Any]) -> dict[str, ToolsetTool[Any]]:
        if self.failure is None:
            try:
                return await self.wrapped.get_tools(ctx)
            except Exception as exc:
                self.failure = f"{type(exc).__name__}: {exc}"
        if not self._reported and hasattr(ctx.deps, "warn"):
            self._reported = True
            ctx.deps.warn(
                f"MCP server '{self.name}' is unavailable, continuing without its tools: {self.failure}"
            )
        return {}


def select_servers(
    configured: dict[str, MCPServerConfig], *, wanted: list[str] | dict[str, Any] | None
) -> tuple[list[MCPServerConfig], list[str]]:
    """Servers a definition may use, and the names it asks for that are not configured."""
    names = list(wanted) if wanted else []
    if not names:
        return list(configured.values()), []
    missing = [n for n in names if n not in configured]
    return [configured[n] for n in names if n in configured], missing


def mcp_tool_allowed(name: str, allowlist: list[str] | None, denylist: list[str]) -> bool:
    """A definition's ``tools``/``disallowedTools`` applied to an ``mcp__server__tool`` name."""
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in denylist):
        return False
    if allowlist is None:
        return True
    server_all = "__".join(name.split("__")[:2])
    return any(fnmatch.fnmatchcase(name, p) or p == server_all for p in allowlist)


@dataclass
class ServerStatus:
    name: str
    transport: str
    status: str  # "ok" or "error"
    tools: list[str] = field(default_factory=list)
    error: str | None = None


async def probe_servers(
    configs: list[MCPServerConfig], *, workspace: Path, timeout: float = 30
) -> list[ServerStatus]:
    """Start each server, list its tools and stop it again (for ``backend-agent mcp list``)."""
    from pydantic_ai.mcp import MCPToolset

    async def probe(config: MCPServerConfig) -> ServerStatus:
        status = ServerStatus(config.name, config.transport, "ok")
        toolset = build_toolset(config, workspace=workspace)
        inner = toolset.wrapped if hasattr(toolset, "wrapped") else toolset
        try:
            async with asyncio.timeout(timeout), toolset:
                assert isinstance(inner, MCPToolset)
                tools = await inner.list_tools()
                status.tools = [tool_name(config.name, t.name) for t in tools]
        except Exception as exc:
            status.status, status.error = "error", f"{type(exc).__name__}: {exc}"
        return status

    return list(await asyncio.gather(*(probe(c) for c in configs)))


__all__ = [
    "MCPServerConfig",
    "OptionalServer",
    "ServerStatus",
    "approval_states",
    "approve_servers",
    "approved_mcp_config",
    "build_toolset",
    "expand_env",
    "load_mcp_config",
    "mcp_tool_allowed",
    "parse_mcp_config",
    "probe_servers",
    "revoke_servers",
    "select_servers",
    "server_fingerprints",
    "tool_name",
]
