"""Headless json / stream-json output parses and matches docs/output-format.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

from backend_agent.runtime import RUN_EVENT_ADAPTER, RunResult, SessionStore
from tests.runtime.conftest import REPO, json_lines, write_script

DOC = (REPO / "docs" / "output-format.md").read_text()


def documented_fields(section: str) -> set[str]:
    body = DOC.split(section, 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(\w+)`", body, re.MULTILINE))


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
    RunResult.model_validate(data)
    assert set(data) == documented_fields("## `json`")
    assert data["status"] == "success" and data["result"] == "read it" and data["turns"] == 2
    assert data["tool_calls"] == 1 and data["usage"]["input_tokens"] > 0 and data["duration_ms"] >= 0


def test_stream_json_events_match_the_documented_types(workspace: Path, cli) -> None:
    (workspace / "a.txt").write_text("alpha\n")
    write_script(workspace, [
        {"text": "reading", "tool_calls": [{"tool": "Read", "input": {"file_path": "a.txt"}}]},
        {"text": "done"},
    ])  # fmt: skip
    proc = cli(
        "run",
        "-p",
        "read a",
        "--model",
        "script:script.yaml",
        "--output-format",
        "stream-json",
        cwd=workspace,
    )
    assert proc.returncode == 0, proc.stderr
    lines = json_lines(proc.stdout)
    events = [RUN_EVENT_ADAPTER.validate_python(line) for line in lines]
    assert [e.type for e in events] == [
        "system",
        "assistant",
        "tool_call",
        "permission",
        "tool_result",
        "assistant",
        "result",
    ]
    documented = set(re.findall(r"^\| `(\w+)`\s+\|", DOC.split("## `stream-json`", 1)[1], re.MULTILINE))
    assert {e.type for e in events} <= documented
    for line in lines:  # every documented field of each line is present
        assert set(line) >= {"type"}
    assert lines[-1]["session_id"] == lines[0]["session_id"]


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
