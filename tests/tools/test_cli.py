"""``backend-agent tools list|call``: calls share a tool session stored in the workspace.

Most calls run the CLI in-process (the session still goes through the files under
``.backend-agent/``); the cross-process behaviour is proven with real subprocesses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from backend_agent.cli.main import main
from tests.tools.procs import processes_with, wait_gone


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    def run(workspace: Path, *args: str) -> Run:
        capsys.readouterr()
        code = main([*args, "--cwd", str(workspace)] if args[:2] != ("tools", "list") else list(args))
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


def subprocess_cli(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backend_agent", *args],
        cwd=workspace,
        env={**os.environ, "HOME": str(workspace.parent / "home")},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def call(cli):
    def run(workspace: Path, tool: str, payload: dict, *extra: str) -> Run:
        return cli(workspace, "tools", "call", tool, "--input", json.dumps(payload), *extra)

    return run


def test_list_shows_every_tool(cli, workspace: Path) -> None:
    proc = cli(workspace, "tools", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    assert [t["name"] for t in json.loads(proc.stdout)][:4] == ["Read", "Write", "Edit", "Bash"]


def test_read_then_edit_in_separate_calls_share_the_session(call, workspace: Path) -> None:
    (workspace / "app.py").write_text("x = 1\n")
    assert call(workspace, "Read", {"file_path": "app.py"}).stdout == "     1\tx = 1\n"
    edit = call(
        workspace,
        "Edit",
        {"file_path": "app.py", "old_string": "x = 1", "new_string": "x = 2"},
        "--allow",
        "Edit",
    )
    assert edit.returncode == 0, edit.stderr
    assert (workspace / "app.py").read_text() == "x = 2\n"


def test_modified_since_read_is_detected_across_calls(call, workspace: Path) -> None:
    path = workspace / "app.py"
    path.write_text("x = 1\n")
    call(workspace, "Read", {"file_path": "app.py"})
    path.write_text("x = 5\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    edit = call(
        workspace,
        "Edit",
        {"file_path": "app.py", "old_string": "x = 5", "new_string": "x = 6"},
        "--permission-mode",
        "acceptEdits",
        "--json",
    )
    assert edit.returncode == 1
    result = json.loads(edit.stdout)
    assert result["ok"] is False and result["error"]["code"] == "modified_since_read"


def test_session_new_starts_without_read_records(call, workspace: Path) -> None:
    (workspace / "app.py").write_text("x = 1\n")
    call(workspace, "Read", {"file_path": "app.py"})
    edit = call(
        workspace,
        "Edit",
        {"file_path": "app.py", "old_string": "x = 1", "new_string": "x = 2"},
        "--session",
        "new",
        "--allow",
        "Edit",
    )
    assert edit.returncode == 1
    assert "ToolError" in edit.stderr and "not_read" in edit.stderr


def test_headless_ask_is_denied_with_exit_4_and_the_rule(call, workspace: Path) -> None:
    proc = call(workspace, "Bash", {"command": "git status && rm -rf build"}, "--allow", "Bash(git status:*)")
    assert proc.returncode == 4
    assert "rm -rf build" in proc.stderr and "cannot prompt" in proc.stderr
    denied = call(workspace, "Bash", {"command": "ls; rm x"}, "--allow", "Bash(ls:*)", "--deny", "Bash(rm:*)")
    assert denied.returncode == 4 and "Bash(rm:*)" in denied.stderr


def test_hint_does_not_suggest_a_rule_that_cannot_help(call, workspace: Path) -> None:
    plain = call(workspace, "Bash", {"command": "make build"})
    assert plain.returncode == 4 and "--allow 'Bash(make:*)'" in plain.stderr
    opaque = call(workspace, "Bash", {"command": "eval make build"}, "--allow", "Bash(eval:*)")
    assert opaque.returncode == 4
    assert "no allow rule can approve this command" in opaque.stderr and "Bash(eval:*)'" not in opaque.stderr
    assert "Traceback" not in opaque.stderr


def test_settings_file_rules_apply(call, workspace: Path) -> None:
    (workspace / ".backend-agent").mkdir()
    (workspace / ".backend-agent/settings.json").write_text(
        json.dumps({"permissions": {"allow": ["Bash(echo:*)"]}})
    )
    proc = call(workspace, "Bash", {"command": "echo from-settings"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "from-settings"


def test_tool_failure_exits_1_with_the_structured_error(call, workspace: Path) -> None:
    proc = call(workspace, "Read", {"file_path": "missing.txt"}, "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["error"]["code"] == "not_found"
    plain = call(workspace, "Read", {"file_path": "missing.txt"})
    assert plain.returncode == 1 and "not_found" in plain.stderr and "Traceback" not in plain.stderr


def test_bad_input_json_is_a_usage_error(cli, workspace: Path) -> None:
    proc = cli(workspace, "tools", "call", "Read", "--input", "{oops")
    assert proc.returncode == 2 and "not valid JSON" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_read_then_edit_across_real_processes(workspace: Path) -> None:
    (workspace / "app.py").write_text("x = 1\n")
    read = subprocess_cli(workspace, "tools", "call", "Read", "--input", '{"file_path": "app.py"}')
    assert read.returncode == 0 and read.stdout == "     1\tx = 1\n", read.stderr
    payload = json.dumps({"file_path": "app.py", "old_string": "x = 1", "new_string": "x = 2"})
    edit = subprocess_cli(
        workspace, "tools", "call", "Edit", "--input", payload, "--permission-mode", "acceptEdits"
    )
    assert edit.returncode == 0, edit.stderr
    assert (workspace / "app.py").read_text() == "x = 2\n"


@pytest.mark.slow
def test_background_job_works_across_separate_processes(workspace: Path) -> None:
    token = f"{uuid.uuid4().int % 10**6 + 5000}.9"
    payload = json.dumps({"command": f"echo ready; sleep {token}", "run_in_background": True})
    bypass = ("--permission-mode", "bypassPermissions")
    start = subprocess_cli(workspace, "tools", "call", "Bash", "--input", payload, *bypass, "--json")
    assert start.returncode == 0, start.stderr
    job = json.loads(start.stdout)["data"]["bash_id"]
    read_payload = json.dumps({"bash_id": job})
    deadline = time.monotonic() + 10
    while not processes_with(token) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    first = subprocess_cli(workspace, "tools", "call", "BashOutput", "--input", read_payload, "--json")
    data = json.loads(first.stdout)["data"]
    assert data["status"] == "running" and data["stdout"] == "ready\n"
    kill = subprocess_cli(
        workspace, "tools", "call", "KillShell", "--input", json.dumps({"shell_id": job}), *bypass
    )
    assert kill.returncode == 0, kill.stderr
    assert wait_gone(token) == []
    after = subprocess_cli(workspace, "tools", "call", "BashOutput", "--input", read_payload, "--json")
    assert json.loads(after.stdout)["data"]["status"] == "killed"


def test_input_from_a_file(cli, workspace: Path) -> None:
    (workspace / "payload.json").write_text(json.dumps({"file_path": "new.txt", "content": "from file\n"}))
    run = cli(
        workspace, "tools", "call", "Write", "--input", f"@{workspace / 'payload.json'}", "--allow", "Write"
    )
    assert run.returncode == 0, run.stderr
    assert (workspace / "new.txt").read_text() == "from file\n"
    missing = cli(workspace, "tools", "call", "Write", "--input", "@nope.json")
    assert missing.returncode == 2 and "cannot read" in missing.stderr
