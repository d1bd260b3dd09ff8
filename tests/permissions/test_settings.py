"""Permission settings files: merged sources, located errors, defaultMode and extra folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend_agent.errors import ConfigError
from backend_agent.runtime.permissions import PermissionEngine, PermissionMode, load_permission_settings


def write(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def test_rules_from_every_file_keep_their_source(workspace: Path, home: Path) -> None:
    write(workspace / ".backend-agent/settings.json", {"permissions": {"allow": ["Bash(git log:*)"]}})
    write(
        workspace / ".claude/settings.json",
        {"permissions": {"deny": ["Bash(rm:*)"], "ask": ["Bash(docker:*)"]}},
    )
    write(workspace / ".claude/settings.local.json", {"permissions": {"allow": ["Edit(src/**)"]}})
    write(home / ".claude/settings.json", {"permissions": {"deny": ["Read(~/.ssh/**)"]}})
    rules = load_permission_settings(workspace, home=home)
    by_text = {r.text: (r.action, r.source) for r in rules.rules}
    assert by_text == {
        "Bash(git log:*)": ("allow", "settings:.backend-agent/settings.json"),
        "Bash(rm:*)": ("deny", "settings:.claude/settings.json"),
        "Bash(docker:*)": ("ask", "settings:.claude/settings.json"),
        "Edit(src/**)": ("allow", "settings:.claude/settings.local.json"),
        "Read(~/.ssh/**)": ("deny", "settings:~/.claude/settings.json"),
    }
    decision = PermissionEngine(rules=rules, workspace=workspace, home=home).decide(
        "Bash", {"command": "git log && rm x"}
    )
    assert (decision.action, decision.rule, decision.source) == (
        "deny",
        "Bash(rm:*)",
        "settings:.claude/settings.json",
    )


def test_default_mode_from_the_most_specific_file_wins(workspace: Path, home: Path) -> None:
    write(workspace / ".claude/settings.json", {"permissions": {"defaultMode": "plan"}})
    write(workspace / ".claude/settings.local.json", {"permissions": {"defaultMode": "acceptEdits"}})
    rules = load_permission_settings(workspace, home=home)
    assert rules.default_mode is PermissionMode.ACCEPT_EDITS
    assert PermissionEngine(rules=rules, workspace=workspace).mode is PermissionMode.ACCEPT_EDITS


def test_additional_directories_extend_accept_edits(workspace: Path, home: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    write(
        workspace / ".backend-agent/settings.json", {"permissions": {"additionalDirectories": ["../shared"]}}
    )
    rules = load_permission_settings(workspace, home=home)
    assert [p.resolve() for p in rules.additional_directories] == [shared.resolve()]
    engine = PermissionEngine(mode="acceptEdits", rules=rules, workspace=workspace)
    assert engine.decide("Write", {"file_path": str(shared / "x.txt")}).action == "allow"
    assert engine.decide("Write", {"file_path": str(tmp_path / "other.txt")}).action == "ask"


def test_invalid_json_names_file_line_and_column(workspace: Path, home: Path) -> None:
    write(
        workspace / ".claude/settings.json", '{\n  "permissions": {\n    "allow": ["Bash(ls:*)",]\n  }\n}\n'
    )
    with pytest.raises(ConfigError) as info:
        load_permission_settings(workspace, home=home)
    text = str(info.value)
    assert ".claude/settings.json:3:" in text and "hint:" in text


def test_bad_rules_and_mode_are_located_by_key(workspace: Path, home: Path) -> None:
    write(
        workspace / ".backend-agent/settings.json",
        {
            "permissions": {
                "allow": ["Bash(ls:*)", "Bash(oops", 7],
                "defaultMode": "yolo",
                "deny": "Bash(rm:*)",
            }
        },
    )
    with pytest.raises(ConfigError) as info:
        load_permission_settings(workspace, home=home)
    text = str(info.value)
    assert "permissions.allow[1]" in text and "permissions.allow[2]" in text
    assert "permissions.defaultMode" in text and "acceptEdits" in text
    assert "permissions.deny" in text and "a list of rule strings" in text


def test_missing_files_give_an_empty_rule_set(workspace: Path, home: Path) -> None:
    rules = load_permission_settings(workspace, home=home)
    assert rules.rules == [] and rules.default_mode is None


def test_managed_settings_have_the_last_word(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11: every settings file in Claude Code's precedence, managed settings included."""
    import json

    from backend_agent.runtime.permissions import load_permission_settings

    ws, home = tmp_path / "ws", tmp_path / "home"
    (ws / ".claude").mkdir(parents=True)
    (ws / ".claude" / "settings.local.json").write_text(json.dumps({"permissions": {"allow": ["Bash(make:*)"],
                                                                                  "defaultMode": "acceptEdits"}}))  # fmt: skip
    managed = tmp_path / "managed-settings.json"
    managed.write_text(
        json.dumps({"permissions": {"deny": ["Bash(make deploy:*)"], "defaultMode": "default"}})
    )
    monkeypatch.setenv("BACKEND_AGENT_MANAGED_SETTINGS", str(managed))
    rules = load_permission_settings(ws, home=home)
    assert [r.text for r in rules.allow] == ["Bash(make:*)"] and [r.text for r in rules.deny] == [
        "Bash(make deploy:*)"
    ]
    assert rules.default_mode is not None and rules.default_mode.value == "default"
    assert any(r.source.startswith("managed:") for r in rules.deny)
