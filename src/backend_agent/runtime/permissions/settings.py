"""Permission settings files: ``.backend-agent/settings.json``, ``.claude/settings.json``, ``.claude/settings.local.json``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from backend_agent.errors import ConfigError, Location, Problem
from backend_agent.runtime._jsonfile import read_json_file
from backend_agent.runtime.permissions._types import PermissionMode
from backend_agent.runtime.permissions.rules import RuleSet

# Lowest precedence first: for defaultMode the last file that sets it wins; rules from all files combine.
USER_FILES = (".claude/settings.json", ".backend-agent/settings.json")
PROJECT_FILES = (
    ".claude/settings.json",
    ".backend-agent/settings.json",
    ".claude/settings.local.json",
    ".backend-agent/settings.local.json",
)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = read_json_file(
            path,
            message="{path}:{line}:{column}: invalid JSON ({msg}).",
            expected="a JSON object",
            hint="fix the JSON syntax (trailing commas and comments are not allowed)",
        )
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot be read ({exc.strerror}).", hint="check the file's permissions"
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object at the top level, got {type(data).__name__}.")
    return data


def _apply_file(rules: RuleSet, path: Path, *, label: str, base: Path, home: Path) -> None:
    data = _read_json(path)
    perms = data.get("permissions")
    if perms is None:
        return
    problems: list[Problem] = []

    def problem(key: str, message: str, expected: str, hint: str | None = None) -> None:
        problems.append(Problem(message, Location(str(path), key_path=key), expected=expected, hint=hint))

    if not isinstance(perms, dict):
        problem(
            "permissions", f"'permissions' is a {type(perms).__name__}", "an object with allow/ask/deny lists"
        )
    else:
        for action in ("allow", "ask", "deny"):
            entries = perms.get(action, [])
            if not isinstance(entries, list):
                problem(
                    f"permissions.{action}",
                    f"'{action}' is a {type(entries).__name__}",
                    "a list of rule strings",
                )
                continue
            for index, text in enumerate(entries):
                key = f"permissions.{action}[{index}]"
                if not isinstance(text, str):
                    problem(key, f"rule is a {type(text).__name__}", "a string such as 'Bash(git log:*)'")
                    continue
                try:
                    rules.add(text, action, label)
                except ValueError as exc:
                    problem(key, str(exc), "ToolName or ToolName(specifier)")
        mode = perms.get("defaultMode")
        if mode is not None:
            try:
                rules.default_mode = PermissionMode.parse(str(mode))
            except ValueError as exc:
                problem("permissions.defaultMode", str(exc), ", ".join(m.value for m in PermissionMode))
        extra = perms.get("additionalDirectories", [])
        if not isinstance(extra, list) or not all(isinstance(d, str) for d in extra):
            problem("permissions.additionalDirectories", "not a list of strings", "a list of folder paths")
        else:
            for folder in extra:
                candidate = Path(folder.replace("~", str(home), 1) if folder.startswith("~") else folder)
                rules.additional_directories.append(
                    candidate if candidate.is_absolute() else base / candidate
                )
    if problems:
        raise ConfigError(
            f"{path}: invalid permission settings ({len(problems)} problem{'s' if len(problems) != 1 else ''}).",
            problems=problems,
            hint="see https://docs.claude.com/en/docs/claude-code/iam for the rule syntax",
        )


def load_permission_settings(workspace: Path, home: Path | None = None) -> RuleSet:
    """Combine the ``permissions`` of the user's and the project's settings files (missing files are skipped)."""
    home = home if home is not None else Path.home()
    rules = RuleSet()
    for rel in USER_FILES:
        path = home / rel
        if path.is_file():
            _apply_file(rules, path, label=f"settings:~/{rel}", base=home, home=home)
    for rel in PROJECT_FILES:
        path = workspace / rel
        if path.is_file():
            _apply_file(rules, path, label=f"settings:{rel}", base=workspace, home=home)
    for path in managed_settings_files():  # highest precedence: its defaultMode wins, its rules add
        if path.is_file():
            _apply_file(rules, path, label=f"managed:{path}", base=workspace, home=home)
    return rules


MANAGED_SETTINGS_ENV = "BACKEND_AGENT_MANAGED_SETTINGS"
MANAGED_FILES = (
    Path("/etc/claude-code/managed-settings.json"),
    Path("/etc/backend-agent/managed-settings.json"),
)


def managed_settings_files() -> list[Path]:
    """Managed (administrator) settings: ``BACKEND_AGENT_MANAGED_SETTINGS`` or the /etc files."""
    chosen = os.environ.get(MANAGED_SETTINGS_ENV)
    return [Path(chosen)] if chosen else list(MANAGED_FILES)


__all__ = ["load_permission_settings"]
