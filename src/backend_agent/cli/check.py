"""CLI commands of the check area: ``backend-agent check [DIR]``."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import typer
from rich.console import Console

from backend_agent.errors import UsageError
from backend_agent.gates import GATE_NAMES, load_target, run_gates, select_gates
from backend_agent.report import ProgressView, render_json, render_terminal, write_html


def _names(value: str | None, option: str) -> list[str]:
    if not value:
        return []
    names = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [name for name in names if name not in GATE_NAMES]
    if unknown:
        raise UsageError(f"unknown gate in {option}: {', '.join(unknown)}", hint=f"valid gates: {', '.join(GATE_NAMES)}")
    return names


def _html_path(html: Path) -> Path:
    """Check before any gate runs that the HTML report can be written to ``html``."""
    if html.is_dir():
        raise UsageError(f"--html {html} is a folder", hint="give a file path, e.g. --html report.html")
    try:
        html.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"--html {html}: cannot create the folder {html.parent} ({exc.strerror})",
            hint="choose a path in a folder you can write to",
        ) from exc
    if not os.access(html.parent, os.W_OK):
        raise UsageError(
            f"--html {html}: the folder {html.parent} is not writable", hint="choose a path in a folder you can write to"
        )
    return html


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C so started services and tools are stopped on either."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. under a test runner thread)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _install_tools(console: Console) -> int:
    from backend_agent.gates import install_tools

    console.print("Installing gate tools into the tool cache (semgrep and checkov take a minute or two)…")
    failed = 0
    for status in install_tools():
        style = {"present": "green", "installed": "green", "failed": "red"}[status.action]
        console.print(f"  [{style}]{status.action:<9}[/] {status.name:<20} {status.requirement:<28} {status.path or ''}")
        if status.detail and status.action == "failed":
            failed += 1
            console.print(f"            {status.detail[-600:]}", markup=False, highlight=False)
    return 1 if failed else 0


def check(
    directory: Path = typer.Argument(Path("."), help="The backend project to check.", show_default=True),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON (schema: docs/check-report.md)."),
    html: Path | None = typer.Option(None, "--html", help="Also write a self-contained HTML report to this path."),
    gates: str | None = typer.Option(None, "--gates", help=f"Comma-separated gates to run: {', '.join(GATE_NAMES)}."),
    skip: str | None = typer.Option(None, "--skip", help="Comma-separated gates to leave out."),
    fast: bool = typer.Option(False, "--fast", help="Quick profile: tests, static-security, iac-policy, contract (few examples)."),
    install: bool = typer.Option(False, "--install-tools", help="Install semgrep, checkov and the Python-side tools, then exit."),
    app: str | None = typer.Option(None, "--app", help="ASGI application, e.g. app.main:app (auto-detected)."),
    database_url: str | None = typer.Option(None, "--database-url", help="PostgreSQL server URL for throwaway databases."),
    coverage_threshold: float | None = typer.Option(None, "--coverage-threshold", help="Minimum line coverage in percent."),
    p95_ms: float | None = typer.Option(None, "--p95-ms", help="Maximum p95 latency per operation in ms."),
) -> None:
    """Measure a backend project against its quality gates; exit 1 when any gate fails."""
    console = Console()
    if not console.is_terminal:
        # Piped output (CI logs, files) gets room for the summary table instead of rich's 80 columns.
        console = Console(width=int(os.environ.get("COLUMNS", "160")))
    if install:
        raise typer.Exit(_install_tools(console))
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a folder", hint="pass the folder of the backend project to check")
    if html is not None:
        html = _html_path(html)
    selected = _names(gates, "--gates")
    skipped = _names(skip, "--skip")
    target = load_target(
        directory,
        app=app,
        database_url=database_url,
        overrides={"coverage_threshold": coverage_threshold, "p95_ms": p95_ms},
    )
    names = select_gates(
        gates=selected or target.options.get("gates"), skip=skipped or target.options.get("skip") or (), fast=fast
    )
    if not names:
        raise UsageError("no gate left to run after --gates/--skip", hint=f"valid gates: {', '.join(GATE_NAMES)}")
    interactive = console.is_terminal and not json_out
    try:
        with _sigterm_as_interrupt():
            if interactive:
                with ProgressView(console, total=len(names)) as progress:
                    report = run_gates(target, gates=names, fast=fast, on_event=progress)
            else:
                report = run_gates(target, gates=names, fast=fast)
    except KeyboardInterrupt:
        # run_gates has already stopped the processes it started; say so and exit 130 quietly.
        Console(stderr=True).print("Interrupted: the check stopped every process it had started.")
        raise typer.Exit(130) from None
    html_error = None
    if html is not None:
        try:
            write_html(report, html)
        except OSError as exc:  # the folder was checked up front; this is a race or a full disk
            html_error = f"cannot write the HTML report to {html}: {exc.strerror or exc}"
    if json_out:
        sys.stdout.write(render_json(report) + "\n")
    else:
        if interactive:
            console.print()
        render_terminal(report, console)
        if html is not None and html_error is None:
            console.print(f"HTML report: {html}", soft_wrap=True, highlight=False)
    if html_error is not None:
        Console(stderr=True).print(f"[bold red]Error:[/] {html_error}", soft_wrap=True, highlight=False)
        raise typer.Exit(1)
    raise typer.Exit(report.exit_code)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root application."""
    app.command("check")(check)
