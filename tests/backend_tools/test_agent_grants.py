"""The backend tools reach agents: inherited when `tools` is omitted, granted by name, refused otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.agents import BUILTIN_DIR, load_definition
from backend_agent.backend_tools import BACKEND_TOOL_NAMES
from tests.backend_tools.conftest import NOTES
from tests.runtime.conftest import write_script


def test_lead_agent_inherits_the_backend_tools_and_calls_them(workspace: Path, run_agent) -> None:
    (workspace / "notes.blueprint.yaml").write_text(NOTES)
    write_script(workspace, [
        {"tool_calls": [{"tool": "Blueprint", "input": {"action": "validate", "file": "notes.blueprint.yaml"}}]},
        {"expect": {"tool": "Blueprint", "ok": True, "contains": '"operations":5'}, "text": "valid"},
    ])  # fmt: skip
    result, events = run_agent(workspace, allow=["Blueprint"])
    assert result.status == "success", result.error
    offered = events.of("system")[0].tools
    assert set(BACKEND_TOOL_NAMES) <= set(offered)


def test_backend_tools_need_permission_like_other_tools(workspace: Path, run_agent) -> None:
    (workspace / "notes.blueprint.yaml").write_text(NOTES)
    write_script(workspace, [
        {"tool_calls": [{"tool": "Check", "input": {"gates": ["tests"]}}]},
        {"expect": {"tool": "Check", "ok": False, "contains": "denied"}, "text": "could not check"},
    ])  # fmt: skip
    result, _ = run_agent(workspace)  # default mode, headless: nothing allows Check
    assert [d["tool_name"] for d in result.permission_denials] == ["Check"]


def test_a_definition_without_the_grant_does_not_get_them(workspace: Path, run_agent) -> None:
    folder = workspace / ".claude" / "agents"
    folder.mkdir(parents=True)
    (folder / "reader.md").write_text("---\nname: reader\ndescription: reads\ntools: Read, Check\n---\nRead.\n")
    write_script(workspace, [
        {"tool_calls": [{"tool": "Blueprint", "input": {"action": "validate", "file": "x.blueprint.yaml"}}]},
        {"expect": {"tool": "Blueprint", "ok": False}, "text": "no blueprint tool"},
    ])  # fmt: skip
    result, events = run_agent(workspace, agent="reader", permission_mode="bypassPermissions")
    assert result.status == "success", result.error
    assert events.of("system")[0].tools == ["Read", "Check"]


@pytest.mark.parametrize("name", ["api-designer", "data-engineer", "performance-engineer", "platform-engineer",
                                  "security-reviewer"])  # fmt: skip
def test_builtin_specialists_grant_check(name: str) -> None:
    definition = load_definition(BUILTIN_DIR / f"{name}.md")
    assert definition.tools is not None and "Check" in definition.tools
    lead = load_definition(BUILTIN_DIR / "backend.md")
    assert lead.tools is None  # the lead agent inherits every tool, the backend tools included
