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
from backend_agent.report import (
    SEVERITIES,
    ProgressView,
    render_json,
    render_terminal,
    report_from,
    write_html,
    write_junit,
    write_sarif,
)


def _names(value: str | None, option: str) -> list[str]:
    if not value:
        return []
    names = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [name for name in names if name not in GATE_NAMES]
    if unknown:
        raise UsageError(f"unknown gate in {option}: {', '.join(unknown)}", hint=f"valid gates: {', '.join(GATE_NAMES)}")
    return names


def _html_path(html: Path, option: str = "--html") -> Path:
    """Check before any gate runs that a report file can be written to ``html``."""
    example = {"--html": "report.html", "--sarif": "check.sarif", "--junit": "check-junit.xml"}.get(option, "report")
    if html.is_dir():
        raise UsageError(f"{option} {html} is a folder", hint=f"give a file path, e.g. {option} {example}")
    try:
        html.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"{option} {html}: cannot create the folder {html.parent} ({exc.strerror})",
            hint="choose a path in a folder you can write to",
        ) from exc
    if not os.access(html.parent, os.W_OK):
        raise UsageError(
            f"{option} {html}: the folder {html.parent} is not writable", hint="choose a path in a folder you can write to"
        )
    return html


def _nothing_to_check(directory: Path) -> bool:
    """True for a folder holding no file at all (hidden folders such as .git aside)."""
    for _dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        if any(not name.startswith(".") or name.startswith(".env") for name in filenames):
            return False
    return True


def _fail_on(value: str | None) -> str | None:
    if value is None:
        return None
    level = value.strip().lower()
    if level not in SEVERITIES:
        raise UsageError(f"invalid value for --fail-on: {value!r}", hint=f"use one of: {', '.join(SEVERITIES)}")
    return level


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
    fail_on: str | None = typer.Option(
        None, "--fail-on", help="Fail only on findings of this severity or worse: critical, high, medium, low."
    ),
    baseline: Path | None = typer.Option(
        None, "--baseline", help="An earlier `check --json` report: only findings not in it make the check fail."
    ),
    sarif: Path | None = typer.Option(None, "--sarif", help="Also write the findings as SARIF 2.1.0 (code scanning)."),
    junit: Path | None = typer.Option(None, "--junit", help="Also write a JUnit XML file with a test case per gate."),
) -> None:
    """Measure a backend project against its quality gates.

    Exit 0 when every gate passed or does not apply, 1 when the project fails a standard, 3 when
    nothing failed but a gate could not run (the report says why and how to fix it), 2 for usage errors.
    """
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
    if sarif is not None:
        sarif = _html_path(sarif, "--sarif")
    if junit is not None:
        junit = _html_path(junit, "--junit")
    if baseline is not None and not baseline.is_file():
        raise UsageError(f"--baseline {baseline} is not a file",
                         hint="write one with `backend-agent check --json > baseline.json` first")
    severity = _fail_on(fail_on)
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
    if _nothing_to_check(directory):
        raise UsageError(
            f"{directory} is empty: there is nothing to check",
            hint="pass the folder of a backend project (the one holding its pyproject.toml or app package)",
        )
    interactive = console.is_terminal and not json_out
    try:
        with _sigterm_as_interrupt():
            if interactive:
                with ProgressView(console, total=len(names)) as progress:
                    run = run_gates(target, gates=names, fast=fast, on_event=progress)
            else:
                run = run_gates(target, gates=names, fast=fast)
    except KeyboardInterrupt:
        # run_gates has already stopped the processes it started; say so and exit 130 quietly.
        Console(stderr=True).print("Interrupted: the check stopped every process it had started.")
        raise typer.Exit(130) from None
    report = report_from(run, fail_on=severity, baseline=baseline)  # type: ignore[arg-type]
    html_error = None
    for path, writer, label in ((html, write_html, "HTML report"), (sarif, write_sarif, "SARIF"),
                                (junit, write_junit, "JUnit XML")):
        if path is None:
            continue
        try:
            writer(report, path)
        except OSError as exc:  # the folder was checked up front; this is a race or a full disk
            html_error = f"cannot write the {label} to {path}: {exc.strerror or exc}"
    if json_out:
        sys.stdout.write(render_json(report) + "\n")
    else:
        if interactive:
            console.print()
        render_terminal(report, console)
        if html is not None and html_error is None:
            console.print(f"HTML report: {html}", soft_wrap=True, highlight=False)
        for path, label in ((sarif, "SARIF"), (junit, "JUnit XML")):
            if path is not None and html_error is None:
                console.print(f"{label}: {path}", soft_wrap=True, highlight=False)
    if html_error is not None:
        Console(stderr=True).print(f"[bold red]Error:[/] {html_error}", soft_wrap=True, highlight=False)
        raise typer.Exit(1)
    if all(result.status == "skip" for result in report.gates):
        Console(stderr=True).print(
            f"[bold red]Error:[/] nothing to check in {directory}: no gate applies to it "
            "(no tests, no Python sources, no migrations, no app to start)",
            soft_wrap=True, highlight=False,
        )
        raise typer.Exit(2)
    raise typer.Exit(report.exit_code)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root application."""
    app.command("check")(check)
