"""Headless json / stream-json output parses and matches docs/output-format.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

from backend_agent.runtime import RunResult, SessionStore
from tests.runtime.conftest import REPO, json_lines, write_script

DOC = (REPO / "docs" / "output-format.md").read_text()


def documented_fields(section: str) -> set[str]:
    body = DOC.split(section, 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(\w+)`", body, re.MULTILINE))


CLAUDE_SCRIPTS = Path(__file__).parent / "fixtures" / "claude_scripts"


def test_json_result_object_matches_the_documented_schema(workspace: Path, cli) -> None:
    (workspace / "a.txt").write_text("alpha\n")
    write_script(workspace, [
        {"tool_calls": [{"tool": "Read", "input": {"file_path": "a.txt"}}]},
        {"text": "read it"},
    ])  # fmt: skip
    proc = cli(
        "run", "-p", "read a", "--model", "script:script.yaml", "--output-format", "json", cwd=workspace
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    RunResult.model_validate(data)  # our own fields are all still there
    assert set(data) == documented_fields("## `json`") - {"errors"}  # `errors` only when the run failed
    # Claude Code's names, as scripts written for `claude -p` parse them
    assert data["type"] == "result" and data["subtype"] == "success" and data["is_error"] is False
    assert data["num_turns"] == 2 and data["result"] == "read it" and data["total_cost_usd"] == 0.0
    assert data["usage"]["input_tokens"] > 0 and "cache_read_input_tokens" in data["usage"]
    assert data["status"] == "success" and data["turns"] == 2 and data["tool_calls"] == 1


def test_stream_json_lines_follow_claude_codes_schema(workspace: Path, cli) -> None:
    (workspace / "a.txt").write_text("alpha\n")
    write_script(workspace, [
        {"text": "reading", "tool_calls": [{"tool": "Read", "input": {"file_path": "a.txt"}}]},
        {"text": "done"},
    ])  # fmt: skip
    proc = cli("run", "-p", "read a", "--model", "script:script.yaml", "--output-format", "stream-json",
               "--verbose", cwd=workspace)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = json_lines(proc.stdout)
    kinds = [(line["type"], line.get("subtype")) for line in lines]
    assert kinds == [
        ("system", "init"), ("assistant", None), ("system", "permission"), ("user", None), ("assistant", None),
        ("result", "success"),
    ]  # fmt: skip
    init, first, _permission, tool_result, _second, result = lines
    assert init["permissionMode"] == "default" and "Read" in init["tools"] and init["agent"] == "backend"
    assert first["message"]["content"] == [
        {"type": "text", "text": "reading"},
        {"type": "tool_use", "id": first["message"]["content"][1]["id"], "name": "Read", "input": {"file_path": "a.txt"}},
    ]
    assert first["message"]["stop_reason"] == "tool_use" and first["parent_tool_use_id"] is None
    block = tool_result["message"]["content"][0]
    assert block["type"] == "tool_result" and block["is_error"] is False and "alpha" in block["content"]
    assert block["tool_use_id"] == first["message"]["content"][1]["id"]
    assert result["num_turns"] == 2 and result["session_id"] == init["session_id"]
    documented = set(re.findall(r"^\| `(\w+)`\s+\|", DOC.split("## `stream-json`", 1)[1], re.MULTILINE))
    assert {kind for kind, _ in kinds} <= documented


def test_claude_code_consumers_run_unchanged(workspace: Path, cli, home: Path) -> None:
    """A stream-json consumer and a headless CI script written for Claude Code, pointed at us."""
    import subprocess
    import sys

    from tests.runtime.conftest import CLI, cli_env

    (workspace / "a.txt").write_text("alpha\n")
    write_script(workspace, [
        {"text": "reading", "tool_calls": [{"tool": "Read", "input": {"file_path": "a.txt"}}]},
        {"text": "a.txt says alpha"},
    ])  # fmt: skip
    stream = cli("run", "-p", "read a", "--model", "script:script.yaml", "--output-format", "stream-json",
                 "--verbose", cwd=workspace)  # fmt: skip
    consumed = subprocess.run([sys.executable, str(CLAUDE_SCRIPTS / "consume_stream.py")], input=stream.stdout,
                              capture_output=True, text=True, timeout=60)  # fmt: skip
    assert consumed.returncode == 0, consumed.stderr
    summary = json.loads(consumed.stdout)
    assert summary["init"]["tools"] and summary["texts"] == ["reading", "a.txt says alpha"]
    assert [use["name"] for use in summary["tool_uses"]] == ["Read"]
    assert summary["tool_results"] == [{"tool_use_id": summary["tool_uses"][0]["id"], "is_error": False}]
    assert summary["result"]["subtype"] == "success" and summary["result"]["num_turns"] == 2

    wrapper = workspace / "claude"
    wrapper.write_text("#!/bin/sh\nexec " + " ".join(CLI) + ' "$@" --model script:script.yaml\n')  # claude → us
    wrapper.chmod(0o755)
    script = subprocess.run(["bash", str(CLAUDE_SCRIPTS / "headless.sh"), "read a"], cwd=workspace,
                            env={**cli_env(home), "CLAUDE": str(wrapper)}, capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert script.returncode == 0, script.stderr
    assert script.stdout.startswith("turns=2 cost=0.0000 session=") and "a.txt says alpha" in script.stdout


def test_text_output_and_exit_code_on_failure(workspace: Path, cli) -> None:
    write_script(
        workspace,
        [{"tool_calls": [{"tool": "Bash", "input": {"command": "touch made.txt"}}]}, {"text": "blocked"}],
    )
    proc = cli("run", "-p", "do it", "--model", "script:script.yaml", cwd=workspace)
    assert proc.returncode == 4
    assert proc.stdout.strip() == "blocked"
    assert "permission_denied" in proc.stderr


def test_no_usable_model_explains_how_to_configure_one(workspace: Path, cli_inproc) -> None:
    cli = cli_inproc
    proc = cli("run", "-p", "anything", cwd=workspace)
    assert proc.returncode == 1
    assert "no usable model" in proc.stderr and "ANTHROPIC_API_KEY" in proc.stderr
    assert "agents, tools, blueprint, design, check" in " ".join(proc.stderr.split())
    assert "Traceback" not in proc.stderr


def test_bad_options_are_usage_errors(workspace: Path, cli_inproc) -> None:
    cli = cli_inproc
    proc = cli("run", "-p", "x", "--output-format", "yaml", cwd=workspace)
    assert proc.returncode == 2 and "text, json, stream-json" in proc.stderr
    proc = cli("run", "-p", "x", "--model", "script:missing.yaml", cwd=workspace)
    assert proc.returncode == 1 and "missing.yaml" in proc.stderr and "Traceback" not in proc.stderr


def test_headless_task_can_come_from_stdin(workspace: Path, home: Path) -> None:
    import subprocess

    from tests.runtime.conftest import CLI, cli_env

    write_script(workspace, [{"text": "done"}])
    args = [*CLI, "run", "-p", "--model", "script:script.yaml", "--output-format", "json"]
    piped = subprocess.run(args, input="fix the bug\n", cwd=workspace, env=cli_env(home), capture_output=True,
                           text=True, timeout=60)  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    session = json.loads(piped.stdout)["session_id"]
    with SessionStore.for_workspace(workspace) as store:
        assert store.get(session).title == "fix the bug"
    empty = subprocess.run(args, input="", cwd=workspace, env=cli_env(home), capture_output=True, text=True,
                           timeout=60)  # fmt: skip
    assert empty.returncode == 2 and "a task is needed" in empty.stderr and "Traceback" not in empty.stderr


def test_interactive_run_without_a_terminal_renders_once(workspace: Path, cli) -> None:
    (workspace / "a.txt").write_text("alpha\n")
    write_script(workspace, [
        {"text": "Looking.", "tool_calls": [{"tool": "Read", "input": {"file_path": "a.txt"}}]},
        {"text": "All good."},
    ])  # fmt: skip
    proc = cli("run", "check a", "--model", "script:script.yaml", cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    assert (
        "Read" in proc.stdout
        and "a.txt" in proc.stdout
        and "All good." in proc.stdout
        and "success" in proc.stdout
    )
