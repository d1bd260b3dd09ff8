"""The built-in tools by name."""

from __future__ import annotations

from backend_agent.errors import ToolError
from backend_agent.tools.background import BashOutputTool, KillShellTool
from backend_agent.tools.base import Tool
from backend_agent.tools.bash import BashTool
from backend_agent.tools.edit import EditTool
from backend_agent.tools.glob import GlobTool
from backend_agent.tools.grep import GrepTool
from backend_agent.tools.notebook import NotebookEditTool
from backend_agent.tools.read import ReadTool
from backend_agent.tools.todo import TodoWriteTool
from backend_agent.tools.web import WebFetchTool, WebSearchTool
from backend_agent.tools.write import WriteTool

TOOL_CLASSES: tuple[type[Tool], ...] = (
    ReadTool,
    WriteTool,
    EditTool,
    BashTool,
    BashOutputTool,
    KillShellTool,
    GrepTool,
    GlobTool,
    NotebookEditTool,
    TodoWriteTool,
    WebFetchTool,
    WebSearchTool,
)


def default_tools() -> list[Tool]:
    """Fresh instances of every built-in tool, in a stable order."""
    return [cls() for cls in TOOL_CLASSES]


def get_tool(name: str) -> Tool:
    """The built-in tool called ``name`` (case-insensitive); a ToolError lists the valid names."""
    # The backend tools (Blueprint, Generate, Check, Doctor, Service) live in their own part, which
    # builds on this one: imported here, on demand, so `tools call Check` finds them too.
    from backend_agent.backend_tools import BACKEND_TOOL_CLASSES

    classes = (*TOOL_CLASSES, *BACKEND_TOOL_CLASSES)
    for cls in classes:
        if cls.name == name or cls.name.lower() == name.lower():
            return cls()
    valid = ", ".join(cls.name for cls in classes)
    raise ToolError(f"Unknown tool '{name}'.", hint=f"valid tool names: {valid}")


__all__ = ["TOOL_CLASSES", "default_tools", "get_tool"]
