"""Skip-or-fail helpers for tests that need a real service on the machine."""

from __future__ import annotations

import os
import socket

import pytest


def services_required() -> bool:
    return os.environ.get("BACKEND_AGENT_REQUIRE_SERVICES", "") not in ("", "0", "false")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def need_service(name: str, host: str, port: int) -> None:
    """Skip (or fail in CI) when a service the test needs is not reachable."""
    if _reachable(host, port):
        return
    reason = f"{name} is not reachable at {host}:{port}"
    if services_required():
        pytest.fail(f"{reason}, and BACKEND_AGENT_REQUIRE_SERVICES=1 forbids skipping")
    pytest.skip(reason)
