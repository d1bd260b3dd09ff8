"""Opaque cursors of cursor-paginated lists."""

from __future__ import annotations

import base64
import binascii

from app.core.errors import invalid


# The largest OFFSET both databases take (a signed 64-bit integer); a page past it is empty anyway.
MAX_OFFSET = 2**63 - 1


def page_offset(offset: int) -> int:
    """A requested offset the database accepts: any offset beyond every row gives the same empty page."""
    return min(offset, MAX_OFFSET)


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
    if kind != "o" or not 0 <= offset <= MAX_OFFSET:
        raise invalid("cursor is not a cursor this service issued", field="cursor")
    return offset
