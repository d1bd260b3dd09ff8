"""Downloads of the documents in files/."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import PlainTextResponse

router = APIRouter(prefix="/api/files", tags=["files"])
FILES = Path(__file__).resolve().parents[2] / "files"


@router.get("/{name:path}", response_class=PlainTextResponse)
def download(name: str) -> str:
    path = (FILES / name).resolve()
    if not path.is_relative_to(FILES) or not path.is_file():
        raise HTTPException(status_code=404, detail="File not found")
    return path.read_text(encoding="utf-8")
