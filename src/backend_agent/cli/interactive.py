"""The interactive terminal UI of ``backend-agent run``: a prompt_toolkit line editor around the runtime.

What a Claude Code user expects: streamed output, slash commands (``/help``, ``/agents``,
``/model``, ``/permissions``, ``/compact``, ``/cost``, ``/resume``, ... and the user's own
``.claude/commands/*.md``), Shift+Tab to cycle the permission mode, a diff of every Edit and
Write before it is approved, and a session picker. Each task runs to its end; the next line
continues the same session.
"""

from __future__ import annotations

import asyncio
import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table

from backend_agent.cli.slash_commands import CustomCommand, discover_commands, expand_command

if TYPE_CHECKING:
    from prompt_toolkit import PromptSession

    from backend_agent.runtime import Answer, RunOptions, RunResult

MODE_CYCLE = ("default", "acceptEdits", "plan")
MANUAL_KEEP_RECENT = 2  # /compact keeps only the last two model responses in full
BUILTIN_COMMANDS: dict[str, str] = {
    "help": "Show the commands and keys",
    "agents": "List the agents this workspace can use",
    "agent": "Use another agent for new sessions: /agent NAME",
    "model": "Show or set the model: /model [REF]",
    "mode": "Show or set the permission mode: /mode [default|acceptEdits|plan|bypassPermissions]",
    "permissions": "Show the permission mode and the rules in force",
    "compact": "Compact the conversation so far (keeps the recent turns)",
    "cost": "Tokens, cost and time of this session",
    "resume": "Pick an earlier session to continue: /resume [ID]",
    "clear": "Start a new session",
    "exit": "Leave (also Ctrl-D)",
}


@dataclass
class Totals:
    """What the runs of this terminal session cost so far."""

    turns: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    priced: bool = True

    def add(self, result: RunResult) -> None:
        self.turns += result.turns
        self.input_tokens += result.usage.input_tokens
        self.output_tokens += result.usage.output_tokens
        self.seconds += result.duration_ms / 1000
        if result.cost_usd is None:
            self.priced = False
        else:
            self.cost_usd += result.cost_usd


