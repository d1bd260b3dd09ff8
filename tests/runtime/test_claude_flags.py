"""Claude Code's flags on `backend-agent run`, with Claude Code's meanings, end to end."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from backend_agent.cli.claude_flags import expand_variadic_options, split_rules
from tests.runtime.conftest import json_lines, write_script

SERVER = Path(__file__).parent / "fixtures" / "mcp_server.py"


def test_variadic_flags_and_rule_lists() -> None:
    assert expand_variadic_options(
        ["run", "-p", "task", "--allowedTools", "Read", "Bash(git log:*)", "--model", "m", "--add-dir", "a", "b"]
    ) == ["run", "-p", "task", "--allowedTools", "Read", "--allowedTools", "Bash(git log:*)", "--model", "m",
          "--add-dir", "a", "--add-dir", "b"]  # fmt: skip
    assert split_rules(["Read,Edit Bash(git log:*)", "Glob"]) == ["Read", "Edit", "Bash(git log:*)", "Glob"]


def headless(cli, workspace: Path, *flags: str, fmt: str = "json"):
    proc = cli("run", "-p", "do it", "--model", "script:script.yaml", "--output-format", fmt, *flags, cwd=workspace)
    return proc


def touch(workspace: Path) -> None:
    write_script(workspace, [
        {"tool_calls": [{"tool": "Bash", "input": {"command": "touch made.txt"}}]},
        {"text": "finished"},
    ])  # fmt: skip


def test_allowed_tools_allow_and_skip_permissions_bypasses(workspace: Path, cli) -> None:
    touch(workspace)
    refused = headless(cli, workspace)
    assert json.loads(refused.stdout)["permission_denials"] and not (workspace / "made.txt").exists()
    allowed = headless(cli, workspace, "--allowedTools", "Read", "Bash(touch:*)")
    assert json.loads(allowed.stdout)["subtype"] == "success" and (workspace / "made.txt").exists()
    (workspace / "made.txt").unlink()
    bypass = headless(cli, workspace, "--dangerously-skip-permissions", fmt="stream-json")
    init = json_lines(bypass.stdout)[0]
    assert init["permissionMode"] == "bypassPermissions" and (workspace / "made.txt").exists()


def test_disallowed_tools_hide_a_tool_and_deny_rules(workspace: Path, cli) -> None:
    touch(workspace)
    proc = headless(cli, workspace, "--disallowedTools", "Bash", "--dangerously-skip-permissions", fmt="stream-json")
    lines = json_lines(proc.stdout)
    assert "Bash" not in lines[0]["tools"] and "Read" in lines[0]["tools"]
    assert not (workspace / "made.txt").exists()
    specific = headless(cli, workspace, "--disallowed-tools", "Bash(touch:*)", "--dangerously-skip-permissions")
    assert json.loads(specific.stdout)["permission_denials"][0]["tool_name"] == "Bash"


def test_settings_json_gives_rules_env_and_hooks(workspace: Path, cli) -> None:
    write_script(workspace, [
        {"tool_calls": [{"tool": "Bash", "input": {"command": "printf %s \"$GREETING\" > greeting.txt"}}]},
        {"tool_calls": [{"tool": "Write", "input": {"file_path": "blocked.txt", "content": "x"}}]},
        {"expect": {"tool": "Write", "ok": False, "contains": "PreToolUse"}, "text": "done"},
    ])  # fmt: skip
    settings = {
        "permissions": {"allow": ["Bash(printf:*)"], "defaultMode": "acceptEdits"},
        "env": {"GREETING": "hello from settings"},
        "hooks": {"PreToolUse": [{"matcher": "Write", "hooks": [{"type": "command", "command": "echo no >&2; exit 2"}]}]},
    }
    proc = headless(cli, workspace, "--settings", json.dumps(settings))
    assert proc.returncode == 0, proc.stderr
    assert (workspace / "greeting.txt").read_text() == "hello from settings"
    assert not (workspace / "blocked.txt").exists()
    bad = headless(cli, workspace, "--settings", "{not json")
    assert bad.returncode == 2 and "--settings" in bad.stderr and "Traceback" not in bad.stderr


def test_add_dir_lets_tools_use_another_folder(workspace: Path, cli, tmp_path: Path) -> None:
    other = tmp_path / "shared-docs"
    other.mkdir()
    (other / "notes.md").write_text("shared notes\n")
    write_script(workspace, [
        {"tool_calls": [{"tool": "Read", "input": {"file_path": str(other / "notes.md")}}]},
        {"text": "read"},
    ])  # fmt: skip
    outside = headless(cli, workspace, fmt="stream-json")
    results = [line for line in json_lines(outside.stdout) if line["type"] == "user"]
    assert results[0]["message"]["content"][0]["is_error"] is True
    inside = headless(cli, workspace, "--add-dir", str(other), fmt="stream-json")
    results = [line for line in json_lines(inside.stdout) if line["type"] == "user"]
    assert "shared notes" in results[0]["message"]["content"][0]["content"]


def test_mcp_config_flag_starts_the_named_server(workspace: Path, cli) -> None:
    config = {"mcpServers": {"demo": {"command": sys.executable, "args": [str(SERVER)]}}}
    write_script(workspace, [
        {"tool_calls": [{"tool": "mcp__demo__shout", "input": {"text": "hi"}}]},
        {"expect": {"tool": "mcp__demo__shout", "ok": True, "contains": "HI!"}, "text": "shouted"},
    ])  # fmt: skip
    proc = headless(cli, workspace, "--mcp-config", json.dumps(config), "--strict-mcp-config",
                    "--allowedTools", "mcp__demo__shout")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["result"] == "shouted"


def test_system_prompt_flags(workspace: Path, run_agent) -> None:
    seen: dict[str, str] = {}
    from pydantic_ai.messages import ModelResponse, TextPart
    from pydantic_ai.models.function import FunctionModel

    import backend_agent.runtime.runner as runner

    def model(messages, info):
        seen["prompt"] = info.instructions or ""
        return ModelResponse(parts=[TextPart("ok")])

    original = runner.resolve_model
    runner.resolve_model = lambda *a, **k: runner.ResolvedModel(FunctionModel(model), "function")
    try:
        run_agent(workspace, model=None, system_prompt="REPLACED BODY", append_system_prompt="APPENDED RULE")
    finally:
        runner.resolve_model = original
    prompt = seen["prompt"]
    assert prompt.startswith("REPLACED BODY") and prompt.rstrip().endswith("APPENDED RULE")
    assert "backend lead" not in prompt.lower()


def test_stream_json_input_is_a_conversation(workspace: Path, home: Path) -> None:
    import subprocess

    from tests.runtime.conftest import CLI, cli_env

    write_script(workspace, [{"text": "first answer"}, {"text": "second answer"}])
    messages = [
        {"type": "user", "message": {"role": "user", "content": "first question"}},
        {"type": "user", "message": {"role": "user", "content": [{"type": "text", "text": "second question"}]}},
    ]
    proc = subprocess.run(
        [*CLI, "run", "-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose",
         "--model", "script:script.yaml"],
        input="\n".join(json.dumps(m) for m in messages) + "\n", cwd=workspace, env=cli_env(home),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    results = [line for line in json_lines(proc.stdout) if line["type"] == "result"]
    assert [r["result"] for r in results] == ["first answer", "second answer"]
    assert results[0]["session_id"] == results[1]["session_id"]
    bad = subprocess.run([*CLI, "run", "-p", "--input-format", "stream-json", "--output-format", "stream-json",
                          "--model", "script:script.yaml"], input="not json\n", cwd=workspace, env=cli_env(home),
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad.returncode == 2 and "stdin line 1" in bad.stderr


def test_fork_session_leaves_the_original(workspace: Path, cli) -> None:
    write_script(workspace, [{"text": "one"}, {"text": "two"}])
    first = json.loads(headless(cli, workspace).stdout)
    forked = cli("run", "-p", "again", "--resume", first["session_id"], "--fork-session", "--model",
                 "script:script.yaml", "--output-format", "json", cwd=workspace)  # fmt: skip
    assert forked.returncode == 0, forked.stderr
    second = json.loads(forked.stdout)
    assert second["session_id"] != first["session_id"] and second["result"] == "two"


def test_fork_without_resume_is_a_usage_error(workspace: Path, cli) -> None:
    write_script(workspace, [{"text": "one"}])
    proc = headless(cli, workspace, "--fork-session")
    assert proc.returncode == 2 and "--fork-session needs --resume" in proc.stderr
