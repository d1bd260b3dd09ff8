"""Quality gates that prove a backend meets its standards (public surface of the gates part)."""

from backend_agent.gates._toolenv import ToolStatus, install_tools
from backend_agent.gates.base import Finding, Gate, GateResult, GateStatus, Target, could_not_run, note
from backend_agent.gates.config import ProjectConfig, detect_app, load_target
from backend_agent.gates.registry import FAST_GATES, GATE_NAMES, GATES, load_gate
from backend_agent.gates.registry import select as select_gates
from backend_agent.gates.runner import CheckRun, EventCallback, GateEvent, run_gate, run_gates

__all__ = [
    "FAST_GATES",
    "GATES",
    "GATE_NAMES",
    "CheckRun",
    "EventCallback",
    "Finding",
    "Gate",
    "GateEvent",
    "GateResult",
    "GateStatus",
    "ProjectConfig",
    "Target",
    "ToolStatus",
    "could_not_run",
    "detect_app",
    "install_tools",
    "load_gate",
    "load_target",
    "note",
    "run_gate",
    "run_gates",
    "select_gates",
]
