"""The one exception tree of backend-agent.

    BackendAgentError            a problem a human must fix; the CLI prints it and exits non-zero
     ├── UsageError              bad command-line usage (exit code 2)
     ├── ConfigError             bad settings, model configuration, .mcp.json, hooks
     ├── DefinitionError         an agent definition file that cannot be recovered
     ├── BlueprintError          one or more blueprint problems, each located
     ├── PermissionDenied        a tool call refused by the permission engine
     ├── ToolError               a tool failed in a way the model must be told about
     ├── GenerationError         a service could not be generated
     └── GateError               a quality gate could not run

Each error carries a message that says what failed, where, and what to do (``hint``).
Signals that steer the agent loop (budgets, retries) are not errors and live in ``runtime``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file and, when known, a line, a column and a key path."""

    file: str
    line: int | None = None
    column: int | None = None
    key_path: str | None = None

    def __str__(self) -> str:
        text = self.file
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        if self.key_path:
            text += f" ({self.key_path})"
        return text


@dataclass
class Problem:
    """One located problem, as reported to a user."""

    message: str
    location: Location | None = None
    expected: str | None = None
    hint: str | None = None
    severity: str = "error"  # "error" or "warning"
    extra: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        """The problem as JSON-ready data (``--json`` output, agent tool results)."""
        loc = self.location
        return {
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "key_path": loc.key_path if loc else None,
            "message": self.message,
            "expected": self.expected,
            "hint": self.hint,
            "severity": self.severity,
        }

    def __str__(self) -> str:
        parts = [f"{self.location}: " if self.location else "", self.message]
        if self.expected:
            parts.append(f"; expected {self.expected}")
        if self.hint:
            parts.append(f" (hint: {self.hint})")
        return "".join(parts)


class BackendAgentError(Exception):
    """Base of every error a user must act on."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.problems: list[Problem] = list(problems or [])

    def __str__(self) -> str:
        lines = [self.message]
        lines.extend(f"  {problem}" for problem in self.problems)
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


class UsageError(BackendAgentError):
    exit_code = 2


class ConfigError(BackendAgentError):
    pass


class DefinitionError(BackendAgentError):
    pass


class BlueprintError(BackendAgentError):
    pass


class PermissionDenied(BackendAgentError):
    exit_code = 4


class ToolError(BackendAgentError):
    pass


class GenerationError(BackendAgentError):
    pass


class GateError(BackendAgentError):
    pass


__all__ = [
    "BackendAgentError",
    "BlueprintError",
    "ConfigError",
    "DefinitionError",
    "GateError",
    "GenerationError",
    "Location",
    "PermissionDenied",
    "Problem",
    "ToolError",
    "UsageError",
]
