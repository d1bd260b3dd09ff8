"""Terminal output: live progress per gate while the check runs, then a summary table and findings."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.status import Status
from rich.table import Table

from backend_agent.gates import GateEvent
from backend_agent.report.html import key_metrics
from backend_agent.report.model import CheckReport

STYLE = {"pass": "bold green", "fail": "bold red", "skip": "dim", "error": "bold magenta"}
MARK = {"pass": "✔", "fail": "✘", "skip": "–", "error": "!"}
# The three outcomes kept apart in words, not only in colour.
LABEL = {"pass": "pass", "fail": "FAIL", "skip": "not applicable", "error": "could not run"}
SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "dim", "info": "dim"}


class ProgressView:
    """Consumes GateEvents: a spinner with each running gate's latest step, a line per finished gate."""

    def __init__(self, console: Console, *, total: int):
        self.console = console
        self.total = total
        self.done = 0
        self._status: Status | None = None
        self._running: dict[str, tuple[float, str]] = {}  # gate -> (start time, latest step)

    def __enter__(self) -> ProgressView:
        self._status = self.console.status("starting checks…")
        self._status.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._status is not None:
            self._status.stop()

    def _refresh(self) -> None:
        if self._status is None:
            return
        parts = [f"[bold]{gate}[/] {escape(step)}" for gate, (_, step) in self._running.items()]
        self._status.update(f"({self.done}/{self.total} done) " + " · ".join(parts))

    def __call__(self, event: GateEvent) -> None:
        if event.gate == "environment":  # the run's preparation, before any gate
            if event.message.startswith(("project environment:", "no usable environment:")):
                self.console.print(f"[dim]{escape(event.message)}[/]")
            elif self._status is not None:
                self._status.update(escape(event.message))
            return
        if event.kind == "start":
            self._running[event.gate] = (time.monotonic(), "running…")
        elif event.kind == "note":
            began = self._running.get(event.gate, (time.monotonic(), ""))[0]
            self._running[event.gate] = (began, event.message)
        elif event.result is not None:
            began = self._running.pop(event.gate, (time.monotonic(), ""))[0]
            self.done += 1
            result = event.result
            self.console.print(
                f"[{STYLE[result.status]}]{MARK[result.status]} {result.gate:<16}{LABEL[result.status]:<14}[/] "
                f"{escape(result.summary)} [dim]({time.monotonic() - began:.1f} s)[/]"
            )
        self._refresh()


def render_terminal(report: CheckReport, console: Console, *, max_findings: int = 8) -> None:
    """Summary table; the findings of failing gates (most severe first); what could not run and why; totals."""
    table = Table(title=f"backend-agent check · {report.target.root}", title_justify="left", expand=False)
    table.add_column("Gate", style="bold", no_wrap=True)
    table.add_column("Outcome", no_wrap=True)
    table.add_column("Summary", overflow="fold")
    table.add_column("Key metrics", overflow="fold")
    table.add_column("Time", justify="right", no_wrap=True)
    for result in report.gates:
        table.add_row(
            result.gate,
            f"[{STYLE[result.status]}]{MARK[result.status]} {LABEL[result.status]}[/]",
            escape(result.summary),
            escape(key_metrics(result)),
            f"{result.duration_s:.1f} s",
        )
    console.print(table)
    for result in report.gates:
        if result.status == "skip":
            fix = f" (to run it: {escape(result.hint)})" if result.hint else ""
            console.print(f"[dim]{result.gate} not applicable: {escape(result.summary)}{fix}[/]")
        elif result.status == "error":
            console.print(f"\n[{STYLE['error']}]{result.gate} could not run[/]: {escape(result.summary)}")
            if result.hint:
                console.print(f"  [dim]fix: {escape(result.hint)}[/]")
    for result in report.gates:
        if result.status != "fail":
            continue
        console.print(f"\n[{STYLE[result.status]}]{result.gate}[/]: {escape(result.summary)}")
        findings = result.findings  # grouped and sorted by severity in build_report
        for finding in findings[:max_findings]:
            where = f"{finding.file}:{finding.line}" if finding.file and finding.line else finding.file or finding.operation or ""
            known = " [dim](in baseline)[/]" if finding.in_baseline else ""
            console.print(
                f"  [{SEVERITY_STYLE[finding.severity]}]{finding.severity:<8}[/] [cyan]{escape(finding.rule)}[/] "
                f"{escape(where)} {escape(finding.message)}{known}"
            )
            if finding.hint:
                console.print(f"           [dim]fix: {escape(finding.hint)}[/]")
        if len(findings) > max_findings:
            console.print(f"  [dim]… {len(findings) - max_findings} more (see --json or --html)[/]")
        if result.hint and not findings:
            console.print(f"  [dim]fix: {escape(result.hint)}[/]")
    if report.target.throwaway_databases:
        console.print("\n[bold]Throwaway databases[/] (created and dropped by check; nothing else was touched):")
        for gate, where in report.target.throwaway_databases.items():
            console.print(f"  {gate:<16} {escape(where)}", soft_wrap=True)
    t = report.totals
    verdict = {"pass": "[bold green]PASS[/]", "fail": "[bold red]FAIL[/]", "incomplete": "[bold magenta]INCOMPLETE[/]"}[
        report.status
    ]
    extra = ""
    if report.baseline:
        extra += f", {t.new_findings} new finding(s) against {escape(report.baseline)}"
    if report.fail_on:
        extra += f", failing on {report.fail_on} and above"
    console.print(
        f"\n{verdict}  {t.passed} passed, {t.failed} failed, {t.errored} could not run, {t.skipped} not applicable "
        f"in {report.duration_s:.1f} s{extra}",
        soft_wrap=True,
    )


def render_json(report: CheckReport) -> str:
    """The stable JSON document described in docs/check-report.md."""
    return report.model_dump_json(indent=2)


__all__ = ["ProgressView", "render_json", "render_terminal"]
