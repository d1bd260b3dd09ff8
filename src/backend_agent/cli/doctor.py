"""``backend-agent doctor [DIR]``: find the slow query on a seeded throwaway database, optionally fix it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from rich.console import Console

from backend_agent.errors import UsageError
from backend_agent.gates import load_target
from backend_agent.gates.doctor import (
    DoctorSettings,
    ServiceStartError,
    diagnose,
    remaining_problems,
    render_json,
    render_terminal,
    write_html,
)


def doctor(
    directory: Path = typer.Argument(Path("."), help="The backend project to examine.", show_default=True),
    fix: bool = typer.Option(
        False, "--fix", help="Write the missing indexes as a new Alembic revision and re-measure."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    html: Path | None = typer.Option(
        None, "--html", help="Also write a self-contained HTML report (with the p95 chart)."
    ),
    rows: int = typer.Option(10_000, "--rows", min=100, max=100_000, help="Rows to seed per table."),
    requests: int = typer.Option(
        30, "--requests", min=5, max=1000, help="Timed requests per read operation."
    ),
    app: str | None = typer.Option(
        None, "--app", help="ASGI application, e.g. app.main:app (auto-detected)."
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", help="PostgreSQL server URL for the throwaway database."
    ),
    p95_ms: float | None = typer.Option(
        None, "--p95-ms", help="p95 budget per operation in ms (default 100)."
    ),
) -> None:
    """Seed a throwaway database, profile every read operation, report N+1 queries and missing indexes."""
    if not directory.is_dir():
        raise UsageError(
            f"{directory} is not a folder", hint="pass the folder of the backend project to examine"
        )
    if html is not None and html.is_dir():
        raise UsageError(f"--html {html} is a folder", hint="give a file path, e.g. --html doctor.html")
    target = load_target(directory, app=app, database_url=database_url, overrides={"p95_ms": p95_ms})
    if not target.app and not target.start_command:
        raise UsageError(
            f"no application to start in {directory}",
            hint='pass --app package.module:app or set app = "..." in [tool.backend-agent]',
        )
    options = dict(target.options)
    if p95_ms is not None:
        options["performance"] = {**(options.get("performance") or {}), "p95_ms": p95_ms}
    target = target.model_copy(update={"options": options})
    console = Console() if sys.stdout.isatty() else Console(width=int(os.environ.get("COLUMNS", "160")))
    settings = DoctorSettings(rows_per_table=rows, requests=requests)
    try:
        if console.is_terminal and not json_out:
            with console.status("Seeding a throwaway database and profiling the read operations…"):
                report = diagnose(target, fix=fix, settings=settings)
        else:
            report = diagnose(target, fix=fix, settings=settings)
    except ServiceStartError as exc:
        err = Console(stderr=True, soft_wrap=True)
        err.print(f"[bold red]The service could not be started:[/] {exc.message}", highlight=False)
        if exc.hint:
            err.print(f"hint: {exc.hint}", highlight=False)
        if exc.logs:
            err.print("last lines of its output:\n" + exc.logs[-2000:], markup=False, highlight=False)
        raise typer.Exit(1) from None
    if html is not None:
        write_html(report, html)
    if json_out:
        sys.stdout.write(render_json(report) + "\n")
    else:
        render_terminal(report, console)
        if html is not None:
            console.print(f"HTML report: {html}", soft_wrap=True, highlight=False)
    raise typer.Exit(1 if remaining_problems(report) else 0)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root application."""
    app.command("doctor")(doctor)
