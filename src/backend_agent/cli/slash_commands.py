"""Custom slash commands: Claude Code's ``.claude/commands/*.md`` (project) and ``~/.claude/commands`` (user).

A command file's name is the command (``review.md`` → ``/review``); sub-folders only group them.
Front matter may give ``description``, ``argument-hint``, ``allowed-tools`` (extra allow rules for
that task) and ``model``. In the body, ``$ARGUMENTS`` is what follows the command and ``$1``,
``$2``, ... its words; without a placeholder the arguments are appended. A project command
shadows a user command of the same name.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import yaml

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?", re.DOTALL)
_POSITIONAL = re.compile(r"\$([1-9])")


@dataclass(frozen=True)
class CustomCommand:
    name: str
    body: str
    path: Path
    scope: str  # "project" or "user", with the sub-folder: "project:frontend"
    description: str = ""
    argument_hint: str = ""
    allowed_tools: list[str] = field(default_factory=list)
    model: str | None = None


def discover_commands(workspace: Path, home: Path | None = None) -> dict[str, CustomCommand]:
    """Every custom command, user ones first so that project ones of the same name replace them."""
    home = home if home is not None else Path.home()
    found: dict[str, CustomCommand] = {}
    for scope, root in (("user", home / ".claude" / "commands"), ("project", workspace / ".claude" / "commands")):
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*.md")):
            command = load_command(path, root=root, scope=scope)
            if command is not None:
                found[command.name] = command
    return found


def load_command(path: Path, *, root: Path, scope: str) -> CustomCommand | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    meta: dict[str, object] = {}
    match = _FRONT.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError:
            loaded = None
        meta = loaded if isinstance(loaded, dict) else {}
        text = text[match.end() :]
    folder = path.parent.relative_to(root).as_posix()
    tools = meta.get("allowed-tools") or []
    if isinstance(tools, str):
        tools = [part.strip() for part in re.split(r",(?![^()]*\))", tools) if part.strip()]
    first_line = next((line.strip("# ").strip() for line in text.splitlines() if line.strip()), "")
    return CustomCommand(
        name=path.stem,
        body=text.strip(),
        path=path,
        scope=scope if folder == "." else f"{scope}:{folder}",
        description=str(meta.get("description") or first_line)[:100],
        argument_hint=str(meta.get("argument-hint") or ""),
        allowed_tools=[str(tool) for tool in tools] if isinstance(tools, list) else [],
        model=str(meta["model"]) if meta.get("model") else None,
    )


def expand_command(command: CustomCommand, arguments: str) -> tuple[str, list[str], str | None]:
    """The task a command sends: its body with the arguments in place, extra allow rules, model."""
    try:
        words = shlex.split(arguments)
    except ValueError:
        words = arguments.split()
    body = command.body
    used = "$ARGUMENTS" in body or bool(_POSITIONAL.search(body))
    body = body.replace("$ARGUMENTS", arguments)
    body = _POSITIONAL.sub(lambda m: words[int(m.group(1)) - 1] if int(m.group(1)) <= len(words) else "", body)
    if arguments and not used:
        body = f"{body}\n\nARGUMENTS: {arguments}"
    return body, list(command.allowed_tools), command.model


__all__ = ["CustomCommand", "discover_commands", "expand_command", "load_command"]
