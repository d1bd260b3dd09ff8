"""Facts about a checked project that several gates need: its Python, its files, its source folders."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from backend_agent.gates.base import Target

SKIP_DIRS = frozenset(
    {".git", ".venv", "venv", ".tox", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache",
     ".pytest_cache", "build", "dist", ".eggs", "site-packages", ".terraform"}
)


def project_python(root: Path, configured: str | None = None) -> str:
    """The interpreter of the project's environment (see ``_projectenv``: its own virtualenv, ours
    when it has every dependency, else one check builds and caches).

    Raises EnvironmentUnavailable when no matching Python is installed or the dependencies cannot
    be installed.
    """
    from backend_agent.gates._projectenv import project_environment

    return project_environment(root, configured).python


def walk_files(root: Path, *, skip_tests: bool = False) -> Iterator[Path]:
    """Every file under ``root`` outside virtualenvs, caches and VCS folders (sorted, deterministic)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info") and not (skip_tests and d == "tests")
        )
        for filename in sorted(filenames):
            yield Path(dirpath) / filename


def source_dirs(target: Target) -> list[Path]:
    """Folders holding the project's application code (not its tests)."""
    root = target.root
    if target.app:
        top = target.app.split(":", 1)[0].split(".")[0]
        for base in (root, root / "src"):
            if (base / top).is_dir():
                return [base / top]
            if (base / f"{top}.py").is_file():
                return [base]
    packages = [
        p for p in sorted(root.iterdir())
        if p.is_dir() and (p / "__init__.py").is_file() and p.name not in SKIP_DIRS and p.name != "tests"
    ]
    if (root / "src").is_dir():
        packages.append(root / "src")
    return packages or [root]


def relative(path: str | Path, root: Path) -> str:
    """``path`` relative to ``root`` when inside it, else unchanged."""
    p = Path(path)
    if not p.is_absolute():
        p = root / p
    try:
        return str(p.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


__all__ = ["SKIP_DIRS", "project_python", "relative", "source_dirs", "walk_files"]
