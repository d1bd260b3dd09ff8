"""``backend-agent tools list|call`` and ``permissions check``: run one tool, or debug permission rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from backend_agent.runtime.permissions import Decision, PermissionMode, RuleSet

_CWD = typer.Option(Path("."), "--cwd", help="Workspace folder (default: the current folder).")
_INPUT = typer.Option(
    ...,
    "--input",
    "-i",
    help='Tool input as a JSON object, e.g. \'{"file_path": "a.py"}\'; "-" reads stdin, @FILE a file.',
)
_MODE = typer.Option(
    None, "--permission-mode", "--mode", help="default, acceptEdits, plan, dontAsk or bypassPermissions."
)
_ALLOW = typer.Option(None, "--allow", help="Extra allow rule, e.g. 'Bash(git log:*)' (repeatable).")
_ASK = typer.Option(None, "--ask", help="Extra ask rule (repeatable).")
_DENY = typer.Option(None, "--deny", help="Extra deny rule, e.g. 'Bash(rm:*)' (repeatable).")
_JSON = typer.Option(False, "--json", help="Print JSON.")


def register(app: typer.Typer) -> None:
    """Add the ``tools`` and ``permissions`` command groups to the root application."""
    tools = typer.Typer(
        name="tools", help="List the built-in tools or run one directly.", no_args_is_help=True
    )
    tools.command("list")(list_tools)
    tools.command("call")(call_tool)
    app.add_typer(tools, name="tools")
    permissions = typer.Typer(name="permissions", help="Debug permission rules.", no_args_is_help=True)
    permissions.command("check")(check_permission)
    app.add_typer(permissions, name="permissions")


def list_tools(json_output: bool = _JSON) -> None:
    """List the built-in tools with their input fields."""
    from backend_agent.backend_tools import backend_tools
    from backend_agent.tools import default_tools

    tools = default_tools() + backend_tools()
    if json_output:
        payload = [
            {
                "name": t.name,
                "read_only": t.read_only,
                "description": t.description,
                "input_schema": t.json_schema(),
            }
            for t in tools
        ]
        typer.echo(json.dumps(payload, indent=2))
        return
    table = Table(title="Tools")
    table.add_column("Tool", style="bold")
    table.add_column("Read-only")
    table.add_column("Input fields")
    table.add_column("Description")
    for tool in tools:
        fields = ", ".join(tool.json_schema().get("properties", {}))
        table.add_row(tool.name, "yes" if tool.read_only else "no", fields, tool.description)
    Console().print(table)


def call_tool(
    name: str = typer.Argument(..., help="Tool name, e.g. Read, Edit, Bash (see 'tools list')."),
    input_json: str = _INPUT,
    cwd: Path = _CWD,
    session: str | None = typer.Option(None, "--session", help="Tool session id, or 'new' for a fresh one."),
    mode: str | None = _MODE,
    allow: list[str] | None = _ALLOW,
    deny: list[str] | None = _DENY,
    no_sandbox: bool = typer.Option(False, "--no-sandbox", help="Run Bash without bubblewrap."),
    allow_network: bool = typer.Option(False, "--allow-network", help="Let sandboxed Bash use the network."),
    json_output: bool = _JSON,
) -> None:
    """Run one tool outside any model loop, after a headless permission check (ask counts as deny)."""
    from backend_agent.errors import PermissionDenied, ToolError
    from backend_agent.runtime.permissions import PermissionEngine
    from backend_agent.tools import ToolContext, get_tool, load_tool_session, save_tool_session

    workspace = _workspace(cwd)
    raw = _parse_input(input_json)
    tool = get_tool(name)
    rules = _rules(workspace, allow=allow, ask=None, deny=deny)
    engine = PermissionEngine(mode=_mode(mode), rules=rules, workspace=workspace)
    decision = engine.decide(tool.name, raw)
    if decision.action != "allow":
        raise PermissionDenied(_denied_message(tool.name, decision), hint=_denied_hint(tool.name, decision))
    tool_session = load_tool_session(workspace, session)
    ctx = ToolContext(
        workspace=workspace,
        extra_dirs=rules.additional_directories,
        session=tool_session,
        sandbox=not no_sandbox,
        allow_network=allow_network,
    )
    result = tool.call(raw, ctx)
    save_tool_session(workspace, tool_session)
    if json_output:
        payload = {"tool": tool.name, "session": tool_session.id, **result.model_dump()}
        payload["permission"] = decision.to_dict()
        typer.echo(json.dumps(payload, indent=2))
        if not result.ok:
            raise typer.Exit(1)
        return
    if not result.ok and result.error is not None:
        raise ToolError(f"{tool.name} failed [{result.error.code}]: {result.error.message}")
    typer.echo(result.output)


def check_permission(
    tool: str = typer.Option(..., "--tool", "-t", help="Tool name, e.g. Bash, Edit, mcp__server__tool."),
    input_json: str = _INPUT,
    agent: str | None = typer.Option(None, "--agent", "-a", help="Apply this agent's tool grants and rules."),
    mode: str | None = _MODE,
    allow: list[str] | None = _ALLOW,
    ask: list[str] | None = _ASK,
    deny: list[str] | None = _DENY,
    cwd: Path = _CWD,
    json_output: bool = _JSON,
) -> None:
    """Print the decision (allow / ask / deny) for a tool call and the rule that made it."""
    from backend_agent.runtime.permissions import PermissionEngine

    workspace = _workspace(cwd)
    raw = _parse_input(input_json)
    definition = None
    if agent:
        from backend_agent.agents import discover

        definition = discover(cwd=workspace).get(agent)
    rules = _rules(workspace, allow=allow, ask=ask, deny=deny)
    engine = PermissionEngine(mode=_mode(mode), rules=rules, definition=definition, workspace=workspace)
    decision = engine.decide(tool, raw)
    if json_output:
        payload = {"tool": tool, "mode": engine.mode.value, "agent": agent, **decision.to_dict()}
        typer.echo(json.dumps(payload, indent=2))
        return
    _render_decision(decision, engine.mode.value)


def _render_decision(decision: Decision, mode: str) -> None:
    console = Console()
    colour = {"allow": "green", "ask": "yellow", "deny": "red"}[decision.action]
    console.print(f"[bold {colour}]{decision.action.upper()}[/]  (mode: {mode})")
    console.print(f"rule:   {escape(decision.rule or '(none)')}")
    console.print(f"source: {escape(decision.source or '(none)')}")
    console.print(f"reason: {escape(decision.reason)}")
    if decision.subcommands:
        table = Table(title="Commands checked one by one")
        for column in ("Command", "Decision", "Rule", "Source", "Reason"):
            table.add_column(column)
        for sub in decision.subcommands:
            table.add_row(
                escape(sub.command),
                sub.action,
                escape(sub.rule or ""),
                escape(sub.source or ""),
                escape(sub.reason),
            )
        console.print(table)


def _workspace(cwd: Path) -> Path:
    from backend_agent.errors import UsageError

    if not cwd.is_dir():
        raise UsageError(f"--cwd {cwd} is not a folder.", hint="pass an existing workspace folder")
    return cwd.resolve()


def _parse_input(text: str) -> dict[str, Any]:
    """JSON from the option itself, from standard input (``-``) or from a file (``@path``)."""
    import sys

    from backend_agent.errors import UsageError

    if text == "-":
        text = sys.stdin.read()
    elif text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--input {text}: cannot read the file ({exc.strerror}).") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"--input is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            hint='quote the object for your shell, e.g. --input \'{"command": "ls"}\'',
        ) from exc
    if not isinstance(data, dict):
        raise UsageError(
            f"--input must be a JSON object, not {type(data).__name__}.", hint='e.g. {"file_path": "a.py"}'
        )
    return data


def _mode(value: str | None) -> PermissionMode | None:
    from backend_agent.errors import UsageError
    from backend_agent.runtime.permissions import PermissionMode

    if value is None:
        return None
    try:
        return PermissionMode.parse(value)
    except ValueError as exc:
        raise UsageError(f"--permission-mode: {exc}.") from exc


def _rules(
    workspace: Path, *, allow: list[str] | None, ask: list[str] | None, deny: list[str] | None
) -> RuleSet:
    from backend_agent.errors import UsageError
    from backend_agent.runtime.permissions import RuleSet, load_permission_settings

    try:
        extra = RuleSet.from_lists(allow=allow, ask=ask, deny=deny, source="cli")
    except ValueError as exc:
        raise UsageError(f"bad rule option: {exc}.") from exc
    return load_permission_settings(workspace).merged(extra)


def _denied_message(tool: str, decision: Decision) -> str:
    rule = f" by rule {decision.rule} ({decision.source})" if decision.rule else ""
    if decision.action == "ask":
        return f"{tool} call needs approval{rule} and 'tools call' cannot prompt: {decision.reason}"
    return f"{tool} call denied{rule}: {decision.reason}"


def _denied_hint(tool: str, decision: Decision) -> str:
    if decision.action == "deny" and decision.rule:
        return f"the rule {decision.rule} comes from {decision.source}; change it there to allow this call"
    asking = next((s for s in decision.subcommands if s.action != "allow"), None)
    if tool == "Bash" and asking is not None and asking.command:
        if not asking.reason.startswith("no rule allows"):
            # opaque constructs, writes outside the workspace, possible denied commands: no allow rule helps
            return (
                "no allow rule can approve this command; rewrite it as plain commands inside the "
                "workspace, or use --permission-mode bypassPermissions if you trust it"
            )
        first = asking.command.split()[0]
        return f"allow it with --allow 'Bash({first}:*)' or a rule in .backend-agent/settings.json"
    return (
        f"allow it with --allow '{tool}', a settings rule, or --permission-mode acceptEdits/bypassPermissions"
    )


__all__ = ["register"]
