"""The lead agent's phased workflow: milestones as they are reached, and "done" only when gates pass.

Phases: understand, design, implement, verify, document, deploy. ``Workflow.sink`` sits in front
of a run's event sink and reports a ``milestone`` event the first time the agent's tool calls
complete a phase. ``Workflow.finish`` runs the gates that define done (``--verify-with``, or the
gates the agent's last Check left failing) once the agent says it is finished; while any fails
it sends the agent back with the evidence, until they pass, the rounds are used up or the budget
runs out, and then the run says so plainly.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel

from backend_agent.errors import BackendAgentError
from backend_agent.runtime.events import (
    PHASES,
    EventSink,
    GateVerification,
    MilestoneReached,
    Phase,
    ToolCallFinished,
    ToolCallStarted,
)

MAX_VERIFY_ROUNDS = 3
READ_TOOLS = frozenset({"Read", "Grep", "Glob", "BashOutput"})
EDIT_TOOLS = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})
DEPLOY_NAMES = ("dockerfile", "docker-compose", "compose.yaml", "compose.yml", "chart.yaml")
DEPLOY_DIRS = ("deploy", "k8s", "kubernetes", "helm", "charts", "terraform", "infra")
DOC_DIRS = ("docs", "doc")
VERIFY_COMMANDS = ("pytest", "backend-agent check", "make test")

Resume = Callable[[str], Awaitable[tuple[str, str | None]]]


def tool_data(output: str) -> dict[str, Any]:
    """The structured data of a backend tool's text result (a headline line, then compact JSON)."""
    _, _, rest = output.partition("\n")
    try:
        data = json.loads(rest)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _kind_of_file(path: str) -> str:
    parts = [p.lower() for p in PurePosixPath(path.replace("\\", "/")).parts]
    name = parts[-1] if parts else ""
    if name.endswith(".blueprint.yaml") or name.endswith(".blueprint.yml"):
        return "blueprint"
    if any(d in parts[:-1] for d in DEPLOY_DIRS) or name.startswith(DEPLOY_NAMES) or name.endswith(".tf"):
        return "deploy"
    if name.endswith((".md", ".rst")) or any(d in parts[:-1] for d in DOC_DIRS):
        return "document"
    return "code"


