"""Hooks: shell commands run on run events, configured like Claude Code's ``hooks`` settings.

Read from every settings file, in Claude Code's precedence (all of them run, lowest first):
user (``~/.claude/settings.json``, ``~/.backend-agent/settings.json``), project
(``.claude/settings.json``, ``.backend-agent/settings.json``), local (``.claude/settings.local.json``,
``.backend-agent/settings.local.json``), managed (``/etc/claude-code/managed-settings.json``,
``/etc/backend-agent/managed-settings.json``; ``allowManagedHooksOnly`` there drops all others),
then the agent definition's own ``hooks``::

    {"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./check.sh",
                                                           "timeout": 30}]}]}}

Each hook gets a JSON event on stdin (``session_id``, ``transcript_path``, ``cwd``,
``hook_event_name`` and the event's fields). Exit 0 is success; exit 2 blocks (its stderr goes
back to the model); any other exit is reported as a warning and ignored. On exit 0, JSON on stdout
is Claude Code's output protocol: ``continue``/``stopReason`` (stop the run), ``systemMessage``,
``suppressOutput``, ``decision: "block"|"approve"`` with ``reason``, and ``hookSpecificOutput`` with
``permissionDecision`` (``allow``/``deny``/``ask``), ``permissionDecisionReason``, ``updatedInput``
and ``additionalContext``. Each hook has a time limit.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend_agent.errors import BackendAgentError, ConfigError, Location, Problem
from backend_agent.runtime._jsonfile import read_json_file

HOOK_EVENTS = (
    "PreToolUse",
    "PostToolUse",
    "Notification",
    "UserPromptSubmit",
    "Stop",
    "SubagentStop",
    "PreCompact",
    "SessionStart",
    "SessionEnd",
)
DEFAULT_TIMEOUT = 60.0
MANAGED_SETTINGS_ENV = "BACKEND_AGENT_MANAGED_SETTINGS"  # a managed-settings file (tests, packagers)
MANAGED_FILES = (
    Path("/etc/claude-code/managed-settings.json"),
    Path("/etc/backend-agent/managed-settings.json"),
)
_PERMISSION_DECISIONS = {"allow", "deny", "ask"}


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
    """What the hooks of one event said, exit codes and JSON output combined.

    ``blocked``: exit 2 or ``decision: "block"`` (or a PreToolUse ``permissionDecision: "deny"``),
    with ``feedback`` for the model. ``decision``: a PreToolUse permission decision. ``stop``:
    ``continue: false``, the run ends with ``stop_reason``. ``updated_input``: PreToolUse's
    replacement tool input. ``context``: extra context for the model.
    """

    blocked: bool = False
    feedback: str = ""
    context: str = ""
    warnings: list[str] = field(default_factory=list)
    decision: str | None = None  # "allow" / "deny" / "ask" (PreToolUse)
    decision_reason: str = ""
    updated_input: dict[str, Any] | None = None
    stop: bool = False
    stop_reason: str = ""
    system_messages: list[str] = field(default_factory=list)
    suppress_output: bool = False

    def absorb(self, event: str, data: dict[str, Any], hook: str) -> None:
        """Apply one hook's JSON output (Claude Code's protocol)."""
        if data.get("continue") is False:
            self.stop = True
            self.stop_reason = str(data.get("stopReason") or f"the {event} hook {hook!r} stopped the run")
        if isinstance(data.get("systemMessage"), str) and data["systemMessage"].strip():
            self.system_messages.append(data["systemMessage"].strip())
        self.suppress_output = self.suppress_output or data.get("suppressOutput") is True
        specific = data.get("hookSpecificOutput")
        specific = specific if isinstance(specific, dict) else {}
        reason = str(data.get("reason") or "")
        decision = data.get("decision")
        if decision == "block":
            self.blocked = True
            self.feedback += (reason or f"blocked by hook: {hook}") + "\n"
            if event == "PreToolUse":
                self._decide("deny", reason)
        elif decision == "approve" and event == "PreToolUse":
            self._decide("allow", reason)
        permission = specific.get("permissionDecision")
        if event == "PreToolUse" and permission in _PERMISSION_DECISIONS:
            why = str(specific.get("permissionDecisionReason") or reason)
            self._decide(permission, why)
            if permission == "deny":
                self.blocked = True
                self.feedback += (why or f"denied by hook: {hook}") + "\n"
        updated = specific.get("updatedInput")
        if event == "PreToolUse" and isinstance(updated, dict):
            self.updated_input = {**(self.updated_input or {}), **updated}
        extra = specific.get("additionalContext")
        if isinstance(extra, str) and extra.strip():
            self.context += extra.strip() + "\n"

    def _decide(self, decision: str, reason: str) -> None:
        """Several hooks: deny beats ask beats allow."""
        rank = {"allow": 0, "ask": 1, "deny": 2}
        if self.decision is None or rank[decision] > rank[self.decision]:
            self.decision, self.decision_reason = decision, reason


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
                timeout = _timeout(
                    hook.get("timeout", DEFAULT_TIMEOUT), source, f"{where}[{index}].hooks[{number}]"
                )
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


def settings_files(
    workspace: Path, *, home: Path | None = None, state_dir_name: str = ".backend-agent"
) -> list[Path]:
    """Every settings file that may hold hooks, lowest precedence first (user, project, local, managed)."""
    home = home if home is not None else Path.home()
    user = [home / ".claude" / "settings.json", home / state_dir_name / "settings.json"]
    project = [workspace / ".claude" / "settings.json", workspace / state_dir_name / "settings.json"]
    local = [
        workspace / ".claude" / "settings.local.json",
        workspace / state_dir_name / "settings.local.json",
    ]
    chosen = os.environ.get(MANAGED_SETTINGS_ENV)
    managed = [Path(chosen)] if chosen else list(MANAGED_FILES)
    seen: set[Path] = set()
    ordered: list[Path] = []
    for path in [*user, *project, *local, *managed]:
        if path.resolve() not in seen:  # a workspace inside the home folder must not load a file twice
            seen.add(path.resolve())
            ordered.append(path)
    return ordered


def load_hooks(
    workspace: Path,
    *,
    state_dir_name: str = ".backend-agent",
    definition_hooks: Any = None,
    definition_source: str | None = None,
    home: Path | None = None,
) -> list[HookCommand]:
    """Hooks from every settings file (user, project, local, managed), then the agent definition's own.

    ``disableAllHooks: true`` in a user/project/local file turns off all but managed hooks;
    ``allowManagedHooksOnly: true`` in a managed file keeps only managed hooks.
    """
    files = settings_files(workspace, home=home, state_dir_name=state_dir_name)
    managed_count = 1 if os.environ.get(MANAGED_SETTINGS_ENV) else len(MANAGED_FILES)
    regular: list[HookCommand] = []
    managed: list[HookCommand] = []
    disabled = managed_only = False
    for index, path in enumerate(files):
        if not path.is_file():
            continue
        data = read_json_file(path, hint="fix the JSON syntax")
        if not isinstance(data, dict):
            continue
        found = parse_hooks(data.get("hooks"), source=str(path))
        if index >= len(files) - managed_count:
            managed += found
            managed_only = managed_only or data.get("allowManagedHooksOnly") is True
        else:
            regular += found
            disabled = disabled or data.get("disableAllHooks") is True
    own = parse_hooks(definition_hooks, source=definition_source or "agent definition")
    if managed_only or disabled:
        return managed
    return regular + managed + own


class HookRunner:
    """Runs the hooks of an event with a JSON payload; never raises for a failing hook."""

    def __init__(
        self, commands: list[HookCommand], *, cwd: Path, session_id: str,
        transcript: Callable[[], Path | None] | None = None,
    ) -> None:  # fmt: skip
        self.commands = commands
        self.cwd = cwd
        self.session_id = session_id
        self.transcript = transcript  # writes the conversation as JSONL and returns its path

    def has(self, event: str) -> bool:
        return any(c.event == event for c in self.commands)

    async def run(
        self, event: str, *, subject: str | None = None, payload: dict[str, Any] | None = None
    ) -> HookOutcome:
        outcome = HookOutcome()
        selected = [c for c in self.commands if c.event == event and c.matches(subject)]
        if not selected:
            return outcome
        transcript = self._transcript_path()
        body = json.dumps(
            {"session_id": self.session_id, "transcript_path": transcript, "cwd": str(self.cwd),
             "hook_event_name": event, **(payload or {})},
            default=str,
        )  # fmt: skip
        for hook in selected:
            code, out, err = await self._exec(hook, body)
            if code == 0:
                data = _json_output(out)
                if data is not None:
                    outcome.absorb(event, data, hook.command)
                elif out.strip() and event in ("UserPromptSubmit", "SessionStart"):
                    outcome.context += out.strip() + "\n"
            elif code == 2:
                outcome.blocked = True
                outcome.feedback += (err.strip() or f"blocked by hook: {hook.command}") + "\n"
            else:
                detail = err.strip().splitlines()[-1] if err.strip() else "no stderr"
                outcome.warnings.append(f"{event} hook {hook.command!r} exited {code}: {detail} (ignored)")
        outcome.feedback = outcome.feedback.strip()
        return outcome

    def _transcript_path(self) -> str:
        if self.transcript is None:
            return ""
        try:
            path = self.transcript()
        except OSError:
            return ""
        return str(path) if path is not None else ""

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


def hook_scripts(commands: list[HookCommand], workspace: Path) -> list[Path]:
    """Files inside the workspace that hook commands run (``./check.sh``, ``sh scripts/guard.sh``).

    They run later outside the sandbox, so the sandbox keeps them read-only and the permission
    engine asks before a tool changes them.
    """
    import shlex

    found: list[Path] = []
    for command in commands:
        try:
            words = shlex.split(command.command.replace("$CLAUDE_PROJECT_DIR", str(workspace))
                                .replace("${CLAUDE_PROJECT_DIR}", str(workspace)))  # fmt: skip
        except ValueError:
            continue
        for word in words:
            if "/" not in word and not word.endswith((".sh", ".py", ".js", ".ts", ".rb", ".pl")):
                continue
            path = Path(word) if Path(word).is_absolute() else workspace / word
            try:
                resolved = path.resolve()
            except OSError:
                continue
            if resolved.is_file() and resolved.is_relative_to(workspace.resolve()) and resolved not in found:
                found.append(resolved)
    return found


def _json_output(out: str) -> dict[str, Any] | None:
    """A hook's stdout as Claude Code's JSON output, or None for plain text."""
    text = out.strip()
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class HookStopped(BackendAgentError):
    """A hook answered ``continue: false``: the run ends with its ``stopReason``."""


__all__ = [
    "HOOK_EVENTS",
    "HookCommand",
    "HookOutcome",
    "HookRunner",
    "HookStopped",
    "hook_scripts",
    "load_hooks",
    "parse_hooks",
    "settings_files",
]