@dataclass
class InteractiveApp:
    """One terminal conversation: the prompt loop, its commands and the approval prompts."""

    options: RunOptions
    console: Console
    renderer: Any
    session_id: str | None = None
    totals: Totals = field(default_factory=Totals)
    remembered: set[tuple[str, str]] = field(default_factory=set)
    commands: dict[str, CustomCommand] = field(default_factory=dict)
    _prompt: PromptSession[str] | None = None

    # -- the loop ---------------------------------------------------------------------------------

    def loop(self, first_task: str | None) -> int:
        self.options.permission_mode = self.options.permission_mode or "default"
        self.commands = discover_commands(self.options.cwd.resolve(), self.options.home)
        self.console.print(
            "[dim]backend-agent — /help for commands, Shift+Tab cycles the permission mode, Ctrl-D leaves[/]"
        )
        code = 0
        pending = first_task
        while True:
            if pending is None:
                try:
                    pending = self._session().prompt("> ").strip()
                except EOFError:
                    return code
                except KeyboardInterrupt:
                    pending = None
                    continue
            line, pending = pending, None
            if not line:
                continue
            if line.startswith("/"):
                task = self.slash(line)
                if task is _EXIT:
                    return code
                if not isinstance(task, tuple):
                    continue
                prompt, extra_allow, model = task
                code = self.run_task(prompt, extra_allow=extra_allow, model=model)
            else:
                code = self.run_task(line)

    def run_task(self, prompt: str, *, extra_allow: list[str] | None = None, model: str | None = None) -> int:
        from backend_agent.errors import BackendAgentError
        from backend_agent.runtime import run

        options = self.options
        saved_allow, saved_model = list(options.allow), options.model
        options.prompt = prompt
        options.resume = self.session_id
        options.continue_last = False
        options.allow = saved_allow + list(extra_allow or [])
        options.model = model or saved_model
        options.stream = True
        options.questioner = self.ask_questions
        try:
            result = asyncio.run(run(options, emit=self.renderer, asker=self.approve))
        except BackendAgentError as exc:
            self.console.print(f"[red]{escape(type(exc).__name__)}:[/] {escape(str(exc))}")
            return 1
        except KeyboardInterrupt:
            self.console.print("[yellow]interrupted[/]")
            return 130
        finally:
            options.allow, options.model = saved_allow, saved_model
        self.session_id = result.session_id
        options.agent = None  # a resumed session keeps its agent
        self.totals.add(result)
        return result.exit_code

    # -- slash commands -------------------------------------------------------------------------

    def slash(self, line: str) -> Any:
        """Run a slash command; returns _EXIT, None, or (prompt, extra allow rules, model) to run."""
        name, _, argument = line[1:].partition(" ")
        argument = argument.strip()
        handler = getattr(self, f"cmd_{name}", None) if name in BUILTIN_COMMANDS else None
        if handler is not None:
            return handler(argument)
        if name in ("quit", "q"):
            return _EXIT
        custom = self.commands.get(name)
        if custom is not None:
            return expand_command(custom, argument)
        known = sorted([*BUILTIN_COMMANDS, *self.commands])
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" Did you mean /{close[0]}?" if close else " Type /help for the list."
        self.console.print(f"[red]Unknown command /{escape(name)}.[/]{hint}")
        return None

    def cmd_help(self, _argument: str) -> None:
        table = Table(show_header=False, box=None, padding=(0, 2))
        for name, about in BUILTIN_COMMANDS.items():
            table.add_row(f"/{name}", about)
        for command in self.commands.values():
            table.add_row(f"/{command.name}", f"{command.description} ({command.scope})")
        self.console.print(table)
        self.console.print("[dim]Keys: Shift+Tab cycles default → acceptEdits → plan; Ctrl-C stops a run; Ctrl-D leaves.[/]")

    def cmd_agents(self, _argument: str) -> None:
        from backend_agent.agents import discover

        roster = discover(cwd=self.options.cwd.resolve(), home=self.options.home)
        table = Table("agent", "scope", "description", box=None)
        for agent in roster.agents.values():
            table.add_row(agent.name, str(agent.scope or ""), (agent.description.splitlines() or [""])[0][:90])
        self.console.print(table)

    def cmd_agent(self, argument: str) -> None:
        if not argument:
            self.console.print(f"agent for new sessions: {self.options.agent or 'backend (lead)'}")
            return
        self.options.agent = argument
        self.session_id = None
        self.console.print(f"new session with agent [magenta]{escape(argument)}[/] from the next task")

    def cmd_model(self, argument: str) -> None:
        if argument:
            self.options.model = argument
            self.console.print(f"model set to [cyan]{escape(argument)}[/]")
        else:
            self.console.print(f"model: {escape(self.options.model or 'the agent default')}")

    def cmd_mode(self, argument: str) -> None:
        from backend_agent.runtime.permissions import PermissionMode

        if argument:
            try:
                self.options.permission_mode = PermissionMode.parse(argument).value
            except ValueError:
                self.console.print(f"[red]unknown mode {escape(argument)}[/]: use default, acceptEdits, plan or bypassPermissions")
                return
        self.console.print(f"permission mode: [bold]{self.options.permission_mode}[/]")

    def cmd_permissions(self, _argument: str) -> None:
        from backend_agent.runtime.permissions import load_permission_settings

        rules = load_permission_settings(self.options.cwd.resolve(), home=self.options.home)
        self.console.print(f"permission mode: [bold]{self.options.permission_mode}[/]")
        table = Table("action", "rule", "source", box=None)
        for action in ("deny", "ask", "allow"):
            for rule in getattr(rules, action, []):
                table.add_row(action, str(getattr(rule, "text", rule)), str(getattr(rule, "source", "")))
        for extra in self.options.allow:
            table.add_row("allow", extra, "command line")
        for extra in self.options.deny:
            table.add_row("deny", extra, "command line")
        self.console.print(table if table.row_count else "[dim]no rules: the mode decides[/]")

    def cmd_compact(self, _argument: str) -> None:
        from backend_agent.runtime import SessionStore
        from backend_agent.runtime.compaction import compact

        if self.session_id is None:
            self.console.print("[dim]nothing to compact yet[/]")
            return
        with SessionStore.for_workspace(self.options.cwd.resolve(), session_dir=self.options.session_dir) as store:
            messages = store.load_messages(self.session_id)
            compacted = compact(messages, keep_recent=MANUAL_KEEP_RECENT)
            if compacted is None:
                self.console.print("[dim]the conversation is already short[/]")
                return
            store.save_step(self.session_id, compacted)
        self.console.print(f"compacted: {len(messages)} messages → {len(compacted)}")

    def cmd_cost(self, _argument: str) -> None:
        totals = self.totals
        cost = f"${totals.cost_usd:.4f}" + ("" if totals.priced else " (some models have no known price)")
        self.console.print(
            f"turns {totals.turns} · tokens {totals.input_tokens} in / {totals.output_tokens} out · "
            f"cost {cost} · time {totals.seconds:.1f}s"
        )

    def cmd_resume(self, argument: str) -> None:
        from backend_agent.runtime import SessionStore

        workspace = str(self.options.cwd.resolve())
        with SessionStore.for_workspace(self.options.cwd.resolve(), session_dir=self.options.session_dir) as store:
            sessions = [s for s in store.list(limit=20) if str(getattr(s, "workspace", workspace)) == workspace]
        if argument:
            chosen = next((s for s in sessions if s.id.startswith(argument)), None)
        else:
            if not sessions:
                self.console.print("[dim]no earlier sessions here[/]")
                return
            table = Table("#", "session", "agent", "title", box=None)
            for number, info in enumerate(sessions, 1):
                table.add_row(str(number), info.id[:8], info.agent, (info.title or "")[:60])
            self.console.print(table)
            try:
                picked = self._session().prompt("resume which # (empty to cancel)? ").strip()
            except (EOFError, KeyboardInterrupt):
                return
            chosen = sessions[int(picked) - 1] if picked.isdigit() and 0 < int(picked) <= len(sessions) else None
        if chosen is None:
            self.console.print("[dim]no session chosen[/]")
            return
        self.session_id = chosen.id
        self.console.print(f"resumed session [bold]{chosen.id[:8]}[/] ({escape(chosen.title or '')})")

    def cmd_clear(self, _argument: str) -> None:
        self.session_id = None
        self.console.print("[dim]new session from the next task[/]")

    def cmd_exit(self, _argument: str) -> object:
        return _EXIT

    # -- approvals and questions ----------------------------------------------------------------

    async def approve(self, tool: str, tool_input: dict[str, Any], decision: Any) -> Answer:
        key = (tool, json.dumps(tool_input, sort_keys=True, default=str))
        if key in self.remembered:
            return "always"
        self.renderer._end_stream()
        if tool == "ExitPlanMode":
            self.console.rule("plan")
            self.console.print(tool_input.get("plan", ""), markup=False)
            question = "approve the plan? [y]es, edit each change / [a]uto-accept edits / [n]o, keep planning "
        else:
            reason = getattr(decision, "reason", None) or "this call needs approval"
            self.console.print(f"[yellow]? {escape(tool)}[/] — {escape(reason)}")
            diff = proposed_diff(tool, tool_input, self.options.cwd.resolve())
            if diff:
                self.console.print(Syntax(diff, "diff", theme="ansi_dark", background_color="default"))
            elif tool_input:
                self.console.print(f"  [dim]{escape(json.dumps(tool_input)[:400])}[/]")
            question = "allow? [y]es once / [a]lways this session / [n]o "
        try:
            choice = (await self._session().prompt_async(question)).strip().lower()[:1] or "y"
        except (EOFError, KeyboardInterrupt):
            return "deny"
        if choice == "a":
            if tool != "ExitPlanMode":
                self.remembered.add(key)
            return "always"
        return "once" if choice == "y" else "deny"

    async def ask_questions(self, questions: list[Any]) -> dict[str, str]:
        answers: dict[str, str] = {}
        self.renderer._end_stream()
        for question in questions:
            self.console.print(f"[bold]{escape(question.question)}[/]")
            for number, option in enumerate(question.options, 1):
                self.console.print(f"  {number}. {escape(option.label)} [dim]{escape(option.description)}[/]")
            try:
                reply = (await self._session().prompt_async("choice (number, or your own words): ")).strip()
            except (EOFError, KeyboardInterrupt):
                reply = ""
            picks = [int(p) for p in reply.replace(",", " ").split() if p.isdigit() and 0 < int(p) <= len(question.options)]
            if picks and (question.multiSelect or len(picks) == 1):
                answers[question.question] = ", ".join(question.options[p - 1].label for p in picks)
            else:
                answers[question.question] = reply or "(no answer)"
        return answers

    # -- the line editor ------------------------------------------------------------------------

    def _session(self) -> PromptSession[str]:
        if self._prompt is None:
            self._prompt = build_prompt_session(self)
        return self._prompt

    def cycle_mode(self) -> None:
        current = self.options.permission_mode or "default"
        index = MODE_CYCLE.index(current) if current in MODE_CYCLE else -1
        self.options.permission_mode = MODE_CYCLE[(index + 1) % len(MODE_CYCLE)]

    def toolbar(self) -> str:
        session = self.session_id[:8] if self.session_id else "new"
        return (
            f" mode: {self.options.permission_mode} (shift+tab) · agent: {self.options.agent or 'auto/lead'} · "
            f"session: {session} · ${self.totals.cost_usd:.4f}"
        )


