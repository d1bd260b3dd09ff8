"""Skills: ``SKILL.md`` folders (frontmatter ``name``, ``description``, ``allowed-tools``).

Searched in ``.claude/skills/``, ``.backend-agent/skills/`` (workspace, then home) and the
project's built-in skills; the first one found with a name wins. A definition's ``skills:`` are
preloaded into its prompt; the others are offered by description through the ``Skill`` tool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from backend_agent.tools import ToolResult

BUILTIN_SKILLS_DIR = Path(__file__).parent / "skills_builtin"


@dataclass(frozen=True)
class Skill:
    name: str
    description: str
    allowed_tools: list[str] | None
    body: str
    path: Path
    source: str  # "project", "user" or "builtin"


def _split_frontmatter(text: str, path: Path, warn: Callable[[str], None]) -> tuple[dict[str, Any] | None, str]:
    """(frontmatter, body); the frontmatter is None when it is broken (already reported to ``warn``)."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end < 0:
        warn(f"{path}:1: the frontmatter opened by '---' is never closed; add a '---' line after it")
        return None, text
    try:
        data = yaml.safe_load(text[4:end]) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 2}" if mark is not None else ""  # +1 for 1-based, +1 for the '---' line
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        warn(f"{path}{line}: invalid YAML in the frontmatter ({problem}); its name, description and "
             "allowed-tools are ignored until it is fixed (quote values that contain ': ')")  # fmt: skip
        return None, text[end + 4 :].lstrip("\n")
    if not isinstance(data, dict):
        warn(f"{path}:2: the frontmatter must be a mapping of 'key: value' lines, got {type(data).__name__}")
        return None, text[end + 4 :].lstrip("\n")
    return data, text[end + 4 :].lstrip("\n")


def load_skill(path: Path, *, source: str, warn: Callable[[str], None] = lambda _message: None) -> Skill | None:
    """One SKILL.md; None when it cannot be read. Problems in the file are passed to ``warn``."""
    try:
        frontmatter, body = _split_frontmatter(path.read_text(encoding="utf-8"), path, warn)
    except (OSError, UnicodeDecodeError) as exc:
        warn(f"{path}: cannot be read as UTF-8 text ({exc}); the skill is skipped")
        return None
    meta = frontmatter or {}
    tools = meta.get("allowed-tools", meta.get("allowed_tools"))
    if isinstance(tools, str):
        tools = [t.strip() for t in tools.split(",") if t.strip()]
    if tools is not None and not (isinstance(tools, list) and all(isinstance(t, str) for t in tools)):
        warn(f"{path}: field 'allowed-tools' is {tools!r}; expected a comma-separated string or a list of "
             "tool names, e.g. 'allowed-tools: Read, Grep' (ignored)")  # fmt: skip
        tools = None
    description = " ".join(str(meta.get("description") or "").split())
    if not description and frontmatter is not None:
        warn(f"{path}: field 'description' is missing; the model chooses skills by description, so add "
             "'description: when to use this skill' to the frontmatter")  # fmt: skip
    return Skill(
        name=str(meta.get("name") or path.parent.name),
        description=description,
        allowed_tools=list(tools) if isinstance(tools, list) else None,
        body=body.strip(),
        path=path,
        source=source,
    )


def skill_dirs(
    workspace: Path, *, home: Path | None = None, state_dir_name: str = ".backend-agent"
) -> list[tuple[Path, str]]:
    home = home or Path.home()
    return [
        (workspace / ".claude" / "skills", "project"),
        (workspace / state_dir_name / "skills", "project"),
        (home / ".claude" / "skills", "user"),
        (home / state_dir_name / "skills", "user"),
        (BUILTIN_SKILLS_DIR, "builtin"),
    ]


def discover_skills(
    workspace: Path,
    *,
    home: Path | None = None,
    state_dir_name: str = ".backend-agent",
    warn: Callable[[str], None] = lambda _message: None,
) -> dict[str, Skill]:
    """Every skill visible from ``workspace``, by name (earlier folders shadow later ones).

    A broken SKILL.md is reported through ``warn`` (file, line, what to fix), never raised.
    """
    found: dict[str, Skill] = {}
    for folder, source in skill_dirs(workspace, home=home, state_dir_name=state_dir_name):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*/SKILL.md")):
            skill = load_skill(path, source=source, warn=warn)
            if skill is not None and skill.name not in found:
                found[skill.name] = skill
    return found


def preload_text(skills: list[Skill]) -> str:
    parts = [f"## Skill: {skill.name}\n{skill.description}\n\n{skill.body}" for skill in skills]
    return "\n\n".join(parts)


class SkillInput(BaseModel):
    skill: str = Field(description="The name of the skill to load, from the list in this tool's description.")


class SkillTool:
    """The ``Skill`` tool: returns a skill's instructions when the model decides it needs them."""

    name = "Skill"
    read_only = True

    def __init__(self, skills: dict[str, Skill]) -> None:
        self.skills = skills
        listing = "\n".join(f"- {s.name}: {s.description}" for s in skills.values())
        self.description = (
            "Load the instructions of a skill when the task matches its description. "
            f"Available skills:\n{listing}"
        )

    def json_schema(self) -> dict[str, Any]:
        return SkillInput.model_json_schema()

    async def acall(self, raw_input: dict[str, Any], state: Any) -> ToolResult:
        name = str(raw_input.get("skill") or raw_input.get("name") or raw_input.get("command") or "").strip()
        skill = self.skills.get(name)
        if skill is None:
            return ToolResult.failure(
                "unknown_skill",
                f"Unknown skill {name!r}. Available skills: {', '.join(sorted(self.skills)) or 'none'}.",
            )
        header = f"Skill {skill.name} (base directory: {skill.path.parent})"
        if skill.allowed_tools:
            header += f"; allowed tools: {', '.join(skill.allowed_tools)}"
        return ToolResult(output=f"{header}\n\n{skill.body}", data={"skill": skill.name})


__all__ = ["BUILTIN_SKILLS_DIR", "Skill", "SkillTool", "discover_skills", "load_skill", "preload_text"]
