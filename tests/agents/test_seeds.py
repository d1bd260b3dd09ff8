"""The five real-world seed definitions load with the right format and fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.agents import AgentDefinition, load_definition


def _seed(seeds_dir: Path, prefix: str) -> AgentDefinition:
    (path,) = sorted(seeds_dir.glob(f"{prefix}_*"))
    return load_definition(path)


def test_000_claude_code_with_six_tools(seeds_dir: Path) -> None:
    defn = _seed(seeds_dir, "000")
    assert defn.format == "claude-code"
    assert defn.name == "backend-agent"
    assert defn.tools == ["Read", "Write", "Edit", "Bash", "Grep", "Glob"]
    assert defn.model == "sonnet"
    assert defn.description.startswith("Expert in backend development")
    assert defn.system_prompt.startswith("# Backend Agent")
    assert defn.issues == []


def test_001_claude_code_examples_and_skills(seeds_dir: Path) -> None:
    defn = _seed(seeds_dir, "001")
    assert defn.format == "claude-code"
    assert defn.name == "backend-developer"
    assert len(defn.examples) == 4
    assert defn.skills == ["nestjs-backend", "docker"]
    assert defn.color == "green"
    assert defn.tools is None  # omitted: inherit every tool
    first = defn.examples[0]
    assert first.context == "User needs a new API endpoint for user management."
    assert first.user == "I need to create a user registration endpoint with email verification"
    assert first.assistant is not None and first.assistant.startswith("I'll use the backend-developer agent")
    # Escaped "\n" in the quoted description became real newlines; no literal backslash-n remains.
    assert "\\n" not in defn.description
    assert "\n\n<example>\nContext:" in defn.description


def test_002_body_only_with_unresolved_include(seeds_dir: Path) -> None:
    path = sorted(seeds_dir.glob("002_*"))[0]
    defn = load_definition(path)
    assert defn.format == "body-only"
    assert defn.name == path.stem
    assert defn.description.startswith("Backend Agent - Server-Side Development Specialist")
    warnings = [issue for issue in defn.warnings if issue.field == "@include"]
    assert len(warnings) == 1
    assert "unresolved @include shared/agent-architecture.yml#Specialized_Agents.Core_Agents.backend" in warnings[0].message
    assert warnings[0].line == 44
    # The prompt is intact: the whole body, directive line included.
    original = path.read_text(encoding="utf-8")
    assert defn.system_prompt == original.strip()
    assert "@include shared/agent-architecture.yml#Specialized_Agents.Core_Agents.backend" in defn.system_prompt


def test_003_opencode_with_tools_map_and_triggers(seeds_dir: Path) -> None:
    defn = _seed(seeds_dir, "003")
    assert defn.format == "opencode"
    assert defn.model == "anthropic/claude-sonnet-4-20250514"
    assert defn.tools == ["Read", "Write", "Edit", "Bash", "Grep", "Glob"]
    assert defn.disallowed_tools == []
    assert defn.triggers.extensions == [".js", ".ts", ".py", ".java", ".go", ".cs"]
    assert defn.triggers.directories == [
        "/api/", "/server/", "/backend/", "/services/", "/controllers/", "/models/",
        "/middleware/", "/routes/", "/handlers/",
    ]
    assert defn.triggers.keywords == [
        "API", "database", "service", "reliability", "server", "backend", "microservice",
        "authentication", "authorization", "security",
    ]
    assert defn.description == "Reliability engineer, API specialist, and data integrity focused backend developer"


def test_004_claude_code_despite_invalid_yaml(seeds_dir: Path) -> None:
    path = sorted(seeds_dir.glob("004_*"))[0]
    import yaml

    header = path.read_text(encoding="utf-8").split("---")[1]
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(header)  # the premise: strict YAML rejects this front matter
    defn = load_definition(path)
    assert defn.format == "claude-code"
    assert defn.name == "backend-specialist"
    assert defn.model == "sonnet"
    assert defn.color == "blue"
    assert len(defn.examples) == 2
    assert all(example.commentary for example in defn.examples)
    assert defn.examples[1].user == "Our queries are slow and the database CPU is at 90%"
    assert defn.examples[0].commentary is not None and defn.examples[0].commentary.startswith("API design")
    assert any(issue.field == "description" and issue.line == 3 for issue in defn.warnings)
    assert "\\n" not in defn.description


def test_every_seed_routes_and_validates_from_a_folder(seeds_dir: Path) -> None:
    from backend_agent.agents import load_paths

    loaded, failures = load_paths([seeds_dir])
    assert failures == []
    assert [d.format for d in loaded] == ["claude-code", "claude-code", "body-only", "opencode", "claude-code"]
