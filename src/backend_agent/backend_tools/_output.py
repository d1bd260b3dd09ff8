"""Shaping tool results for a model: a one-line verdict, then compact JSON of the structured data."""

from __future__ import annotations

import json
from typing import Any

from backend_agent.backend_tools._paths import relative
from backend_agent.errors import Problem
from backend_agent.tools import ToolContext, ToolResult

MAX_ITEMS = 20  # findings/problems shown per list; the count of the rest is reported


def answer(headline: str, data: dict[str, Any], *, ok: bool = True, code: str = "failed") -> ToolResult:
    """A result whose text is the headline plus the data as compact JSON (what the model reads)."""
    text = headline + "\n" + json.dumps(data, separators=(",", ":"), default=str)
    if ok:
        return ToolResult(output=text, data=data)
    failure = ToolResult.failure(code, text)
    failure.data = data
    return failure


def trimmed(items: list[Any], limit: int = MAX_ITEMS) -> tuple[list[Any], int]:
    """(the first ``limit`` items, how many were left out)."""
    return items[:limit], max(0, len(items) - limit)


def problem_json(problem: Problem, ctx: ToolContext) -> dict[str, Any]:
    """A located blueprint/config problem, with the fix hint, for the model."""
    item = problem.to_json()
    if problem.location:
        item["file"] = relative(problem.location.file, ctx)
    return {key: value for key, value in item.items() if value is not None}


__all__ = ["MAX_ITEMS", "answer", "problem_json", "trimmed"]
