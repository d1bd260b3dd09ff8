"""``backend-agent agents list|show|validate|route``: inspect, check and route agent definitions.

Heavy modules (pydantic models, YAML, rank-bm25/numpy, the runtime) are imported inside the
commands so that ``backend-agent --help`` and ``agents list`` start fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from backend_agent.agents import AgentDefinition, LoadFailure, Roster

_CWD = typer.Option(Path("."), "--cwd", help="Folder to discover agents from (project agents are searched upward from it).")
_EXTRA = typer.Option(None, "--agents-dir", "-a", help="Extra definition file or folder, searched first (repeatable).")
_NO_BUILTIN = typer.Option(False, "--no-builtin", help="Leave out backend-agent's built-in agents.")
_JSON = typer.Option(False, "--json", help="Print JSON instead of tables.")


def register(app: typer.Typer) -> None:
    """Add the ``agents`` command group to the root application."""
    group = typer.Typer(name="agents", help="Load, inspect, validate and route agent definitions.", no_args_is_help=True)
    group.command("list")(list_agents)
    group.command("show")(show_agent)
    group.command("validate")(validate_agents)
    group.command("route")(route_task)
    app.add_typer(group, name="agents")


def _discover(cwd: Path, extra: list[Path] | None, no_builtin: bool) -> Roster:
    from backend_agent.agents import discover
    from backend_agent.errors import UsageError

    if not cwd.is_dir():
        raise UsageError(f"--cwd {cwd} is not a folder", hint="pass an existing project folder")
    for path in extra or []:
        if not path.exists():
            raise UsageError(f"--agents-dir {path} does not exist", hint="pass a definition file or a folder of them")
    return discover(cwd=cwd, include_builtin=not no_builtin, extra_paths=list(extra or []))


def _source(definition: AgentDefinition, cwd: Path) -> str:
    raw = definition.source_path or ""
    if definition.scope == "builtin":
        return f"builtin:{Path(raw).name}"
    path = Path(raw.split("#", 1)[0])
    suffix = "#" + raw.split("#", 1)[1] if "#" in raw else ""
    for base, label in ((cwd.resolve(), ""), (Path.home(), "~/")):
        try:
            return label + path.relative_to(base).as_posix() + suffix
        except ValueError:
            continue
    return raw


def _tools_text(definition: AgentDefinition) -> str:
    text = "all" if definition.tools is None else (", ".join(definition.tools) or "none")
    if definition.disallowed_tools:
        text += " (not " + ", ".join(definition.disallowed_tools) + ")"
    return text


def _columns(header: tuple[str, ...], rows: list[tuple[tuple[str, ...], bool]]) -> Text:
    """Aligned columns as one Text: rich's Table measures every cell and is slow for large rosters."""
    widths = [max([len(header[i])] + [len(cells[i]) for cells, _dim in rows]) for i in range(len(header))]
    text = Text()
    for i, title in enumerate(header):
        text.append(title.ljust(widths[i] + 2) if i < len(header) - 1 else title, style="bold underline" if title else None)
    text.append("\n")
    for cells, dim in rows:
        line = "  ".join(cell.ljust(widths[i]) if i < len(cells) - 1 else cell for i, cell in enumerate(cells))
        text.append(line + "\n", style="dim" if dim else None)
    text.rstrip()
    return text


def _failure_dict(failure: LoadFailure) -> dict[str, Any]:
    return {"path": failure.path, "line": failure.line, "reason": failure.reason}


def _print_failures(console: Console, failures: list[LoadFailure]) -> None:
    for failure in failures:
        console.print(Text.assemble(("error ", "bold red"), str(failure)), soft_wrap=True)


