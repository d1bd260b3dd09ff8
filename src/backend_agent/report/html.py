"""Self-contained HTML report: inline CSS and SVG charts, every value escaped, no external assets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from backend_agent._atomic import write_atomic
from backend_agent.gates import GateResult
from backend_agent.report._svg import coverage_bars, histogram, percentile_bars
from backend_agent.report.model import CheckReport

TEMPLATES = Path(__file__).with_name("templates")


def key_metrics(result: GateResult) -> str:
    """A one-line digest of a gate's most telling metrics for the summary table."""
    m = result.metrics
    parts: list[str] = []
    if isinstance(m.get("coverage_percent"), int | float):
        parts.append(f"coverage {m['coverage_percent']:.1f} %")
    tests = m.get("tests")
    if isinstance(tests, dict) and "total" in tests:
        parts.append(f"{tests.get('passed', 0)}/{tests['total']} tests")
    operations = m.get("operations")
    if isinstance(operations, dict) and operations:
        worst = max(operations.items(), key=lambda item: float(item[1].get("p95_ms") or 0))
        parts.append(f"worst p95 {float(worst[1].get('p95_ms') or 0):.1f} ms ({worst[0]})")
    for key in ("issues", "violations", "problems", "revisions", "operations_tested", "cases_generated", "failures"):
        if isinstance(m.get(key), int):
            parts.append(f"{key.replace('_', ' ')} {m[key]}")
    if not parts:
        scalars = scalar_metrics(result)[:3]
        parts = [f"{name} {value}" for name, value in scalars]
    text = ", ".join(parts)
    return text if len(text) <= 120 else text[:119] + "…"


def scalar_metrics(result: GateResult) -> list[tuple[str, str]]:
    """Flat name/value rows of the metrics that are not charted."""
    rows: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if prefix in ("files", "operations"):
            return
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, float):
            rows.append((prefix, f"{value:.4g}"))
        elif isinstance(value, int | str | bool) or value is None:
            rows.append((prefix, str(value)))
        else:
            rows.append((prefix, json.dumps(value, default=str)[:300]))

    walk("", result.metrics)
    return rows


def charts_for(result: GateResult) -> list[Markup]:
    """The SVG charts a gate's metrics support: coverage per file, latency percentiles and histograms."""
    charts: list[str] = []
    files = result.metrics.get("files")
    if isinstance(files, dict) and files:
        threshold = float(result.metrics.get("threshold") or 80)
        charts.append(coverage_bars({str(k): float(v) for k, v in files.items()}, threshold=threshold))
    operations = result.metrics.get("operations")
    if isinstance(operations, dict) and operations:
        thresholds = result.evidence.get("thresholds")
        bound = result.metrics.get("p95_ms") or (thresholds.get("p95_ms") if isinstance(thresholds, dict) else None)
        charts.append(percentile_bars(operations, p95_ms=float(bound) if bound else None))
        for op, data in operations.items():
            buckets = data.get("histogram") if isinstance(data, dict) else None
            if isinstance(buckets, list) and buckets:
                charts.append(histogram(str(op), [[float(u), float(c)] for u, c in buckets]))
    # The SVG builders escape every label themselves.
    return [Markup(svg) for svg in charts]


def operation_rows(result: GateResult) -> list[dict[str, str]]:
    """One row per loaded operation: throughput, error rate and latency percentiles, formatted."""
    operations = result.metrics.get("operations")
    if not isinstance(operations, dict):
        return []
    rows = []
    for op, data in operations.items():
        if not isinstance(data, dict):
            continue

        def ms(key: str, data: dict[str, Any] = data) -> str:
            value = data.get(key)
            return f"{float(value):.1f}" if isinstance(value, int | float) else "–"

        rate = data.get("error_rate")
        rows.append({
            "operation": str(op),
            "requests": str(data.get("requests", "–")),
            "rps": f"{float(data['rps']):.0f}" if isinstance(data.get("rps"), int | float) else "–",
            "error_rate": f"{float(rate):.2%}" if isinstance(rate, int | float) else "–",
            "p50": ms("p50_ms"),
            "p95": ms("p95_ms"),
            "p99": ms("p99_ms"),
        })
    return rows


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, default=str)


def render_html(report: CheckReport) -> str:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        key_metrics=key_metrics,
        scalar_metrics=scalar_metrics,
        charts_for=charts_for,
        operation_rows=operation_rows,
        as_text=as_text,
    )
    return env.get_template("report.html.j2").render(report=report)


def write_html(report: CheckReport, path: Path) -> Path:
    """Render the report and write it atomically to ``path``."""
    write_atomic(path, render_html(report))
    return path


__all__ = ["charts_for", "key_metrics", "operation_rows", "render_html", "scalar_metrics", "write_html"]
