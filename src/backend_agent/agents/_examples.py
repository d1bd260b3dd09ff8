"""``<example>`` blocks in descriptions, and the text clean-up descriptions need before a model sees them."""

from __future__ import annotations

import re

from backend_agent.agents.definition import Example

_EXAMPLE = re.compile(r"<example>(.*?)</example>", re.DOTALL | re.IGNORECASE)
_COMMENTARY = re.compile(r"<commentary>(.*?)</commentary>", re.DOTALL | re.IGNORECASE)
_LABEL = re.compile(r"^\s*(context|user|assistant)\s*:\s*", re.IGNORECASE | re.MULTILINE)
_ESCAPES = {"\\n": "\n", "\\t": "\t", '\\"': '"', "\\r": ""}


def unescape(text: str) -> str:
    r"""Turn literal ``\n``/``\t``/``\"`` escape sequences (left by double escaping) into the real characters."""
    if "\\" not in text:
        return text
    return re.sub(r"\\[ntr\"]", lambda m: _ESCAPES[m.group(0)], text)


def parse_examples(description: str) -> list[Example]:
    """Every ``<example>`` block with its context, user turn, assistant turn and commentary."""
    return [_parse_one(match.group(1)) for match in _EXAMPLE.finditer(description)]


def _parse_one(raw: str) -> Example:
    commentary_parts = [part.strip() for part in _COMMENTARY.findall(raw)]
    text = _COMMENTARY.sub("", raw)
    fields: dict[str, str] = {}
    matches = list(_LABEL.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        label = match.group(1).lower()
        value = _clean(text[match.end() : end])
        if value and label not in fields:
            fields[label] = value
    return Example(
        context=fields.get("context"),
        user=fields.get("user"),
        assistant=fields.get("assistant"),
        commentary="\n".join(commentary_parts) or None,
        raw=raw.strip(),
    )


def _clean(value: str) -> str:
    # Drop pseudo-tags such as "<Task tool invocation to launch x>" that describe an action, not speech.
    lines = [line.strip() for line in value.strip().split("\n")]
    kept = [line for line in lines if line and not re.fullmatch(r"<[^<>]+>", line)]
    text = " ".join(kept).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


__all__ = ["parse_examples", "unescape"]
