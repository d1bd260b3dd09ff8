"""The gate contract: every gate says whether it applies, runs with a time bound, and returns evidence."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

# The three outcomes kept apart: "fail" = the project falls short of a standard (its findings say
# where); "error" = check could not run the gate (the summary starts with the cause, ``hint`` is the
# fix); "skip" = the gate does not apply to this project. "pass" = it ran and met the standard.
GateStatus = Literal["pass", "fail", "skip", "error"]


class Finding(BaseModel):
    """One concrete shortfall: what, where, how bad, and how to fix it."""

    rule: str  # e.g. "bandit:B608", "probe:bola", "load:p95"
    message: str
    severity: Literal["low", "medium", "high", "critical", "info"] = "medium"
    file: str | None = None
    line: int | None = None
    operation: str | None = None  # e.g. "GET /api/items/{id}"
    hint: str | None = None
    fingerprint: str | None = None  # set by the report: identity across runs (for --baseline)
    in_baseline: bool = False  # set by the report: already present in the --baseline report


class GateResult(BaseModel):
    """The outcome of one gate with its evidence (metrics, raw tool output excerpts, findings)."""

    gate: str
    status: GateStatus
    summary: str
    findings: list[Finding] = Field(default_factory=list)
    metrics: dict[str, Any] = Field(default_factory=dict)
    evidence: dict[str, Any] = Field(default_factory=dict)
    hint: str | None = None
    duration_s: float = 0.0


class Target(BaseModel):
    """The backend project being checked, and how to start it."""

    root: Path
    app: str | None = None  # "package.module:app"
    start_command: list[str] | None = None  # overrides uvicorn start; "{port}" is substituted
    database_url: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)  # from [tool.backend-agent] / backend-agent.toml


class Gate(ABC):
    """A quality gate. Subclasses set ``name`` and implement ``applicable`` and ``run``."""

    name: ClassVar[str]
    description: ClassVar[str]
    timeout_s: ClassVar[float] = 300.0
    # True when the gate may run beside other parallel-safe gates: it starts no service and
    # measures no latency, so sharing the CPU only slows it down.
    parallel_safe: ClassVar[bool] = False

    @abstractmethod
    def applicable(self, target: Target) -> str | None:
        """Return None when the gate applies, else the reason it is skipped."""

    @abstractmethod
    def run(self, target: Target) -> GateResult:
        """Run the gate; failures of the checked project are results, not exceptions."""


def could_not_run(gate: str, cause: str, fix: str, *, evidence: dict[str, Any] | None = None) -> GateResult:
    """The result of a gate check could not run: the cause first, then the fix that is right."""
    return GateResult(gate=gate, status="error", summary=cause, hint=fix or None, evidence=evidence or {})


_progress = threading.local()


def set_progress_sink(sink: Callable[[str], None] | None) -> None:
    """Route ``note`` calls made on this thread to ``sink`` (the runner sets it per gate worker)."""
    _progress.sink = sink


def note(message: str) -> None:
    """Record a step a gate has finished ("bandit: 3 findings"); shown live and kept for timeouts."""
    sink: Callable[[str], None] | None = getattr(_progress, "sink", None)
    if sink is not None:
        sink(message)


__all__ = ["Finding", "Gate", "GateResult", "GateStatus", "Target", "could_not_run", "note", "set_progress_sink"]
