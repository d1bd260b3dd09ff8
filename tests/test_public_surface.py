"""Each part's public surface is accurate, and importing the package has no side effects."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

PARTS = [
    "agents", "runtime", "tools", "blueprint", "design", "generate", "gates", "report", "cli", "backend_tools",
    "evaluation",
]  # fmt: skip


@pytest.mark.parametrize("part", PARTS)
def test_every_exported_name_exists(part: str) -> None:
    module = importlib.import_module(f"backend_agent.{part}")
    exported = getattr(module, "__all__", None)
    assert isinstance(exported, list), f"backend_agent.{part} must declare __all__"
    missing = [name for name in exported if not hasattr(module, name)]
    assert missing == []
    assert len(set(exported)) == len(exported), "duplicate names in __all__"


def test_import_has_no_side_effects(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    code = "import backend_agent, " + ", ".join(f"backend_agent.{p}" for p in PARTS)
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]
    assert list(home.iterdir()) == []


def test_version_command() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "backend_agent", "--version"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().startswith("backend-agent ")
