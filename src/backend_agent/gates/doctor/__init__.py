"""The performance doctor: find the slow query (N+1, missing index) on realistic data, and fix it."""

from backend_agent.gates._service import ServiceStartError
from backend_agent.gates.doctor.diagnose import diagnose, findings_of, remaining_problems
from backend_agent.gates.doctor.fix import FixError, write_revision
from backend_agent.gates.doctor.model import DoctorPass, DoctorReport, IndexFix, OperationProfile
from backend_agent.gates.doctor.render import p95_chart, render_json, render_terminal, write_html
from backend_agent.gates.doctor.run import DoctorSettings

__all__ = [
    "DoctorPass",
    "DoctorReport",
    "DoctorSettings",
    "FixError",
    "IndexFix",
    "OperationProfile",
    "ServiceStartError",
    "diagnose",
    "findings_of",
    "p95_chart",
    "remaining_problems",
    "render_json",
    "render_terminal",
    "write_html",
    "write_revision",
]
