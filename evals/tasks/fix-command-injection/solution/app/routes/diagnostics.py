"""Diagnostics: can the server reach a host?"""

from __future__ import annotations

import re
import shutil
import subprocess  # nosec B404 - runs ping with a fixed argument list, no shell

from fastapi import APIRouter, HTTPException

router = APIRouter(prefix="/api/diagnostics", tags=["diagnostics"])
HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


@router.get("/ping")
def ping(host: str) -> dict[str, object]:
    if not HOST.fullmatch(host):
        raise HTTPException(status_code=422, detail="host must be a host name or an IPv4 address")
    ping_binary = shutil.which("ping")
    if ping_binary is None:
        return {"host": host, "reachable": False}
    proc = subprocess.run(  # nosec B603 - validated host, argument list
        [ping_binary, "-c", "1", "-W", "1", host], capture_output=True, text=True, timeout=10, check=False
    )
    return {"host": host, "reachable": proc.returncode == 0}
