"""Hooks from .backend-agent/settings.json and .claude/settings.json."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from backend_agent.errors import ConfigError
from backend_agent.runtime.hooks import HookRunner, load_hooks, parse_hooks
from tests.runtime.conftest import write_script


def settings(workspace: Path, hooks: dict[str, object], *, claude: bool = False) -> None:
    folder = workspace / (".claude" if claude else ".backend-agent")
    folder.mkdir(exist_ok=True)
    (folder / "settings.json").write_text(json.dumps({"hooks": hooks}))


def test_pre_tool_use_exit_2_blocks_bash_and_the_model_sees_why(workspace: Path, run_agent) -> None:
    (workspace / "guard.sh").write_text(
        '#!/bin/sh\ninput=$(cat)\ncase "$input" in *rm*) echo "rm is not allowed here, use git clean" >&2; exit 2;; esac\nexit 0\n'
    )
    settings(
        workspace,
        {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "sh guard.sh"}]}]},
    )
    (workspace / "keep.txt").write_text("keep")
    write_script(workspace, [
        {"tool_calls": [{"tool": "Bash", "input": {"command": "rm keep.txt"}}]},
        {"expect": {"tool": "Bash", "ok": False, "contains": "rm is not allowed here"},
         "tool_calls": [{"tool": "Bash", "input": {"command": "echo fine"}}]},
        {"expect": {"tool": "Bash", "ok": True, "contains": "fine"}, "text": "done"},
    ])  # fmt: skip
    result, _ = run_agent(workspace, permission_mode="bypassPermissions")
    assert result.status == "success", result.error
    assert (workspace / "keep.txt").exists()


def test_claude_settings_hooks_and_post_tool_use_get_the_event(workspace: Path, run_agent) -> None:
    settings(
        workspace,
        {"PostToolUse": [{"matcher": "Read|Bash", "hooks": [{"command": "cat > post.json"}]}]},
        claude=True,
    )
    (workspace / "a.txt").write_text("alpha\n")
    write_script(workspace, [
        {"tool_calls": [{"tool": "Read", "input": {"file_path": "a.txt"}}]},
        {"text": "done"},
    ])  # fmt: skip
    result, _ = run_agent(workspace)
    assert result.status == "success", result.error
    event = json.loads((workspace / "post.json").read_text())
    assert event["hook_event_name"] == "PostToolUse" and event["tool_name"] == "Read"
    assert event["tool_input"] == {"file_path": "a.txt"} and "alpha" in event["tool_response"]
    assert event["session_id"] == result.session_id


def test_other_exit_codes_are_reported_and_ignored(workspace: Path, run_agent) -> None:
    settings(workspace, {"PreToolUse": [{"matcher": "*", "hooks": [{"command": "echo broken >&2; exit 1"}]}]})
    (workspace / "a.txt").write_text("alpha\n")
    write_script(workspace, [
        {"tool_calls": [{"tool": "Read", "input": {"file_path": "a.txt"}}]},
        {"expect": {"tool": "Read", "ok": True}, "text": "done"},
    ])  # fmt: skip
    result, _ = run_agent(workspace)
    assert result.status == "success"
    assert any("exited 1" in w and "broken" in w for w in result.warnings)


def test_user_prompt_submit_block_stops_the_run(workspace: Path, run_agent) -> None:
    settings(
        workspace,
        {"UserPromptSubmit": [{"hooks": [{"command": "echo 'no secrets in prompts' >&2; exit 2"}]}]},
    )
    write_script(workspace, [{"text": "never"}])
    result, _ = run_agent(workspace, "here is my password")
    assert result.status == "error" and "no secrets in prompts" in (result.error or "")


def test_stop_hook_exit_2_sends_the_agent_back_to_work(workspace: Path, run_agent) -> None:
    settings(
        workspace,
        {
            "Stop": [
                {
                    "hooks": [
                        {
                            "command": "test -f stop.seen && exit 0; touch stop.seen; echo 'run the tests first' >&2; exit 2"
                        }
                    ]
                }
            ]
        },
    )
    write_script(workspace, [
        {"text": "I am done."},
        {"text": "Ran the tests, now done."},
    ])  # fmt: skip
    result, _ = run_agent(workspace)
    assert result.status == "success", result.error
    assert result.result == "Ran the tests, now done."


def test_hook_time_limit(tmp_path: Path) -> None:
    runner = HookRunner(parse_hooks({"PreToolUse": [{"hooks": [{"command": "sleep 5", "timeout": 0.3}]}]}, source="t"),
                        cwd=tmp_path, session_id="s")  # fmt: skip
    outcome = asyncio.run(runner.run("PreToolUse", subject="Bash", payload={}))
    assert not outcome.blocked and "timed out" in outcome.warnings[0]


def test_bad_hook_settings_are_located(tmp_path: Path) -> None:
    folder = tmp_path / ".backend-agent"
    folder.mkdir()
    (folder / "settings.json").write_text(json.dumps({"hooks": {"BeforeTool": []}}))
    with pytest.raises(ConfigError) as info:
        load_hooks(tmp_path)
    assert "BeforeTool" in str(info.value) and "settings.json" in str(info.value)


@pytest.mark.parametrize(
    ("entry", "where", "says"),
    [
        ({"matcher": "Bash", "hooks": [{"command": "x", "timeout": "abc"}]}, "hooks[0].timeout", "positive number"),
        ({"matcher": "Bash", "hooks": [{"command": "x", "timeout": -5}]}, "hooks[0].timeout", "positive number"),
        ({"matcher": "Bash"}, "PreToolUse[0].hooks", "'hooks' is missing"),
        ({"matcher": "Bash", "hooks": "echo"}, "PreToolUse[0].hooks", "'hooks' is 'echo'"),
    ],
)
def test_malformed_hook_entries_are_located_errors(entry: dict, where: str, says: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_hooks({"PreToolUse": [entry]}, source="settings.json")
    text = str(info.value)
    assert where in text and says in text and "settings.json" in text and info.value.hint


def test_session_start_and_prompt_hooks_add_context_and_prompt_has_environment(
    workspace: Path, run_agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydantic_ai.messages import ModelResponse, TextPart
    from pydantic_ai.models.function import FunctionModel

    import backend_agent.runtime.runner as runner

    settings(workspace, {
        "SessionStart": [{"hooks": [{"command": "echo CTX-START"}]}],
        "UserPromptSubmit": [{"hooks": [{"command": "echo CTX-PROMPT"}]}],
    })  # fmt: skip
    seen: dict[str, str] = {}

    def model(messages, info):
        seen["prompt"] = messages[0].parts[-1].content
        seen["system"] = info.instructions or ""
        return ModelResponse(parts=[TextPart("ok")])

    monkeypatch.setattr(
        runner, "resolve_model", lambda *a, **k: runner.ResolvedModel(FunctionModel(model), "fn")
    )
    result, _ = run_agent(workspace, "the task", model=None, permission_mode="plan")
    assert result.status == "success", result.error
    assert (
        seen["prompt"].startswith("the task")
        and "CTX-START" in seen["prompt"]
        and "CTX-PROMPT" in seen["prompt"]
    )
    system = seen["system"]
    assert f"Workspace (working directory): {workspace.resolve()}" in system
    assert "Permission mode: plan" in system and "Tools available: Read, Write, Edit" in system
    assert "Git: not a git repository" in system and "lead backend engineer" in system


def test_a_definitions_bad_hook_names_its_file(workspace: Path, run_agent) -> None:
    agents = workspace / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "hooky.md").write_text(
        "---\nname: hooky\ndescription: d\nhooks:\n  PreToolUse:\n    - matcher: Bash\n      hooks:\n"
        "        - {type: command, command: 'exit 2', timeout: 0}\n---\nBody\n"
    )
    write_script(workspace, [{"text": "hi"}])
    with pytest.raises(ConfigError) as info:
        run_agent(workspace, agent="hooky")
    assert f"{agents / 'hooky.md'} (frontmatter) (hooks.PreToolUse[0].hooks[0].timeout)" in str(info.value)
