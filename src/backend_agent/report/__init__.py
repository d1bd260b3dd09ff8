"""The check report: model, and terminal / JSON / HTML renderers (public surface of the report part)."""

from backend_agent.report.html import render_html, write_html
from backend_agent.report.model import SCHEMA_VERSION, CheckReport, TargetInfo, Totals, build_report
from backend_agent.report.terminal import ProgressView, render_json, render_terminal

__all__ = [
    "SCHEMA_VERSION",
    "CheckReport",
    "ProgressView",
    "TargetInfo",
    "Totals",
    "build_report",
    "render_html",
    "render_json",
    "render_terminal",
    "write_html",
]
