"""The system prompt: definition body, environment section (with a real git status) and skills."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from backend_agent.runtime.prompt import build_system_prompt, environment_section, git_summary
from backend_agent.runtime.skills import Skill

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(workspace: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=workspace, check=True,
                   capture_output=True)  # fmt: skip


@needs_git
def test_git_summary_counts_modified_and_untracked_files(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "trunk")
    (tmp_path / "a.py").write_text("a = 1\n")
    git(tmp_path, "add", "a.py")
    git(tmp_path, "commit", "-q", "-m", "first")
    assert git_summary(tmp_path) == "branch trunk, clean working tree"
    (tmp_path / "a.py").write_text("a = 2\n")
    (tmp_path / "new.py").write_text("")
    assert git_summary(tmp_path) == "branch trunk, 1 modified and 1 untracked file(s): a.py, new.py"


def test_environment_section_and_skills_in_the_prompt(tmp_path: Path) -> None:
    section = environment_section(workspace=tmp_path, tools=["Read", "Bash"], permission_mode="acceptEdits",
                                  today=dt.date(2026, 1, 2))  # fmt: skip
    assert "- Date: 2026-01-02" in section and "- Tools available: Read, Bash" in section
    assert "- Permission mode: acceptEdits" in section and f"- Workspace (working directory): {tmp_path}" in section
    assert "- Git: not a git repository" in section and "- Platform: " in section
    skill = Skill("style", "House style.", None, "SKILL-BODY", tmp_path / "SKILL.md", "project")
    prompt = build_system_prompt(body="BODY", workspace=tmp_path, tools=["Read"], permission_mode="plan",
                                 skills=[skill])  # fmt: skip
    assert prompt.index("BODY") < prompt.index("# Environment") < prompt.index("## Skill: style")
    assert "SKILL-BODY" in prompt
