"""The typer application and the single error boundary of the CLI."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import typer
from rich.console import Console

from backend_agent import __version__
from backend_agent.errors import BackendAgentError

# The module under backend_agent.cli that registers each top-level command. Only the module the
# command line names is imported, so `permissions check` or `agents list` never pay for the
# gates or the model stack; `--help`, a typo or no command at all load every module.
COMMAND_MODULES: dict[str, str] = {
    "agents": "agents",
    "tools": "tools",
    "permissions": "tools",
    "run": "run",
    "sessions": "run",
    "mcp": "run",
    "blueprint": "blueprint",
    "design": "blueprint",
    "check": "check",
    "new": "new",
    "doctor": "doctor",
    "eval": "evaluate",
}


# A command line that starts like `claude -p ...` is a `run` (so `alias claude=backend-agent` works).
CLAUDE_STYLE_STARTS = frozenset(["-p", "--print", "-c", "--continue", "-r", "--resume"])


def _version(value: bool) -> None:
    if value:
        typer.echo(f"backend-agent {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """backend-agent: design, build and prove backend services."""


def build_app(argv: Sequence[str] | None = None) -> typer.Typer:
    """The CLI with the commands ``argv`` needs registered (every command when it names none)."""
    application = typer.Typer(
        name="backend-agent",
        help="A backend engineering agent that designs, builds and proves backend services.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    application.callback()(_root)
    command = next((arg for arg in argv or () if not arg.startswith("-")), None)
    if command is None and "--version" in (argv or ()):
        needed: Sequence[str] = []
    elif command in COMMAND_MODULES:
        needed = [COMMAND_MODULES[command]]
    else:
        needed = list(COMMAND_MODULES.values())
    for name in dict.fromkeys(needed):
        importlib.import_module(f"backend_agent.cli.{name}").register(application)
    return application


def __getattr__(name: str) -> Any:
    # `app` (every command registered) is built on first use, for tests and embedding.
    if name == "app":
        return build_app()
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning BackendAgentError into a clear message and an exit code."""
    import sys

    err = Console(stderr=True, soft_wrap=True)
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in CLAUDE_STYLE_STARTS:  # `backend-agent -p "TASK"`, as one types `claude -p "TASK"`
        args = ["run", *args]
    if next((arg for arg in args if not arg.startswith("-")), None) == "run":
        from backend_agent.cli.claude_flags import expand_variadic_options

        args = expand_variadic_options(args)
    try:
        build_app(args)(args=args, prog_name="backend-agent")  # standalone: click reports usage errors (exit 2)
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

