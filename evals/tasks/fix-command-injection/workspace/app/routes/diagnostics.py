"""Diagnostics: can the server reach a host?"""

from __future__ import annotations

import subprocess

from fastapi import APIRouter

router = APIRouter(prefix="/api/diagnostics", tags=["diagnostics"])


@router.get("/ping")
def ping(host: str) -> dict[str, object]:
    proc = subprocess.run(f"ping -c 1 -W 1 {host}", shell=True, capture_output=True, text=True, timeout=10)
    return {"host": host, "reachable": proc.returncode == 0}
