"""Hooks: shell commands run on run events, configured like Claude Code's ``hooks`` settings.

``.backend-agent/settings.json`` and the ``hooks`` section of ``.claude/settings.json``::

    {"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./check.sh",
                                                           "timeout": 30}]}]}}

Each hook gets a JSON event on stdin. Exit 0 is success; exit 2 blocks (its stderr goes back to the
model); any other exit is reported as a warning and ignored. Each hook has a time limit.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend_agent.errors import ConfigError, Location, Problem
from backend_agent.runtime._jsonfile import read_json_file

HOOK_EVENTS = ("PreToolUse", "PostToolUse", "Stop", "SubagentStop", "SessionStart", "UserPromptSubmit")
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class HookCommand:
    event: str
    matcher: str
    command: str
    timeout: float
    source: str

    def matches(self, subject: str | None) -> bool:
        if self.matcher in ("", "*") or subject is None:
            return True
        try:
            return re.fullmatch(self.matcher, subject) is not None
        except re.error:
            return self.matcher == subject


@dataclass
class HookOutcome:
    """What the hooks of one event said: blocked (exit 2) with feedback, extra context, warnings."""

    blocked: bool = False
    feedback: str = ""
    context: str = ""
    warnings: list[str] = field(default_factory=list)


def parse_hooks(data: Any, *, source: str) -> list[HookCommand]:
    """Hook commands from a settings ``hooks`` mapping; a malformed entry is a located ConfigError."""
    if not data:
        return []
    if not isinstance(data, dict):
        raise ConfigError("the 'hooks' setting must be a mapping of event name to a list of matchers",
                          problems=[Problem("not a mapping", Location(source, key_path="hooks"))])  # fmt: skip
    commands: list[HookCommand] = []
    for event, entries in data.items():
        where = f"hooks.{event}"
        if event not in HOOK_EVENTS:
            raise ConfigError(
                f"unknown hook event {event!r}",
                problems=[Problem(f"unknown event {event!r}", Location(source, key_path=where))],
                hint=f"use one of {', '.join(HOOK_EVENTS)}",
            )
        for index, entry in enumerate(entries if isinstance(entries, list) else [entries]):
            if not isinstance(entry, dict):
                raise ConfigError("a hook entry must be an object with 'matcher' and 'hooks'",
                                  problems=[Problem("not an object", Location(source, key_path=f"{where}[{index}]"))])  # fmt: skip
            matcher = str(entry.get("matcher", "") or "")
            inner = entry.get("hooks", [entry] if "command" in entry else None)
            if not isinstance(inner, list):
                raise ConfigError(
                    "a hook entry needs a 'hooks' list",
                    problems=[Problem("'hooks' is missing" if inner is None else f"'hooks' is {inner!r}", Location(source, key_path=f"{where}[{index}].hooks"),
                                      expected="a list of {\"type\": \"command\", \"command\": ...} objects")],
                    hint='write {"matcher": "Bash", "hooks": [{"type": "command", "command": "./check.sh"}]}',
                )  # fmt: skip
            for number, hook in enumerate(inner):
                command = hook.get("command") if isinstance(hook, dict) else None
                if not isinstance(command, str) or not command.strip():
                    raise ConfigError(
                        "a hook needs a 'command' string",
                        problems=[
                            Problem(
                                "missing command",
                                Location(source, key_path=f"{where}[{index}].hooks[{number}]"),
                            )
                        ],
                        hint='write {"type": "command", "command": "..."}',
                    )
                timeout = _timeout(hook.get("timeout", DEFAULT_TIMEOUT), source, f"{where}[{index}].hooks[{number}]")
                commands.append(HookCommand(event, matcher, command, timeout, source))
    return commands


def _timeout(value: Any, source: str, where: str) -> float:
    """A hook's time limit in seconds: a positive number, else a located ConfigError."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    raise ConfigError(
        f"bad hook timeout {value!r}",
        problems=[Problem(f"timeout is {value!r}", Location(source, key_path=f"{where}.timeout"),
                          expected="a positive number of seconds")],
        hint=f"write e.g. \"timeout\": 30, or leave it out for the default {DEFAULT_TIMEOUT:g} s",
    )  # fmt: skip


def load_hooks(
    workspace: Path,
    *,
    state_dir_name: str = ".backend-agent",
    definition_hooks: Any = None,
    definition_source: str | None = None,
) -> list[HookCommand]:
    """Hooks from the workspace settings files, then the agent definition's own."""
    commands: list[HookCommand] = []
    for path in (workspace / state_dir_name / "settings.json", workspace / ".claude" / "settings.json"):
        if not path.is_file():
            continue
        data = read_json_file(path, hint="fix the JSON syntax")
        if isinstance(data, dict):
            commands.extend(parse_hooks(data.get("hooks"), source=str(path)))
    commands.extend(parse_hooks(definition_hooks, source=definition_source or "agent definition"))
    return commands


class HookRunner:
    """Runs the hooks of an event with a JSON payload; never raises for a failing hook."""

    def __init__(self, commands: list[HookCommand], *, cwd: Path, session_id: str) -> None:
        self.commands = commands
        self.cwd = cwd
        self.session_id = session_id

    def has(self, event: str) -> bool:
        return any(c.event == event for c in self.commands)

    async def run(
        self, event: str, *, subject: str | None = None, payload: dict[str, Any] | None = None
    ) -> HookOutcome:
        outcome = HookOutcome()
        selected = [c for c in self.commands if c.event == event and c.matches(subject)]
        if not selected:
            return outcome
        body = json.dumps(
            {"session_id": self.session_id, "cwd": str(self.cwd), "hook_event_name": event, **(payload or {})}
        )
        for hook in selected:
            code, out, err = await self._exec(hook, body)
            if code == 0:
                if out.strip() and event in ("UserPromptSubmit", "SessionStart"):
                    outcome.context += out.strip() + "\n"
            elif code == 2:
                outcome.blocked = True
                outcome.feedback += (err.strip() or f"blocked by hook: {hook.command}") + "\n"
            else:
                detail = err.strip().splitlines()[-1] if err.strip() else "no stderr"
                outcome.warnings.append(f"{event} hook {hook.command!r} exited {code}: {detail} (ignored)")
        outcome.feedback = outcome.feedback.strip()
        return outcome

    async def _exec(self, hook: HookCommand, body: str) -> tuple[int | None, str, str]:
        env = {**os.environ, "BACKEND_AGENT_PROJECT_DIR": str(self.cwd), "CLAUDE_PROJECT_DIR": str(self.cwd)}
        proc = await asyncio.create_subprocess_shell(
            hook.command, cwd=self.cwd, env=env, start_new_session=True,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            out, err = await asyncio.wait_for(proc.communicate(body.encode()), timeout=hook.timeout)
        except (TimeoutError, asyncio.CancelledError) as exc:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            await proc.wait()
            if isinstance(exc, asyncio.CancelledError):
                raise
            return None, "", f"timed out after {hook.timeout:g} s"
        return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


__all__ = ["HOOK_EVENTS", "HookCommand", "HookOutcome", "HookRunner", "load_hooks", "parse_hooks"]
