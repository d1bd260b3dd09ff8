"""The shipped agents are valid Claude Code files with real prompts that use backend-agent."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.agents import BUILTIN_DIR, load_definition

FILES = sorted(BUILTIN_DIR.glob("*.md"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_builtin_agent_is_complete(path: Path) -> None:
    defn = load_definition(path)
    assert defn.issues == [], [str(i) for i in defn.issues]
    assert defn.format == "claude-code"
    assert defn.name == path.stem
    assert len(defn.description) > 80
    assert len(defn.examples) >= 1 and all(e.user for e in defn.examples)
    assert defn.triggers.keywords and defn.triggers.extensions and defn.triggers.directories
    assert len(defn.system_prompt) > 1200
    # Each agent is told to use backend-agent's own capabilities and to prove its work.
    assert "backend-agent check" in defn.system_prompt or "backend-agent design" in defn.system_prompt
    assert "prove" in defn.system_prompt.lower() or "verif" in defn.system_prompt.lower()
    assert path.read_text(encoding="utf-8").startswith("---\nname: ")


def test_lead_agent_can_delegate_and_reviewer_cannot_edit() -> None:
    lead = load_definition(BUILTIN_DIR / "backend.md")
    assert lead.tools is None  # inherits every tool, Agent included
    for name in ("api-designer", "data-engineer", "platform-engineer", "security-reviewer", "performance-engineer"):
        assert name in lead.system_prompt
    reviewer = load_definition(BUILTIN_DIR / "security-reviewer.md")
    assert reviewer.tools is not None
    assert "Write" not in reviewer.tools and "Edit" not in reviewer.tools
