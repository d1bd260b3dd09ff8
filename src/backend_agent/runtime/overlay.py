"""Settings given on the command line: Claude Code's ``--settings`` and ``--mcp-config``.

Each value is a file path or a JSON text, as in Claude Code. ``--settings`` contributes permission
rules (``permissions.allow/ask/deny``, ``defaultMode``, ``additionalDirectories``), hooks, ``env``
and ``model`` on top of the settings files; ``--mcp-config`` adds MCP servers, which count as
approved because the user named them for this run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend_agent.errors import UsageError
from backend_agent.runtime.hooks import HookCommand, parse_hooks
from backend_agent.runtime.mcp import MCPServerConfig, parse_mcp_config


@dataclass
class SettingsOverlay:
    """What the ``--settings`` values add to the run."""

    allow: list[str] = field(default_factory=list)
    ask: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)
    default_mode: str | None = None
    additional_directories: list[Path] = field(default_factory=list)
    hooks: list[HookCommand] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    model: str | None = None


def load_settings_overlay(sources: list[str], *, cwd: Path) -> SettingsOverlay:
    overlay = SettingsOverlay()
    for source in sources:
        data, name = _load(source, cwd=cwd, flag="--settings")
        if not isinstance(data, dict):
            raise UsageError(f"--settings {name}: expected a JSON object", hint='e.g. {"permissions": {"allow": ["Read"]}}')
        permissions = data.get("permissions") or {}
        if not isinstance(permissions, dict):
            raise UsageError(f"--settings {name}: 'permissions' must be an object", hint='e.g. {"allow": ["Bash(npm test)"]}')
        for action in ("allow", "ask", "deny"):
            rules = permissions.get(action) or []
            if not isinstance(rules, list) or not all(isinstance(rule, str) for rule in rules):
                raise UsageError(f"--settings {name}: permissions.{action} must be a list of rule strings",
                                 hint='e.g. ["Bash(git log:*)", "Read"]')  # fmt: skip
            getattr(overlay, action).extend(rules)
        mode = permissions.get("defaultMode")
        if mode is not None:
            overlay.default_mode = str(mode)
        for folder in permissions.get("additionalDirectories") or []:
            path = Path(str(folder)).expanduser()
            overlay.additional_directories.append(path if path.is_absolute() else cwd / path)
        overlay.hooks += parse_hooks(data.get("hooks"), source=name)
        env = data.get("env") or {}
        if not isinstance(env, dict):
            raise UsageError(f"--settings {name}: 'env' must be an object of strings", hint='e.g. {"NODE_ENV": "test"}')
        overlay.env.update({str(key): str(value) for key, value in env.items()})
        if data.get("model"):
            overlay.model = str(data["model"])
    return overlay


def load_mcp_overlay(sources: list[str], *, cwd: Path) -> dict[str, MCPServerConfig]:
    servers: dict[str, MCPServerConfig] = {}
    for source in sources:
        data, name = _load(source, cwd=cwd, flag="--mcp-config")
        servers.update(parse_mcp_config(data, source=name))
    return servers


def _load(source: str, *, cwd: Path, flag: str) -> tuple[Any, str]:
    """A value given as JSON text (starts with ``{``) or as a file path."""
    text = source.strip()
    if text.startswith("{"):
        try:
            return json.loads(text), f"{flag} (inline JSON)"
        except json.JSONDecodeError as exc:
            raise UsageError(f"{flag}: the inline JSON is not valid: {exc.msg} at column {exc.colno}",
                             hint="quote it for the shell, e.g. '{\"key\": \"value\"}'") from exc  # fmt: skip
    path = Path(text).expanduser()
    path = path if path.is_absolute() else cwd / path
    if not path.is_file():
        raise UsageError(f"{flag} {source}: no such file", hint="give a JSON file path or inline JSON text")
    try:
        return json.loads(path.read_text(encoding="utf-8")), str(path)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}", hint="fix the JSON syntax") from exc


__all__ = ["SettingsOverlay", "load_mcp_overlay", "load_settings_overlay"]
