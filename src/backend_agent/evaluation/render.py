"""The eval report as a rich table (the JSON form is ``SuiteReport.model_dump_json``)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from backend_agent.evaluation.harness import SuiteReport


def _cost(value: float | None) -> str:
    return "?" if value is None else f"${value:.4f}"


def render_table(report: SuiteReport, console: Console) -> None:
    table = Table(title=f"backend-agent eval · {report.model}")
    for column in ("task", "kind", "result", "tests", "security", "gates", "run", "turns", "cost", "time"):
        table.add_column(column, justify="right" if column in ("turns", "cost", "time") else "left")
    for task in report.tasks:
        security = "-" if task.security_passed is None else ("[green]pass[/]" if task.security_passed else "[red]fail[/]")
        gates = ", ".join(f"{g.gate}:{g.status}" for g in task.gates) or "-"
        table.add_row(
            escape(task.id), task.kind, "[green]PASS[/]" if task.passed else "[red]FAIL[/]",
            f"{task.tests_passed}/{task.tests_total}", security, escape(gates), task.run_status, str(task.turns),
            _cost(task.cost_usd), f"{task.duration_s:.1f}s",
        )  # fmt: skip
    console.print(table)
    security = (
        f"{report.security_passed}/{report.security_tasks} ({report.security_pass_rate:.0%})"
        if report.security_pass_rate is not None else "no security tasks"
    )  # fmt: skip
    console.print(f"passed {report.passed}/{len(report.tasks)} ({report.pass_rate:.0%}) · security {security} · "
                  f"cost {_cost(report.total_cost_usd)} · {report.duration_s:.1f}s")  # fmt: skip


__all__ = ["render_table"]
