"""Discovery order, shadowing, OpenCode config agents, and bad files next to good ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend_agent.agents import BUILTIN_DIR, discover
from backend_agent.errors import DefinitionError


def _claude(folder: Path, name: str, description: str = "does things", filename: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (filename or f"{name}.md")
    path.write_text(f"---\nname: {name}\ndescription: {description}\n---\nYou are {name}.\n")
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def test_nearest_project_then_user_then_opencode_then_builtin(tmp_path: Path, home: Path) -> None:
    project = tmp_path / "repo"
    cwd = project / "services" / "api"
    cwd.mkdir(parents=True)
    near = _claude(cwd / ".claude" / "agents", "backend", "near")
    _claude(project / ".claude" / "agents", "backend", "far")
    _claude(project / ".claude" / "agents", "only-far")
    _claude(home / ".claude" / "agents", "only-far", "user copy")
    _claude(home / ".claude" / "agents", "personal")
    oc = project / ".opencode" / "agent"
    oc.mkdir(parents=True)
    (oc / "personal.md").write_text("---\ndescription: opencode copy\nmode: subagent\n---\nb\n")
    (oc / "docs.md").write_text("---\ndescription: writes docs\nmode: subagent\n---\nb\n")

    roster = discover(cwd=cwd, home=home)
    assert roster.failures == []
    assert roster.agents["backend"].description == "near"
    assert roster.agents["backend"].source_path == str(near)
    assert roster.agents["backend"].scope == "project"
    assert roster.agents["only-far"].description == "does things"
    assert roster.agents["personal"].scope == "user"
    assert roster.agents["docs"].format == "opencode"
    # The built-in 'backend' and the farther copies are shadowed, not lost.
    shadowed = {(d.name, d.description if d.scope != "builtin" else "builtin") for d in roster.shadowed}
    assert shadowed == {
        ("backend", "far"),
        ("backend", "builtin"),
        ("only-far", "user copy"),
        ("personal", "opencode copy"),
    }
    builtin_backend = next(d for d in roster.shadowed if d.scope == "builtin")
    assert roster.winner_for(builtin_backend) is roster.agents["backend"]
    assert roster.winner_for(roster.agents["backend"]) is None


def test_opencode_nested_names_and_user_config_folder(tmp_path: Path, home: Path) -> None:
    nested = tmp_path / ".opencode" / "agents" / "review"
    nested.mkdir(parents=True)
    (nested / "security.md").write_text("---\ndescription: sec\n---\nb\n")
    user = home / ".config" / "opencode" / "agent"
    user.mkdir(parents=True)
    (user / "helper.md").write_text("---\ndescription: helps\n---\nb\n")
    roster = discover(cwd=tmp_path, home=home, include_builtin=False)
    assert sorted(roster.agents) == ["helper", "review/security"]
    assert roster.agents["helper"].scope == "user"


def test_opencode_json_agent_key(tmp_path: Path, home: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "plan.txt").write_text("Plan carefully.")
    config = {
        "$schema": "https://opencode.ai/config.json",
        "agent": {
            "planner": {
                "description": "Plans work",
                "mode": "primary",
                "model": "anthropic/claude-sonnet-4",
                "prompt": "{file:./prompts/plan.txt}",
                "tools": {"write": False, "edit": False},
            },
            "broken": "not an object",
        },
    }
    text = "// project config\n" + json.dumps(config, indent=2).replace('"mode"', '/* kind */ "mode"')
    (tmp_path / "opencode.jsonc").write_text(text)
    roster = discover(cwd=tmp_path, home=home, include_builtin=False)
    planner = roster.agents["planner"]
    assert planner.format == "opencode"
    assert planner.system_prompt == "Plan carefully."
    assert planner.disallowed_tools == ["Write", "Edit"]
    assert planner.source_path == f"{tmp_path / 'opencode.jsonc'}#agent.planner"
    (failure,) = roster.failures
    assert failure.path.endswith("#agent.broken")


def test_bad_files_are_reported_and_the_others_still_load(tmp_path: Path, home: Path) -> None:
    folder = tmp_path / ".claude" / "agents"
    _claude(folder, "good-one")
    _claude(folder, "good-two")
    (folder / "unclosed.md").write_text("---\nname: bad\ndescription: d\n")
    (folder / "empty.md").write_text("")
    (folder / "binary.md").write_bytes(b"\x00\xff\xfe")
    (folder / "notes.json").write_text("{}")  # not a definition file: ignored
    roster = discover(cwd=tmp_path, home=home, include_builtin=False)
    assert sorted(roster.agents) == ["good-one", "good-two"]
    failures = {Path(f.path).name: f for f in roster.failures}
    assert sorted(failures) == ["binary.md", "empty.md", "unclosed.md"]
    assert failures["unclosed.md"].line == 1
    assert "never closed" in failures["unclosed.md"].reason
    assert str(failures["unclosed.md"]).startswith(f"{folder / 'unclosed.md'}:1: front matter")


def test_extra_paths_come_first(tmp_path: Path, home: Path) -> None:
    _claude(tmp_path / ".claude" / "agents", "backend", "project")
    extra = _claude(tmp_path / "elsewhere", "backend", "explicit")
    roster = discover(cwd=tmp_path, home=home, extra_paths=[extra])
    assert roster.agents["backend"].description == "explicit"
    assert roster.agents["backend"].scope == "path"


def test_get_unknown_name_lists_known_names(tmp_path: Path, home: Path) -> None:
    roster = discover(cwd=tmp_path, home=home)
    with pytest.raises(DefinitionError) as info:
        roster.get("bakend")
    message = str(info.value)
    assert "no agent named 'bakend'" in message
    assert "api-designer, backend, data-engineer" in message
    assert "did you mean 'backend'?" in message


def test_builtins_are_found_and_clean(tmp_path: Path, home: Path) -> None:
    roster = discover(cwd=tmp_path, home=home)
    assert sorted(roster.agents) == [
        "api-designer", "backend", "data-engineer", "performance-engineer", "platform-engineer", "security-reviewer",
    ]
    assert all(d.scope == "builtin" and d.format == "claude-code" for d in roster.agents.values())
    assert len(list(BUILTIN_DIR.glob("*.md"))) == 6


def test_an_opencode_json_given_as_extra_path_contributes_its_agents(tmp_path: Path, home: Path) -> None:
    config = tmp_path / "elsewhere" / "opencode.json"
    config.parent.mkdir()
    config.write_text('{"agent": {"reviewer": {"description": "Reviews", "prompt": "Review."}}}')
    roster = discover(cwd=tmp_path, home=home, include_builtin=False, extra_paths=[config])
    assert list(roster.agents) == ["reviewer"]
    reviewer = roster.agents["reviewer"]
    assert reviewer.scope == "path" and reviewer.format == "opencode" and reviewer.system_prompt == "Review."
