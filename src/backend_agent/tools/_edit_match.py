"""Near-match search and diagnostics for Edit: where old_string almost matched, and what differs."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field

_NUMBER_PREFIX = re.compile(r"^ *\d+(?:\t|→)")
_MAX_CANDIDATES = 60
_WORD = re.compile(r"\w+")


@dataclass
class LineDifference:
    line: int  # 1-based line number in the file
    kind: (
        str  # indentation, trailing_whitespace, inner_whitespace, line_ending, text, missing_line, extra_line
    )
    detail: str


@dataclass
class NearMatch:
    start_line: int
    end_line: int
    similarity: float
    differences: list[LineDifference] = field(default_factory=list)


def strip_number_prefixes(text: str) -> str | None:
    """Remove ``cat -n`` prefixes pasted from Read output, when every line carries one; else None."""
    lines = text.split("\n")
    if not lines or not all(_NUMBER_PREFIX.match(line) for line in lines):
        return None
    return "\n".join(_NUMBER_PREFIX.sub("", line, count=1) for line in lines)


def strip_some_number_prefixes(text: str) -> str | None:
    """Like :func:`strip_number_prefixes` when only some lines (the first among them) carry a prefix."""
    lines = text.split("\n")
    if not _NUMBER_PREFIX.match(lines[0]):
        return None
    return "\n".join(_NUMBER_PREFIX.sub("", line, count=1) for line in lines)


def prefix_line_number(text: str) -> int | None:
    """The line number in a pasted ``cat -n`` prefix on the first line of ``text``, if any."""
    match = _NUMBER_PREFIX.match(text)
    return int(match.group(0).strip().rstrip("→").strip()) if match else None


def line_numbers_of(text: str, needle: str) -> list[int]:
    """1-based line numbers where each (non-overlapping) occurrence of ``needle`` starts."""
    numbers: list[int] = []
    start = text.find(needle)
    while start != -1 and needle:
        numbers.append(text.count("\n", 0, start) + 1)
        start = text.find(needle, start + len(needle))
    return numbers


def _norm(line: str) -> str:
    return " ".join(line.split())


def _similarity(file_line: str, old_line: str) -> float:
    if file_line == old_line:
        return 1.0
    a, b = _norm(file_line), _norm(old_line)
    if a == b:
        return 0.95
    return 0.9 * difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _candidate_starts(file_lines: list[str], old_lines: list[str]) -> list[int]:
    span = len(old_lines)
    last_start = max(0, len(file_lines) - span)
    by_norm: dict[str, list[int]] = {}
    for index, line in enumerate(file_lines):
        key = _norm(line)
        if key:
            by_norm.setdefault(key, []).append(index)
    hits: Counter[int] = Counter()
    for offset, old_line in enumerate(old_lines):
        for index in by_norm.get(_norm(old_line), []):
            hits[min(max(0, index - offset), last_start)] += 1
    if not hits:
        # Nothing equal even up to whitespace: anchor on the most similar line to the longest old line.
        anchor_offset, anchor = max(enumerate(old_lines), key=lambda pair: len(_norm(pair[1])))
        for key in _close_lines(_norm(anchor), list(by_norm)):
            for index in by_norm[key]:
                hits[min(max(0, index - anchor_offset), last_start)] += 1
    return [start for start, _ in hits.most_common(_MAX_CANDIDATES)]


def _close_lines(anchor: str, keys: list[str], *, keep: int = 5) -> list[str]:
    """The file lines most like ``anchor``: pre-filtered by shared words (fast), ranked by difflib."""
    words = set(_WORD.findall(anchor))
    if words and len(keys) > 200:
        scored = sorted(((len(words.intersection(_WORD.findall(key))), key) for key in keys), reverse=True)
        keys = [key for shared, key in scored[:200] if shared]
    return difflib.get_close_matches(anchor, keys, n=keep, cutoff=0.5)


def _describe_indent(prefix: str) -> str:
    if not prefix:
        return "no indentation"
    tabs, spaces = prefix.count("\t"), prefix.count(" ")
    parts = []
    if tabs:
        parts.append(f"{tabs} tab{'s' if tabs != 1 else ''}")
    if spaces:
        parts.append(f"{spaces} space{'s' if spaces != 1 else ''}")
    return " + ".join(parts)


def describe_line(number: int, file_line: str, old_line: str) -> LineDifference | None:
    if file_line == old_line:
        return None
    if file_line.rstrip("\r") == old_line.rstrip("\r"):
        return LineDifference(number, "line_ending", "line endings differ (CRLF vs LF)")
    if file_line.strip() == old_line.strip():
        lead_file = file_line[: len(file_line) - len(file_line.lstrip())]
        lead_old = old_line[: len(old_line) - len(old_line.lstrip())]
        if lead_file != lead_old:
            return LineDifference(
                number,
                "indentation",
                f"indentation differs: the file has {_describe_indent(lead_file)}, "
                f"old_string has {_describe_indent(lead_old)}",
            )
        return LineDifference(number, "trailing_whitespace", "trailing whitespace differs")
    if _norm(file_line) == _norm(old_line):
        return LineDifference(number, "inner_whitespace", "whitespace inside the line differs")
    fragment = _fragment_in_line(file_line, old_line)
    if fragment is not None:
        return LineDifference(
            number,
            "inner_whitespace",
            f"whitespace differs: the file has {fragment!r}, old_string has {old_line.strip()!r}",
        )
    if _NUMBER_PREFIX.match(old_line) and _NUMBER_PREFIX.sub("", old_line, count=1) == file_line:
        return LineDifference(
            number,
            "line_number_prefix",
            "old_string starts with a line-number prefix pasted from Read output; leave it out",
        )
    a, b = file_line.rstrip("\r"), old_line.rstrip("\r")
    column = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))) + 1
    return LineDifference(
        number,
        "text",
        f"text differs from column {column}: file has {file_line.strip()!r}, old_string has {old_line.strip()!r}",
    )


def _fragment_in_line(file_line: str, old_line: str) -> str | None:
    """The part of ``file_line`` that equals ``old_line`` but for whitespace (old_line a fragment)."""
    squeezed_old = "".join(old_line.split())
    if not squeezed_old:
        return None
    kept = [i for i, ch in enumerate(file_line) if not ch.isspace()]
    at = "".join(file_line[i] for i in kept).find(squeezed_old)
    if at == -1:
        return None
    fragment = file_line[kept[at] : kept[at + len(squeezed_old) - 1] + 1]
    return fragment if fragment != old_line.strip() else None


def _aligned(window: list[str], old_lines: list[str], first_line: int) -> tuple[float, list[LineDifference]]:
    """Align ``old_lines`` with a file ``window`` line by line (blank or missing lines included)."""
    matcher = difflib.SequenceMatcher(
        None, [_norm(line) for line in window], [_norm(line) for line in old_lines], autojunk=False
    )
    score = 0.0
    differences: list[LineDifference] = []
    for tag, f1, f2, o1, o2 in matcher.get_opcodes():
        if tag in ("equal", "replace") and f2 - f1 == o2 - o1:
            for offset in range(f2 - f1):
                file_line, old_line = window[f1 + offset], old_lines[o1 + offset]
                score += _similarity(file_line, old_line)
                diff = describe_line(first_line + f1 + offset, file_line, old_line)
                if diff is not None:
                    differences.append(diff)
            continue
        for index in range(f1, f2):
            text = window[index].strip()
            shown = f"{text!r}" if text else "a blank line"
            differences.append(
                LineDifference(
                    first_line + index, "missing_line", f"the file has {shown} here, which old_string lacks"
                )
            )
        for index in range(o1, o2):
            text = old_lines[index].strip()
            shown = f"{text!r}" if text else "a blank line"
            differences.append(
                LineDifference(
                    first_line + f1,
                    "extra_line",
                    f"old_string has {shown} here, which the file does not have",
                )
            )
    return score, differences


def find_near_match(file_text: str, old_string: str) -> NearMatch | None:
    """The file region most similar to ``old_string``, with per-line differences; None if nothing is close."""
    file_lines = file_text.split("\n")
    old_lines = old_string.split("\n")
    while len(old_lines) > 1 and old_lines[-1] == "":
        old_lines.pop()
    if not any(line.strip() for line in old_lines):
        return None
    span = len(old_lines)
    best: tuple[float, int] | None = None
    for start in _candidate_starts(file_lines, old_lines):
        window = file_lines[start : start + span]
        score = sum(_similarity(a, b) for a, b in zip(window, old_lines, strict=False)) / span
        if best is None or score > best[0]:
            best = (score, start)
    if best is None or best[0] < 0.3:
        return None
    # Refine: the region may be a few lines longer or shorter (a blank line added or dropped).
    chosen: tuple[float, int, int, list[LineDifference]] | None = None
    chosen_key: tuple[float, int, int, int] = (0.0, 0, 0, 0)
    for start in range(max(0, best[1] - 2), min(len(file_lines), best[1] + 3)):
        for length in range(max(1, span - 2), span + 3):
            window = file_lines[start : start + length]
            if len(window) < length:
                continue
            score, differences = _aligned(window, old_lines, start + 1)
            # Rank by how much of old_string the region accounts for, then by fewest differences.
            key = (round(score / span, 6), -len(differences), -abs(length - span), -abs(start - best[1]))
            if chosen is None or key > chosen_key:
                chosen, chosen_key = (score, start, length, differences), key
    if chosen is None:
        return None
    score, start, length, differences = chosen
    return NearMatch(start + 1, start + length, round(score / max(span, length), 3), differences)


__all__ = [
    "LineDifference",
    "NearMatch",
    "describe_line",
    "find_near_match",
    "line_numbers_of",
    "prefix_line_number",
    "strip_number_prefixes",
    "strip_some_number_prefixes",
]
