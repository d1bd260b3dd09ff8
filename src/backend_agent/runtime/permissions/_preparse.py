"""Rewrite shell syntax bashlex cannot parse into an equivalent form it can, without hiding commands.

bashlex fails on three shapes coding agents write all the time:

* a quoted here-document (``<<'EOF'``): its body is literal text, so we keep the operator, drop
  the quotes and replace every punctuation character of the body with ``_``. Nothing in a quoted
  body ever runs, so nothing is hidden; an unquoted body is left as written (the walker checks it).
* ``[[ ... ]]``: becomes ``[ ... ]`` with its operators (``&&``, ``||``, ``<``, ``>``, ``(``,
  ``)``, ``=~``'s regex) quoted, so ``$(...)`` inside still parses and is analysed.
* ``case WORD in PAT) BODY;; ... esac``: becomes ``{ : WORD 'PAT'; BODY; ...; }``: every branch's
  body is kept, so every command any branch could run is analysed.

Anything the scanner does not understand is left untouched: bashlex then fails and the command is
opaque, never allowed by a rule.
"""

from __future__ import annotations

import re

_DELIMITER = re.compile(r"""(?:'[^'\n]*'|"[^"\n]*"|\\.|[^\s;&|<>()'"\\])+""")
_WORD_END = set(" \t\n;&|()<>")


def preparse(source: str) -> str:
    """The source with quoted here-docs neutralised, ``[[ ]]`` and ``case`` rewritten."""
    if "<<" in source:
        source = _neutralise_heredocs(source)
    if "[[" in source:
        source = _rewrite_double_brackets(source)
    if "case" in source and "esac" in source:
        source = _rewrite_case(source)
    return source


# ------------------------------------------------------------------------------ here-documents
def _neutralise_heredocs(source: str) -> str:
    out: list[str] = []
    pending: list[tuple[str, bool, bool]] = []  # (delimiter, quoted, strip tabs)
    stack: list[str] = []  # quoting contexts: '"' or '$(' (paren depth tracked by counting)
    depth: list[int] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        context = stack[-1] if stack else ""
        if ch == "\n" and pending:
            out.append(ch)
            i = _consume_bodies(source, i + 1, pending, out)
            pending = []
            continue
        if context == '"':
            if ch == "\\" and i + 1 < n:
                out.append(source[i : i + 2])
                i += 2
                continue
            if ch == '"':
                stack.pop()
            elif source.startswith("$(", i):
                stack.append("$(")
                depth.append(0)
                out.append("$(")
                i += 2
                continue
            out.append(ch)
            i += 1
            continue
        if ch == "\\" and i + 1 < n:
            out.append(source[i : i + 2])
            i += 2
            continue
        if ch == "'":
            end = source.find("'", i + 1)
            end = n - 1 if end < 0 else end
            out.append(source[i : end + 1])
            i = end + 1
            continue
        if ch == '"':
            stack.append('"')
        elif source.startswith("$(", i):
            stack.append("$(")
            depth.append(0)
            out.append("$(")
            i += 2
            continue
        elif ch == "(" and context == "$(":
            depth[-1] += 1
        elif ch == ")" and context == "$(":
            if depth[-1] == 0:
                stack.pop()
                depth.pop()
            else:
                depth[-1] -= 1
        elif source.startswith("<<", i) and not source.startswith("<<<", i):
            j = i + 2
            strip = j < n and source[j] == "-"
            j += 1 if strip else 0
            k = j
            while k < n and source[k] in " \t":
                k += 1
            match = _DELIMITER.match(source, k)
            if match:
                raw = match.group(0)
                quoted = any(q in raw for q in "'\"\\")
                word = re.sub(r"""['"\\]""", "", raw)
                pending.append((word, quoted, strip))
                operator = source[i:k] + (word if quoted else raw)
                out.append(operator + " " * (match.end() - i - len(operator)))
                i = match.end()
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def _consume_bodies(source: str, start: int, pending: list[tuple[str, bool, bool]], out: list[str]) -> int:
    """Copy here-document bodies after a line, neutralising quoted ones; returns the new index."""
    i = start
    for delimiter, quoted, strip in pending:
        while i < len(source):
            end = source.find("\n", i)
            line = source[i:] if end < 0 else source[i:end]
            nxt = len(source) if end < 0 else end + 1
            finished = (line.lstrip("\t") if strip else line) == delimiter
            if finished or not quoted:
                out.append(source[i:nxt])
            else:
                out.append(re.sub(r"[^\w\s]", "_", line) + ("\n" if end >= 0 else ""))
            i = nxt
            if finished:
                break
    return i


