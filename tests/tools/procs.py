"""Helpers to find processes by a unique token in their command line (to prove they were killed)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from backend_agent.tools._sandbox import bwrap_path

HAVE_BWRAP = bwrap_path() is not None
SANDBOX_MODES = [
    pytest.param(False, id="no-sandbox"),
    pytest.param(
        True, id="bwrap", marks=pytest.mark.skipif(not HAVE_BWRAP, reason="bubblewrap is not usable here")
    ),
]


def processes_with(token: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if token in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def wait_gone(token: str, timeout: float = 5.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = processes_with(token)
        if not left:
            return []
        time.sleep(0.05)
    return processes_with(token)
