"""Text decoding that remembers how to write the file back: encoding, BOM and line endings."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import Literal

LineEnding = Literal["\n", "\r\n", "mixed"]

_BOMS: list[tuple[bytes, str]] = [
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]


@dataclass(frozen=True)
class DecodedText:
    """A file's text plus what is needed to encode an edited version identically."""

    text: str
    encoding: str
    bom: bytes
    line_ending: LineEnding

    def encode(self, text: str) -> bytes:
        return self.bom + text.encode(self.encoding)


def looks_binary(head: bytes) -> bool:
    """NUL bytes in the first block mean binary, unless a UTF-16/32 BOM explains them."""
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return False
    return b"\x00" in head[:8192]


def detect_line_ending(text: str) -> LineEnding:
    crlf = text.count("\r\n")
    if crlf == 0:
        return "\n"
    return "\r\n" if crlf == text.count("\n") else "mixed"


def decode(data: bytes) -> DecodedText:
    """Decode bytes: BOM first, then UTF-8, then Latin-1 (which never fails)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(encoding, errors="replace")
            return DecodedText(text, encoding, bom, detect_line_ending(text))
    try:
        text = data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        encoding = "latin-1"
    return DecodedText(text, encoding, b"", detect_line_ending(text))


__all__ = ["DecodedText", "LineEnding", "decode", "detect_line_ending", "looks_binary"]
