"""``backend-agent run``, ``sessions list|show|export`` and ``mcp list``.

The runtime is imported inside the commands so ``--help`` and the offline commands start fast.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from pydantic import BaseModel

    from backend_agent.runtime import Answer, RunOptions, RunResult

OUTPUT_FORMATS = ("text", "json", "stream-json")
_CWD = typer.Option(Path("."), "--cwd", help="Workspace folder (default: the current folder).")
_JSON = typer.Option(False, "--json", help="Print JSON.")


def register(app: typer.Typer) -> None:
    """Add ``run`` and the ``sessions`` and ``mcp`` groups to the root application."""
    app.command("run")(run_command)
    sessions = typer.Typer(
        name="sessions", help="List, show and export stored agent sessions.", no_args_is_help=True
    )
    sessions.command("list")(sessions_list)
    sessions.command("show")(sessions_show)
    sessions.command("export")(sessions_export)
    app.add_typer(sessions, name="sessions")
    mcp = typer.Typer(name="mcp", help="MCP servers: list those in .mcp.json, or serve our tools.", no_args_is_help=True)
    mcp.command("list")(mcp_list)
    from backend_agent.cli.mcp_serve import mcp_serve

    mcp.command("serve")(mcp_serve)
    app.add_typer(mcp, name="mcp")


def run_command(
    task: str = typer.Argument(None, help="The task for the agent."),
    print_mode: bool = typer.Option(
        False, "--print", "-p", help="Headless: run the task, print the result, exit."
    ),
    output_format: str = typer.Option(
        "text", "--output-format", help="Headless output: text, json or stream-json."
    ),
    agent: str = typer.Option(
        None, "--agent", help="Agent name, definition file, or 'auto' to route (default: backend)."
    ),
    model: str = typer.Option(
        None,
        "--model",
        help="sonnet|opus|haiku, provider:model, provider/model, openai-compat[:NAME], script:PATH.",
    ),
    max_turns: int = typer.Option(
        None, "--max-turns", min=1, help="Stop after this many model requests (exit 3)."
    ),
    max_cost: float = typer.Option(
        None, "--max-cost", min=0.0, help="Stop before exceeding this cost in USD (exit 3)."
    ),
    permission_mode: str = typer.Option(
        None, "--permission-mode", help="default, acceptEdits, plan, dontAsk or bypassPermissions."
    ),
    allow: list[str] = typer.Option(
        None, "--allow", help="Permission rule to allow, e.g. 'Bash(pytest:*)' (repeatable)."
    ),
    deny: list[str] = typer.Option(
        None, "--deny", help="Permission rule to deny, e.g. 'Bash(rm:*)' (repeatable)."
    ),
    cwd: Path = _CWD,
    continue_last: bool = typer.Option(
        False, "--continue", "-c", help="Continue the last session in this workspace."
    ),
    resume: str = typer.Option(
        None, "--resume", "-r", help="Resume the session with this id (or id prefix)."
    ),
    verify_with: str = typer.Option(
        None, "--verify-with", help="Comma-separated gates that define done, e.g. tests,static-security: "
        "the run is not done until they pass (docs/workflow.md).",
    ),
) -> None:
    """Run an agent on a task: interactive by default, headless with -p."""
    from backend_agent.errors import UsageError
    from backend_agent.runtime import RunOptions

    if output_format not in OUTPUT_FORMATS:
        raise UsageError(
            f"unknown --output-format {output_format!r}", hint=f"use one of {', '.join(OUTPUT_FORMATS)}"
        )
    if output_format != "text" and not print_mode:
        raise UsageError(f"--output-format {output_format} needs -p (headless mode)", hint="add -p")
    if continue_last and resume:
        raise UsageError("--continue and --resume cannot be combined", hint="pass one of them")
    if print_mode and task is None and not (continue_last or resume) and not sys.stdin.isatty():
        task = sys.stdin.read().strip() or None  # `echo "TASK" | backend-agent run -p`
    options = RunOptions(
        prompt=task, cwd=cwd, agent=agent, model=model, max_turns=max_turns, max_cost=max_cost,
        permission_mode=permission_mode, allow=list(allow or []), deny=list(deny or []), resume=resume,
        continue_last=continue_last, verify_with=_gate_list(verify_with),
    )  # fmt: skip
    code = _headless(options, output_format) if print_mode else _interactive(options)
    raise typer.Exit(code)


def _gate_list(value: str | None) -> list[str] | None:
    """``--verify-with`` as gate names, each checked against the registry (a UsageError names the valid ones)."""
    if value is None:
        return None
    from backend_agent.errors import UsageError
    from backend_agent.gates import GATE_NAMES, select_gates

    names = [part.strip() for part in value.split(",") if part.strip()]
    if not names:
        raise UsageError("--verify-with names no gate", hint=f"valid gates: {', '.join(GATE_NAMES)}")
    select_gates(gates=names)  # raises for unknown names
    return names


def _headless(options: RunOptions, output_format: str) -> int:
    from backend_agent.runtime import run

    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False)

    def emit(event: BaseModel) -> None:
        kind = getattr(event, "type", "")
        if output_format == "stream-json" and kind != "text_delta":
            sys.stdout.write(event.model_dump_json() + "\n")
            sys.stdout.flush()
        elif output_format == "text" and kind == "warning":
            err.print(f"[yellow]warning:[/] {escape(event.message)}")  # type: ignore[attr-defined]
        elif output_format == "text" and kind == "milestone":
            err.print(f"[green]milestone {event.step}/6 {event.phase}:[/] {escape(event.summary)}")  # type: ignore[attr-defined]

    result: RunResult = asyncio.run(run(options, emit=emit))
    if output_format == "json":
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    elif output_format == "text":
        if result.result:
            out.print(result.result, markup=False)
        if result.status != "success":
            err.print(f"[red]{result.status}[/]: {escape(result.error or 'the run did not finish')}")
    return result.exit_code


class _Renderer:
    """Compact rich rendering of run events for interactive runs."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.streaming = False

    def _end_stream(self) -> None:
        if self.streaming:
            self.console.print()
            self.streaming = False

    def __call__(self, event: BaseModel) -> None:
        data: Any = event
        kind = data.type
        who = f"[magenta]{escape(data.agent)}[/] " if getattr(data, "agent", None) else ""
        if kind == "text_delta":
            self.console.print(data.text, end="", markup=False, highlight=False)
            self.streaming = True
        elif kind == "assistant":
            if not self.streaming and data.text and data.agent:
                self.console.print(f"{who}{escape(data.text)}")
            self._end_stream()
        elif kind == "tool_call":
            self._end_stream()
            self.console.print(f"{who}[cyan]⏺ {data.name}[/]([dim]{escape(_brief(data.input))}[/])")
        elif kind == "tool_result":
            first = (data.output.strip().splitlines() or [""])[0][:160]
            colour = "dim" if data.ok else "red"
            self.console.print(f"  [{colour}]⎿ {escape(first)}[/]")
        elif kind == "permission" and data.decision == "deny":
            self.console.print(f"  [red]denied[/] {escape(data.reason or '')}")
        elif kind == "warning":
            self.console.print(f"[yellow]warning:[/] {escape(data.message)}")
        elif kind == "milestone":
            self._end_stream()
            self.console.print(f"[bold green]◆ {data.step}/6 {data.phase}[/] {escape(data.summary)}")
        elif kind == "verification":
            self._end_stream()
            marks = ", ".join(f"{g['gate']} {g['status']}" for g in data.gates)
            colour = "green" if data.passed else "red"
            self.console.print(f"[{colour}]verification round {data.round}:[/] {escape(marks)}")
        elif kind == "system":
            self.console.print(f"[dim]{escape(data.agent)} · {escape(data.model)} · {data.permission_mode} · "
                               f"session {data.session_id[:8]}[/]")  # fmt: skip
        elif kind == "result":
            self._end_stream()
            colour = "green" if data.status == "success" else "red"
            cost = f" · ${data.cost_usd:.4f}" if data.cost_usd is not None else ""
            self.console.print(f"[{colour}]{data.status}[/] [dim]· {data.turns} turns · {data.tool_calls} tool calls · "
                               f"{data.usage.input_tokens}+{data.usage.output_tokens} tokens{cost} · "
                               f"{data.duration_ms / 1000:.1f}s[/]")  # fmt: skip
            if data.error:
                self.console.print(f"[red]{escape(data.error)}[/]")


