"""The permission engine: modes, rule sources and precedence, path/mcp/OpenCode rules, agent grants."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.agents import AgentDefinition, PermissionRules
from backend_agent.runtime.permissions import Decision, PermissionEngine, PermissionMode, RuleSet


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    folder.mkdir()
    return folder


def engine(
    ws: Path, *, mode: str | None = None, definition: AgentDefinition | None = None, **lists: list[str]
) -> PermissionEngine:
    rules = RuleSet.from_lists(source="settings:.backend-agent/settings.json", **lists)
    return PermissionEngine(
        mode=mode, rules=rules, definition=definition, workspace=ws, home=ws.parent / "home"
    )


def decide(e: PermissionEngine, tool: str, **tool_input: object) -> Decision:
    return e.decide(tool, dict(tool_input))


def test_defaults_read_only_allow_and_changes_ask(ws: Path) -> None:
    e = engine(ws)
    assert decide(e, "Read", file_path="a.py").action == "allow"
    assert decide(e, "Grep", pattern="x").action == "allow"
    assert decide(e, "Glob", pattern="*").action == "allow"
    assert decide(e, "BashOutput", bash_id="bash_1").action == "allow"
    for tool, args in (
        ("Write", {"file_path": "a"}),
        ("Edit", {"file_path": "a"}),
        ("Bash", {"command": "make build"}),
    ):
        assert e.decide(tool, args).action == "ask"
    # Claude Code's read-only commands need no rule for workspace files (issue 11)
    assert decide(e, "Bash", command="ls").action == "allow"
    assert decide(e, "mcp__github__create_issue", title="x").action == "ask"


def test_accept_edits_allows_edits_inside_the_workspace_only(ws: Path) -> None:
    e = engine(ws, mode="acceptEdits")
    inside = decide(e, "Edit", file_path="src/app.py", old_string="a", new_string="b")
    assert inside.action == "allow" and inside.source == "mode"
    assert decide(e, "Write", file_path=str(ws.parent / "elsewhere.txt"), content="x").action == "ask"
    assert decide(e, "Bash", command="touch x").action == "ask"


def test_plan_mode_allows_only_read_only_tools(ws: Path) -> None:
    e = engine(ws, mode="plan", allow=["Edit", "Bash(ls:*)", "Bash(rm:*)"])
    assert decide(e, "Read", file_path="a").action == "allow"
    edit = decide(e, "Edit", file_path="a")
    assert edit.action == "deny" and "plan mode" in edit.reason
    assert decide(e, "Bash", command="ls -la").action == "allow"
    assert decide(e, "Bash", command="rm -rf x").action == "deny"
    assert decide(e, "Bash", command="cat a").action == "allow"  # Claude Code's read-only set
    assert decide(e, "Bash", command="cat /etc/hostname").action == "deny"  # outside: no rule allows it
    assert decide(e, "Bash", command="ls > out.txt").action == "deny"


def test_dont_ask_turns_ask_into_deny(ws: Path) -> None:
    e = engine(ws, mode="dontAsk", allow=["Bash(ls:*)"])
    assert decide(e, "Bash", command="ls").action == "allow"
    denied = decide(e, "Bash", command="make")
    assert denied.action == "deny" and "dontAsk" in denied.reason
    assert decide(e, "Edit", file_path="a").action == "deny"


def test_bypass_allows_everything_except_explicit_deny(ws: Path) -> None:
    e = engine(ws, mode="bypassPermissions", deny=["Bash(rm:*)", "Read(./secrets/**)"], ask=["Bash(make:*)"])
    # with a deny rule in place, what the shell only knows at run time is refused, even in bypass mode
    assert decide(e, "Bash", command="eval whatever").action == "deny"
    assert decide(bypass_without_denies(ws), "Bash", command="eval whatever").action == "allow"
    assert decide(e, "Bash", command="make all").action == "allow"
    assert decide(e, "Edit", file_path="/etc/hosts").action == "allow"
    denied = decide(e, "Bash", command="ls && rm -rf /")
    assert denied.action == "deny" and denied.rule == "Bash(rm:*)"
    assert decide(e, "Read", file_path="secrets/key.pem").action == "deny"


def bypass_without_denies(ws: Path) -> PermissionEngine:
    return engine(ws, mode="bypassPermissions")


def test_deny_beats_ask_beats_allow_across_sources(ws: Path) -> None:
    definition = AgentDefinition(
        name="backend", permissions=PermissionRules(deny=["Edit(src/secrets/**)"], ask=["Edit(src/api/**)"])
    )
    e = engine(ws, definition=definition, allow=["Edit"])
    denied = decide(e, "Edit", file_path="src/secrets/keys.py")
    assert (denied.action, denied.rule, denied.source) == ("deny", "Edit(src/secrets/**)", "agent:backend")
    asked = decide(e, "Edit", file_path="src/api/routes.py")
    assert (asked.action, asked.rule, asked.source) == ("ask", "Edit(src/api/**)", "agent:backend")
    allowed = decide(e, "Edit", file_path="src/models.py")
    assert (allowed.action, allowed.rule, allowed.source) == (
        "allow",
        "Edit",
        "settings:.backend-agent/settings.json",
    )


def test_path_rules_resolve_like_gitignore(ws: Path) -> None:
    home = ws.parent / "home"
    e = engine(
        ws,
        deny=["Read(./secrets/**)", "Read(*.env)", "Read(~/.ssh/**)", "Edit(//etc/**)"],
        allow=["Edit(/src/**)"],
    )
    assert decide(e, "Read", file_path="secrets/db/password.txt").action == "deny"
    assert decide(e, "Read", file_path=str(ws / "config/prod.env")).action == "deny"
    assert decide(e, "Read", file_path=str(home / ".ssh/id_rsa")).action == "deny"
    assert decide(e, "Grep", pattern="x", path="secrets").action == "deny"  # Read rules cover Grep
    assert decide(e, "Write", file_path="/etc/hosts").action == "deny"  # Edit rules cover Write
    assert decide(e, "Edit", file_path="src/deep/mod.py").action == "allow"
    assert decide(e, "Edit", file_path="tests/test_mod.py").action == "ask"
    assert decide(e, "Read", file_path="src/app.py").action == "allow"


def test_dotdot_cannot_dodge_a_path_rule(ws: Path) -> None:
    e = engine(ws, deny=["Read(./secrets/**)"])
    assert decide(e, "Read", file_path="src/../secrets/key").action == "deny"
    (ws / "innocent").symlink_to(ws / "secrets", target_is_directory=True)
    assert decide(e, "Read", file_path="innocent/key").action == "deny"


def test_mcp_and_webfetch_rules(ws: Path) -> None:
    e = engine(ws, allow=["mcp__github", "WebFetch(domain:docs.python.org)"], deny=["mcp__db__drop_table"])
    assert decide(e, "mcp__github__create_issue", title="x").action == "allow"
    assert decide(e, "mcp__githubx__thing").action == "ask"
    assert decide(e, "mcp__db__drop_table").action == "deny"
    assert decide(e, "WebFetch", url="https://docs.python.org/3/").action == "allow"
    assert decide(e, "WebFetch", url="https://evil.example/").action == "ask"


def test_opencode_pattern_maps_last_match_wins(ws: Path) -> None:
    perms = PermissionRules(
        patterns={"bash": {"*": "ask", "git *": "allow", "git push*": "deny"}},
        simple={"webfetch": "deny", "edit": "allow"},
    )
    e = engine(ws, definition=AgentDefinition(name="oc", permissions=perms, format="opencode"))
    allowed = decide(e, "Bash", command="git status")
    assert allowed.action == "allow" and allowed.rule == 'bash: "git *"' and allowed.source == "agent:oc"
    assert decide(e, "Bash", command="git push origin").action == "deny"
    assert decide(e, "Bash", command="git status && git push").action == "deny"
    assert decide(e, "Bash", command="ls").action == "ask"
    assert decide(e, "WebFetch", url="https://x.org").action == "deny"
    assert decide(e, "Write", file_path="a.txt").action == "allow"  # OpenCode's edit covers writes


def test_agent_tool_grants_apply_first(ws: Path) -> None:
    limited = AgentDefinition(name="reviewer", tools=["Read", "Grep", "Bash(git diff:*)"])
    e = engine(ws, definition=limited, allow=["Edit"])
    refused = decide(e, "Edit", file_path="a.py")
    assert refused.action == "deny" and "not granted the Edit tool" in refused.reason
    assert refused.source == "agent:reviewer"
    assert decide(e, "Bash", command="git diff HEAD").action == "allow"  # the entry's specifier is a rule
    assert decide(e, "Bash", command="git push").action == "ask"
    assert decide(e, "BashOutput", bash_id="bash_1").action == "allow"  # comes with Bash
    blocked = AgentDefinition(name="safe", disallowed_tools=["Bash", "WebFetch(domain:evil.example)"])
    e2 = engine(ws, definition=blocked, mode="bypassPermissions")
    assert decide(e2, "Bash", command="ls").action == "deny"
    assert decide(e2, "WebFetch", url="https://evil.example/x").action == "deny"
    assert decide(e2, "WebFetch", url="https://ok.example/x").action == "allow"


def test_definition_mode_is_the_default_and_explicit_mode_wins(ws: Path) -> None:
    definition = AgentDefinition(name="planner", permissions=PermissionRules(mode="plan"))
    assert engine(ws, definition=definition).mode == PermissionMode.PLAN
    assert engine(ws, definition=definition, mode="acceptEdits").mode == PermissionMode.ACCEPT_EDITS


def test_remember_allow_covers_the_commands_for_the_session(ws: Path) -> None:
    e = engine(ws, deny=["Bash(rm:*)"])
    assert decide(e, "Bash", command="npm test").action == "ask"
    e.remember_allow("Bash", {"command": "npm test"})
    remembered = decide(e, "Bash", command="npm test")
    assert remembered.action == "allow" and remembered.source == "session"
    assert decide(e, "Bash", command="npm test && make").action == "ask"
    e.remember_allow("Bash", {"command": "eval 'x'"})
    assert decide(e, "Bash", command="eval 'x'").action == "allow"
    e.remember_allow("Bash", {"command": "ls; rm -rf /"})
    assert decide(e, "Bash", command="ls; rm -rf /").action == "deny"
    e.remember_allow("Edit", {"file_path": "a.py"})
    assert decide(e, "Edit", file_path="a.py", old_string="x").action == "allow"
    assert decide(e, "Edit", file_path="b.py").action == "ask"


def test_decision_json_has_decision_rule_source_and_subcommands(ws: Path) -> None:
    data = decide(engine(ws, allow=["Bash(ls:*)"]), "Bash", command="ls && make").to_dict()
    assert data["decision"] == "ask" and set(data) >= {"rule", "source", "reason", "subcommands"}
    assert [(s["command"], s["decision"]) for s in data["subcommands"]] == [("ls", "allow"), ("make", "ask")]


def test_mode_names_are_parsed_leniently_and_bad_ones_listed() -> None:
    assert PermissionMode.parse("accept-edits") is PermissionMode.ACCEPT_EDITS
    assert PermissionMode.parse("bypass") is PermissionMode.BYPASS
    with pytest.raises(ValueError, match="valid modes: default, acceptEdits"):
        PermissionMode.parse("yolo")


def test_bad_rule_text_is_rejected() -> None:
    with pytest.raises(ValueError, match="not a permission rule"):
        RuleSet.from_lists(allow=["Bash(git log:*"])
    with pytest.raises(ValueError, match="empty specifier"):
        RuleSet.from_lists(deny=["Bash()"])


def test_opencode_wrapped_command_uses_the_effective_command(ws: Path) -> None:
    perms = PermissionRules(patterns={"bash": {"*": "ask", "git *": "allow", "rm *": "deny"}})
    e = engine(ws, definition=AgentDefinition(name="oc", permissions=perms, format="opencode"))
    assert decide(e, "Bash", command="timeout 5 git status").action == "allow"
    assert decide(e, "Bash", command="env X=1 rm -rf build").action == "deny"


def test_settings_and_agent_files_always_need_approval(ws: Path) -> None:
    e = engine(ws, mode="acceptEdits", allow=["Edit", "Write"])
    for target in (
        ".claude/settings.json",
        ".backend-agent/settings.json",
        ".claude/agents/x.md",
        "opencode.json",
    ):
        decision = decide(e, "Write", file_path=target, content="{}")
        assert decision.action == "ask", target
    assert decide(e, "Write", file_path="src/app.py", content="").action == "allow"
    bypass = engine(ws, mode="bypassPermissions")
    assert decide(bypass, "Edit", file_path=".claude/settings.json").action == "allow"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("git log --oneline", "allow"),
        ("git -c core.pager=sh log", "deny"),
        ("git diff --output=patch.txt", "deny"),
        ("sort -o out.txt data", "deny"),
        ("find . -name '*.py'", "allow"),
        ("find . -delete", "deny"),
        ("sed -n 1p file", "deny"),
    ],
)
def test_plan_mode_read_only_bash_is_conservative(ws: Path, command: str, expected: str) -> None:
    e = engine(ws, mode="plan", allow=["Bash(git:*)", "Bash(sort:*)", "Bash(find:*)", "Bash(sed:*)"])
    assert decide(e, "Bash", command=command).action == expected
