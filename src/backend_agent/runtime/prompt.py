"""System prompt assembly: the definition's body, an environment section and preloaded skills."""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
from pathlib import Path

from backend_agent.runtime.skills import Skill, preload_text

DEFAULT_BODY = "You are a backend engineering agent. Work in the workspace with the tools you have, then report what you did."


def git_summary(workspace: Path) -> str:
    """A one-paragraph git status (branch and counts of changed files), or why there is none."""
    try:
        proc = subprocess.run(
            ["git", "status", "--porcelain=v1", "--branch"],
            cwd=workspace, capture_output=True, text=True, timeout=5, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return "git is not available"
    if proc.returncode != 0:
        return "not a git repository"
    lines = proc.stdout.splitlines()
    branch = lines[0][3:] if lines and lines[0].startswith("## ") else "unknown branch"
    changes = [line for line in lines[1:] if line.strip()]
    untracked = sum(1 for line in changes if line.startswith("??"))
    modified = len(changes) - untracked
    if not changes:
        return f"branch {branch}, clean working tree"
    listed = ", ".join(line[3:] for line in changes[:10]) + (" …" if len(changes) > 10 else "")
    return f"branch {branch}, {modified} modified and {untracked} untracked file(s): {listed}"


def environment_section(
    *, workspace: Path, tools: list[str], permission_mode: str, today: dt.date | None = None
) -> str:
    today = today or dt.date.today()
    lines = [
        "# Environment",
        f"- Workspace (working directory): {workspace}",
        f"- Platform: {platform.system()} {platform.release()} ({platform.machine()})",
        f"- Date: {today.isoformat()}",
        f"- Git: {git_summary(workspace)}",
        f"- Tools available: {', '.join(tools) if tools else 'none'}",
        f"- Permission mode: {permission_mode}",
        "File paths are relative to the workspace unless absolute. Tools outside this list are not available.",
    ]
    return "\n".join(lines)


def build_system_prompt(
    *,
    body: str,
    workspace: Path,
    tools: list[str],
    permission_mode: str,
    skills: list[Skill],
    extra: str = "",
    memory: str = "",
) -> str:
    sections = [
        body.strip() or DEFAULT_BODY,
        environment_section(workspace=workspace, tools=tools, permission_mode=permission_mode),
    ]
    if memory.strip():
        sections.append(memory.strip())
    if skills:
        sections.append("# Preloaded skills\n\n" + preload_text(skills))
    if extra.strip():
        sections.append(extra.strip())
    return "\n\n".join(sections)


__all__ = ["build_system_prompt", "environment_section", "git_summary"]
