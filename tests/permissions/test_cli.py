"""``backend-agent permissions check``: the decision, the deciding rule and the per-command breakdown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend_agent.cli.main import main


@pytest.fixture
def check(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["permissions", "check", "--cwd", str(workspace), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_json_output_has_decision_rule_and_breakdown(check) -> None:
    code, out, _ = check(
        "--tool",
        "Bash",
        "--input",
        json.dumps({"command": "git status && rm -rf build"}),
        "--allow",
        "Bash(git status:*)",
        "--deny",
        "Bash(rm:*)",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert (data["decision"], data["rule"], data["source"]) == ("deny", "Bash(rm:*)", "cli")
    assert [(s["command"], s["decision"]) for s in data["subcommands"]] == [
        ("git status", "allow"),
        ("rm -rf build", "deny"),
    ]


def test_text_output_names_the_rule(check) -> None:
    code, out, _ = check(
        "--tool", "Bash", "--input", '{"command": "git log -3"}', "--allow", "Bash(git log:*)"
    )
    assert code == 0
    assert "ALLOW" in out and "Bash(git log:*)" in out and "cli" in out


def test_mode_option_and_settings_are_used(check, workspace: Path) -> None:
    (workspace / ".claude").mkdir()
    (workspace / ".claude/settings.json").write_text(
        json.dumps({"permissions": {"deny": ["Edit(migrations/**)"]}})
    )
    code, out, _ = check(
        "--tool", "Edit", "--input", '{"file_path": "app/main.py"}', "--mode", "acceptEdits", "--json"
    )
    assert code == 0 and json.loads(out)["decision"] == "allow"
    _code, out, _ = check(
        "--tool", "Edit", "--input", '{"file_path": "migrations/001.sql"}', "--mode", "acceptEdits", "--json"
    )
    data = json.loads(out)
    assert (data["decision"], data["source"]) == ("deny", "settings:.claude/settings.json")


def test_agent_definition_grants_and_rules(check, workspace: Path) -> None:
    agents = workspace / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "reviewer.md").write_text(
        "---\nname: reviewer\ndescription: Reviews code.\ntools: Read, Grep, Bash(git diff:*)\n---\nYou review code.\n"
    )
    code, out, _ = check(
        "--tool", "Edit", "--input", '{"file_path": "a.py"}', "--agent", "reviewer", "--json"
    )
    assert code == 0
    data = json.loads(out)
    assert (
        data["decision"] == "deny" and data["source"] == "agent:reviewer" and "not granted" in data["reason"]
    )
    _code, out, _ = check(
        "--tool", "Bash", "--input", '{"command": "git diff HEAD~1"}', "--agent", "reviewer", "--json"
    )
    data = json.loads(out)
    assert (data["decision"], data["rule"]) == ("allow", "Bash(git diff:*)")


def test_unknown_agent_bad_mode_and_bad_rule_are_clear_errors(check) -> None:
    code, _, err = check("--tool", "Bash", "--input", '{"command": "ls"}', "--agent", "nobody")
    assert code == 1 and "no agent named 'nobody'" in err
    code, _, err = check("--tool", "Bash", "--input", '{"command": "ls"}', "--mode", "yolo")
    assert code == 2 and "valid modes" in err
    code, _, err = check("--tool", "Bash", "--input", '{"command": "ls"}', "--allow", "Bash(ls")
    assert code == 2 and "not a permission rule" in err
