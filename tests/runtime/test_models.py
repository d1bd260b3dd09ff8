"""Model references: aliases, OpenCode and pydantic-ai forms, openai-compat, script, no model."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_ai.models.function import FunctionModel

from backend_agent.errors import ConfigError
from backend_agent.runtime import resolve_model
from backend_agent.runtime.models import normalize_reference
from backend_agent.settings import Settings


def settings(**values: object) -> Settings:
    return Settings.model_validate(values)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("sonnet", "anthropic:claude-sonnet-4-5"),
        ("haiku", "anthropic:claude-haiku-4-5"),
        ("anthropic/claude-sonnet-4-20250514", "anthropic:claude-sonnet-4-20250514"),
        ("google/gemini-2.5-pro", "google-gla:gemini-2.5-pro"),
        ("openai:gpt-5", "openai:gpt-5"),
        ("claude-opus-4-1", "anthropic:claude-opus-4-1"),
        ("openai-compat:llama3", "openai-compat:llama3"),
    ],
)
def test_normalize(ref: str, expected: str) -> None:
    assert normalize_reference(ref, settings=settings()) == expected


def test_alias_mapping_is_configurable() -> None:
    assert (
        normalize_reference("opus", settings=settings(model_opus="claude-opus-9"))
        == "anthropic:claude-opus-9"
    )


def test_missing_key_falls_through_to_next_candidate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    (tmp_path / "s.yaml").write_text("- text: hi\n")
    warnings: list[str] = []
    resolved = resolve_model(
        "sonnet", "script:s.yaml", settings=settings(), cwd=tmp_path, on_warning=warnings.append
    )
    assert isinstance(resolved.model, FunctionModel)
    assert resolved.reference == f"script:{tmp_path / 's.yaml'}"
    assert warnings and "ANTHROPIC_API_KEY" in warnings[0]


def test_no_model_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ConfigError) as info:
        resolve_model(None, settings=settings(), cwd=tmp_path)
    text = str(info.value)
    assert "no usable model" in text and "BACKEND_AGENT_OPENAI_BASE_URL" in text and "work offline" in text


def test_openai_compat_from_settings(tmp_path: Path) -> None:
    resolved = resolve_model(
        "openai-compat",
        settings=settings(openai_base_url="http://127.0.0.1:11434/v1", openai_compat_model="qwen3"),
        cwd=tmp_path,
    )
    assert resolved.model.model_name == "qwen3"
    with pytest.raises(ConfigError) as info:
        resolve_model("openai-compat:x", settings=settings(), cwd=tmp_path)
    assert "BACKEND_AGENT_OPENAI_BASE_URL" in str(info.value)


def test_inherit_uses_the_parent(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("- text: hi\n")
    parent = resolve_model("script:s.yaml", settings=settings(), cwd=tmp_path)
    assert resolve_model("inherit", settings=settings(), cwd=tmp_path, parent=parent) is parent


def test_bad_script_file_is_located(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("turns:\n  - text: hi\n    tool_calls: [{tool: Read, inputs: {}}]\n")
    with pytest.raises(ConfigError) as info:
        resolve_model("script:s.yaml", settings=settings(), cwd=tmp_path)
    assert "s.yaml" in str(info.value) and "turns.0.tool_calls.0.inputs" in str(info.value)
    (tmp_path / "t.yaml").write_text("turns: [\n")
    with pytest.raises(ConfigError) as info:
        resolve_model("script:t.yaml", settings=settings(), cwd=tmp_path)
    assert "t.yaml" in str(info.value)


@pytest.mark.parametrize(
    ("name", "text", "where", "says"),
    [
        ("a.yaml", "- text: a\n- tool_calls:\n    - name: Read\n      args: 5\n", "a.yaml:4 (turns.1.tool_calls.0.input)",
         "valid dictionary"),
        ("b.yaml", "turns:\n  - text: a\n  - txt: b\n", "b.yaml:3 (turns.1.txt)",
         "unknown field 'txt'; expected one of: text, tool_calls, expect, usage"),
        ("c.json", '{"turns": [{"text": "a"},\n {"expect": {"matches": "(["}, "text": "b"}]}',
         "c.json:2 (turns.1.expect.0.matches)", "not a valid regular expression"),
        ("d.yaml", "- text: a\n  usage: {input_tokens: -3}\n", "d.yaml:2 (turns.0.usage.input_tokens)",
         "greater than or equal to 0"),
        ("e.yaml", "price_as: no-such-model\nturns: [{text: a}]\n", "e.yaml:1 (price_as)", "no price is known"),
    ],
)
def test_script_format_errors_name_line_and_field(tmp_path: Path, name: str, text: str, where: str, says: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError) as info:
        resolve_model(f"script:{name}", settings=settings(), cwd=tmp_path)
    message = str(info.value)
    assert where in message and says in message, message


def test_a_misspelt_model_flag_fails_instead_of_falling_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "s.yaml").write_text("- text: hi\n")
    warnings: list[str] = []
    with pytest.raises(ConfigError) as info:  # even though a later candidate would work
        resolve_model("sonet-4", "script:s.yaml", settings=settings(), cwd=tmp_path, strict_first=True,
                      on_warning=warnings.append)  # fmt: skip
    message = str(info.value)
    assert "'sonet-4' is not a known model reference" in message and "sonnet|opus|haiku" in message
    assert info.value.hint and "spelling" in info.value.hint
    # a definition's unknown model (not the user's flag) still falls back with a warning
    resolved = resolve_model(None, "sonet-4", "script:s.yaml", settings=settings(), cwd=tmp_path,
                             strict_first=False, on_warning=warnings.append)  # fmt: skip
    assert resolved.reference.startswith("script:") and "not a known model reference" in warnings[-1]
