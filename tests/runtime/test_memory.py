"""CLAUDE.md and AGENTS.md memory: user and project files, parents first, `@` imports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from backend_agent.runtime.memory import imports_in, load_memory, memory_files


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / "CLAUDE.md").write_text("USER-CLAUDE @~/notes/personal.md\n")
    (home / "notes").mkdir()
    (home / "notes" / "personal.md").write_text("USER-IMPORTED\n")
    (home / ".config" / "opencode").mkdir(parents=True)
    (home / ".config" / "opencode" / "AGENTS.md").write_text("USER-AGENTS\n")
    repo = tmp_path / "repo"
    service = repo / "services" / "api"
    (service / "docs").mkdir(parents=True)
    (repo / "CLAUDE.md").write_text("REPO-CLAUDE\n")
    (service / "AGENTS.md").write_text("SERVICE-AGENTS\n")
    (service / ".claude").mkdir()
    (service / ".claude" / "CLAUDE.md").write_text("SERVICE-DOT-CLAUDE\n")
    (service / "CLAUDE.md").write_text(
        "SERVICE-CLAUDE: see @docs/style.md and write to me@example.com.\n"
        "Not an import: `@docs/secret.md`.\n```\n@docs/fenced.md\n```\n"
    )
    (service / "docs" / "style.md").write_text("STYLE @../CLAUDE.md @more.md\n")  # a cycle back, and one more
    (service / "docs" / "more.md").write_text("MORE\n")
    (service / "docs" / "secret.md").write_text("SECRET\n")
    (service / "docs" / "fenced.md").write_text("FENCED\n")
    return home, service


def test_user_then_project_files_outermost_first(tree: tuple[Path, Path]) -> None:
    home, service = tree
    texts = [item.text.split()[0] for item in memory_files(service, home)]
    assert texts == [
        "USER-CLAUDE", "USER-IMPORTED", "USER-AGENTS", "REPO-CLAUDE", "SERVICE-CLAUDE:", "STYLE", "MORE",
        "SERVICE-DOT-CLAUDE", "SERVICE-AGENTS",
    ]  # fmt: skip
    kinds = {item.text.split()[0]: item.kind for item in memory_files(service, home)}
    assert kinds["USER-IMPORTED"] == "import" and kinds["REPO-CLAUDE"] == "project"


def test_imports_skip_code_spans_fences_and_email_addresses() -> None:
    text = "see @a.md, `@b.md`, mail x@y.com\n```\n@c.md\n```\n@~/d.md and @../e/f.md.\n"
    assert imports_in(text) == ["a.md", "~/d.md", "../e/f.md"]


def test_import_depth_is_capped(tmp_path: Path) -> None:
    for level in range(8):
        (tmp_path / f"m{level}.md").write_text(f"LEVEL{level} @m{level + 1}.md\n")
    (tmp_path / "CLAUDE.md").write_text("ROOT @m0.md\n")
    texts = [item.text.split()[0] for item in memory_files(tmp_path, tmp_path / "nohome")]
    assert texts == ["ROOT", "LEVEL0", "LEVEL1", "LEVEL2", "LEVEL3", "LEVEL4"]


def test_section_names_each_file(tree: tuple[Path, Path]) -> None:
    home, service = tree
    section = load_memory(service, home)
    assert section.startswith("# Memory")
    assert f"Contents of {service / 'CLAUDE.md'} (project instructions)" in section
    assert f"(imported by {service / 'CLAUDE.md'})" in section
    assert "SECRET" not in section and "FENCED" not in section
    assert load_memory(home.parent / "repo", home.parent / "nohome").count("Contents of") == 1


def test_a_run_sends_memory_in_the_system_prompt(tree: tuple[Path, Path], run_agent: Any, home: Path) -> None:
    _, service = tree
    (home / ".claude").mkdir(parents=True, exist_ok=True)
    (home / ".claude" / "CLAUDE.md").write_text("RUN-USER-MEMORY\n")
    seen: dict[str, str] = {}

    from pydantic_ai.messages import ModelResponse, TextPart
    from pydantic_ai.models.function import FunctionModel

    import backend_agent.runtime.runner as runner

    def model(messages: Any, info: Any) -> ModelResponse:
        seen["prompt"] = info.instructions or ""
        return ModelResponse(parts=[TextPart("ok")])

    original = runner.resolve_model
    runner.resolve_model = lambda *a, **k: runner.ResolvedModel(FunctionModel(model), "function")
    try:
        result, _ = run_agent(service, model=None)
    finally:
        runner.resolve_model = original
    assert result.status == "success", result.error
    prompt = seen["prompt"]
    assert prompt.index("# Environment") < prompt.index("# Memory")
    assert prompt.index("RUN-USER-MEMORY") < prompt.index("REPO-CLAUDE") < prompt.index("SERVICE-AGENTS")
    assert "MORE" in prompt


def test_agents_show_prints_memory(tree: tuple[Path, Path], cli: Any, home: Path) -> None:
    _, service = tree
    proc = cli("agents", "show", "backend", cwd=service)
    assert proc.returncode == 0, proc.stderr
    assert "SERVICE-CLAUDE" in proc.stdout and "STYLE" in proc.stdout


def test_project_memory_cannot_import_files_outside_its_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text("SECRET-KEY-ID\n")
    (tmp_path / "elsewhere.md").write_text("ELSEWHERE\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "CLAUDE.md").write_text("REPO @~/.aws/credentials @../elsewhere.md @/etc/hostname @inside.md\n")
    (repo / "inside.md").write_text("INSIDE\n")
    texts = [item.text.split()[0] for item in memory_files(repo, home)]
    assert texts == ["REPO", "INSIDE"]
