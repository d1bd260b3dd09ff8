"""Claude Code's ``claude`` flags for ``backend-agent run``, with the same meanings.

``--allowedTools`` / ``--disallowedTools`` (rules, several per value or per flag),
``--dangerously-skip-permissions``, ``--system-prompt``, ``--append-system-prompt``, ``--add-dir``,
``--mcp-config`` / ``--strict-mcp-config``, ``--settings``, ``--input-format``, ``--verbose`` and
``--fork-session``. As in Claude Code, the list flags take several values after one flag
(``--allowedTools Read "Bash(git log:*)"``); :func:`expand_variadic_options` rewrites that form
for the parser before it runs.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from backend_agent.errors import UsageError

if TYPE_CHECKING:
    from backend_agent.runtime import RunOptions

VARIADIC_FLAGS = frozenset(
    ["--allowedTools", "--allowed-tools", "--disallowedTools", "--disallowed-tools", "--add-dir", "--mcp-config"]
)
INPUT_FORMATS = ("text", "stream-json")
# Separators between rules in one value: commas or spaces, but not inside "Bash(git log:*)".
_RULE_SEPARATOR = re.compile(r"[,\s]+(?![^()]*\))")


@dataclass
class ClaudeFlags:
    allowed_tools: list[str] = field(default_factory=list)
    disallowed_tools: list[str] = field(default_factory=list)
    skip_permissions: bool = False
    system_prompt: str | None = None
    append_system_prompt: str | None = None
    add_dirs: list[Path] = field(default_factory=list)
    mcp_configs: list[str] = field(default_factory=list)
    strict_mcp_config: bool = False
    settings: list[str] = field(default_factory=list)
    fork_session: bool = False


def expand_variadic_options(args: list[str]) -> list[str]:
    """``--allowedTools A B --x`` → ``--allowedTools A --allowedTools B --x`` (Claude Code's variadic form)."""
    out: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        out.append(arg)
        index += 1
        if arg not in VARIADIC_FLAGS:
            continue
        taken = 0
        while index < len(args) and not args[index].startswith("-"):
            if taken:
                out.append(arg)
            out.append(args[index])
            index += 1
            taken += 1
    return out


def split_rules(values: list[str]) -> list[str]:
    """Rules from flag values: ``"Read,Edit"``, ``"Bash(git log:*) Read"`` or one per value."""
    return [rule for value in values for rule in _RULE_SEPARATOR.split(value.strip()) if rule]


def user_prompt(line: str, number: int) -> str | None:
    """The text of one ``--input-format stream-json`` line (a Claude Code user message), or None to skip it."""
    import json

    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UsageError(f"stdin line {number}: not JSON ({exc.msg})",
                         hint='send one message per line: {"type":"user","message":{"role":"user","content":"..."}}') from exc  # fmt: skip
    if not isinstance(data, dict) or data.get("type") != "user":
        return None
    content = (data.get("message") or {}).get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [block.get("text", "") for block in content if isinstance(block, dict) and block.get("type") == "text"]
        if texts:
            return "\n".join(texts)
    raise UsageError(f"stdin line {number}: a user message needs text content",
                     hint='"message": {"role": "user", "content": "TEXT"} or a list of {"type": "text", ...} blocks')  # fmt: skip


def apply_claude_flags(options: RunOptions, flags: ClaudeFlags) -> None:
    """Fold Claude Code's flags (and the ``--settings`` they name) into the run's options."""
    from backend_agent.runtime.overlay import load_mcp_overlay, load_settings_overlay

    cwd = options.cwd.resolve()
    if flags.skip_permissions:
        if options.permission_mode not in (None, "bypassPermissions"):
            raise UsageError(
                f"--dangerously-skip-permissions contradicts --permission-mode {options.permission_mode}",
                hint="pass one of them",
            )
        options.permission_mode = "bypassPermissions"
    overlay = load_settings_overlay(flags.settings, cwd=cwd)
    options.allow += overlay.allow + split_rules(flags.allowed_tools)
    options.ask += overlay.ask
    denied = split_rules(flags.disallowed_tools)
    options.deny += overlay.deny + denied
    # A bare tool name is removed from the model's view too, as Claude Code does.
    options.hidden_tools += [rule for rule in denied if "(" not in rule]
    options.permission_mode = options.permission_mode or overlay.default_mode
    options.model = options.model or overlay.model
    options.extra_hooks += overlay.hooks
    os.environ.update(overlay.env)  # like Claude Code's settings `env`: for the tools' processes too
    for folder in [*flags.add_dirs, *overlay.additional_directories]:
        path = folder if folder.is_absolute() else cwd / folder
        if not path.is_dir():
            raise UsageError(f"--add-dir {folder}: no such folder", hint="give an existing folder")
        options.add_dirs.append(path)
    options.mcp_servers = {**options.mcp_servers, **load_mcp_overlay(flags.mcp_configs, cwd=cwd)}
    options.strict_mcp_config = flags.strict_mcp_config
    options.system_prompt = flags.system_prompt
    options.append_system_prompt = flags.append_system_prompt
    if flags.fork_session and not (options.resume or options.continue_last):
        raise UsageError("--fork-session needs --resume or --continue", hint="e.g. --resume ID --fork-session")
    options.fork_session = flags.fork_session


__all__ = ["INPUT_FORMATS", "ClaudeFlags", "apply_claude_flags", "expand_variadic_options", "split_rules", "user_prompt"]