# ---------------------------------------------------------------------------------- [[ ... ]]
_BRACKET_OPERATORS = ("&&", "||", "=~", "<", ">", "(", ")", "!")


def _rewrite_double_brackets(source: str) -> str:
    out: list[str] = []
    i, n = 0, len(source)
    while i < n:
        if (
            source.startswith("[[", i)
            and (i == 0 or source[i - 1] in " \t\n;&|({!")
            and _ends_word(source, i + 2)
        ):
            end = _find_bracket_end(source, i + 2)
            if end is None:
                return source  # unbalanced: leave it to fail (then opaque)
            out.append("[ " + _quote_operators(source[i + 2 : end]) + " ]")
            i = end + 2
            continue
        ch = source[i]
        if ch == "'":
            close = source.find("'", i + 1)
            close = n - 1 if close < 0 else close
            out.append(source[i : close + 1])
            i = close + 1
            continue
        if ch == "\\" and i + 1 < n:
            out.append(source[i : i + 2])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _ends_word(source: str, index: int) -> bool:
    return index >= len(source) or source[index] in " \t\n"


def _find_bracket_end(source: str, start: int) -> int | None:
    i, n = start, len(source)
    while i < n:
        ch = source[i]
        if ch in "'\"":
            close = source.find(ch, i + 1)
            if close < 0:
                return None
            i = close + 1
            continue
        if ch == "\\":
            i += 2
            continue
        if source.startswith("$(", i):
            paren = _matching_paren(source, i + 1)
            if paren is None:
                return None
            i = paren + 1
            continue
        if source.startswith("]]", i) and source[i - 1] in " \t" and _ends_word_or_op(source, i + 2):
            return i
        i += 1
    return None


def _ends_word_or_op(source: str, index: int) -> bool:
    return index >= len(source) or source[index] in _WORD_END


def _matching_paren(source: str, open_index: int) -> int | None:
    depth, i = 0, open_index
    while i < len(source):
        ch = source[i]
        if ch in "'\"":
            close = source.find(ch, i + 1)
            if close < 0:
                return None
            i = close + 1
            continue
        if ch == "\\":
            i += 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _quote_operators(body: str) -> str:
    """Quote the test operators so the shell grammar sees plain words (substitutions stay live)."""
    words: list[str] = []
    i, n = 0, len(body)
    current: list[str] = []
    after_regex = False
    while i <= n:
        ch = body[i] if i < n else " "
        if ch in " \t\n":
            if current:
                word = "".join(current)
                if after_regex and not word.startswith(("$", '"')):
                    word = "'" + word.replace("'", "'\\''") + "'"
                    after_regex = False
                words.append(word)
                after_regex = word == "'=~'" or after_regex
                current = []
            i += 1
            continue
        if ch in "'\"":
            close = body.find(ch, i + 1)
            close = n - 1 if close < 0 else close
            current.append(body[i : close + 1])
            i = close + 1
            continue
        if body.startswith("$(", i):
            paren = _matching_paren(body, i + 1)
            end = n - 1 if paren is None else paren
            current.append(body[i : end + 1])
            i = end + 1
            continue
        operator = next((op for op in _BRACKET_OPERATORS if body.startswith(op, i)), None)
        if operator and not current:
            words.append(f"'{operator}'")
            i += len(operator)
            if operator == "=~":
                after_regex = True
            continue
        current.append(ch)
        i += 1
    return " ".join(words)


