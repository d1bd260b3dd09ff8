"""A fast, exact tokenizer for plain command lines; anything else goes to the full bashlex parser.

Most commands agents run are words, quotes, pipes, ``&&``/``||``/``;`` and simple redirections.
For exactly that subset the shell's rules are short: a single-quoted string is literal, a double-
quoted one without ``$``, backquote, backslash or ``!`` is literal, and an unquoted word is a run of
non-metacharacters. Any other character outside single quotes (``$`` `` ` `` ``\\`` ``(`` ``)`` ``{``
``}`` ``*`` ``?`` ``[`` ``]`` ``~`` ``!`` ``#`` ``&`` alone, newlines, ``<<``) makes ``split_plain``
return None, and the caller parses the full grammar instead. So the fast path never guesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_UNQUOTED_FALLBACK = set("$`\\(){}*?[]~!#\n\r\0")
_DQUOTED_FALLBACK = set("$`\\!")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_REDIRECT = re.compile(r"^(\d*)(>>|>\||>&|>|<>|<&|<)$")


@dataclass
class PlainCommand:
    words: list[str] = field(default_factory=list)
    assigned: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)


_RESERVED = {"if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until", "do",
             "done", "in", "function", "time", "coproc", "[[", "]]"}  # fmt: skip


def _tokens(source: str) -> list[tuple[str, bool]] | None:
    """(token, is_operator) pairs, or None when the line needs the full parser.

    A word that is an unquoted ``NAME=...`` keeps a leading ``\0`` marker so assignments can be told
    from quoted look-alikes.
    """
    tokens: list[tuple[str, bool]] = []
    current: list[str] = []
    has_word = False
    start = 0
    i, n = 0, len(source)

    def flush() -> bool:
        nonlocal has_word
        if has_word:
            raw = source[start:i]
            word = "".join(current)
            tokens.append(("\0" + word if _ASSIGNMENT.match(raw) else word, False))
        current.clear()
        has_word = False
        return True

    while i < n:
        ch = source[i]
        if not has_word:
            start = i
        if ch == "'":
            end = source.find("'", i + 1)
            if end < 0:
                return None
            current.append(source[i + 1 : end])
            has_word = True
            i = end + 1
            continue
        if ch == '"':
            end = source.find('"', i + 1)
            if end < 0:
                return None
            body = source[i + 1 : end]
            if _DQUOTED_FALLBACK & set(body):
                return None
            current.append(body)
            has_word = True
            i = end + 1
            continue
        if ch in _UNQUOTED_FALLBACK:
            return None
        if ch in " \t":
            if not flush():
                return None
            i += 1
            continue
        if ch in "|&;<>":
            operator = _operator(source, i)
            if operator is None:
                return None
            digits = (
                "".join(current)
                if has_word and "".join(current).isdigit() and ch in "<>" and not _quoted_before(source, i)
                else ""
            )
            if digits:
                current.clear()
                has_word = False
            if not flush():
                return None
            tokens.append((digits + operator, True))
            i += len(operator)
            continue
        current.append(ch)
        has_word = True
        i += 1
    if not flush():
        return None
    return tokens


def _quoted_before(source: str, index: int) -> bool:
    return index > 0 and source[index - 1] in "'\""


def _operator(source: str, i: int) -> str | None:
    for operator in ("&&", "||", ">>", ">|", ">&", "<>", "<&", "&>", "|", ";", ">", "<"):
        if source.startswith(operator, i):
            if operator in ("<", ">>", ">") and source.startswith(("<<", "<("), i):
                return None
            if operator == "&>" or (operator == "|" and source.startswith("|&", i)):
                return None
            return operator
    return None  # a lone `&` (background) or anything unusual


def split_plain(source: str) -> list[PlainCommand] | None:
    """The simple commands of a plain command line, or None when it needs the full parser."""
    if not source or len(source) > 4000:
        return None
    tokens = _tokens(source)
    if not tokens:
        return None
    commands: list[PlainCommand] = []
    current = PlainCommand()
    index = 0
    while index < len(tokens):
        token, is_operator = tokens[index]
        if is_operator and token in ("&&", "||", "|", ";"):
            if not (current.words or current.assigned or current.writes or current.reads):
                return None  # `| x`, `;;` and the like: let the real parser report it
            commands.append(current)
            current = PlainCommand()
            index += 1
            continue
        if is_operator:
            match = _REDIRECT.match(token)
            if match is None or index + 1 >= len(tokens) or tokens[index + 1][1]:
                return None
            target = tokens[index + 1][0]
            kind = match.group(2)
            if kind in (">&", "<&"):
                if not (target.isdigit() or target == "-"):
                    return None
            elif kind in (">", ">>", ">|"):
                current.writes.append(target)
            elif kind == "<":
                current.reads.append(target)
            else:  # <>
                current.writes.append(target)
                current.reads.append(target)
            index += 2
            continue
        if token.startswith("\0"):
            if current.words:
                current.words.append(token[1:])  # `echo A=b`: an ordinary word after the command name
            else:
                current.assigned.append(token[1:].split("=", 1)[0])
        else:
            if not current.words and token in _RESERVED:
                return None  # `if`, `for`, `time`, ... in command position: the full grammar decides
            current.words.append(token)
        index += 1
    if not (current.words or current.assigned or current.writes or current.reads):
        return None  # a trailing operator
    commands.append(current)
    return commands


__all__ = ["PlainCommand", "split_plain"]
