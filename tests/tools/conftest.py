"""Fixtures for the tools tests: a ToolContext over the ``workspace`` folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.tools import ToolContext


@pytest.fixture
def ctx(workspace: Path) -> ToolContext:
    return ToolContext(workspace=workspace)