# ---------------------------------------------------------------------------------------- case
_CASE = re.compile(r"(?:(?<=^)|(?<=[\s;&|(]))case\s")


def _rewrite_case(source: str) -> str:
    for _ in range(16):  # nested case statements: rewrite the innermost-last one each time
        starts = [m.start() for m in _CASE.finditer(source)]
        if not starts:
            return source
        rewritten = _rewrite_one_case(source, starts[-1])
        if rewritten is None:
            return source
        source = rewritten
    return source


def _rewrite_one_case(source: str, start: int) -> str | None:
    i = start + 4
    tokens = _CaseScanner(source, i)
    subject = tokens.word()
    if subject is None or tokens.word() != "in":
        return None
    parts = [": " + subject]
    while True:
        tokens.skip_space()
        if tokens.peek_word("esac"):
            end = tokens.index + 4
            break
        pattern = tokens.until(")")
        if pattern is None:
            return None
        pattern = pattern.strip().lstrip("(").strip()
        if "$(" in pattern or "`" in pattern:
            return None
        parts.append(": '" + pattern.replace("'", "'\\''") + "'")
        body, terminator = tokens.body()
        if body is None:
            return None
        if body.strip():
            parts.append(body.strip().rstrip(";"))
        if terminator == "esac":
            end = tokens.index
            break
    return source[:start] + "{ " + "; ".join(parts) + "; }" + source[end:]


class _CaseScanner:
    def __init__(self, source: str, index: int):
        self.source = source
        self.index = index

    def skip_space(self) -> None:
        while self.index < len(self.source) and self.source[self.index] in " \t\n;":
            if self.source[self.index] == ";" and not self.source.startswith(";;", self.index):
                break
            self.index += 1

    def word(self) -> str | None:
        self.skip_space()
        start = self.index
        while self.index < len(self.source) and self.source[self.index] not in " \t\n;":
            ch = self.source[self.index]
            if ch in "'\"":
                close = self.source.find(ch, self.index + 1)
                if close < 0:
                    return None
                self.index = close
            self.index += 1
        return self.source[start : self.index] or None

    def peek_word(self, word: str) -> bool:
        return self.source.startswith(word, self.index) and _ends_word_or_op(
            self.source, self.index + len(word)
        )

    def until(self, stop: str) -> str | None:
        start = self.index
        while self.index < len(self.source):
            ch = self.source[self.index]
            if ch in "'\"":
                close = self.source.find(ch, self.index + 1)
                if close < 0:
                    return None
                self.index = close + 1
                continue
            if ch == stop:
                self.index += 1
                return self.source[start : self.index - 1]
            self.index += 1
        return None

    def body(self) -> tuple[str | None, str]:
        """The branch body up to ``;;``/``;&``/``;;&`` or ``esac``; returns (body, terminator)."""
        start, depth = self.index, 0
        src = self.source
        while self.index < len(src):
            ch = src[self.index]
            if ch in "'\"":
                close = src.find(ch, self.index + 1)
                if close < 0:
                    return None, ""
                self.index = close + 1
                continue
            if ch == "\\":
                self.index += 2
                continue
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            if depth == 0:
                for terminator in (";;&", ";;", ";&"):
                    if src.startswith(terminator, self.index):
                        body = src[start : self.index]
                        self.index += len(terminator)
                        return body, terminator
                before = src[self.index - 1] if self.index else " "
                if (
                    src.startswith("esac", self.index)
                    and before in " \t\n;"
                    and _ends_word_or_op(src, self.index + 4)
                ):
                    body = src[start : self.index]
                    self.index += 4
                    return body, "esac"
            self.index += 1
        return None, ""


__all__ = ["preparse"]
