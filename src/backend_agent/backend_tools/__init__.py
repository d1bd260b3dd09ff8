"""Backend tools for agents: Blueprint, Generate, Check, Doctor and Service (public surface).

They wrap backend-agent's own design, generation and gates with structured, trimmed results, and
share the tool contract of ``backend_agent.tools`` so the runtime, permissions, hooks and the MCP
server treat them like the built-in tools.
"""

from __future__ import annotations

from backend_agent.backend_tools._service import stop_all as stop_all_services
from backend_agent.backend_tools._service import stop_session as _stop_session
from backend_agent.backend_tools.blueprint_tool import BlueprintInput, BlueprintTool
from backend_agent.backend_tools.check_tool import CheckInput, CheckTool, gate_json, report_result, run_check
from backend_agent.backend_tools.doctor_tool import DoctorInput, DoctorTool
from backend_agent.backend_tools.generate_tool import GenerateInput, GenerateTool
from backend_agent.backend_tools.service_tool import ServiceInput, ServiceTool
from backend_agent.tools import Tool, ToolSession

BACKEND_TOOL_CLASSES: tuple[type[Tool], ...] = (BlueprintTool, GenerateTool, CheckTool, DoctorTool, ServiceTool)
BACKEND_TOOL_NAMES: tuple[str, ...] = tuple(cls.name for cls in BACKEND_TOOL_CLASSES)


def backend_tools() -> list[Tool]:
    """Fresh instances of every backend tool, in a stable order."""
    return [cls() for cls in BACKEND_TOOL_CLASSES]


def stop_services(session: ToolSession) -> int:
    """Stop the services the Service tool started in ``session``; how many were running."""
    return _stop_session(id(session))


__all__ = [
    "BACKEND_TOOL_CLASSES",
    "BACKEND_TOOL_NAMES",
    "BlueprintInput",
    "BlueprintTool",
    "CheckInput",
    "CheckTool",
    "DoctorInput",
    "DoctorTool",
    "GenerateInput",
    "GenerateTool",
    "ServiceInput",
    "ServiceTool",
    "backend_tools",
    "gate_json",
    "report_result",
    "run_check",
    "stop_all_services",
    "stop_services",
]