def _brief(tool_input: dict[str, Any]) -> str:
    for key in ("command", "file_path", "pattern", "subagent_type", "skill", "path"):
        if key in tool_input:
            return str(tool_input[key])[:120]
    return json.dumps(tool_input)[:120]


def _interactive(options: RunOptions) -> int:
    from rich.prompt import Prompt

    from backend_agent.runtime import run

    console = Console(highlight=False)
    renderer = _Renderer(console)

    remembered: set[tuple[str, str]] = set()  # "always" answers outlive one run: they hold for follow-ups too

    async def ask(tool: str, tool_input: dict[str, Any], decision: Any) -> Answer:
        key = (tool, json.dumps(tool_input, sort_keys=True, default=str))
        if key in remembered:
            return "always"
        renderer._end_stream()
        reason = getattr(decision, "reason", None) or "this call needs approval"
        console.print(f"[yellow]? {escape(tool)}[/]({escape(_brief(tool_input))}) — {escape(reason)}")
        try:
            choice = await asyncio.to_thread(
                Prompt.ask,
                "  allow \\[y]es once / \\[a]lways this session / \\[n]o",
                choices=["y", "a", "n"],
                default="y",
            )
        except EOFError:  # stdin closed: nobody can approve, so the call is refused
            console.print()
            return "deny"
        if choice == "a":
            remembered.add(key)
        return {"y": "once", "a": "always"}.get(choice, "deny")  # type: ignore[return-value]

    tty = sys.stdin.isatty()
    if not options.prompt and not (options.resume or options.continue_last):
        if not tty:
            from backend_agent.errors import UsageError

            raise UsageError(
                "a task is needed", hint='pass it as an argument or use -p: backend-agent run -p "TASK"'
            )
        options.prompt = Prompt.ask("[bold]task[/]")
    options.stream = True
    code = 0
    while True:
        result = asyncio.run(run(options, emit=renderer, asker=ask))
        code = result.exit_code
        if not tty:
            return code
        try:
            follow_up = Prompt.ask("[bold]>[/] (empty to quit)", default="", show_default=False).strip()
        except EOFError:  # Ctrl-D ends the conversation like an empty line
            console.print()
            return code
        if not follow_up or follow_up in ("exit", "quit"):
            return code
        options.prompt, options.resume, options.continue_last, options.agent = (
            follow_up,
            result.session_id,
            False,
            None,
        )


