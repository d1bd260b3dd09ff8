"""TodoWrite: the agent's task list for the session, in Claude Code's shape."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from backend_agent.tools.base import Tool, ToolContext, ToolResult

TodoStatus = Literal["pending", "in_progress", "completed"]
_MARKS = {"pending": "☐", "in_progress": "◐", "completed": "☒"}


class TodoItem(BaseModel):
    content: str = Field(min_length=1, description="What to do, in the imperative ('Run the tests').")
    status: TodoStatus = Field(description="pending, in_progress or completed.")
    activeForm: str = Field(
        "", description="The same task in the present continuous, shown while it runs ('Running the tests')."
    )
    id: str | None = Field(None, description="Optional stable id (older Claude Code versions send one).")
    priority: Literal["high", "medium", "low"] | None = None


class TodoWriteInput(BaseModel):
    todos: list[TodoItem] = Field(description="The whole updated list; it replaces the previous one.")

    @model_validator(mode="after")
    def _one_in_progress(self) -> TodoWriteInput:
        running = [item.content for item in self.todos if item.status == "in_progress"]
        if len(running) > 1:
            raise ValueError(f"only one task may be in_progress at a time, not {len(running)}: {running}")
        return self


class TodoWriteTool(Tool[TodoWriteInput]):
    name = "TodoWrite"
    description = (
        "Create and update a structured task list for this session. Send the whole list each time: "
        "each item has content (imperative), activeForm (present continuous) and status (pending, "
        "in_progress, completed). Keep exactly one task in_progress while working; mark a task "
        "completed as soon as it is done. Use it for work with three or more steps."
    )
    Input = TodoWriteInput
    read_only = True  # it changes no file: allowed in plan mode, as in Claude Code

    def run(self, input: TodoWriteInput, ctx: ToolContext) -> ToolResult:
        old = list(ctx.session.todos)
        new = [item.model_dump(exclude_none=True) for item in input.todos]
        ctx.session.todos = new
        lines = [f"{_MARKS[item.status]} {item.content}" for item in input.todos]
        done = sum(item.status == "completed" for item in input.todos)
        output = (
            "Todos have been modified successfully. Ensure that you continue to use the todo list to track "
            "your progress. Please proceed with the current tasks if applicable.\n"
            + (f"{done}/{len(input.todos)} completed\n" + "\n".join(lines) if lines else "The list is empty.")
        )
        return ToolResult(output=output, data={"oldTodos": old, "newTodos": new})


__all__ = ["TodoItem", "TodoWriteInput", "TodoWriteTool"]
