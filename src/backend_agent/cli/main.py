"""The typer application and the single error boundary of the CLI."""

from __future__ import annotations

import typer
from rich.console import Console

from backend_agent import __version__
from backend_agent.cli import agents, blueprint, check, run, tools
from backend_agent.errors import BackendAgentError

app = typer.Typer(
    name="backend-agent",
    help="A backend engineering agent that designs, builds and proves backend services.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"backend-agent {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """backend-agent: design, build and prove backend services."""


for module in (agents, tools, run, blueprint, check):
    module.register(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning BackendAgentError into a clear message and an exit code."""
    err = Console(stderr=True, soft_wrap=True)
    try:
        app(args=argv, prog_name="backend-agent")  # standalone: click reports usage errors (exit 2)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BackendAgentError as exc:
        err.print(f"[bold red]{type(exc).__name__}:[/] ", end="")
        err.print(str(exc), markup=False, highlight=False)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("Interrupted.")
        return 130
    return 0

