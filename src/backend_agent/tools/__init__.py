"""Faithful Read/Write/Edit/Bash/Grep/Glob tools (public surface of the tools part)."""

from backend_agent.tools.base import ReadRecord, Tool, ToolContext, ToolFailure, ToolResult, ToolSession

__all__ = ["ReadRecord", "Tool", "ToolContext", "ToolFailure", "ToolResult", "ToolSession"]
