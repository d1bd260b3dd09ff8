"""The check report: model, and terminal / JSON / HTML / SARIF / JUnit renderers (public surface of the report part)."""

from backend_agent.report.ci import render_junit, render_sarif, write_junit, write_sarif
from backend_agent.report.html import render_html, write_html
from backend_agent.report.model import (
    SCHEMA_VERSION,
    SEVERITIES,
    CheckReport,
    TargetInfo,
    Totals,
    build_report,
    fingerprint,
    report_from,
)
from backend_agent.report.terminal import ProgressView, render_json, render_terminal

__all__ = [
    "SCHEMA_VERSION",
    "SEVERITIES",
    "CheckReport",
    "ProgressView",
    "TargetInfo",
    "Totals",
    "build_report",
    "fingerprint",
    "render_html",
    "render_json",
    "render_junit",
    "render_sarif",
    "render_terminal",
    "report_from",
    "write_html",
    "write_junit",
    "write_sarif",
]
