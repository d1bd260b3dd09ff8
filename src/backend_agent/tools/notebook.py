"""NotebookEdit: replace, insert or delete one cell of a Jupyter notebook, as Claude Code does.

Cells are named by their ``id`` (nbformat 4.5) or, for notebooks without ids, by ``cell-N``
(0-based position). The notebook is validated with nbformat before it is written, atomically.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from backend_agent._atomic import write_atomic
from backend_agent.tools._paths import workspace_path
from backend_agent.tools._records import check_fresh, record_read
from backend_agent.tools.base import Tool, ToolContext, ToolResult


class NotebookEditInput(BaseModel):
    notebook_path: str = Field(description="Path of the .ipynb file (absolute, or relative to the workspace).")
    new_source: str = Field(description="The new source of the cell (ignored for delete).")
    cell_id: str | None = Field(
        None, description="The cell to replace or delete, or to insert after; omitted: insert at the start."
    )
    cell_type: Literal["code", "markdown"] | None = Field(
        None, description="The cell's type; required for insert, optional for replace."
    )
    edit_mode: Literal["replace", "insert", "delete"] = Field("replace", description="replace, insert or delete.")


class NotebookEditTool(Tool[NotebookEditInput]):
    name = "NotebookEdit"
    description = (
        "Replace, insert or delete one cell of a Jupyter notebook (.ipynb). Name the cell by its id "
        "(or cell-N, its 0-based position, when the notebook has no ids). insert puts the new cell "
        "after cell_id (at the start without one) and needs cell_type. Read the notebook first."
    )
    Input = NotebookEditInput

    def run(self, input: NotebookEditInput, ctx: ToolContext) -> ToolResult:
        import nbformat

        path = workspace_path(input.notebook_path, ctx)
        if isinstance(path, ToolResult):
            return path
        if path.suffix != ".ipynb":
            return ToolResult.failure("bad_input", f"{path} is not a Jupyter notebook (.ipynb); use Edit for other files.")
        if not path.is_file():
            return ToolResult.failure("not_found", f"Notebook not found: {path}", path=str(path))
        raw = path.read_bytes()
        stale = check_fresh(ctx, path, raw, action="edit")
        if stale is not None:
            return stale
        try:
            notebook = nbformat.reads(raw.decode("utf-8"), as_version=4)
        except Exception as exc:  # nbformat raises several unrelated types for unreadable JSON
            return ToolResult.failure("bad_notebook", f"{path} is not a valid notebook: {exc}", path=str(path))
        cells: list[Any] = notebook.cells
        index = _find(cells, input.cell_id)
        if input.cell_id is not None and index is None:
            known = ", ".join(_name(cell, i) for i, cell in enumerate(cells)) or "none"
            return ToolResult.failure("no_such_cell", f"No cell {input.cell_id!r} in {path}; cells: {known}.")
        if input.edit_mode == "insert":
            if input.cell_type is None:
                return ToolResult.failure("bad_input", "cell_type is required to insert a cell (code or markdown).")
            cell = _new_cell(nbformat, input.cell_type, input.new_source)
            position = 0 if index is None else index + 1
            cells.insert(position, cell)
            changed = _name(cell, position)
        elif index is None:
            return ToolResult.failure("bad_input", f"cell_id is required to {input.edit_mode} a cell.")
        elif input.edit_mode == "delete":
            changed = _name(cells[index], index)
            del cells[index]
        else:
            changed = _name(cells[index], index)
            cells[index] = _replaced(nbformat, cells[index], input.new_source, input.cell_type)
        try:
            nbformat.validate(notebook)
        except nbformat.ValidationError as exc:
            return ToolResult.failure("bad_notebook", f"The edit would make an invalid notebook: {exc.message}")
        payload = (nbformat.writes(notebook) + "\n").encode("utf-8")
        write_atomic(path, payload)
        record_read(ctx, path, payload)
        verb = {"replace": "Updated", "insert": "Inserted", "delete": "Deleted"}[input.edit_mode]
        return ToolResult(
            output=f"{verb} cell {changed} in {path}.",
            data={"path": str(path), "cell_id": changed, "edit_mode": input.edit_mode, "cells": len(cells)},
        )


def _name(cell: Any, index: int) -> str:
    return str(cell.get("id") or f"cell-{index}")


def _find(cells: list[Any], cell_id: str | None) -> int | None:
    if cell_id is None:
        return None
    for index, cell in enumerate(cells):
        if cell.get("id") == cell_id:
            return index
    if cell_id.startswith("cell-") and cell_id[5:].isdigit() and int(cell_id[5:]) < len(cells):
        return int(cell_id[5:])
    return None


def _new_cell(nbformat: Any, cell_type: str, source: str) -> Any:
    maker = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    return maker(source=source)


def _replaced(nbformat: Any, cell: Any, source: str, cell_type: str | None) -> Any:
    if cell_type is not None and cell_type != cell.cell_type:
        fresh = _new_cell(nbformat, cell_type, source)
        if "id" in cell:
            fresh["id"] = cell["id"]
        return fresh
    cell.source = source
    if cell.cell_type == "code":  # outputs of the old source would be stale
        cell.outputs = []
        cell.execution_count = None
    return cell


__all__ = ["NotebookEditInput", "NotebookEditTool"]