def _store_path(cwd: Path) -> Path:
    from backend_agent.settings import Settings

    return cwd.resolve() / Settings.model_validate({}).state_dir_name / "sessions.db"


def _store(cwd: Path) -> Any:
    from backend_agent.errors import UsageError
    from backend_agent.runtime import SessionStore

    path = _store_path(cwd)
    if not path.is_file():
        raise UsageError(
            f"no sessions are stored in {cwd.resolve()}", hint='start one with: backend-agent run -p "TASK"'
        )
    return SessionStore(path)


def sessions_list(
    cwd: Path = _CWD, as_json: bool = _JSON, limit: int = typer.Option(30, "--limit", min=1)
) -> None:
    """List the sessions of a workspace, newest first."""
    import datetime as dt

    if not _store_path(cwd).is_file():  # an empty list is an answer, not a usage error
        if not as_json:
            typer.echo(f'no sessions are stored in {cwd.resolve()} (start one with: backend-agent run -p "TASK")')
            return
        infos = []
    else:
        with _store(cwd) as store:
            infos = store.list(limit=limit)
    if as_json:
        typer.echo(
            json.dumps(
                [{k: v for k, v in i.__dict__.items() if k != "tool_session"} for i in infos], indent=2
            )
        )
        return
    table = Table("id", "updated", "agent", "model", "status", "messages", "task")
    for info in infos:
        when = dt.datetime.fromtimestamp(info.updated_at).strftime("%Y-%m-%d %H:%M")
        table.add_row(
            info.id[:8], when, info.agent, info.model, info.status, str(info.message_count), info.title[:50]
        )
    Console().print(table)


