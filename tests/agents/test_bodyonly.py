"""Body-only (SuperClaude-style) files: @include expansion, cycles, triggers, descriptions."""

from __future__ import annotations

from pathlib import Path

from backend_agent.agents import load_definition, parse_definition

ARCH = """\
Specialized_Agents:
  Core_Agents:
    backend:
      focus: apis
      tools: [Read, Bash]
    frontend:
      focus: ui
Other: 1
"""


def test_include_inside_a_code_fence_is_expanded_with_indentation(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "arch.yml").write_text(ARCH)
    path = tmp_path / "backend.md"
    path.write_text("# Backend\n\nDoes backend work.\n\n```yaml\n  @include shared/arch.yml#Specialized_Agents.Core_Agents.backend\n```\n")
    defn = load_definition(path)
    assert defn.issues == []
    assert "```yaml\n  backend:\n    focus: apis\n    tools: [Read, Bash]\n```" in defn.system_prompt
    assert "frontend" not in defn.system_prompt


def test_whole_file_include_and_nested_include(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("Part A\n@include b.md\n")
    (tmp_path / "b.md").write_text("Part B")
    path = tmp_path / "main.md"
    path.write_text("# Main\n\nIntro.\n@include a.md\n")
    defn = load_definition(path)
    assert defn.system_prompt.endswith("Intro.\nPart A\nPart B")
    assert defn.issues == []


def test_include_cycle_is_a_warning_and_the_line_is_kept(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("@include b.md\n")
    (tmp_path / "b.md").write_text("@include a.md\n")
    path = tmp_path / "main.md"
    path.write_text("# Main\n\nIntro.\n@include a.md\n")
    defn = load_definition(path)
    (issue,) = defn.warnings
    assert "include cycle" in issue.message
    assert issue.line == 4
    assert defn.system_prompt.endswith("@include a.md")


def test_missing_section_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "arch.yml").write_text(ARCH)
    path = tmp_path / "x.md"
    path.write_text("# X\n\nBody.\n@include arch.yml#Specialized_Agents.Nope\n")
    defn = load_definition(path)
    (issue,) = defn.warnings
    assert "section 'Specialized_Agents.Nope' not found" in issue.message


def test_body_triggers_in_bold_label_style() -> None:
    body = (
        "# Data persona\n\nYou handle data.\n\n"
        "**Auto-Activation Triggers:**\n"
        "- Keywords: \"migration\", \"schema\", \"index\"\n"
        "- File types: `*.sql`, `.prisma`\n"
        "- Paths: `db/`, `migrations/`\n\n"
        "## Other\n- `.js` is not a trigger here\n"
    )
    defn = parse_definition(body, source="data.md")
    assert defn.triggers.keywords == ["migration", "schema", "index"]
    assert defn.triggers.extensions == [".sql", ".prisma"]
    assert defn.triggers.directories == ["db/", "migrations/"]


def test_description_skips_metadata_lines() -> None:
    text = "# Agent Name\n**Version**: 3\n**Symbol**: x\n\n---\n\nYou are helpful.\nVery.\n\n## Next\n"
    defn = parse_definition(text, source="n.md")
    assert defn.description == "Agent Name. You are helpful. Very."


def test_body_triggers_as_plain_comma_lists() -> None:
    body = (
        "# P\n\nx\n\n## Triggers\n- Keywords: api, database, load testing\n"
        "- File types: .sql, .prisma (schemas)\n- Directories: db/, src/migrations/\n"
    )
    triggers = parse_definition(body, source="p.md").triggers
    assert triggers.keywords == ["api", "database", "load testing"]
    assert triggers.extensions == [".sql", ".prisma"]
    assert triggers.directories == ["db/", "src/migrations/"]
