"""Write: create or replace a whole file, atomically; replacing needs a fresh Read first."""

from __future__ import annotations

from pydantic import BaseModel, Field

from backend_agent._atomic import write_atomic
from backend_agent.tools._paths import workspace_path
from backend_agent.tools._records import check_fresh, record_read
from backend_agent.tools.base import Tool, ToolContext, ToolResult


class WriteInput(BaseModel):
    file_path: str = Field(description="Path of the file to write (absolute, or relative to the workspace).")
    content: str = Field(description="The complete new content of the file.")


class WriteTool(Tool[WriteInput]):
    name = "Write"
    description = (
        "Write a whole file, creating parent folders. Overwriting an existing file requires that you "
        "Read it first in this session and that it has not changed since. Prefer Edit for changes."
    )
    Input = WriteInput

    def run(self, input: WriteInput, ctx: ToolContext) -> ToolResult:
        path = workspace_path(input.file_path, ctx)
        if isinstance(path, ToolResult):
            return path
        if path.is_dir():
            return ToolResult.failure(
                "is_directory", f"{path} is a directory; give a file path.", path=str(path)
            )
        existed = path.exists()
        if existed:
            stale = check_fresh(ctx, path, path.read_bytes(), action="overwrite")
            if stale is not None:
                return stale
        payload = input.content.encode("utf-8")
        write_atomic(path, payload)
        record_read(ctx, path, payload)
        lines = input.content.count("\n") + (0 if input.content.endswith("\n") or not input.content else 1)
        message = f"The file {path} has been updated." if existed else f"File created successfully at: {path}"
        return ToolResult(
            output=message,
            data={"path": str(path), "created": not existed, "bytes": len(payload), "lines": lines},
        )


__all__ = ["WriteInput", "WriteTool"]
