"""Describe images and PDFs instead of dumping their bytes into the conversation."""

from __future__ import annotations

import re
import struct
from pathlib import Path

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".ico", ".tif", ".tiff"}
PDF_EXTENSIONS = {".pdf"}


def _image_size(data: bytes) -> tuple[int, int] | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data.startswith(b"BM") and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return width, abs(height)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            index += 1
            continue
        marker = data[index + 1]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        index += 2 + length
    return None


def describe_media(path: Path, data: bytes) -> tuple[str, dict[str, object]] | None:
    """A text description and JSON details for an image or PDF file; None for anything else."""
    suffix = path.suffix.lower()
    size = len(data)
    if suffix in IMAGE_EXTENSIONS:
        dims = _image_size(data)
        details: dict[str, object] = {"kind": "image", "format": suffix.lstrip("."), "bytes": size}
        text = f"Image file {path} ({suffix.lstrip('.').upper()}, {size} bytes"
        if dims:
            details["width"], details["height"] = dims
            text += f", {dims[0]}x{dims[1]} pixels"
        return text + "). Its pixels are not shown as text.", details
    if suffix in PDF_EXTENSIONS or data.startswith(b"%PDF-"):
        pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
        version = data[5:8].decode("ascii", errors="replace") if data.startswith(b"%PDF-") else "?"
        details = {"kind": "pdf", "bytes": size, "pages": pages, "pdf_version": version}
        text = (
            f"PDF document {path} (PDF {version}, {pages} page(s), {size} bytes). "
            "Its content is not extracted as text; use a PDF tool through Bash (e.g. pdftotext) if needed."
        )
        return text, details
    return None


__all__ = ["IMAGE_EXTENSIONS", "PDF_EXTENSIONS", "describe_media"]
