"""Downloads of the documents in files/."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import PlainTextResponse

router = APIRouter(prefix="/api/files", tags=["files"])
FILES = Path(__file__).resolve().parents[2] / "files"


@router.get("/{name:path}", response_class=PlainTextResponse)
def download(name: str) -> str:
    path = os.path.join(FILES, name)
    if not os.path.isfile(path):
        raise HTTPException(status_code=404, detail="File not found")
    with open(path, encoding="utf-8") as handle:
        return handle.read()
