"""Backend tool tests: tools called directly on real workspaces, and granted through agent runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.tools import ToolContext
from tests.runtime.conftest import cli, home, run_agent  # noqa: F401 - fixtures shared with the runtime tests
from tests.workflow.conftest import tiny, write_tiny_project  # noqa: F401

NOTES = """service:
  name: notes
  version: 0.1.0
  base_path: /api
entities:
  Note:
    fields:
      title: {type: string, required: true, max_length: 120}
      body: {type: text}
"""


@pytest.fixture
def ctx(workspace: Path) -> ToolContext:
    return ToolContext(workspace=workspace)
