"""``backend-agent eval TASKS_DIR --model M``: pass rates, security pass rates, cost and time per task."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import typer
from rich.console import Console

from backend_agent.errors import UsageError


def eval_command(
    tasks_dir: Path = typer.Argument(..., help="Folder of task folders (each with a task.yaml), e.g. evals/tasks."),
    model: str = typer.Option(..., "--model", help="Model to evaluate; '{task}' is replaced by the task id."),
    task: list[str] = typer.Option(None, "--task", help="Run only this task (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    output: Path = typer.Option(None, "--output", "-o", help="Also write the JSON report to this file."),
    max_turns: int = typer.Option(None, "--max-turns", min=1, help="Turn limit per task (default: the task's)."),
    verify: bool = typer.Option(False, "--verify", help="Run the agent with --verify-with the task's gates."),
    work_dir: Path = typer.Option(None, "--work-dir", help="Where the task workspaces go (default: a temp folder)."),
    keep: bool = typer.Option(False, "--keep", help="Keep the finished workspaces (always kept with --work-dir)."),
) -> None:
    """Run a suite of backend tasks with a model and report how many it solved."""
    from backend_agent._atomic import write_atomic
    from backend_agent.evaluation import EvalOptions, load_suite, render_table, run_suite

    if output is not None and output.is_dir():
        raise UsageError(f"--output {output} is a folder", hint="name a file, e.g. -o eval.json")
    tasks = load_suite(tasks_dir, only=list(task or []) or None)
    scratch = work_dir or Path(tempfile.mkdtemp(prefix="backend-agent-eval-"))
    console = Console(stderr=True, highlight=False)
    interactive = console.is_terminal and not as_json

    def progress(item, outcome) -> None:  # type: ignore[no-untyped-def]
        if outcome is None:
            console.print(f"[dim]running[/] {item.id} …")
        else:
            mark = "[green]PASS[/]" if outcome.passed else "[red]FAIL[/]"
            console.print(f"{mark} {item.id} ({outcome.tests_passed}/{outcome.tests_total} tests, {outcome.duration_s:.0f}s)")

    options = EvalOptions(model=model, work_dir=scratch, max_turns=max_turns, verify=verify)
    try:
        report = run_suite(tasks, options, tasks_dir=tasks_dir.resolve(), on_task=progress if interactive else None)
    finally:
        if work_dir is None and not keep:
            shutil.rmtree(scratch, ignore_errors=True)
    text = report.model_dump_json(indent=2)
    if output is not None:
        write_atomic(output, text + "\n")
    if as_json:
        sys.stdout.write(text + "\n")
    else:
        render_table(report, Console(highlight=False, width=None if sys.stdout.isatty() else 160))
        if work_dir is not None or keep:
            Console(stderr=True).print(f"workspaces kept in {scratch}")
    raise typer.Exit(0 if report.passed == len(report.tasks) else 1)


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
