"""Claude Code and OpenCode front-matter fields mapped onto :class:`AgentDefinition` keyword arguments."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from backend_agent.agents._examples import unescape
from backend_agent.agents._tools import canonical_tool, opencode_tool, split_tool_list
from backend_agent.agents._triggers import triggers_from_mapping
from backend_agent.agents.definition import PermissionRules, SourceIssue

CLAUDE_KEYS = frozenset(
    {
        "name",
        "description",
        "tools",
        "disallowedTools",
        "model",
        "permissionMode",
        "skills",
        "mcpServers",
        "hooks",
        "maxTurns",
        "color",
        "triggers",
    }
)
OPENCODE_KEYS = frozenset(
    {
        "name",
        "description",
        "mode",
        "model",
        "temperature",
        "top_p",
        "steps",
        "maxSteps",
        "tools",
        "permission",
        "hidden",
        "disable",
        "prompt",
        "color",
        "triggers",
    }
)
# Keys only one of the two tools understands: they decide the format of a file with front matter.
OPENCODE_ONLY = frozenset({"mode", "temperature", "top_p", "steps", "maxSteps", "permission", "hidden", "disable", "prompt"})
CLAUDE_ONLY = frozenset({"disallowedTools", "permissionMode", "skills", "mcpServers", "hooks", "maxTurns"})
PERMISSION_MODES = ("default", "acceptEdits", "plan", "dontAsk", "bypassPermissions", "auto")
# Hook events the runtime runs (the same tuple as backend_agent.runtime.hooks.HOOK_EVENTS, which
# depends on this part and so cannot be imported here; tests/agents keeps the two equal). A run
# refuses a definition with any other event, so validation reports it as an error.
HOOK_EVENTS = (
    "PreToolUse", "PostToolUse", "Stop", "SubagentStop", "SessionStart", "SessionEnd", "UserPromptSubmit",
    "Notification", "PreCompact",
)
# OpenCode sampling ranges (temperature 0..2, top_p 0..1).
_RANGES = {"temperature": (0.0, 2.0), "top_p": (0.0, 1.0)}
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")
_ACTIONS = ("allow", "ask", "deny")


@dataclass
class Mapped:
    """Definition keyword arguments built from front matter, and what was wrong with it."""

    fields: dict[str, Any] = field(default_factory=dict)
    issues: list[SourceIssue] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)

    def warn(self, key: str, message: str) -> None:
        self.issues.append(SourceIssue(severity="warning", line=self.lines.get(key.split(".")[0]), field=key, message=message))

    def error(self, key: str, message: str) -> None:
        """A problem that loads but that a run would refuse: ``agents validate`` fails the file."""
        self.issues.append(SourceIssue(severity="error", line=self.lines.get(key.split(".")[0]), field=key, message=message))


def map_claude(data: dict[str, Any], lines: dict[str, int]) -> Mapped:
    out = Mapped(lines=lines)
    _common(out, data)
    if "tools" in data:
        out.fields["tools"] = _tool_list(out, "tools", data["tools"], inherit_when_empty=False)
    if "disallowedTools" in data:
        out.fields["disallowed_tools"] = _tool_list(out, "disallowedTools", data["disallowedTools"]) or []
    if "permissionMode" in data:
        mode = str(data["permissionMode"])
        if mode not in PERMISSION_MODES:
            out.warn("permissionMode", f"unknown permission mode '{mode}'; expected one of {', '.join(PERMISSION_MODES)}")
        out.fields["permissions"] = PermissionRules(mode=mode)
    if "skills" in data:
        out.fields["skills"] = _string_list(out, "skills", data["skills"])
    if "mcpServers" in data:
        value = data["mcpServers"]
        if isinstance(value, dict):
            out.fields["mcp_servers"] = value
        else:
            out.fields["mcp_servers"] = _string_list(out, "mcpServers", value)
    if "hooks" in data:
        if isinstance(data["hooks"], dict):
            out.fields["hooks"] = {str(event): matchers for event, matchers in data["hooks"].items()}
            for event in data["hooks"]:
                if str(event) not in HOOK_EVENTS:
                    out.error(f"hooks.{event}", f"unknown hook event '{event}': a run refuses this definition; use one of "
                              f"{', '.join(HOOK_EVENTS)}{_did_you_mean(str(event), HOOK_EVENTS)}")
        elif data["hooks"] is not None:
            out.warn("hooks", "expected a map of hook events (PreToolUse, PostToolUse, ...); ignored")
    if "maxTurns" in data:
        out.fields["max_turns"] = _positive_int(out, "maxTurns", data["maxTurns"])
    _unknown(out, data, CLAUDE_KEYS, "Claude Code")
    return out


def map_opencode(data: dict[str, Any], lines: dict[str, int]) -> Mapped:
    out = Mapped(lines=lines)
    _common(out, data)
    if "mode" in data:
        mode = str(data["mode"])
        if mode in ("primary", "subagent", "all"):
            out.fields["mode"] = mode
        else:
            out.warn("mode", f"unknown mode '{mode}'; expected primary, subagent or all (using all)")
    for key in ("temperature", "top_p"):
        if key in data:
            out.fields[key] = _number(out, key, data[key])
    for key in ("maxSteps", "steps"):
        if key in data:
            out.fields["max_turns"] = _positive_int(out, key, data[key])
    if "tools" in data:
        _opencode_tools(out, data["tools"])
    if "permission" in data:
        out.fields["permissions"] = _opencode_permission(out, data["permission"])
    if "hidden" in data:
        out.fields["hidden"] = _flag(out, "hidden", data["hidden"])
    if "disable" in data:
        out.fields["disabled"] = _flag(out, "disable", data["disable"])
    _unknown(out, data, OPENCODE_KEYS, "OpenCode")
    return out


def _common(out: Mapped, data: dict[str, Any]) -> None:
    if data.get("name") is not None:
        if isinstance(data["name"], str | int | float) and not isinstance(data["name"], bool):
            out.fields["name"] = str(data["name"]).strip()
        else:
            out.warn("name", f"expected a name such as 'api-reviewer', got {_shape(data['name'])}; "
                     "using the file name instead. Write the name as plain text")
    if "description" in data and data["description"] is not None:
        description = data["description"]
        if not isinstance(description, str):
            out.warn("description", "expected text; converted the value to a string")
            description = str(description)
        out.fields["description"] = unescape(description).strip()
    for key in ("model", "color"):
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            out.fields[key] = str(value).strip()
        else:
            example = "sonnet, opus, haiku, inherit or provider/model-id" if key == "model" else "a colour name such as blue"
            out.warn(key, f"expected text ({example}), got {_shape(value)}; ignored")
    if "triggers" in data:
        triggers, issues = triggers_from_mapping(data["triggers"], line=out.lines.get("triggers"))
        out.fields["triggers"] = triggers
        out.issues.extend(issues)


def _unknown(out: Mapped, data: dict[str, Any], known: frozenset[str], dialect: str) -> None:
    unknown = {key: value for key, value in data.items() if key not in known}
    if unknown:
        out.fields["unknown_keys"] = unknown
    other, other_keys = ("OpenCode", OPENCODE_KEYS) if dialect == "Claude Code" else ("Claude Code", CLAUDE_KEYS)
    for key in unknown:
        if key in other_keys:
            advice = f"'{key}' belongs to {other} but this file was read as {dialect}; remove it or move it to an {other} file"
        else:
            advice = "check the spelling or remove it" + _did_you_mean(key, sorted(known))
        out.warn(key, f"unknown {dialect} key '{key}' kept in unknown_keys but not used; {advice}")


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    lowered = {choice.lower().replace("_", ""): choice for choice in choices}
    exact = lowered.get(word.lower().replace("_", "").replace("-", ""))
    close = [exact] if exact else difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _shape(value: Any) -> str:
    return {dict: "a map", list: "a list", bool: "true/false"}.get(type(value), type(value).__name__)


def _flag(out: Mapped, key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    out.warn(key, f"expected true or false, got {value!r}; using false")
    return False


def _tool_list(out: Mapped, key: str, value: Any, *, inherit_when_empty: bool = True) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        entries = split_tool_list(value)
        if value.strip() == "*":
            return None
    elif isinstance(value, list):
        entries = [str(item).strip() for item in value if str(item).strip()]
    else:
        out.warn(key, f"expected a comma-separated string or a list of tool names, got {type(value).__name__}; ignored")
        return None
    if not entries and inherit_when_empty:
        return None
    tools: list[str] = []
    for entry in entries:
        name, known = canonical_tool(entry)
        if not known:
            out.warn(key, f"unknown tool '{entry}' kept as written; known tools are Read, Write, Edit, Bash, Grep, Glob, "
                     "BashOutput, KillShell, Agent, Skill, WebFetch and mcp__server__tool")
        if name not in tools:
            tools.append(name)
    return tools


def _string_list(out: Mapped, key: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(item).strip() for item in value if str(item).strip()]
    out.warn(key, f"expected a comma-separated string or a list, got {type(value).__name__}; ignored")
    return []


def _positive_int(out: Mapped, key: str, value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        out.warn(key, f"expected a whole number, got {value!r}; ignored")
        return None
    if isinstance(value, float) and not value.is_integer():
        out.warn(key, f"expected a whole number, got {value!r}; ignored")
        return None
    if number <= 0 or isinstance(value, bool):
        out.warn(key, f"expected a positive whole number, got {value!r}; ignored")
        return None
    return number


def _number(out: Mapped, key: str, value: Any) -> float | None:
    low, high = _RANGES[key]
    try:
        if isinstance(value, bool):
            raise TypeError(value)
        number = float(value)
    except (TypeError, ValueError):
        out.warn(key, f"expected a number from {low:g} to {high:g}, got {value!r}; ignored")
        return None
    if not low <= number <= high:
        out.warn(key, f"expected a number from {low:g} to {high:g}, got {value!r}; ignored")
        return None
    return number


def _opencode_tools(out: Mapped, value: Any) -> None:
    if not isinstance(value, dict):
        if isinstance(value, str | list):
            out.fields["tools"] = _tool_list(out, "tools", value)
            return
        out.warn("tools", "expected a map of tool name to true/false; ignored")
        return
    enabled: list[str] = []
    disabled: list[str] = []
    star: bool | None = None
    for key, flag in value.items():
        if not isinstance(flag, bool):
            out.warn(f"tools.{key}", f"expected true or false, got {flag!r}; ignored")
            continue
        if key == "*":
            star = flag
            continue
        name, known = opencode_tool(str(key))
        if not known:
            out.warn(f"tools.{key}", f"unknown tool '{key}' kept as written")
        (enabled if flag else disabled).append(name)
    # OpenCode enables every tool unless told otherwise: only an explicit allowlist
    # ("*": false, or nothing but true entries) narrows the set.
    if star is False or (star is None and enabled and not disabled):
        out.fields["tools"] = enabled
    else:
        out.fields["tools"] = None
    out.fields["disallowed_tools"] = disabled


def _opencode_permission(out: Mapped, value: Any) -> PermissionRules:
    rules = PermissionRules()
    if isinstance(value, str):
        if _action(out, "permission", value):
            rules.simple["*"] = value  # type: ignore[assignment]
        return rules
    if not isinstance(value, dict):
        out.warn("permission", "expected a map of tool to allow/ask/deny (or to a pattern map); ignored")
        return rules
    for tool, setting in value.items():
        key = str(tool)
        if isinstance(setting, str):
            if _action(out, f"permission.{key}", setting):
                rules.simple[key] = setting  # type: ignore[assignment]
        elif isinstance(setting, dict):
            patterns: dict[str, Any] = {}
            for pattern, action in setting.items():
                if isinstance(action, str) and _action(out, f"permission.{key}.{pattern}", action):
                    patterns[str(pattern)] = action
                elif not isinstance(action, str):
                    out.warn(f"permission.{key}.{pattern}", "expected allow, ask or deny; ignored")
            rules.patterns[key] = patterns
        else:
            out.warn(f"permission.{key}", "expected allow, ask, deny or a map of pattern to action; ignored")
    return rules


def _action(out: Mapped, key: str, value: str) -> bool:
    if value in _ACTIONS:
        return True
    out.warn(key, f"unknown permission action '{value}'; expected allow, ask or deny; ignored")
    return False


def detect_frontmatter_dialect(data: dict[str, Any], *, path_hint: str) -> str:
    """``claude-code`` or ``opencode`` from the keys and value shapes, using the path only to break ties."""
    opencode = sum(1 for key in data if key in OPENCODE_ONLY)
    claude = sum(1 for key in data if key in CLAUDE_ONLY)
    if isinstance(data.get("tools"), dict):
        opencode += 2
    elif isinstance(data.get("tools"), str | list):
        claude += 1
    model = data.get("model")
    if isinstance(model, str) and "/" in model:
        opencode += 1
    if "name" in data:
        claude += 2
    if opencode != claude:
        return "opencode" if opencode > claude else "claude-code"
    hint = path_hint.replace("\\", "/")
    if "/.opencode/" in hint or "/opencode/" in hint:
        return "opencode"
    return "claude-code" if "name" in data or "/.claude/" in hint else "opencode"


__all__ = ["Mapped", "detect_frontmatter_dialect", "map_claude", "map_opencode"]
