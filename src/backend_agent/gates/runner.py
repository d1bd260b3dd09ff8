"""Running gates one after another, each in a worker thread with a time bound.

A gate runs on a daemon thread; the calling thread waits for its result and relays its progress
notes as events, so every ``on_event`` call happens on the caller's thread. When the time bound
passes, every process the gate started through ``_proc`` is killed and the gate is reported as
failed with the steps it had finished. Ctrl-C kills those processes too and is re-raised.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from backend_agent.gates._proc import kill_all
from backend_agent.gates.base import Finding, Gate, GateResult, Target, set_progress_sink
from backend_agent.gates.registry import GateImportError, load_gate, select

if TYPE_CHECKING:
    from backend_agent.report import CheckReport


@dataclass(frozen=True)
class GateEvent:
    """Progress of a check run: a gate started, noted a step, or finished with a result."""

    kind: Literal["start", "note", "finish"]
    gate: str
    message: str = ""
    result: GateResult | None = None


EventCallback = Callable[[GateEvent], None]


def _timeout_for(gate: Gate, target: Target) -> float:
    options = target.options.get(gate.name)
    if isinstance(options, dict) and isinstance(options.get("timeout_s"), int | float):
        return float(options["timeout_s"])
    return float(gate.timeout_s)


def _in_worker(gate: Gate, target: Target, inbox: queue.Queue[tuple[str, Any]]) -> None:
    set_progress_sink(lambda message: inbox.put(("note", message)))
    try:
        inbox.put(("result", gate.run(target)))
    except BaseException as exc:  # a crashing gate becomes an "error" result, never a crashed check
        inbox.put(("crash", (exc, traceback.format_exc())))
    finally:
        set_progress_sink(None)


def run_gate(gate: Gate, target: Target, *, on_event: EventCallback | None = None) -> GateResult:
    """Run one gate with its time bound; never raises except KeyboardInterrupt."""
    emit = on_event or (lambda event: None)
    started = time.monotonic()
    try:
        reason = gate.applicable(target)
    except Exception as exc:
        return GateResult(gate=gate.name, status="error", summary=f"applicable() failed: {exc}")
    if reason:
        return GateResult(gate=gate.name, status="skip", summary=reason)
    timeout_s = _timeout_for(gate, target)
    inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
    worker = threading.Thread(target=_in_worker, args=(gate, target, inbox), name=f"gate-{gate.name}", daemon=True)
    notes: list[str] = []
    worker.start()
    try:
        while True:
            remaining = started + timeout_s - time.monotonic()
            if remaining <= 0:
                return _timed_out(gate, timeout_s, notes, worker)
            try:
                kind, payload = inbox.get(timeout=min(remaining, 0.25))
            except queue.Empty:
                continue
            if kind == "note":
                notes.append(str(payload))
                emit(GateEvent("note", gate.name, str(payload)))
            elif kind == "result":
                result: GateResult = payload
                if notes and "steps" not in result.evidence:
                    result.evidence["steps"] = notes
                return result
            else:
                crash, trace = payload
                return GateResult(
                    gate=gate.name,
                    status="error",
                    summary=f"the gate crashed: {type(crash).__name__}: {crash}",
                    evidence={"traceback": trace[-6000:], "steps": notes},
                    hint="this is a bug in backend-agent's gate; please report it with the traceback",
                )
    except KeyboardInterrupt:
        kill_all()
        raise


def _timed_out(gate: Gate, timeout_s: float, notes: list[str], worker: threading.Thread) -> GateResult:
    kill_all()
    worker.join(timeout=5)
    done = "; ".join(notes) if notes else "no step had finished"
    return GateResult(
        gate=gate.name,
        status="fail",
        summary=f"timed out after {timeout_s:g} s (done so far: {done})",
        findings=[
            Finding(
                rule=f"{gate.name}:timeout",
                message=f"{gate.name} did not finish within {timeout_s:g} s",
                severity="high",
                hint=f"make the project faster or raise [tool.backend-agent.{gate.name}] timeout_s",
            )
        ],
        evidence={"steps": notes},
    )


def run_gates(
    target: Target,
    *,
    gates: list[str] | tuple[str, ...] | None = None,
    skip: list[str] | tuple[str, ...] = (),
    fast: bool = False,
    on_event: EventCallback | None = None,
) -> CheckReport:
    """Run the selected gates on ``target`` in registry order and return the report.

    ``gates``/``skip`` default to the target's configured lists. Unknown names raise UsageError.
    """
    from backend_agent.report import build_report

    emit = on_event or (lambda event: None)
    names = select(
        gates=gates if gates else target.options.get("gates"),
        skip=tuple(skip) or tuple(target.options.get("skip") or ()),
        fast=fast,
    )
    target = target.model_copy(update={"options": {**target.options, "fast": fast}})
    started_at = datetime.now(UTC)
    results: list[GateResult] = []
    for name in names:
        emit(GateEvent("start", name))
        began = time.monotonic()
        try:
            gate = load_gate(name)
        except GateImportError as exc:
            result = GateResult(
                gate=name,
                status="error",
                summary=str(exc),
                hint="the gate's module failed to import; reinstall backend-agent or report the bug",
            )
        else:
            result = run_gate(gate, target, on_event=emit)
        result.duration_s = round(time.monotonic() - began, 3)
        results.append(result)
        emit(GateEvent("finish", name, result.summary, result))
    return build_report(target=target, results=results, started_at=started_at, profile="fast" if fast else "full")


__all__ = ["EventCallback", "GateEvent", "run_gate", "run_gates"]
