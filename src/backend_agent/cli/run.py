"""``backend-agent run``, ``sessions list|show|export`` and ``mcp list``.

The runtime is imported inside the commands so ``--help`` and the offline commands start fast.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
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
_SESSION_DIR = typer.Option(
    None, "--session-dir", help="Folder of the session store (default: the user's data folder, "
    "$XDG_DATA_HOME/backend-agent/sessions/<workspace>; env BACKEND_AGENT_SESSION_DIR).",
)


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
    mcp.command("approve")(mcp_approve)
    mcp.command("revoke")(mcp_revoke)
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
    session_dir: Path = _SESSION_DIR,
    allowed_tools: list[str] = typer.Option(
        None, "--allowedTools", "--allowed-tools", help="Claude Code: rules to allow, e.g. Read 'Bash(git log:*)'."
    ),
    disallowed_tools: list[str] = typer.Option(
        None, "--disallowedTools", "--disallowed-tools", help="Claude Code: rules to deny; a bare tool name hides the tool."
    ),
    skip_permissions: bool = typer.Option(
        False, "--dangerously-skip-permissions", help="Claude Code: the bypassPermissions mode (deny rules still hold)."
    ),
    system_prompt: str = typer.Option(None, "--system-prompt", help="Replace the agent's system prompt body."),
    append_system_prompt: str = typer.Option(
        None, "--append-system-prompt", help="Add text at the end of the system prompt."
    ),
    add_dir: list[Path] = typer.Option(None, "--add-dir", help="Another folder the tools may use (repeatable)."),
    mcp_config: list[str] = typer.Option(
        None, "--mcp-config", help="MCP servers from a JSON file or JSON text (repeatable); approved by naming."
    ),
    strict_mcp_config: bool = typer.Option(False, "--strict-mcp-config", help="Use only the --mcp-config servers."),
    settings: list[str] = typer.Option(
        None, "--settings", help="A settings JSON file or JSON text: permissions, hooks, env, model (repeatable)."
    ),
    input_format: str = typer.Option(
        "text", "--input-format", help="Headless input: text, or stream-json (user messages, one per line on stdin)."
    ),
    verbose: bool = typer.Option(False, "--verbose", help="Show every step (text output: tool calls on stderr)."),
    fork_session: bool = typer.Option(
        False, "--fork-session", help="With --resume/--continue: continue in a new session, leaving the old one as it was."
    ),
) -> None:
    """Run an agent on a task: interactive by default, headless with -p."""
    from backend_agent.cli.claude_flags import INPUT_FORMATS, ClaudeFlags, apply_claude_flags
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
    if input_format not in INPUT_FORMATS:
        raise UsageError(f"unknown --input-format {input_format!r}", hint=f"use one of {', '.join(INPUT_FORMATS)}")
    if input_format == "stream-json" and (not print_mode or output_format != "stream-json"):
        raise UsageError("--input-format stream-json needs -p and --output-format stream-json",
                         hint="add -p --output-format stream-json")  # fmt: skip
    if print_mode and task is None and input_format == "text" and not (continue_last or resume) and not sys.stdin.isatty():
        task = sys.stdin.read().strip() or None  # `echo "TASK" | backend-agent run -p`
    options = RunOptions(
        prompt=task, cwd=cwd, agent=agent, model=model, max_turns=max_turns, max_cost=max_cost,
        permission_mode=permission_mode, allow=list(allow or []), deny=list(deny or []), resume=resume,
        continue_last=continue_last, verify_with=_gate_list(verify_with), session_dir=session_dir,
    )  # fmt: skip
    apply_claude_flags(options, ClaudeFlags(
        allowed_tools=list(allowed_tools or []), disallowed_tools=list(disallowed_tools or []),
        skip_permissions=skip_permissions, system_prompt=system_prompt, append_system_prompt=append_system_prompt,
        add_dirs=list(add_dir or []), mcp_configs=list(mcp_config or []), strict_mcp_config=strict_mcp_config,
        settings=list(settings or []), fork_session=fork_session,
    ))  # fmt: skip
    if input_format == "stream-json":
        code = _stream_conversation(options)
    elif print_mode:
        code = _headless(options, output_format, verbose=verbose)
    else:
        code = _interactive(options)
    raise typer.Exit(code)


def _stream_conversation(options: RunOptions) -> int:
    """``--input-format stream-json``: each user message on stdin is one turn of the same session."""
    from backend_agent.cli.claude_flags import user_prompt

    code = 0
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        prompt = user_prompt(line, number)
        if prompt is None:  # a message type we do not act on (e.g. a control message)
            continue
        options.prompt = prompt
        code = _headless(options, "stream-json", keep_session=True)
    return code


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


def _headless(options: RunOptions, output_format: str, *, verbose: bool = False, keep_session: bool = False) -> int:
    from backend_agent.runtime import run
    from backend_agent.runtime.claude_format import claude_messages, result_message

    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False)

    def emit(event: BaseModel) -> None:
        kind = getattr(event, "type", "")
        if output_format == "stream-json":
            for message in claude_messages(event):
                sys.stdout.write(json.dumps(message) + "\n")
            sys.stdout.flush()
        elif output_format == "text" and kind == "warning":
            err.print(f"[yellow]warning:[/] {escape(event.message)}")  # type: ignore[attr-defined]
        elif output_format == "text" and verbose and kind in ("tool_call", "tool_result"):
            _print_step(err, event)
        elif output_format == "text" and kind == "milestone":
            err.print(f"[green]milestone {event.step}/6 {event.phase}:[/] {escape(event.summary)}")  # type: ignore[attr-defined]

    result: RunResult = run_until_signalled(lambda sink: run(options, emit=sink), emit)
    if output_format == "json":
        sys.stdout.write(json.dumps(result_message(result.model_dump(mode="json")), indent=2) + "\n")
    elif output_format == "text":
        if result.result:
            out.print(result.result, markup=False)
        if result.status != "success":
            err.print(f"[red]{result.status}[/]: {escape(result.error or 'the run did not finish')}")
    if keep_session:  # the next message continues this session
        options.resume, options.continue_last, options.agent, options.fork_session = result.session_id, False, None, False
    return result.exit_code


def _print_step(err: Console, event: Any) -> None:
    """One line on stderr per tool call and result (``--verbose`` with text output)."""
    if event.type == "tool_call":
        err.print(f"[cyan]⏺ {escape(event.name)}[/]([dim]{escape(_brief(event.input))}[/])")
    else:
        first = (event.output.strip().splitlines() or [""])[0][:160]
        err.print(f"  [{'dim' if event.ok else 'red'}]⎿ {escape(first)}[/]")


def run_until_signalled(start: Callable[[Any], Awaitable[RunResult]], emit: Callable[[Any], None]) -> RunResult:
    """Run the agent; SIGINT (Ctrl-C) and SIGTERM end it as ``interrupted`` with its final result.

    Either signal cancels the run: running commands are killed, MCP servers and background jobs
    stopped, the session is marked ``interrupted`` (resumable) and its result event is emitted, so
    every output format still ends with a result. The exit code is the result's (1 for interrupted).
    A second signal while shutting down exits at once.
    """
    import signal

    from backend_agent.tools import stop_foreground_commands

    final: list[RunResult] = []
    received: list[str] = []

    def sink(event: Any) -> None:
        if getattr(event, "type", "") == "result" and hasattr(event, "exit_code"):
            if received:
                event.error = f"interrupted by {received[0]}"
            final.append(event)
        emit(event)

    async def main() -> RunResult:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def stop(name: str) -> None:
            if received:  # a second signal: give up waiting for a clean stop
                os._exit(130 if name == "SIGINT" else 143)
            received.append(name)
            stop_foreground_commands()
            task.cancel()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop, signal.Signals(signum).name)
        try:
            return await start(sink)
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    try:
        return asyncio.run(main())
    except (asyncio.CancelledError, KeyboardInterrupt):
        if final:
            return final[-1]
        raise KeyboardInterrupt from None  # stopped before the run started: the entry point exits 130


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
    if tty and sys.stdout.isatty():
        return _terminal_ui(options, console, renderer)
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


def _terminal_ui(options: RunOptions, console: Console, renderer: _Renderer) -> int:
    """The full terminal UI (slash commands, mode cycling, diffs before approval)."""
    from backend_agent.cli.interactive import InteractiveApp

    app = InteractiveApp(options=options, console=console, renderer=renderer)
    if options.resume or options.continue_last:
        app.session_id = _session_to_continue(options)
    return app.loop(options.prompt)


def _session_to_continue(options: RunOptions) -> str | None:
    from backend_agent.runtime import SessionStore

    with SessionStore.for_workspace(options.cwd.resolve(), session_dir=options.session_dir) as store:
        info = store.get(options.resume) if options.resume else store.latest(workspace=options.cwd.resolve())
    return info.id if info is not None else None


def _store_path(cwd: Path, session_dir: Path | None = None) -> Path:
    from backend_agent.runtime.sessions import session_db_path

    return session_db_path(cwd.resolve(), session_dir)


def _store(cwd: Path, session_dir: Path | None = None) -> Any:
    from backend_agent.errors import UsageError
    from backend_agent.runtime import SessionStore

    path = _store_path(cwd, session_dir)
    if not path.is_file():
        raise UsageError(
            f"no sessions are stored in {cwd.resolve()}", hint='start one with: backend-agent run -p "TASK"'
        )
    return SessionStore(path)


def sessions_list(
    cwd: Path = _CWD, as_json: bool = _JSON, limit: int = typer.Option(30, "--limit", min=1),
    session_dir: Path = _SESSION_DIR,
) -> None:  # fmt: skip
    """List the sessions of a workspace, newest first."""
    import datetime as dt

    if not _store_path(cwd, session_dir).is_file():  # an empty list is an answer, not a usage error
        if not as_json:
            typer.echo(f'no sessions are stored in {cwd.resolve()} (start one with: backend-agent run -p "TASK")')
            return
        infos = []
    else:
        with _store(cwd, session_dir) as store:
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
    session_dir: Path = _SESSION_DIR,
) -> None:
    """Show a session's summary, tool calls and permission decisions."""
    with _store(cwd, session_dir) as store:
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
    session_dir: Path = _SESSION_DIR,
) -> None:
    """Export everything stored about a session (messages, tool calls, decisions) as JSON."""
    from backend_agent._atomic import write_atomic

    with _store(cwd, session_dir) as store:
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
    """Start each approved MCP server, list its tools and stop it; show the others as pending approval."""
    from backend_agent.runtime.mcp import ServerStatus, approval_states, load_mcp_config, probe_servers

    workspace = cwd.resolve()
    configs = load_mcp_config(workspace)
    states = approval_states(workspace)
    approved = [c for name, c in configs.items() if states.get(name) == "approved"]
    probed = {
        s.name: s
        for s in (asyncio.run(probe_servers(approved, workspace=workspace, timeout=timeout)) if approved else [])
    }
    statuses = []
    for name, config in configs.items():
        if name in probed:
            statuses.append(probed[name])
            continue
        shown = config.url if config.transport != "stdio" else " ".join([config.command or "", *config.args])
        state = states.get(name, "pending")
        statuses.append(ServerStatus(name, config.transport, state, error=f"not started ({state}): {shown}"))
    if as_json:
        typer.echo(json.dumps([s.__dict__ for s in statuses], indent=2))
        return
    console = Console(highlight=False)
    if not statuses:
        console.print(f"no MCP servers configured (add them to {workspace / '.mcp.json'})")
        return
    table = Table("server", "transport", "status", "tools")
    for status in statuses:
        if status.status == "ok":
            state = "[green]ok[/]"
        elif status.status in ("pending", "disabled"):
            state = f"[yellow]{status.status}[/] {escape(status.error or '')}"
        else:
            state = f"[red]error[/] {escape(status.error or '')}"
        table.add_row(status.name, status.transport, state, escape(", ".join(status.tools)))
    console.print(table)
    pending = [s.name for s in statuses if s.status == "pending"]
    if pending:
        console.print(f"review .mcp.json, then approve with: backend-agent mcp approve {' '.join(pending)}")


def mcp_approve(
    names: list[str] = typer.Argument(None, help="Server names from .mcp.json (default: all of them)."),
    cwd: Path = _CWD,
) -> None:
    """Approve project MCP servers as currently configured (a changed entry needs approval again)."""
    from backend_agent.runtime.mcp import approve_servers, load_mcp_config

    workspace = cwd.resolve()
    chosen = list(names or load_mcp_config(workspace))
    if not chosen:
        typer.echo(f"no MCP servers configured in {workspace / '.mcp.json'}")
        return
    for name in approve_servers(workspace, chosen):
        typer.echo(f"approved {name}")


def mcp_revoke(
    names: list[str] = typer.Argument(..., help="Server names to withdraw approval from."), cwd: Path = _CWD
) -> None:
    """Withdraw the approval of project MCP servers."""
    from backend_agent.runtime.mcp import revoke_servers

    removed = revoke_servers(cwd.resolve(), list(names))
    typer.echo("revoked " + ", ".join(removed) if removed else "none of these servers was approved")
