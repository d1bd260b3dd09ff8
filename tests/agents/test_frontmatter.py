"""Leniency: BOM, CRLF, unquoted ': ', escaped newlines, unknown keys, unrecoverable files."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.agents import load_definition, parse_definition
from backend_agent.errors import DefinitionError

GOOD = "---\nname: reviewer\ndescription: Reviews code\ntools: Read, Grep\n---\nYou review code.\n"


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "reviewer.md"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode())
    defn = load_definition(path)
    assert defn.name == "reviewer"
    assert defn.tools == ["Read", "Grep"]
    assert defn.system_prompt == "You review code."
    assert "\r" not in defn.system_prompt
    assert defn.issues == []


def test_unquoted_colon_description_is_requoted() -> None:
    text = "---\nname: a\ndescription: Use when: the API breaks\nmodel: opus\n---\nbody\n"
    defn = parse_definition(text, source="a.md")
    assert defn.description == "Use when: the API breaks"
    assert defn.model == "opus"
    (issue,) = defn.warnings
    assert issue.field == "description" and issue.line == 3
    assert "Quote the value" in issue.message


def test_escaped_newlines_in_quoted_description_become_real() -> None:
    text = '---\nname: a\ndescription: "Line one.\\\\n\\\\nLine \\"two\\"."\n---\nbody\n'
    defn = parse_definition(text, source="a.md")
    assert defn.description == 'Line one.\n\nLine "two".'


def test_unknown_keys_are_kept_and_reported() -> None:
    text = "---\nname: a\ndescription: d\nfavourite: pizza\nmemory: project\n---\nbody\n"
    defn = parse_definition(text, source="a.md")
    assert defn.unknown_keys == {"favourite": "pizza", "memory": "project"}
    fields = {issue.field: issue for issue in defn.warnings}
    assert set(fields) == {"favourite", "memory"}
    assert fields["favourite"].line == 4
    assert "unknown Claude Code key 'favourite'" in fields["favourite"].message


def test_unclosed_front_matter_fails_with_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.md"
    path.write_text("\n---\nname: a\ndescription: d\nbody without a closing fence\n")
    with pytest.raises(DefinitionError) as info:
        load_definition(path)
    assert str(info.value).startswith(f"{path}:2: front matter opened with '---' is never closed")


def test_front_matter_that_is_not_a_mapping_fails_with_line() -> None:
    with pytest.raises(DefinitionError) as info:
        parse_definition("---\n- just\n- a list\n---\nbody\n", source="x.md")
    assert info.value.message.startswith("x.md:2: front matter is not valid YAML")


def test_broken_yaml_falls_back_to_key_value_lines() -> None:
    text = "---\nname: fallback\ndescription: [unclosed\nmodel: haiku\n---\nbody\n"
    defn = parse_definition(text, source="f.md")
    assert defn.name == "fallback"
    assert defn.description == "[unclosed"
    assert defn.model == "haiku"
    assert any("read it line by line" in issue.message for issue in defn.warnings)


def test_empty_and_binary_files_fail_clearly(tmp_path: Path) -> None:
    empty = tmp_path / "empty.md"
    empty.write_text("  \n")
    with pytest.raises(DefinitionError, match=r"empty\.md:1: the file is empty"):
        load_definition(empty)
    binary = tmp_path / "bin.md"
    binary.write_bytes(b"---\nname: x\n\xff\xfe\n---\n")
    with pytest.raises(DefinitionError, match=r"bin\.md:3: is not UTF-8 text"):
        load_definition(binary)


def test_missing_name_uses_file_name_with_warning(tmp_path: Path) -> None:
    path = tmp_path / ".claude" / "agents" / "helper.md"
    path.parent.mkdir(parents=True)
    path.write_text("---\ndescription: helps\ntools: [Read]\n---\nHelp.\n")
    defn = load_definition(path)
    assert defn.format == "claude-code"
    assert defn.name == "helper"
    assert any(issue.field == "name" for issue in defn.warnings)


def test_any_extension_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "agent.txt"
    path.write_text(GOOD)
    assert load_definition(path).name == "reviewer"


def test_bad_field_values_are_warnings_not_failures() -> None:
    text = "---\nname: a\ndescription: d\nmaxTurns: lots\npermissionMode: yolo\ntools: Read, Frobnicate\n---\nb\n"
    defn = parse_definition(text, source="a.md")
    assert defn.max_turns is None
    assert defn.permissions.mode == "yolo"
    assert defn.tools == ["Read", "Frobnicate"]
    messages = " | ".join(issue.message for issue in defn.warnings)
    assert "expected a whole number" in messages
    assert "unknown permission mode 'yolo'" in messages
    assert "unknown tool 'Frobnicate'" in messages


def test_unquoted_colon_value_with_continuation_lines() -> None:
    text = "---\nname: a\ndescription: Use when: the API\n  breaks: badly\n  at night\nmodel: opus\n---\nbody\n"
    defn = parse_definition(text, source="a.md")
    assert defn.description == "Use when: the API breaks: badly at night"
    assert defn.model == "opus"


def test_repair_leaves_valid_neighbours_alone() -> None:
    text = (
        '---\nname: a\nmodel: "sonnet"  # fast\ncolor: blue # nice\n'
        'description: "Quoted" then more: text\n---\nbody\n'
    )
    defn = parse_definition(text, source="a.md")
    assert defn.model == "sonnet"
    assert defn.color == "blue"
    assert defn.description == '"Quoted" then more: text'


def test_unrecoverable_yaml_error_carries_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "tabs.md"
    path.write_text("---\n\t- : ]\n---\nbody\n")
    with pytest.raises(DefinitionError) as info:
        load_definition(path)
    assert info.value.message.startswith(f"{path}:2: front matter is not valid YAML")
    assert info.value.hint is not None and "indent with spaces not tabs" in info.value.hint


def test_misspelt_and_foreign_keys_get_advice() -> None:
    text = "---\nname: a\ndescription: d\ndisallowed_tools: [Bash]\nmaxturns: 3\ntemperature: 0.2\nzzz: 1\n---\nb\n"
    defn = parse_definition(text, source="a.md")
    assert defn.format == "claude-code"
    messages = {issue.field: issue.message for issue in defn.warnings}
    assert "did you mean 'disallowedTools'?" in messages["disallowed_tools"]
    assert "did you mean 'maxTurns'?" in messages["maxturns"]
    assert "'temperature' belongs to OpenCode" in messages["temperature"]
    assert "did you mean" not in messages["zzz"] and "check the spelling or remove it" in messages["zzz"]
    assert defn.unknown_keys == {"disallowed_tools": ["Bash"], "maxturns": 3, "temperature": 0.2, "zzz": 1}


def test_values_of_the_wrong_shape_are_located_warnings(tmp_path: Path) -> None:
    path = tmp_path / "shapes.md"
    path.write_text("---\nname: [a, b]\ndescription: d\nmodel: [1]\ncolor: {a: b}\nmaxTurns: 2.5\n---\nb\n")
    defn = load_definition(path)
    assert defn.name == "shapes"  # the file name, not "['a', 'b']"
    assert defn.model is None and defn.color is None and defn.max_turns is None
    by_field = {issue.field: issue for issue in defn.warnings}
    assert set(by_field) == {"name", "model", "color", "maxTurns"}
    assert by_field["name"].line == 2 and "got a list" in by_field["name"].message
    assert by_field["model"].line == 4 and "provider/model-id" in by_field["model"].message
    assert by_field["maxTurns"].line == 6


def test_missing_name_and_description_point_at_the_front_matter() -> None:
    defn = parse_definition("\n---\ntools: Read\n---\nbody\n", source="/p/.claude/agents/x.md", name_hint="x")
    by_field = {issue.field: issue for issue in defn.warnings}
    assert by_field["name"].line == 2 and "add 'name: x'" in by_field["name"].message
    assert by_field["description"].line == 2
    empty = parse_definition("---\nname: e\ndescription: d\n---\n\n", source="e.md")
    (issue,) = empty.warnings
    assert issue.line == 5 and "the prompt body is empty" in issue.message


def test_unknown_hook_event_is_an_error_with_a_suggestion() -> None:
    text = "---\nname: a\ndescription: d\nhooks:\n  PreToolUSE: []\n  Stop: []\n---\nb\n"
    defn = parse_definition(text, source="a.md")
    (issue,) = defn.issues
    assert issue.severity == "error" and issue.field == "hooks.PreToolUSE" and issue.line == 4
    assert "a run refuses this definition" in issue.message and "did you mean 'PreToolUse'?" in issue.message
    assert set(defn.hooks) == {"PreToolUSE", "Stop"}


def test_hook_events_match_what_the_runtime_runs() -> None:
    from backend_agent.agents._dialects import HOOK_EVENTS
    from backend_agent.runtime.hooks import HOOK_EVENTS as RUNTIME_EVENTS

    assert set(HOOK_EVENTS) == set(RUNTIME_EVENTS)


def test_odd_values_never_crash_the_loader() -> None:
    text = "---\nname: a\ndescription: d\nmaxTurns: .inf\nhooks: {1: []}\n---\nb\n"
    defn = parse_definition(text, source="a.md")
    assert defn.max_turns is None and defn.hooks == {"1": []}
    assert {issue.field for issue in defn.issues} == {"maxTurns", "hooks.1"}
    # PyYAML raises IndexError (not a YAMLError) on an empty "!!int": still a located, recoverable problem.
    tagged = parse_definition("---\nname: t\ndescription: d\nmaxTurns: !!int\n---\nb\n", source="t.md")
    assert tagged.name == "t" and any("read it line by line" in issue.message for issue in tagged.warnings)
    stamped = parse_definition("---\nname: s\ndescription: d\nmaxTurns: !!timestamp\n---\nb\n", source="s.md")
    assert stamped.name == "s" and stamped.max_turns is None
    with pytest.raises(DefinitionError, match=r"^t\.md:2: front matter is not valid YAML"):
        parse_definition("---\n!!int\n---\nb\n", source="t.md")
