"""CLI commands of the blueprint area: blueprint validate/explain/schema/new/from-openapi, and design."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from backend_agent._atomic import write_atomic
from backend_agent.errors import BlueprintError, UsageError

if TYPE_CHECKING:
    from backend_agent.blueprint import Blueprint
    from backend_agent.design import Design

# blueprint and design are imported inside the commands so that other commands start fast.

blueprint_app = typer.Typer(
    name="blueprint",
    help="Validate, explain and describe *.blueprint.yaml files.",
    no_args_is_help=True,
)

_FILE = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="A *.blueprint.yaml file.")
_JSON = typer.Option(False, "--json", help="Print machine-readable JSON.")


def _load_and_design(file: Path) -> tuple[Blueprint, Design]:
    from backend_agent.blueprint import load_blueprint, locate_problems
    from backend_agent.design import design

    bp = load_blueprint(file)
    try:
        result = design(bp)
    except BlueprintError as exc:  # e.g. two operations on one route: point at the declaration
        raise locate_problems(exc, file) from None
    if result.cautions:
        result.cautions = locate_problems(BlueprintError("cautions", problems=result.cautions), file).problems
    return bp, result


def _print_cautions(result: Design) -> None:
    """Warnings that leave the blueprint valid: the service works, but may differ from the contract at an edge."""
    console = Console(stderr=True)
    for caution in result.cautions:
        console.print(f"[yellow]caution[/]: {escape(str(caution))}", highlight=False, soft_wrap=True)


def _emit_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


@blueprint_app.command("validate")
def validate_cmd(file: Path = _FILE, as_json: bool = _JSON) -> None:
    """Check a blueprint; every problem is listed with file:line:column. Exit 0 valid, 1 invalid."""
    try:
        bp, result = _load_and_design(file)
    except BlueprintError as exc:
        if not as_json:
            raise
        _emit_json({"file": str(file), "valid": False, "message": exc.message,
                    "problems": [p.to_json() for p in exc.problems]})
        raise typer.Exit(1) from None
    summary = {
        "file": str(file), "valid": True, "service": bp.service.name, "entities": len(bp.entities),
        "operations": len(result.operations), "tables": len(result.tables),
        "cautions": [c.to_json() for c in result.cautions],
    }
    if as_json:
        _emit_json(summary)
        return
    Console().print(
        f"[green]valid[/]: {file} — service {bp.service.name}, {len(bp.entities)} entities, "
        f"{len(result.tables)} tables, {len(result.operations)} operations"
    )
    _print_cautions(result)


@blueprint_app.command("explain")
def explain_cmd(file: Path = _FILE, as_json: bool = _JSON) -> None:
    """Summarise what a blueprint means: service conventions, auth, entities, API and actions."""
    bp, result = _load_and_design(file)
    if as_json:
        _emit_json({
            "blueprint": bp.model_dump(mode="json", by_alias=True, exclude_defaults=True),
            "operations": [
                {"operationId": op.operation_id, "method": op.method, "path": op.path, "auth": op.auth.describe()}
                for op in result.operations
            ],
        })
        return
    from backend_agent.blueprint import explain

    typer.echo(explain(bp), nl=False)
    typer.echo("\nOperations:")
    for op in result.operations:
        typer.echo(f"  {op.method:<6} {op.path}  ({op.operation_id}; {op.auth.describe()})")


@blueprint_app.command("schema")
def schema_cmd(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the schema to this file."),
) -> None:
    """Print (or write) the JSON Schema of blueprint files, for editor completion."""
    from backend_agent.blueprint import blueprint_json_schema

    text = json.dumps(blueprint_json_schema(), indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    write_atomic(output, text)
    Console(stderr=True).print(f"wrote {output}")


@blueprint_app.command("new")
def new_cmd(
    file: Path = typer.Argument(..., dir_okay=False, help="Where to write the new *.blueprint.yaml."),
    name: str | None = typer.Option(None, "--name", help="Service name (default: from the file name)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write a small, valid starter blueprint to edit."""
    if file.exists() and not force:
        raise UsageError(f"{file} already exists", hint="pass --force to overwrite it, or choose another path")
    from backend_agent.blueprint import starter_blueprint

    service = name or file.name.split(".", 1)[0].lower().replace(" ", "-")
    write_atomic(file, starter_blueprint(name=service))
    Console().print(f"wrote {file}; next: backend-agent blueprint validate {file}")


@blueprint_app.command("from-openapi")
def from_openapi_cmd(
    spec: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help="An OpenAPI 3.0/3.1 contract (YAML or JSON)."),
    output: Path = typer.Option(..., "--output", "-o", dir_okay=False, help="Where to write the draft blueprint."),
    name: str | None = typer.Option(None, "--name", help="Service name (default: from the contract title)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    as_json: bool = _JSON,
) -> None:
    """Draft a contract-first blueprint: entities from the contract's schemas and paths, CRUD bindings,
    custom handlers for the rest; every guess is marked with a comment. The draft always validates."""
    if output.exists() and not force:
        raise UsageError(f"{output} already exists", hint="pass --force to overwrite it, or choose another path")
    from backend_agent.blueprint import from_openapi

    text, report = from_openapi(spec, output=output, service=name)
    write_atomic(output, text)
    summary = {"file": str(output), "operations": report.operations, "bound": report.bound,
               "share_bound": round(report.share, 3), "custom": report.custom, "templates": report.templates}
    if as_json:
        _emit_json(summary)
        return
    Console().print(f"wrote {output}: {report.bound} of {report.operations} operations bound to standard "
                    f"behaviours ({report.share:.0%}), {len(report.custom)} custom handlers to write"
                    + (f", starter templates {', '.join(report.templates)}" if report.templates else "") + "; next: "
                    f"backend-agent blueprint validate {output}")


def design_cmd(
    file: Path = _FILE,
    output: Path = typer.Option(..., "--output", "-o", file_okay=False, help="Folder for the design files."),
    svg: bool = typer.Option(True, "--svg/--no-svg", help="Render erd.svg with Graphviz when installed."),
    as_json: bool = _JSON,
) -> None:
    """Design a service from a blueprint: openapi.yaml, schema.*.sql, erd.mmd/.svg, DESIGN.md, design.json."""
    from backend_agent.design import DOT_INSTALL_HINT, dot_available, write_design

    _, result = _load_and_design(file)
    written = write_design(result, output, render_svg=svg)
    skipped = None
    if svg and not dot_available():
        skipped = f"erd.svg skipped: Graphviz `dot` not found ({DOT_INSTALL_HINT})"
    if as_json:
        _emit_json({"files": [str(p) for p in written], "operations": len(result.operations),
                    "tables": len(result.tables), "svg_skipped": skipped,
                    "cautions": [c.to_json() for c in result.cautions]})
        return
    console = Console()
    console.print(f"[green]designed[/] {result.service.name}: {len(result.operations)} operations, "
                  f"{len(result.tables)} tables")
    for path in written:
        console.print(f"  {path}")
    if skipped:
        Console(stderr=True).print(f"[yellow]{skipped}[/]")
    _print_cautions(result)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root application."""
    app.add_typer(blueprint_app, name="blueprint")
    app.command("design")(design_cmd)
