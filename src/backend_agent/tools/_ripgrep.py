"""Locate ripgrep: the ``rg`` shipped by the ``ripgrep`` wheel next to this interpreter, then PATH."""

from __future__ import annotations

import shutil
import sys
import sysconfig
from functools import cache
from pathlib import Path

# Always searched, never shown: version control internals and this tool's own state folder.
EXCLUDED_DIRS = (".git", ".backend-agent")


@cache
def rg_path() -> str | None:
    candidates = [Path(sysconfig.get_path("scripts")) / "rg", Path(sys.executable).parent / "rg"]
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    return shutil.which("rg")


def base_args(rg: str) -> list[str]:
    """Flags shared by Grep and Glob: hidden files yes, .gitignore respected even outside a git repo."""
    args = [rg, "--no-config", "--hidden", "--no-require-git", "--color=never"]
    for folder in EXCLUDED_DIRS:
        args += ["--glob", f"!{folder}"]
    return args


RG_MISSING = (
    "ripgrep (rg) was not found. It ships with the 'ripgrep' Python package; reinstall backend-agent "
    "or install ripgrep on PATH."
)

__all__ = ["EXCLUDED_DIRS", "RG_MISSING", "base_args", "rg_path"]
