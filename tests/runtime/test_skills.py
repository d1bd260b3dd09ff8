"""Skills: discovery, preloading into the prompt, the Skill tool, built-in skills."""

from __future__ import annotations

from pathlib import Path

from backend_agent.runtime import discover_skills
from tests.runtime.conftest import write_script


def add_skill(folder: Path, name: str, description: str, body: str) -> None:
    path = folder / name / "SKILL.md"
    path.parent.mkdir(parents=True)
    path.write_text(
        f"---\nname: {name}\ndescription: {description}\nallowed-tools: Read, Grep\n---\n{body}\n"
    )


def test_builtin_skills_are_found(workspace: Path, home: Path) -> None:
    skills = discover_skills(workspace, home=home)
    assert {"fastapi-service", "alembic-migrations", "kubernetes-deploy"} <= set(skills)
    assert all(s.description and s.body for s in skills.values())
    assert skills["fastapi-service"].allowed_tools == ["Read", "Write", "Edit", "Bash", "Grep", "Glob"]


def test_project_skill_shadows_builtin(workspace: Path, home: Path) -> None:
    add_skill(workspace / ".claude" / "skills", "fastapi-service", "ours", "project version")
    skills = discover_skills(workspace, home=home)
    assert (
        skills["fastapi-service"].source == "project" and skills["fastapi-service"].body == "project version"
    )


def test_preloaded_skill_is_in_the_prompt_and_others_via_skill_tool(workspace: Path, run_agent) -> None:
    add_skill(workspace / ".claude" / "skills", "house-style", "How we write handlers.", "PRELOADED-MARKER")
    add_skill(workspace / ".backend-agent" / "skills", "release", "How to cut a release.", "RELEASE-STEPS")
    agents = workspace / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "styled.md").write_text("---\nname: styled\ndescription: d\nskills: house-style\n---\nBody.\n")
    seen: dict[str, str] = {}

    from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart
    from pydantic_ai.models.function import FunctionModel

    def model(messages, info):
        if len(messages) == 1:
            seen["prompt"] = info.instructions or ""
            seen["skill_tool"] = next(t.description for t in info.function_tools if t.name == "Skill")
            return ModelResponse(parts=[ToolCallPart("Skill", {"skill": "release"})])
        seen["result"] = messages[-1].parts[0].content
        return ModelResponse(parts=[TextPart("ok")])

    import backend_agent.runtime.runner as runner

    original = runner.resolve_model

    def fake_resolve(*args, **kwargs):
        return runner.ResolvedModel(FunctionModel(model), "function")

    runner.resolve_model = fake_resolve
    try:
        result, _ = run_agent(workspace, agent="styled", model=None)
    finally:
        runner.resolve_model = original
    assert result.status == "success", result.error
    assert "PRELOADED-MARKER" in seen["prompt"] and "Permission mode" in seen["prompt"]
    assert "release: How to cut a release." in seen["skill_tool"] and "house-style" not in seen["skill_tool"]
    assert "RELEASE-STEPS" in seen["result"]


def test_unknown_skill_is_refused(workspace: Path, run_agent) -> None:
    write_script(workspace, [
        {"tool_calls": [{"tool": "Skill", "input": {"skill": "nope"}}]},
        {"expect": {"tool": "Skill", "ok": False, "contains": "fastapi-service"}, "text": "ok"},
    ])  # fmt: skip
    result, _ = run_agent(workspace)
    assert result.status == "success", result.error


def test_broken_skill_files_are_warned_with_file_and_line(workspace: Path, home: Path, run_agent) -> None:
    folder = workspace / ".claude" / "skills"
    for name, text in {
        "colon": "---\nname: colon\ndescription: Use when: things break\n---\nbody\n",
        "unclosed": "---\nname: unclosed\ndescription: x\n",
        "nodesc": "---\nname: nodesc\n---\nbody\n",
        "tools": "---\nname: tools\ndescription: d\nallowed-tools: {Read: yes}\n---\nbody\n",
    }.items():
        (folder / name).mkdir(parents=True)
        (folder / name / "SKILL.md").write_text(text)
    warnings: list[str] = []
    skills = discover_skills(workspace, home=home, warn=warnings.append)
    assert {"colon", "unclosed", "nodesc", "tools"} <= set(skills)  # a broken skill is reported, not fatal
    text = "\n".join(warnings)
    assert f"{folder / 'colon' / 'SKILL.md'}:3: invalid YAML" in text
    assert f"{folder / 'unclosed' / 'SKILL.md'}:1: the frontmatter opened by '---' is never closed" in text
    assert f"{folder / 'nodesc' / 'SKILL.md'}: field 'description' is missing" in text
    assert f"{folder / 'tools' / 'SKILL.md'}: field 'allowed-tools'" in text and skills["tools"].allowed_tools is None
    assert len(warnings) == 4  # one per broken file, no follow-on noise
    write_script(workspace, [{"text": "ok"}])
    result, _ = run_agent(workspace)
    assert result.status == "success" and any("colon" in w and "invalid YAML" in w for w in result.warnings)
