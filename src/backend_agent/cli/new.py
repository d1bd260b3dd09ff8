"""`backend-agent new BLUEPRINT -o DIR [--update]`: generate (or regenerate) a FastAPI service."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console


def new_cmd(
    blueprint: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="A *.blueprint.yaml file."),
    output: Path = typer.Option(..., "--output", "-o", file_okay=False, help="Folder of the generated project."),
    update: bool = typer.Option(False, "--update", help="Regenerate a project made by `new`, keeping your edits."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Generate a complete FastAPI service (code, migrations, tests, deploy files) from a blueprint."""
    from backend_agent.generate import generate_service

    console = Console(stderr=True)
    interactive = sys.stderr.isatty() and not as_json
    if interactive:
        with console.status("generating") as status:
            result = generate_service(blueprint, output, update=update,
                                      progress=lambda msg: status.update(f"[bold]{msg}"))
    else:
        result = generate_service(blueprint, output, update=update)
    if as_json:
        typer.echo(json.dumps({
            "out_dir": str(result.out_dir), "written": result.written, "unchanged": len(result.unchanged),
            "kept_user_edits": result.kept_user_edits, "stubs": result.stubs, "migration": result.migration,
            "operations": result.operations,
        }, indent=2))
        return
    out = Console()
    verb = "updated" if update else "generated"
    out.print(f"[green]{verb}[/] {result.out_dir}: {result.operations} operations, {len(result.written)} files written"
              + (f", {len(result.unchanged)} unchanged" if result.unchanged else ""))
    if result.migration:
        out.print(f"  migration: migrations/versions/{result.migration}")
    for rel in result.kept_user_edits:
        out.print(f"  [yellow]kept your edit[/] of {rel}; the new version is {rel}.new")
    if result.stubs:
        out.print("  custom handlers to write (they answer 501 until you do):")
        for stub in result.stubs:
            out.print(f"    {stub}")
    out.print(rf"  next: cd {result.out_dir} && pip install -e '.\[test]' && make test && make run")


def register(app: typer.Typer) -> None:
    app.command("new")(new_cmd)
