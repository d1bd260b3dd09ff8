"""Running gates, each in a worker thread with a time bound.

Each gate runs on a daemon thread; the calling thread polls the workers, relays their progress
notes as events (so every ``on_event`` call happens on the caller's thread) and enforces time
bounds. Consecutive ``parallel_safe`` gates (tests, static analysis, IaC policy, migrations) run
side by side, up to ``max_parallel`` at once; the others (which start the service or measure
latency) run alone. When a gate's time bound passes, the processes it started are killed and it
fails with the steps it had finished. Ctrl-C kills every started process and is re-raised.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from backend_agent.gates._pgserver import stop_own_postgres
from backend_agent.gates._proc import kill_all, kill_owned, reset_stop, set_owner, stop_all
from backend_agent.gates._projectenv import EnvironmentUnavailable, forget_environments, project_environment
from backend_agent.gates.base import Finding, Gate, GateResult, Target, set_progress_sink
from backend_agent.gates.registry import GateImportError, load_gate, select

POLL_S = 0.1
DEFAULT_PARALLEL = 4


@dataclass(frozen=True)
class GateEvent:
    """Progress of a check run: a gate started, noted a step, or finished with a result."""

    kind: Literal["start", "note", "finish"]
    gate: str
    message: str = ""
    result: GateResult | None = None


EventCallback = Callable[[GateEvent], None]


@dataclass
class CheckRun:
    """What ``run_gates`` did: the target, each gate's result (registry order) and when.

    The caller (the CLI, the agent's Check tool) turns it into a report with
    ``backend_agent.report.build_report``; the gates part knows nothing of reports.
    """

    target: Target
    gates: list[GateResult]
    started_at: datetime
    finished_at: datetime
    profile: Literal["full", "fast"] = "full"

    def gate(self, name: str) -> GateResult | None:
        return next((result for result in self.gates if result.gate == name), None)


def _timeout_for(gate: Gate, target: Target) -> float:
    options = target.options.get(gate.name)
    if isinstance(options, dict) and isinstance(options.get("timeout_s"), int | float):
        return float(options["timeout_s"])
    return float(gate.timeout_s)


def _in_worker(gate: Gate, target: Target, inbox: queue.Queue[tuple[str, Any]]) -> None:
    set_owner(gate.name)
    set_progress_sink(lambda message: inbox.put(("note", message)))
    try:
        inbox.put(("result", gate.run(target)))
    except BaseException as exc:  # a crashing gate becomes an "error" result, never a crashed check
        inbox.put(("crash", (exc, traceback.format_exc())))
    finally:
        set_progress_sink(None)
        set_owner(None)


@dataclass
class _Running:
    """One gate in flight: its worker thread, its inbox and what it has reported so far."""

    gate: Gate
    timeout_s: float
    inbox: queue.Queue[tuple[str, Any]] = field(default_factory=queue.Queue)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    worker: threading.Thread | None = None

    def start(self, target: Target) -> None:
        self.worker = threading.Thread(
            target=_in_worker, args=(self.gate, target, self.inbox), name=f"gate-{self.gate.name}", daemon=True
        )
        self.worker.start()

    def poll(self, emit: EventCallback) -> GateResult | None:
        """Relay pending notes; return the result once the gate finished or ran out of time."""
        while True:
            try:
                kind, payload = self.inbox.get_nowait()
            except queue.Empty:
                break
            if kind == "note":
                self.notes.append(str(payload))
                emit(GateEvent("note", self.gate.name, str(payload)))
            elif kind == "result":
                result: GateResult = payload
                if self.notes and "steps" not in result.evidence:
                    result.evidence["steps"] = self.notes
                return result
            else:
                return self._crashed(*payload)
        if time.monotonic() - self.started >= self.timeout_s:
            return self._timed_out()
        return None

    def _crashed(self, exc: BaseException, trace: str) -> GateResult:
        return GateResult(
            gate=self.gate.name,
            status="error",
            summary=f"the gate crashed: {type(exc).__name__}: {exc}",
            evidence={"traceback": trace[-6000:], "steps": self.notes},
            hint="this is a bug in backend-agent's gate; please report it with the traceback",
        )

    def _timed_out(self) -> GateResult:
        name = self.gate.name
        kill_owned(name)
        if self.worker is not None:
            self.worker.join(timeout=5)
        done = "; ".join(self.notes) if self.notes else "no step had finished"
        return GateResult(
            gate=name,
            status="fail",
            summary=f"timed out after {self.timeout_s:g} s (done so far: {done})",
            findings=[
                Finding(
                    rule=f"{name}:timeout",
                    message=f"{name} did not finish within {self.timeout_s:g} s",
                    severity="high",
                    hint=f"make the project faster or raise [tool.backend-agent.{name}] timeout_s",
                )
            ],
            evidence={"steps": self.notes},
        )


def _prepare(gate: Gate, target: Target) -> GateResult | _Running:
    """A skip/error result when the gate does not apply, else a started run."""
    try:
        reason = gate.applicable(target)
    except Exception as exc:
        return GateResult(gate=gate.name, status="error", summary=f"applicable() failed: {exc}")
    if reason:
        return GateResult(gate=gate.name, status="skip", summary=reason)
    running = _Running(gate=gate, timeout_s=_timeout_for(gate, target))
    running.start(target)
    return running


def run_gate(gate: Gate, target: Target, *, on_event: EventCallback | None = None) -> GateResult:
    """Run one gate with its time bound; never raises except KeyboardInterrupt."""
    emit = on_event or (lambda event: None)
    began = time.monotonic()
    reset_stop()
    prepared = _prepare(gate, target)
    try:
        while isinstance(prepared, _Running):
            result = prepared.poll(emit)
            if result is not None:
                prepared = result
            else:
                time.sleep(POLL_S)
    except KeyboardInterrupt:
        if isinstance(prepared, _Running):
            _stop([prepared])
        raise
    prepared.duration_s = round(time.monotonic() - began, 3)
    return prepared


def _load(name: str) -> Gate | GateResult:
    try:
        return load_gate(name)
    except GateImportError as exc:
        return GateResult(
            gate=name,
            status="error",
            summary=str(exc),
            hint="the gate's module failed to import; reinstall backend-agent or report the bug",
        )


def _schedule(
    names: list[str], target: Target, emit: EventCallback, max_parallel: int
) -> dict[str, GateResult]:
    pending = [(name, _load(name)) for name in names]
    running: dict[str, tuple[_Running, float]] = {}
    results: dict[str, GateResult] = {}

    def finish(name: str, result: GateResult, began: float) -> None:
        result.duration_s = round(time.monotonic() - began, 3)
        results[name] = result
        emit(GateEvent("finish", name, result.summary, result))

    try:
        _loop(pending, running, target, emit, max_parallel, finish)
    except KeyboardInterrupt:
        _stop([run for run, _ in running.values()])
        raise
    return results


def _stop(runs: Iterable[_Running], grace_s: float = 5.0) -> None:
    """Kill every started process, then let the workers unwind (dropping throwaway databases)."""
    stop_all()
    deadline = time.monotonic() + grace_s
    for run in runs:
        if run.worker is not None:
            run.worker.join(timeout=max(0.0, deadline - time.monotonic()))
    kill_all()


def _loop(
    pending: list[tuple[str, Gate | GateResult]],
    running: dict[str, tuple[_Running, float]],
    target: Target,
    emit: EventCallback,
    max_parallel: int,
    finish: Callable[[str, GateResult, float], None],
) -> None:
    while pending or running:
        # Start the next gates: a parallel-safe one joins other parallel-safe ones; any other runs alone.
        while pending and len(running) < max_parallel:
            name, gate = pending[0]
            safe = isinstance(gate, GateResult) or gate.parallel_safe
            if running and not (safe and all(r.gate.parallel_safe for r, _ in running.values())):
                break
            pending.pop(0)
            emit(GateEvent("start", name))
            began = time.monotonic()
            prepared = gate if isinstance(gate, GateResult) else _prepare(gate, target)
            if isinstance(prepared, GateResult):
                finish(name, prepared, began)
            else:
                running[name] = (prepared, began)
            if not safe:
                break
        for name, (run, began) in list(running.items()):
            result = run.poll(emit)
            if result is not None:
                del running[name]
                finish(name, result, began)
        if running:
            time.sleep(POLL_S)


PROJECT_CODE_GATES = frozenset({"tests", "migrations", "contract", "security-probes", "load", "performance"})


def _prepare_environment(target: Target, names: list[str], emit: EventCallback) -> None:
    """Find or build the project's environment once, before any gate's time bound starts.

    A failure is remembered and reported by each gate that needs the environment (could not run).
    """
    if not PROJECT_CODE_GATES.intersection(names):
        return
    forget_environments()
    emit(GateEvent("note", "environment", "finding the project's Python environment"))
    try:
        env = project_environment(target.root, target.options.get("python"))
    except EnvironmentUnavailable as exc:
        emit(GateEvent("note", "environment", f"no usable environment: {exc.message}"))
        return
    emit(GateEvent("note", "environment", f"project environment: {env.origin}"))


def run_gates(
    target: Target,
    *,
    gates: list[str] | tuple[str, ...] | None = None,
    skip: list[str] | tuple[str, ...] = (),
    fast: bool = False,
    on_event: EventCallback | None = None,
    max_parallel: int | None = None,
) -> CheckRun:
    """Run the selected gates on ``target`` (results in registry order).

    ``gates``/``skip`` default to the target's configured lists. Unknown names raise UsageError.
    ``max_parallel`` bounds how many parallel-safe gates run at once (default 4). Check's own
    PostgreSQL, when a gate started it, is stopped before returning (and on Ctrl-C).
    """
    emit = on_event or (lambda event: None)
    names = select(
        gates=gates if gates else target.options.get("gates"),
        skip=tuple(skip) or tuple(target.options.get("skip") or ()),
        fast=fast,
    )
    target = target.model_copy(update={"options": {**target.options, "fast": fast}})
    # The offline gates mostly wait on their tools and the project's own tests, so up to four share
    # two cores well (measured on the clean fixture: 32 s for --fast with 4, 38 s with 2).
    width = max_parallel or DEFAULT_PARALLEL
    reset_stop()
    started_at = datetime.now(UTC)
    _prepare_environment(target, names, emit)
    try:
        by_name = _schedule(names, target, emit, width)
    finally:
        stop_own_postgres()
    return CheckRun(
        target=target,
        gates=[by_name[name] for name in names],
        started_at=started_at,
        finished_at=datetime.now(UTC),
        profile="fast" if fast else "full",
    )


__all__ = ["CheckRun", "EventCallback", "GateEvent", "run_gate", "run_gates"]
