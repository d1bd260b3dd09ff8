"""Permission modes and decisions."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

Action = Literal["allow", "ask", "deny"]
SEVERITY: dict[str, int] = {"allow": 0, "ask": 1, "deny": 2}


class PermissionMode(StrEnum):
    DEFAULT = "default"
    ACCEPT_EDITS = "acceptEdits"
    PLAN = "plan"
    DONT_ASK = "dontAsk"
    BYPASS = "bypassPermissions"

    @classmethod
    def parse(cls, value: str) -> PermissionMode:
        """Accept the exact name or any case/dash/underscore spelling (``accept-edits``, ``ACCEPTEDITS``)."""
        key = value.replace("-", "").replace("_", "").lower()
        for mode in cls:
            if mode.value.lower() == key:
                return mode
        if key == "bypass":
            return cls.BYPASS
        raise ValueError(f"unknown permission mode '{value}'; valid modes: {', '.join(m.value for m in cls)}")


@dataclass
class SubDecision:
    """The verdict for one simple command inside a Bash command line."""

    command: str
    action: Action
    rule: str | None
    source: str | None
    reason: str
    # Not allowed, and a deny rule could apply once the shell expands it: never allowed, not even
    # in bypassPermissions mode.
    maybe_denied: bool = False


@dataclass
class Decision:
    """What the engine decided for one tool call, and which rule (from which source) decided it."""

    action: Action
    rule: str | None
    source: str | None
    reason: str
    subcommands: list[SubDecision] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.action == "allow"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        subs = [{"decision": sub.pop("action"), **sub} for sub in data.pop("subcommands")]
        return {"decision": data.pop("action"), **data, "subcommands": subs}


__all__ = ["SEVERITY", "Action", "Decision", "PermissionMode", "SubDecision"]
