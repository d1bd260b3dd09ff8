"""Redaction of secrets in stored transcripts and logs: environment secrets and common key shapes."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"
SECRET_NAME = re.compile(r"(KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|AUTH)", re.IGNORECASE)
KEY_PATTERNS = [
    re.compile(r"sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{20,}"),  # Anthropic / OpenAI
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),  # GitHub tokens
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{40,}\b"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}\b"),  # Slack
    re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),  # Google API key
    re.compile(r"\beyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\b"),  # JWT
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
    # Patterns with a ``secret`` group keep their context and replace only that group.
    re.compile(r"(?i)\bBearer\s+(?P<secret>[A-Za-z0-9._~+/\-]{16,}=*)"),  # Authorization headers
    re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s:/@]+:(?P<secret>[^\s@/]{4,})@"),  # user:password@host URLs
]


# ``password = "..."``, ``DB_PASSWORD=...``, ``"api_key": "..."``, ``secret: ...`` (YAML), ``--password x``:
# a name that says secret, an assignment, and a literal value (quoted, or a bare word that is not code
# such as ``os.environ["X"]`` or ``get_secret()``).
ASSIGNMENT = re.compile(
    r"""(?ix)
    (?P<name>[A-Za-z0-9_.-]*(?:password|passwd|passphrase|pwd|secret|api[_-]?key|access[_-]?key|private[_-]?key
        |auth[_-]?token|access[_-]?token|refresh[_-]?token|client[_-]?secret|token)[A-Za-z0-9_]*)
    (?P<sep>["']?\s*(?:=|:(?!//)|\s)\s*)
    (?:"(?P<dq>[^"\n]{3,})"|'(?P<sq>[^'\n]{3,})'|(?P<bare>[^\s"'`,;(){}\[\]<>]{4,})(?=[\s"'`,;)}\]>]|$))
    """
)
_NOT_LITERAL = re.compile(
    r"^(?:\$\{?[A-Za-z_]|\*+$|<[^>]*>$|(?:os|env|process|settings|config|self)\.)|\.(?:get|env)\b"
)


def _assignment(match: re.Match[str]) -> str:
    value = match.group("dq") or match.group("sq") or match.group("bare") or ""
    sep = match.group("sep")
    if (
        _NOT_LITERAL.search(value)
        or value == REDACTED
        or value.replace(".", "").isdigit()  # a count or a version, not a secret
        or (match.group("bare") is not None and sep.strip() == "" and not match.group("name").startswith("-"))
    ):
        return match.group(0)  # a reference, a placeholder, or prose ("token budget") rather than a value
    start = (
        match.start("dq")
        if match.group("dq")
        else match.start("sq")
        if match.group("sq")
        else match.start("bare")
    )
    end = start + len(value)
    whole = match.group(0)
    offset = match.start()
    return whole[: start - offset] + REDACTED + whole[end - offset :]


def _keep_context(match: re.Match[str]) -> str:
    whole, start = match.group(0), match.start()
    return whole[: match.start("secret") - start] + REDACTED + whole[match.end("secret") - start :]


class Redactor:
    """Replaces secret values with ``[REDACTED]``; build once per run (it snapshots the environment)."""

    def __init__(self, environ: Mapping[str, str] | None = None, *, extra: list[str] | None = None) -> None:
        env = os.environ if environ is None else environ
        values = {value for name, value in env.items() if SECRET_NAME.search(name) and len(value) >= 8}
        values.update(v for v in extra or [] if len(v) >= 4)
        # Longest first, so a secret that contains another is replaced whole.
        self._literals = sorted(values, key=len, reverse=True)
        self._cache: dict[str, str] = {}

    def text(self, value: str) -> str:
        if len(value) < 8:
            return value
        cached = self._cache.get(value)
        if cached is not None:
            return cached
        result = self._redact(value)
        if len(self._cache) > 2048:
            self._cache.clear()
        self._cache[value] = result  # system prompts and tool outputs repeat in every saved step
        return result

    def _redact(self, value: str) -> str:
        for literal in self._literals:
            if literal in value:
                value = value.replace(literal, REDACTED)
        for pattern in KEY_PATTERNS:
            if "secret" in pattern.groupindex:
                value = pattern.sub(_keep_context, value)
            else:
                value = pattern.sub(REDACTED, value)
        return ASSIGNMENT.sub(_assignment, value)

    def data(self, value: Any) -> Any:
        """Redact every string inside a JSON-like structure."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.data(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.data(item) for item in value]
        return value


__all__ = ["REDACTED", "Redactor"]
