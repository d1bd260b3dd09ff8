"""Names: plurals, camelCase, identifiers that fit PostgreSQL's 63-byte limit, operation ids."""

from __future__ import annotations

import hashlib
import re

MAX_IDENTIFIER = 63
_IRREGULAR = {"person": "people", "child": "children", "status": "statuses", "address": "addresses"}


def snake(name: str) -> str:
    """PascalCase or camelCase -> snake_case (StockMovement -> stock_movement)."""
    step = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", step).lower()


def camel(name: str) -> str:
    """snake_case -> camelCase (favorites_count -> favoritesCount)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def pascal(name: str) -> str:
    """snake_case -> PascalCase."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def plural(word: str) -> str:
    """English plural of a snake_case word (last part only)."""
    head, _, last = word.rpartition("_")
    if last in _IRREGULAR:
        out = _IRREGULAR[last]
    elif re.search(r"[^aeiou]y$", last):
        out = last[:-1] + "ies"
    elif re.search(r"(s|x|z|ch|sh)$", last):
        out = last + "es"
    else:
        out = last + "s"
    return f"{head}_{out}" if head else out


def with_article(noun: str) -> str:
    """``noun`` with "a" or "an" in front (an issue, a user, an order, a unit)."""
    lower = noun.lower()
    vowel_sound = lower[:1] in ("a", "e", "i", "o") or (
        lower.startswith("u") and not lower.startswith(("uni", "us", "ut", "ur", "ub", "uk")))
    return f"{'an' if vowel_sound else 'a'} {noun}"


def json_key(name: str, style: str) -> str:
    return camel(name) if style == "camelCase" else name


def identifier(*parts: str) -> str:
    """Join parts with underscores; shorten with a stable hash past PostgreSQL's 63 bytes."""
    text = "_".join(parts)
    if len(text) <= MAX_IDENTIFIER:
        return text
    digest = hashlib.sha1(text.encode()).hexdigest()[:8]
    return f"{text[: MAX_IDENTIFIER - 9]}_{digest}"


def operation_id(tag: str, name: str) -> str:
    """Stable operationId ``<tag>_<name>`` in snake_case (articles + list -> articles_list).

    snake_case so the generated service can use it as its Python function name unchanged."""
    return f"{snake(tag).replace('-', '_')}_{name}"


__all__ = ["MAX_IDENTIFIER", "camel", "identifier", "json_key", "operation_id", "pascal", "plural", "snake",
           "with_article"]
