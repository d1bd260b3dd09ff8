"""The doctor report in a terminal (rich), as JSON, and as a self-contained HTML page with a chart."""

from __future__ import annotations

from html import escape
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from rich.console import Console
from rich.table import Table

from backend_agent._atomic import write_atomic
from backend_agent.gates.doctor.model import DoctorReport

TEMPLATES = Path(__file__).with_name("templates")
BEFORE, AFTER, INK = "#c62828", "#2e7d32", "#263238"


def render_json(report: DoctorReport) -> str:
    return report.model_dump_json(indent=2)


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def render_terminal(report: DoctorReport, console: Console) -> None:
    before = report.before
    console.print(
        f"[bold]Performance doctor[/] {report.project}  ({before.database}, "
        f"{sum(before.rows.values())} seeded rows, {report.duration_s:.1f} s)",
        highlight=False,
    )
    table = Table(title="Read operations", title_justify="left")
    columns = ["operation", "p95 ms"]
    if report.after is not None:
        columns.append("p95 without→with fix")
    for column in (*columns, "stmts/req", "page small→large", "N+1", "db share", "hot spot"):
        table.add_column(column, overflow="fold")
    ab = {row["operation"]: row for row in report.p95_table()}
    for op in before.operations:
        growth = (
            f"{op.page_small['statements']:.0f}→{op.page_large['statements']:.0f}"
            if op.page_small and op.page_large
            else ""
        )
        row = ab.get(op.operation, {})
        fixed = (
            [f"{_ms(row.get('before_ms'))}→{_ms(row.get('after_ms'))}"] if report.after is not None else []
        )
        table.add_row(
            op.operation,
            _ms(op.p95_ms),
            *fixed,
            f"{op.statements_per_request:g}",
            growth,
            "[red]yes[/]" if op.n_plus_one else "no",
            "" if op.db_share is None else f"{op.db_share:.0%}",
            op.hotspots[0].where if op.hotspots else "",
        )
    console.print(table)
    if before.statements:
        slow = Table(title="Slowest statements (total time over the timed requests)", title_justify="left")
        for column in ("total ms", "calls", "statement", "plan"):
            slow.add_column(column, overflow="fold")
        for statement in before.statements[:5]:
            slow.add_row(
                f"{statement.total_ms:.1f}",
                str(statement.calls),
                statement.sql[:160],
                statement.plan_error or "; ".join(statement.plan)[:160],
            )
        console.print(slow)
    for index in before.indexes:
        console.print(
            f"[yellow]missing index[/] {index.create_sql}: {index.before_ms:.2f} ms → {index.after_ms:.2f} ms",
            highlight=False,
        )
    for finding in report.findings:
        colour = {"critical": "red", "high": "red", "medium": "yellow"}.get(finding.severity, "cyan")
        console.print(
            f"[{colour}]{finding.severity:<8}[/] {finding.rule}: {finding.message}", highlight=False
        )
    if report.revision:
        console.print(
            f"[green]wrote[/] {report.revision.path} (revision {report.revision.revision})", highlight=False
        )
    for note in report.notes:
        console.print(f"note: {note}", highlight=False)
    if not report.findings:
        console.print("[green]No N+1 queries, missing indexes or slow operations found.[/]")


def p95_chart(report: DoctorReport, *, width: int = 760) -> str:
    """Horizontal bars of p95 per operation, before (red) and after --fix (green)."""
    rows = report.p95_table()
    peak = max([r["before_ms"] for r in rows] + [r["after_ms"] or 0 for r in rows] + [1.0])
    label_w, bar_h, gap, top = 300, 12, 10, 28
    bar_w = width - label_w - 80
    row_h = bar_h * 2 + gap
    height = top + row_h * len(rows) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="p95 latency per operation" font-family="sans-serif" font-size="12">',
        f'<text x="0" y="14" fill="{INK}" font-weight="bold">p95 latency per operation (ms)</text>',
        f'<rect x="{label_w}" y="4" width="10" height="10" fill="{BEFORE}"/>'
        f'<text x="{label_w + 14}" y="13" fill="{INK}">before</text>',
        f'<rect x="{label_w + 70}" y="4" width="10" height="10" fill="{AFTER}"/>'
        f'<text x="{label_w + 84}" y="13" fill="{INK}">after --fix</text>',
        f'<text x="{label_w + 160}" y="13" fill="{INK}">(requests alternated without/with the new indexes '
        f"on one service)</text>",
    ]
    for i, row in enumerate(rows):
        y = top + i * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_h + 4}" text-anchor="end" fill="{INK}">{escape(row["operation"][-44:])}</text>'
        )
        for j, (key, colour) in enumerate((("before_ms", BEFORE), ("after_ms", AFTER))):
            value = row[key]
            if value is None:
                continue
            yy = y + j * bar_h
            parts.append(
                f'<rect x="{label_w}" y="{yy}" width="{bar_w * value / peak:.1f}" height="{bar_h - 2}" fill="{colour}"/>'
            )
            parts.append(
                f'<text x="{label_w + bar_w * value / peak + 4:.1f}" y="{yy + bar_h - 3}" fill="{INK}">{value:.1f}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def write_html(report: DoctorReport, path: Path) -> None:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    html = env.get_template("doctor.html.j2").render(report=report, chart=Markup(p95_chart(report)))  # nosec B704 - built from escaped parts
    write_atomic(path, html)


__all__ = ["p95_chart", "render_json", "render_terminal", "write_html"]
