"""Quality gates that prove a backend meets its standards (public surface of the gates part)."""

from backend_agent.gates.base import Finding, Gate, GateResult, GateStatus, Target

__all__ = ["Finding", "Gate", "GateResult", "GateStatus", "Target"]
