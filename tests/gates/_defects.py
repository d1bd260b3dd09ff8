"""Builders for gate tests: copies of the clean fixture project with one planted defect."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from backend_agent.gates._toolenv import install_isolated, isolated_tool

REPO_ROOT = Path(__file__).resolve().parents[2]
CLEAN = REPO_ROOT / "tests" / "fixtures" / "projects" / "clean"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "*.db", ".coverage*")


def clean_copy(tmp_path: Path, name: str = "project") -> Path:
    """A private copy of the clean fixture project (skips the test when the fixture is absent)."""
    if not (CLEAN / "app").is_dir():
        pytest.skip("the clean fixture project is not there yet")
    dest = tmp_path / name
    shutil.copytree(CLEAN, dest, ignore=_IGNORE)
    return dest


def patch(project: Path, rel: str, old: str, new: str) -> None:
    """Replace ``old`` with ``new`` in one file; fails loudly when the clean file changed shape."""
    path = project / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{rel} no longer contains {old!r}; update the defect builder"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(project: Path, rel: str, code: str) -> None:
    path = project / rel
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + textwrap.dedent(code).lstrip(), encoding="utf-8")


def write(project: Path, rel: str, code: str) -> Path:
    path = project / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(code).lstrip(), encoding="utf-8")
    return path


def ensure_tool(name: str) -> str:
    """Install an isolated tool (semgrep/checkov) into the cache on first use; skip if impossible."""
    path = isolated_tool(name)
    if path:
        return path
    status = install_isolated(name)
    if not status.path:
        pytest.skip(f"{name} could not be installed: {status.detail[-300:]}")
    return status.path


def mini_project(root: Path, *, tests: str, source: str) -> Path:
    """A tiny FastAPI-shaped project: app/main.py plus tests/test_main.py."""
    write(root, "app/__init__.py", "")
    write(root, "app/main.py", source)
    write(root, "tests/__init__.py", "")
    write(root, "tests/test_main.py", tests)
    return root