def list_agents(
    as_json: bool = _JSON,
    cwd: Path = _CWD,
    agents_dir: list[Path] = _EXTRA,
    no_builtin: bool = _NO_BUILTIN,
) -> None:
    """List every agent: name, format, source, tools and model; shadowed definitions marked."""
    roster = _discover(cwd, agents_dir, no_builtin)
    rows: list[tuple[AgentDefinition, AgentDefinition | None]] = [
        (definition, None) for definition in roster.agents.values()
    ]
    rows += [(definition, roster.winner_for(definition)) for definition in roster.shadowed]
    rows.sort(key=lambda row: (row[0].name, row[1] is not None))
    if as_json:
        payload = {
            "agents": [
                {
                    "name": definition.name,
                    "format": definition.format,
                    "scope": definition.scope,
                    "source": definition.source_path,
                    "tools": definition.tools,
                    "disallowed_tools": definition.disallowed_tools,
                    "model": definition.model,
                    "mode": definition.mode,
                    "description": definition.description,
                    "warnings": len(definition.warnings),
                    "shadowed": winner is not None,
                    "shadowed_by": winner.source_path if winner is not None else None,
                }
                for definition, winner in rows
            ],
            "failures": [_failure_dict(failure) for failure in roster.failures],
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    table: list[tuple[tuple[str, ...], bool]] = []
    for definition, winner in rows:
        source = _source(definition, cwd)
        if winner is not None:
            source += f" (shadowed by {_source(winner, cwd)})"
        cells = (definition.name, definition.format, source, _tools_text(definition), definition.model or "default")
        table.append((cells, winner is not None))
    console = Console()
    console.print(_columns(("name", "format", "source", "tools", "model"), table), soft_wrap=True)
    console.print(f"{len(roster.agents)} agents, {len(roster.shadowed)} shadowed, {len(roster.failures)} failed to load")
    _print_failures(Console(stderr=True), roster.failures)


def show_agent(
    name: str = typer.Argument(..., help="Agent name, as shown by 'agents list', or a definition file."),
    as_json: bool = _JSON,
    cwd: Path = _CWD,
    agents_dir: list[Path] = _EXTRA,
    no_builtin: bool = _NO_BUILTIN,
) -> None:
    """Show one agent's normalized definition and the exact system prompt the model would get."""
    roster = _discover(cwd, agents_dir, no_builtin)
    looks_like_path = name.startswith((".", "/", "~")) or Path(name).suffix.lower() in (".md", ".markdown", ".txt")
    if name not in roster.agents and Path(name).is_file():
        from backend_agent.agents import load_definition

        definition = load_definition(Path(name))
    elif name not in roster.agents and looks_like_path and not Path(name).exists():
        from backend_agent.errors import UsageError

        raise UsageError(f"{name} is neither an agent name nor an existing file", hint="check the path, or run 'backend-agent agents list' for names")
    else:
        definition = roster.get(name)
    prompt = _system_prompt(definition, cwd)
    shadowed = [other for other in roster.shadowed if other.name == definition.name]
    if as_json:
        data = definition.model_dump(mode="json")
        data["rendered_system_prompt"] = prompt
        data["shadows"] = [other.source_path for other in shadowed]
        typer.echo(json.dumps(data, indent=2))
        return
    console = Console()
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    fields: list[tuple[str, str]] = [
        ("name", definition.name),
        ("format", definition.format),
        ("source", _source(definition, cwd)),
        ("model", definition.model or "default"),
        ("mode", definition.mode),
        ("tools", _tools_text(definition)),
    ]
    optional = {
        "permission mode": definition.permissions.mode,
        "permission rules": _permissions_text(definition),
        "skills": ", ".join(definition.skills),
        "mcp servers": ", ".join(definition.mcp_servers),
        "hooks": ", ".join(definition.hooks),
        "max turns": definition.max_turns,
        "temperature": definition.temperature,
        "top_p": definition.top_p,
        "hidden": definition.hidden or None,
        "disabled": definition.disabled or None,
        "trigger keywords": ", ".join(definition.triggers.keywords),
        "trigger extensions": " ".join(definition.triggers.extensions),
        "trigger directories": " ".join(definition.triggers.directories),
        "examples": len(definition.examples) or None,
        "unknown keys": ", ".join(definition.unknown_keys),
        "shadows": ", ".join(_source(other, cwd) for other in shadowed),
    }
    fields += [(label, str(value)) for label, value in optional.items() if value not in (None, "")]
    for label, value in fields:
        table.add_row(label, Text(value))
    console.print(table)
    console.print(Text("\ndescription", style="bold"))
    console.print(definition.description or "(none)", markup=False, highlight=False, soft_wrap=True)
    for issue in definition.issues:
        where = f":{issue.line}" if issue.line else ""
        style = "red" if issue.severity == "error" else "yellow"
        line = Text.assemble((f"{issue.severity} ", style), f"{definition.source_path}{where}: {issue.message}")
        console.print(line, soft_wrap=True)
    console.rule("system prompt")
    console.print(prompt, markup=False, highlight=False, soft_wrap=True)


def _permissions_text(definition: AgentDefinition) -> str:
    rules = definition.permissions
    parts = [f"{tool}: {action}" for tool, action in rules.simple.items()]
    parts += [f"{tool}: {json.dumps(patterns)}" for tool, patterns in rules.patterns.items()]
    parts += [f"{kind}: {', '.join(values)}" for kind, values in (("allow", rules.allow), ("ask", rules.ask), ("deny", rules.deny)) if values]
    return "; ".join(parts)


def _system_prompt(definition: AgentDefinition, cwd: Path) -> str:
    """The system prompt ``run`` would send: the body plus the environment section (tools, mode, skills)."""
    from backend_agent.runtime import preview_system_prompt

    return preview_system_prompt(definition, cwd=cwd.resolve())


def validate_agents(
    paths: list[Path] = typer.Argument(..., help="Definition files or folders of them."),
    as_json: bool = _JSON,
    strict: bool = typer.Option(False, "--strict", help="Treat warnings as failures."),
) -> None:
    """Check definition files: a verdict per file with its warnings and errors; exit 1 if any fails."""
    from backend_agent.agents import LoadFailure, load_paths

    results: list[dict[str, Any]] = []
    for path in paths:
        if not path.exists():
            results.append(_verdict(str(path), None, [LoadFailure(str(path), None, "does not exist; check the path (a definition file, a folder of them or an opencode.json)")], strict))
            continue
        loaded, failures = load_paths([path])
        if path.is_dir() and not loaded and not failures:
            results.append(_verdict(str(path), None, [LoadFailure(str(path), None, "no definition files (*.md, *.markdown, *.txt) in this folder")], strict))
        elif not loaded and not failures:
            reason = "defines no agents: add an \"agent\" object mapping names to settings (description, prompt, ...)"
            results.append(_verdict(str(path), None, [LoadFailure(str(path), None, reason)], strict))
        results.extend(_verdict(definition.source_path or "", definition, [], strict) for definition in loaded)
        results.extend(_verdict(failure.path, None, [failure], strict) for failure in failures)
    ok = all(result["ok"] for result in results)
    if as_json:
        typer.echo(json.dumps({"ok": ok, "files": results}, indent=2))
    else:
        _print_verdicts(results)
    if not ok:
        raise typer.Exit(1)


def _verdict(path: str, definition: AgentDefinition | None, failures: list[LoadFailure], strict: bool) -> dict[str, Any]:
    warnings = [issue.model_dump() for issue in definition.issues if issue.severity == "warning"] if definition else []
    errors = [{"message": f.reason, "line": f.line} for f in failures]
    if definition:
        errors += [issue.model_dump() for issue in definition.issues if issue.severity == "error"]
    return {
        "path": path,
        "ok": not errors and not (strict and warnings),
        "name": definition.name if definition else None,
        "format": definition.format if definition else None,
        "warnings": warnings,
        "errors": errors,
    }


def _print_verdicts(results: list[dict[str, Any]]) -> None:
    console = Console()
    for result in results:
        if result["ok"]:
            label = ("ok", "bold green") if not result["warnings"] else ("ok", "bold yellow")
        else:
            label = ("FAIL", "bold red")
        detail = f"  {result['name']} ({result['format']})" if result["name"] else ""
        console.print(Text.assemble(label, " ", result["path"], detail), soft_wrap=True)
        for kind, style in (("errors", "red"), ("warnings", "yellow")):
            for item in result[kind]:
                where = f":{item['line']}" if item.get("line") else ""
                line = Text.assemble("  ", (kind[:-1], style), f" {result['path']}{where}: {item['message']}")
                console.print(line, soft_wrap=True)
    failed = sum(1 for result in results if not result["ok"])
    console.print(f"{len(results) - failed} ok, {failed} failed")


def route_task(
    task: str = typer.Argument(..., help="The task, in plain words."),
    more_files: list[str] = typer.Argument(None, metavar="PATH", help="More files (may follow --files)."),
    files: list[str] = typer.Option(None, "--files", "-f", help="Files the task is about (repeatable; extra paths may follow)."),
    as_json: bool = _JSON,
    limit: int = typer.Option(5, "--limit", "-n", min=1, help="How many agents to show."),
    cwd: Path = _CWD,
    agents_dir: list[Path] = _EXTRA,
    no_builtin: bool = _NO_BUILTIN,
) -> None:
    """Rank agents for a task with a score and the reasons (no model involved)."""
    from backend_agent.agents import route
    from backend_agent.errors import UsageError

    if not task.strip():
        raise UsageError("the task is empty", hint='describe the task, e.g. agents route "add a migration"')
    all_files = [part for value in [*(files or []), *(more_files or [])] for part in value.split(",") if part]
    # An existing folder counts as a folder for directory triggers, even without a trailing slash.
    all_files = [f"{part}/" if not part.endswith("/") and (cwd / part).is_dir() else part for part in all_files]
    roster = _discover(cwd, agents_dir, no_builtin)
    matches = route(task, roster, files=all_files)[:limit]
    if as_json:
        payload = {
            "task": task,
            "files": all_files,
            "matches": [{"agent": m.agent, "score": m.score, "reasons": m.reasons} for m in matches],
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    console = Console()
    if not matches:
        console.print("No agent matches this task; the default agent would handle it.")
        return
    table = Table(title=f"agents for: {task}", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("agent")
    table.add_column("score", justify="right")
    table.add_column("reasons", overflow="fold")
    for rank, match in enumerate(matches, start=1):
        table.add_row(str(rank), Text(match.agent), f"{match.score:.2f}", Text("\n".join(match.reasons)))
    console.print(table)


__all__ = ["register"]
