"""Faithful Claude Code tools: Read/Write/Edit/Bash/Grep/Glob, NotebookEdit, TodoWrite, WebFetch, WebSearch."""

from backend_agent.tools._globmatch import glob_match, glob_to_regex
from backend_agent.tools._jobs import shutdown_background_jobs
from backend_agent.tools._registry import default_tools, get_tool
from backend_agent.tools._sandbox import stop_foreground_commands
from backend_agent.tools.background import BashOutputTool, KillShellTool
from backend_agent.tools.base import ReadRecord, Tool, ToolContext, ToolFailure, ToolResult, ToolSession
from backend_agent.tools.bash import BashTool
from backend_agent.tools.edit import EditTool
from backend_agent.tools.glob import GlobTool
from backend_agent.tools.grep import GrepTool
from backend_agent.tools.notebook import NotebookEditTool
from backend_agent.tools.read import ReadTool
from backend_agent.tools.sessions import load_tool_session, save_tool_session
from backend_agent.tools.todo import TodoWriteTool
from backend_agent.tools.web import WebFetchTool, WebSearchTool
from backend_agent.tools.write import WriteTool

__all__ = [
    "BashOutputTool",
    "BashTool",
    "EditTool",
    "GlobTool",
    "GrepTool",
    "KillShellTool",
    "NotebookEditTool",
    "ReadRecord",
    "ReadTool",
    "TodoWriteTool",
    "Tool",
    "ToolContext",
    "ToolFailure",
    "ToolResult",
    "ToolSession",
    "WebFetchTool",
    "WebSearchTool",
    "WriteTool",
    "default_tools",
    "get_tool",
    "glob_match",
    "glob_to_regex",
    "load_tool_session",
    "save_tool_session",
    "shutdown_background_jobs",
    "stop_foreground_commands",
]
