"""Opaque cursors of cursor-paginated lists."""

from __future__ import annotations

import base64
import binascii

from app.core.errors import invalid


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The position a cursor points at; a tampered cursor is a validation error, never a 500."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        offset = int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid("cursor is not a cursor this service issued", field="cursor") from None
    if kind != "o" or offset < 0:
        raise invalid("cursor is not a cursor this service issued", field="cursor")
    return offset