_EXIT = object()


def build_prompt_session(app: InteractiveApp) -> PromptSession[str]:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import WordCompleter
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()

    @bindings.add("s-tab")
    def _cycle(event: Any) -> None:
        app.cycle_mode()
        event.app.invalidate()

    words = [f"/{name}" for name in [*BUILTIN_COMMANDS, *app.commands]]
    history_file = _history_path(app.options.home)
    history: Any = InMemoryHistory()
    if history_file is not None:
        try:
            history_file.parent.mkdir(parents=True, exist_ok=True)
            history = FileHistory(str(history_file))
        except OSError:
            pass
    return PromptSession(
        history=history,
        completer=WordCompleter(words, sentence=True),
        key_bindings=bindings,
        bottom_toolbar=app.toolbar,
    )


def _history_path(home: Path | None) -> Path | None:
    base = home if home is not None else Path.home()
    return base / ".local" / "state" / "backend-agent" / "prompt-history"


def proposed_diff(tool: str, tool_input: dict[str, Any], workspace: Path) -> str:
    """The unified diff an Edit, MultiEdit or Write would make, for the approval prompt ("" if unknown)."""
    raw = tool_input.get("file_path")
    if tool not in ("Edit", "MultiEdit", "Write") or not isinstance(raw, str):
        return ""
    path = Path(raw) if Path(raw).is_absolute() else workspace / raw
    try:
        before = path.read_text(encoding="utf-8") if path.is_file() else ""
    except (OSError, UnicodeDecodeError):
        return ""
    after = _apply(tool, tool_input, before)
    if after is None:
        return ""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True),
        fromfile=f"a/{raw}" if before else "/dev/null", tofile=f"b/{raw}",
    )  # fmt: skip
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _apply(tool: str, tool_input: dict[str, Any], before: str) -> str | None:
    if tool == "Write":
        content = tool_input.get("content")
        return content if isinstance(content, str) else None
    edits = tool_input.get("edits") if tool == "MultiEdit" else [tool_input]
    text = before
    for edit in edits or []:
        old, new = edit.get("old_string"), edit.get("new_string")
        if not isinstance(old, str) or not isinstance(new, str) or old not in text:
            return None
        text = text.replace(old, new) if edit.get("replace_all") else text.replace(old, new, 1)
    return text


__all__ = ["InteractiveApp", "proposed_diff"]