def sessions_show(
    session_id: str = typer.Argument(..., help="Session id or prefix."),
    cwd: Path = _CWD,
    as_json: bool = _JSON,
) -> None:
    """Show a session's summary, tool calls and permission decisions."""
    with _store(cwd) as store:
        data = store.export(session_id)
    info = data["session"]
    if as_json:
        typer.echo(json.dumps({k: v for k, v in data.items() if k != "messages"}, indent=2, default=str))
        return
    console = Console(highlight=False)
    console.print(
        f"[bold]{info['id']}[/] · {escape(info['agent'])} · {escape(info['model'])} · {info['status']}"
    )
    console.print(f"task: {escape(info['title'])}")
    result = info.get("result") or {}
    if result:
        console.print(
            f"turns {result.get('turns')} · tool calls {result.get('tool_calls')} · usage {result.get('usage')}"
        )
        if result.get("result"):
            console.print(f"result: {escape(str(result['result'])[:500])}")
    table = Table("tool", "ok", "ms", "input", title="tool calls")
    for call in data["tool_calls"]:
        table.add_row(
            call["name"], "yes" if call["ok"] else "no", str(call["duration_ms"]), escape(call["input"][:80])
        )
    console.print(table)
    perms = Table("tool", "decision", "rule", "reason", title="permission decisions")
    for row in data["permissions"]:
        perms.add_row(row["tool"], row["decision"], escape(row["rule"] or "-"), escape(row["reason"] or ""))
    console.print(perms)


def sessions_export(
    session_id: str = typer.Argument(..., help="Session id or prefix."),
    cwd: Path = _CWD,
    output: Path = typer.Option(None, "--output", "-o", help="Write the JSON here instead of stdout."),
) -> None:
    """Export everything stored about a session (messages, tool calls, decisions) as JSON."""
    from backend_agent._atomic import write_atomic

    with _store(cwd) as store:
        text = json.dumps(store.export(session_id), indent=2, default=str)
    if output is None:
        typer.echo(text)
    else:
        from backend_agent.errors import UsageError

        if output.is_dir():
            raise UsageError(f"--output {output} is a folder", hint=f"name a file, e.g. -o {output / 'session.json'}")
        try:
            write_atomic(output, text + "\n")
        except OSError as exc:
            raise UsageError(f"cannot write --output {output}: {exc.strerror or exc}",
                             hint="choose a path in a folder you can write to") from exc  # fmt: skip
        typer.echo(f"wrote {output}")


def mcp_list(
    cwd: Path = _CWD, as_json: bool = _JSON, timeout: float = typer.Option(30.0, "--timeout", min=1.0)
) -> None:
    """Start each configured MCP server, list its tools and stop it."""
    from backend_agent.runtime import load_mcp_config, probe_servers

    workspace = cwd.resolve()
    configs = load_mcp_config(workspace)
    statuses = (
        asyncio.run(probe_servers(list(configs.values()), workspace=workspace, timeout=timeout))
        if configs
        else []
    )
    if as_json:
        typer.echo(json.dumps([s.__dict__ for s in statuses], indent=2))
        return
    console = Console(highlight=False)
    if not statuses:
        console.print(f"no MCP servers configured (add them to {workspace / '.mcp.json'})")
        return
    table = Table("server", "transport", "status", "tools")
    for status in statuses:
        state = "[green]ok[/]" if status.status == "ok" else f"[red]error[/] {escape(status.error or '')}"
        table.add_row(status.name, status.transport, state, escape(", ".join(status.tools)))
    console.print(table)
