"""Field types of the blueprint language and the parsing of their spelling (``decimal(10,2)``)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import StrEnum


class FieldKind(StrEnum):
    STRING = "string"
    TEXT = "text"
    INT = "int"
    BIGINT = "bigint"
    DECIMAL = "decimal"
    FLOAT = "float"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"
    TIME = "time"
    UUID = "uuid"
    EMAIL = "email"
    URL = "url"
    ENUM = "enum"
    JSON = "json"
    BYTES = "bytes"
    LIST = "list"  # an ordered list of scalars (`of`), stored as a JSON array


TYPE_NAMES: tuple[str, ...] = tuple(kind.value for kind in FieldKind)
NUMERIC_KINDS = frozenset({FieldKind.INT, FieldKind.BIGINT, FieldKind.DECIMAL, FieldKind.FLOAT})
TEXT_KINDS = frozenset({FieldKind.STRING, FieldKind.TEXT, FieldKind.EMAIL, FieldKind.URL})
DEFAULT_DECIMAL = (12, 2)
# Item types a `list` field may hold (`of`): scalars that travel as plain JSON values.
LIST_ITEM_KINDS = (FieldKind.STRING, FieldKind.TEXT, FieldKind.INT, FieldKind.BIGINT, FieldKind.FLOAT,
                   FieldKind.BOOL, FieldKind.DATE, FieldKind.UUID, FieldKind.EMAIL, FieldKind.URL, FieldKind.ENUM)

_DECIMAL = re.compile(r"^decimal\s*(?:\(\s*(\d+)\s*,\s*(\d+)\s*\))?$")


@dataclass(frozen=True)
class FieldType:
    """A parsed field type: its kind and, for decimals, precision and scale."""

    kind: FieldKind
    precision: int | None = None
    scale: int | None = None

    def __str__(self) -> str:
        if self.kind is FieldKind.DECIMAL:
            return f"decimal({self.precision},{self.scale})"
        return self.kind.value


class TypeSpellingError(ValueError):
    """A type that is not part of the language; carries a suggestion."""

    def __init__(self, message: str, *, suggestion: str | None) -> None:
        super().__init__(message)
        self.suggestion = suggestion


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """The closest spelling among ``choices``, or None."""
    lowered = {choice.lower(): choice for choice in choices}
    matches = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[matches[0]] if matches else None


def parse_type(text: str) -> FieldType:
    """Parse a type spelling; raise TypeSpellingError for an unknown or malformed one."""
    spelled = text.strip()
    match = _DECIMAL.match(spelled)
    if match:
        if match.group(1) is None:
            return FieldType(FieldKind.DECIMAL, *DEFAULT_DECIMAL)
        precision, scale = int(match.group(1)), int(match.group(2))
        if not 1 <= precision <= 38 or scale > precision:
            raise TypeSpellingError(
                f"decimal({precision},{scale}) is out of range",
                suggestion="use precision 1..38 and a scale no larger than the precision, e.g. decimal(12,2)",
            )
        return FieldType(FieldKind.DECIMAL, precision, scale)
    if spelled in TYPE_NAMES:
        return FieldType(FieldKind(spelled))
    if spelled.startswith("decimal(") and not spelled.endswith(")"):
        raise TypeSpellingError(
            f"unfinished type '{spelled}'",
            suggestion='inside {...} quote it, because YAML splits at the comma: type: "decimal(10,2)"',
        )
    base = spelled.split("(", 1)[0].strip()
    close = did_you_mean(base, TYPE_NAMES)
    return_hint = f"did you mean '{close}'?" if close else None
    raise TypeSpellingError(f"unknown type '{spelled}'", suggestion=return_hint)


__all__ = [
    "DEFAULT_DECIMAL",
    "LIST_ITEM_KINDS",
    "NUMERIC_KINDS",
    "TEXT_KINDS",
    "TYPE_NAMES",
    "FieldKind",
    "FieldType",
    "TypeSpellingError",
    "did_you_mean",
    "parse_type",
]
