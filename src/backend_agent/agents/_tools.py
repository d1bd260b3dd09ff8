"""Tool-name normalization shared by the Claude Code and OpenCode dialects."""

from __future__ import annotations

import re

CANONICAL_TOOLS = (
    "Read",
    "Write",
    "Edit",
    "Bash",
    "Grep",
    "Glob",
    "BashOutput",
    "KillShell",
    "Agent",
    "Skill",
    "WebFetch",
    "WebSearch",
    "TodoWrite",
    "NotebookEdit",
    "AskUserQuestion",
    "ExitPlanMode",
    # backend-agent's own backend tools (backend_agent.backend_tools)
    "Blueprint",
    "Generate",
    "Check",
    "Doctor",
    "Service",
)
_BY_LOWER = {name.lower(): name for name in CANONICAL_TOOLS}
# Names other tools use for the same capability.
_ALIASES = {
    "task": "Agent",
    "multiedit": "Edit",
    "patch": "Edit",
    "web_fetch": "WebFetch",
    "fetch": "WebFetch",
    "bash_output": "BashOutput",
    "kill_shell": "KillShell",
    "killbash": "KillShell",
    "web_search": "WebSearch",
    "todoread": "TodoWrite",
    "todo_write": "TodoWrite",
    "notebook_edit": "NotebookEdit",
}
_CALL = re.compile(r"^(?P<name>[A-Za-z_][\w-]*)\s*\((?P<args>.*)\)$", re.DOTALL)


def split_tool_list(value: str) -> list[str]:
    """Split ``"Read, Agent(a, b), mcp__x__*"`` on commas that are not inside parentheses."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in value:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def canonical_tool(entry: str) -> tuple[str, bool]:
    """The canonical spelling of a tool entry and whether the name is known.

    ``Task(x)`` becomes ``Agent(x)``, ``read`` becomes ``Read``; MCP names (``mcp__s__t``), wildcards
    and unknown names are returned unchanged (unknown ones flagged so a warning can be shown).
    """
    text = entry.strip()
    call = _CALL.match(text)
    name, args = (call.group("name"), call.group("args")) if call else (text, None)
    if name.startswith("mcp__") or "*" in name:
        return text, True
    lowered = name.lower()
    canonical = _BY_LOWER.get(lowered) or _ALIASES.get(lowered)
    if canonical is None:
        return text, False
    return (f"{canonical}({args.strip()})" if args is not None else canonical), True


def opencode_tool(key: str) -> tuple[str, bool]:
    """An OpenCode tools-map key as a canonical name; ``server_*`` wildcards and unknown keys are kept."""
    if "*" in key:
        return key, True
    return canonical_tool(key)


__all__ = ["CANONICAL_TOOLS", "canonical_tool", "opencode_tool", "split_tool_list"]
