"""Claude Code and OpenCode field mapping, and format detection from the file itself."""

from __future__ import annotations

from pathlib import Path

from backend_agent.agents import load_definition, parse_definition


def test_claude_code_tools_string_with_calls_aliases_and_mcp() -> None:
    text = (
        "---\nname: lead\ndescription: Leads\n"
        "tools: read, Task(reviewer, tester), Agent(x), mcp__github__*, mcp__db__query, Bash\n"
        "disallowedTools: [WebFetch, 'Bash(rm:*)']\n"
        "permissionMode: acceptEdits\nskills: [docker, k8s]\n"
        "mcpServers: [github]\nmaxTurns: 12\ncolor: red\n"
        "hooks:\n  PreToolUse:\n    - matcher: Bash\n      hooks: [{type: command, command: ./check.sh}]\n"
        "---\nLead.\n"
    )
    defn = parse_definition(text, source="lead.md")
    assert defn.format == "claude-code"
    assert defn.tools == ["Read", "Agent(reviewer, tester)", "Agent(x)", "mcp__github__*", "mcp__db__query", "Bash"]
    assert defn.disallowed_tools == ["WebFetch", "Bash(rm:*)"]
    assert defn.permissions.mode == "acceptEdits"
    assert defn.skills == ["docker", "k8s"]
    assert defn.mcp_servers == ["github"]
    assert defn.max_turns == 12
    assert defn.hooks["PreToolUse"][0]["matcher"] == "Bash"
    assert defn.issues == []


def test_claude_code_empty_tools_list_means_no_tools() -> None:
    defn = parse_definition("---\nname: a\ndescription: d\ntools: []\n---\nb\n", source="a.md")
    assert defn.tools == []


def test_opencode_fields_permissions_and_tool_map(tmp_path: Path) -> None:
    folder = tmp_path / ".opencode" / "agent"
    folder.mkdir(parents=True)
    path = folder / "review.md"
    path.write_text(
        "---\n"
        "description: Reviews code\n"
        "mode: subagent\n"
        "model: openai/gpt-5\n"
        "temperature: 0.1\n"
        "top_p: 0.9\n"
        "maxSteps: 7\n"
        "tools:\n  write: false\n  edit: false\n  mymcp_*: false\n"
        "permission:\n  edit: deny\n  webfetch: ask\n"
        "  bash:\n    'git diff': allow\n    'git log*': allow\n    '*': ask\n"
        "hidden: true\n"
        "---\nYou review.\n"
    )
    defn = load_definition(path)
    assert defn.format == "opencode"
    assert defn.name == "review"
    assert defn.mode == "subagent"
    assert defn.model == "openai/gpt-5"
    assert defn.temperature == 0.1 and defn.top_p == 0.9
    assert defn.max_turns == 7
    # Only false entries: every other tool stays enabled.
    assert defn.tools is None
    assert defn.disallowed_tools == ["Write", "Edit", "mymcp_*"]
    assert defn.permissions.simple == {"edit": "deny", "webfetch": "ask"}
    assert list(defn.permissions.patterns["bash"].items()) == [("git diff", "allow"), ("git log*", "allow"), ("*", "ask")]
    assert defn.hidden is True
    assert defn.issues == []


def test_opencode_star_false_is_an_allowlist() -> None:
    text = "---\ndescription: d\ntools:\n  '*': false\n  read: true\n  webfetch: true\n  task: true\n---\nb\n"
    defn = parse_definition(text, source="x.md", name_hint="x")
    assert defn.format == "opencode"
    assert defn.tools == ["Read", "WebFetch", "Agent"]


def test_opencode_bad_permission_action_is_a_warning() -> None:
    text = "---\ndescription: d\nmode: primary\npermission:\n  bash: sometimes\n---\nb\n"
    defn = parse_definition(text, source="x.md", name_hint="x")
    assert defn.permissions.simple == {}
    assert any("unknown permission action 'sometimes'" in issue.message for issue in defn.warnings)


def test_opencode_steps_and_disable_and_prompt_file(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "p.txt").write_text("Prompt from a file.\r\n")
    path = tmp_path / "docs.md"
    path.write_text("---\ndescription: d\nsteps: 3\ndisable: true\nprompt: '{file:./prompts/p.txt}'\n---\n")
    defn = load_definition(path)
    assert defn.format == "opencode"
    assert defn.max_turns == 3
    assert defn.disabled is True
    assert defn.system_prompt == "Prompt from a file."


def test_detection_uses_keys_and_value_shapes() -> None:
    claude = parse_definition("---\nname: a\ndescription: d\nmodel: sonnet\n---\nb\n", source="a.md")
    assert claude.format == "claude-code"
    opencode = parse_definition("---\ndescription: d\nmodel: anthropic/claude-x\n---\nb\n", source="a.md")
    assert opencode.format == "opencode"
    body = parse_definition("# Title\n\nSome prose.\n", source="t.md")
    assert body.format == "body-only"
    assert body.description == "Title. Some prose."


def test_detection_breaks_ties_with_the_path() -> None:
    text = "---\ndescription: d\n---\nb\n"
    assert parse_definition(text, source="/p/.opencode/agent/x.md").format == "opencode"
    assert parse_definition(text, source="/p/.claude/agents/x.md").format == "claude-code"


def test_opencode_flags_and_ranges_are_checked() -> None:
    text = (
        "---\ndescription: d\nmode: subagent\nhidden: 'false'\ndisable: maybe\n"
        "temperature: 5\ntop_p: 0.5\nsteps: 2.5\n---\nb\n"
    )
    defn = parse_definition(text, source="x.md", name_hint="x")
    assert defn.format == "opencode"
    assert defn.hidden is False  # the string 'false' is false, not a truthy string
    assert defn.disabled is False
    assert defn.temperature is None and defn.top_p == 0.5 and defn.max_turns is None
    by_field = {issue.field: issue for issue in defn.warnings}
    assert set(by_field) == {"disable", "temperature", "steps"}
    assert "expected true or false, got 'maybe'" in by_field["disable"].message
    assert "from 0 to 2, got 5" in by_field["temperature"].message and by_field["temperature"].line == 6
    assert "whole number, got 2.5" in by_field["steps"].message
    on = parse_definition("---\ndescription: d\nmode: all\nhidden: yes\ndisable: 'true'\n---\nb\n", source="y.md", name_hint="y")
    assert on.hidden is True and on.disabled is True and on.issues == []