@dataclass
class Workflow:
    """Milestones and done-means-the-gates-pass for one top-level run."""

    session_id: str
    workspace: Path
    emit: EventSink
    verify_with: list[str] | None = None
    max_rounds: int = MAX_VERIFY_ROUNDS
    milestones: list[dict[str, Any]] = field(default_factory=list)
    verification: dict[str, Any] | None = None
    _inputs: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    _reads: int = 0
    _changed: dict[str, str] = field(default_factory=dict)  # file -> kind
    _generated: int = 0
    _last_check: dict[str, Any] | None = None
    _check_path: str = "."

    # ------------------------------------------------------------ milestones
    def sink(self, event: BaseModel) -> None:
        """Forward ``event`` and report any milestone it completes (after the event itself)."""
        self.emit(event)
        if isinstance(event, ToolCallStarted):
            self._inputs[event.tool_use_id] = (event.name, event.input)
        elif isinstance(event, ToolCallFinished):
            name, tool_input = self._inputs.pop(event.tool_use_id, (event.name, {}))
            if event.ok:
                self._observe(name, tool_input, event.output)

    def reached(self, phase: Phase) -> bool:
        return any(m["phase"] == phase for m in self.milestones)

    def _milestone(self, phase: Phase, summary: str, **evidence: Any) -> None:
        if self.reached(phase):
            return
        event = MilestoneReached(session_id=self.session_id, phase=phase, step=PHASES.index(phase) + 1,
                                 summary=summary, evidence=evidence)  # fmt: skip
        self.milestones.append({"phase": phase, "step": event.step, "summary": summary, "evidence": evidence})
        self.emit(event)

    def _observe(self, name: str, tool_input: dict[str, Any], output: str) -> None:
        if name in READ_TOOLS:
            self._reads += 1
            return
        self._milestone("understand", f"understood the task ({self._reads} read/search call(s) before acting)",
                        reads=self._reads)  # fmt: skip
        data = tool_data(output)
        if name == "Blueprint" and data.get("valid") is True:
            self._milestone("design", f"blueprint {data.get('file')} is valid: service {data.get('service')}, "
                            f"{data.get('entities')} entities, {data.get('operations')} operations",
                            file=data.get("file"), operations=data.get("operations"))  # fmt: skip
        elif name == "Generate":
            files = data.get("files") or []
            self._generated += len(files) or 1
            kinds = {_kind_of_file(str(f)) for f in files}
            if "deploy" in kinds:
                self._deploy("generated deployment files with the service")
        elif name in EDIT_TOOLS:
            path = str(tool_input.get("file_path") or tool_input.get("notebook_path") or "")
            if path:
                self._file_changed(path)
        elif name == "Check":
            self._check(tool_input, data)
        elif name == "Bash" and any(c in str(tool_input.get("command", "")) for c in VERIFY_COMMANDS):
            self._implemented()

    def _file_changed(self, path: str) -> None:
        try:
            shown = str(Path(path).resolve().relative_to(self.workspace))
        except ValueError:
            shown = path
        kind = _kind_of_file(shown)
        self._changed[shown] = kind
        if kind == "document":
            self._milestone("document", f"documentation written: {shown}", file=shown)
        elif kind == "deploy":
            self._deploy(f"deployment file written: {shown}", file=shown)

    def _deploy(self, summary: str, **evidence: Any) -> None:
        self._milestone("deploy", summary, **evidence)

    def _implemented(self) -> None:
        code = sorted(f for f, kind in self._changed.items() if kind == "code")
        if not code and not self._generated:
            return
        parts = []
        if self._generated:
            parts.append(f"{self._generated} generated file(s)")
        if code:
            parts.append(f"{len(code)} file(s) written or edited")
        self._milestone("implement", "implementation ready to verify: " + ", ".join(parts), files=code[:20])

    def _check(self, tool_input: dict[str, Any], data: dict[str, Any]) -> None:
        if "status" not in data:
            return
        self._implemented()
        self._last_check = data
        self._check_path = str(tool_input.get("path") or ".")
        passed = data.get("passed") or []
        if data["status"] == "pass" and passed:
            self._milestone("verify", f"gates pass: {', '.join(passed)}", gates=passed)
        if "iac-policy" in passed:
            self._deploy("deployment manifests pass the IaC policy gate")

    # ---------------------------------------------------------- verification
    def gates_for_done(self) -> list[str]:
        """The gates that must pass before the run may end as done."""
        if self.verify_with:
            return list(self.verify_with)
        if self._last_check and self._last_check.get("status") == "fail":
            return list(self._last_check.get("failed") or [])
        return []

    async def finish(self, status: str, error: str | None, *, resume: Resume) -> tuple[str, str | None, str]:
        """Verify after the agent finished; (status, error, note for the final answer)."""
        gates = self.gates_for_done()
        if status != "success" or not gates:
            return status, error, ""
        for round_no in range(1, self.max_rounds + 2):
            try:
                report = await asyncio.to_thread(self._run_gates, gates)
            except BackendAgentError as exc:
                message = f"the gates that define done could not run: {exc.message}"
                return "error", message, f"NOT DONE: {message}"
            if report["passed"]:
                self._milestone("verify", f"gates pass: {', '.join(gates)}", gates=gates)
                return status, error, f"Verified by backend-agent: {', '.join(gates)} pass (round {round_no})."
            failing = report["failed"]
            if round_no > self.max_rounds:
                message = (f"not done: {', '.join(failing)} still fail after {self.max_rounds} rounds of fixes")
                return "error", message, f"NOT DONE: the gates {', '.join(failing)} still fail."
            status, error = await resume(self._feedback(report))
            if status != "success":
                why = "the budget ran out" if status in ("max_turns", "budget_exceeded") else (error or status)
                note = f"NOT DONE: {why} while the gates {', '.join(failing)} still failed."
                return status, f"{error or status}; gates still failing: {', '.join(failing)}", note
        raise AssertionError("unreachable")  # pragma: no cover

    def _run_gates(self, gates: list[str]) -> dict[str, Any]:
        from backend_agent.backend_tools import report_result, run_check
        from backend_agent.tools import ToolContext

        report = run_check((self.workspace / self._check_path).resolve(), gates=gates)
        data = report_result(report, ToolContext(workspace=self.workspace)).data
        rounds = (self.verification or {}).get("rounds", 0) + 1
        self.verification = {"gates": gates, "path": data["path"], "passed": report.status == "pass",
                             "rounds": rounds, "results": [
                                 {"gate": g["gate"], "status": g["status"], "summary": g["summary"]}
                                 for g in data["gates"]]}  # fmt: skip
        self.emit(GateVerification(session_id=self.session_id, round=rounds, passed=report.status == "pass",
                                   path=data["path"], gates=self.verification["results"]))  # fmt: skip
        return {"passed": report.status == "pass", "failed": data["failed"], "data": data}

    def _feedback(self, report: dict[str, Any]) -> str:
        failing = [g for g in report["data"]["gates"] if g["status"] in ("fail", "error")]
        return (
            "[backend-agent verification] You finished, but the gates that define done fail: "
            f"{', '.join(report['failed'])}. Fix the findings below, run Check on them, and finish only when they "
            "pass; if you cannot, say plainly what is left undone.\n" + json.dumps(failing, separators=(",", ":"))
        )


__all__ = ["MAX_VERIFY_ROUNDS", "Workflow", "tool_data"]
