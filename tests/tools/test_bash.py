"""Bash: real subprocesses, persistent cwd, timeouts that kill the whole tree, the bubblewrap sandbox."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend_agent.tools import BashTool, ToolContext
from tests.tools.procs import HAVE_BWRAP, SANDBOX_MODES, wait_gone


def bash(ctx: ToolContext, command: str, **extra: object):
    return BashTool().call({"command": command, **extra}, ctx)


@pytest.mark.parametrize("sandbox", SANDBOX_MODES)
def test_runs_in_the_workspace_and_reports_sandboxing(workspace: Path, sandbox: bool) -> None:
    ctx = ToolContext(workspace=workspace, sandbox=sandbox)
    result = bash(ctx, "pwd; echo out; echo err >&2")
    assert result.ok, result.output
    assert result.data["stdout"] == f"{workspace.resolve()}\nout\n"
    assert result.data["stderr"] == "err\n"
    assert result.data["sandboxed"] is sandbox


def test_working_directory_persists_between_calls(ctx: ToolContext, workspace: Path) -> None:
    (workspace / "sub" / "deeper").mkdir(parents=True)
    bash(ctx, "cd sub/deeper")
    assert bash(ctx, "pwd").data["stdout"].strip() == str((workspace / "sub/deeper").resolve())
    bash(ctx, "cd /")
    result = bash(ctx, "pwd")
    assert result.data["stdout"].strip() == str(workspace.resolve())


def test_nonzero_exit_is_a_failure_with_the_code(ctx: ToolContext) -> None:
    result = bash(ctx, "echo partial; exit 3")
    assert not result.ok and result.error is not None and result.error.code == "exit_code"
    assert result.data["exit_code"] == 3 and "partial" in result.output and "Exit code 3" in result.output


@pytest.mark.parametrize("sandbox", SANDBOX_MODES)
def test_timeout_kills_the_whole_process_tree_including_grandchildren(workspace: Path, sandbox: bool) -> None:
    ctx = ToolContext(workspace=workspace, sandbox=sandbox)
    token = f"{uuid.uuid4().int % 10**6 + 1000}.{os.getpid()}"
    command = f"bash -c 'sleep {token} & echo $! > grandchild.pid; wait' ; echo never"
    started = time.monotonic()
    result = bash(ctx, command, timeout_ms=800)
    assert time.monotonic() - started < 5
    assert result.error is not None and result.error.code == "timeout"
    assert result.data["interrupted"] is True and "never" not in result.output
    assert (workspace / "grandchild.pid").exists()
    assert wait_gone(token) == []
    if not sandbox:  # outside a PID namespace the recorded pid is the host pid
        pid = int((workspace / "grandchild.pid").read_text())
        assert (
            not Path(f"/proc/{pid}").exists()
            or "Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[1][:3]
        )


def test_processes_left_behind_by_a_finished_command_are_killed(ctx: ToolContext) -> None:
    token = f"{uuid.uuid4().int % 10**6 + 2000}.5"
    result = bash(ctx, f"sleep {token} & echo started")
    assert result.ok
    assert wait_gone(token) == []


def test_long_output_keeps_head_and_tail_and_states_the_size(ctx: ToolContext) -> None:
    result = bash(ctx, "echo START; head -c 100000 /dev/zero | tr '\\0' x; echo; echo END")
    assert result.ok and result.data["truncated"] is True
    out = result.data["stdout"]
    assert out.startswith("START\n") and out.rstrip().endswith("END")
    assert "bytes truncated" in out and "100011 bytes" in out
    assert len(out) < 31_000


@pytest.mark.skipif(not HAVE_BWRAP, reason="bubblewrap is not usable here")
def test_sandbox_makes_everything_outside_the_workspace_read_only(workspace: Path, tmp_path: Path) -> None:
    ctx = ToolContext(workspace=workspace, sandbox=True)
    victim = Path.home() / f".backend-agent-sandbox-test-{uuid.uuid4().hex}"
    result = bash(ctx, f"touch {victim} || echo refused; echo inside > ok.txt")
    assert "refused" in result.output
    assert not victim.exists()
    assert (workspace / "ok.txt").read_text() == "inside\n"


@pytest.fixture
def listener() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    yield server.getsockname()[1]
    server.close()


@pytest.mark.parametrize("sandbox", SANDBOX_MODES)
def test_network_is_cut_in_the_sandbox_unless_allowed(workspace: Path, listener: int, sandbox: bool) -> None:
    probe = f"python3 -c \"import socket; socket.create_connection(('127.0.0.1', {listener}), 2); print('connected')\""
    blocked = bash(ToolContext(workspace=workspace, sandbox=sandbox), probe)
    assert ("connected" in blocked.output) is (not sandbox)
    allowed = bash(ToolContext(workspace=workspace, sandbox=sandbox, allow_network=True), probe)
    assert "connected" in allowed.output


def test_timeout_above_ten_minutes_is_rejected(ctx: ToolContext) -> None:
    result = bash(ctx, "true", timeout_ms=600_001)
    assert result.error is not None and result.error.code == "bad_input"


def test_without_bubblewrap_a_one_time_warning_says_the_sandbox_is_off(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import backend_agent.tools.bash as bash_module

    monkeypatch.setattr(bash_module, "bwrap_path", lambda: None)
    ctx = ToolContext(workspace=workspace, sandbox=True)
    first = bash(ctx, "echo one")
    assert first.data["sandboxed"] is False and "sandbox" in first.output and "bubblewrap" in first.output
    second = bash(ctx, "echo two")
    assert second.data["sandboxed"] is False and "bubblewrap" not in second.output
    assert second.output == "two"


@pytest.mark.skipif(not HAVE_BWRAP, reason="bubblewrap is not usable here")
def test_sandbox_also_kills_processes_that_left_the_process_group(workspace: Path) -> None:
    ctx = ToolContext(workspace=workspace, sandbox=True)
    token = f"{uuid.uuid4().int % 10**6 + 6000}.1"
    result = bash(ctx, f"setsid sleep {token} > /dev/null 2>&1 & echo started")
    assert result.ok and result.data["sandboxed"] is True
    assert wait_gone(token) == []


@pytest.mark.skipif(not HAVE_BWRAP, reason="bubblewrap is not usable here")
def test_sandboxed_commands_cannot_rewrite_permission_settings(workspace: Path) -> None:
    settings = workspace / ".backend-agent" / "settings.json"
    settings.parent.mkdir()
    settings.write_text('{"permissions": {}}')
    (workspace / ".claude").mkdir()
    ctx = ToolContext(workspace=workspace, sandbox=True)
    result = bash(ctx, "echo grant > .backend-agent/settings.json; touch .claude/settings.json; echo done")
    assert "done" in result.output
    assert settings.read_text() == '{"permissions": {}}'
    assert not (workspace / ".claude/settings.json").exists()
    job = BashTool().call({"command": "echo job-output", "run_in_background": True}, ctx)
    assert job.ok and job.data["sandboxed"] is True  # job output still lands under .backend-agent/jobs


@pytest.mark.skipif(not HAVE_BWRAP, reason="bubblewrap is not usable here")
def test_sandboxed_commands_cannot_create_missing_settings_folders(workspace: Path) -> None:
    """A command with no redirection (so no permission rule sees the write) must not create
    .claude/settings.local.json to grant itself rules; no empty folders are left behind either."""
    ctx = ToolContext(workspace=workspace, sandbox=True)
    script = "import pathlib; p = pathlib.Path('.claude/settings.local.json'); p.parent.mkdir(exist_ok=True); p.write_text('{}')"
    result = bash(ctx, f'python3 -c "{script}" || echo refused; mkdir .opencode || echo refused-too')
    assert "refused" in result.output and "refused-too" in result.output
    assert not (workspace / ".claude").exists()
    assert not (workspace / ".opencode").exists()


@pytest.mark.skipif(not HAVE_BWRAP, reason="bubblewrap is not usable here")
def test_sandbox_keeps_tools_on_path_that_live_under_tmp(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CI clones (and their virtualenvs) may live under /tmp, which the sandbox replaces.
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ba-toolchain-", dir="/tmp") as tmp:
        tool = Path(tmp) / "bin" / "ba-probe-tool"
        tool.parent.mkdir()
        tool.write_text("#!/bin/sh\necho probe-tool-ran\n")
        tool.chmod(0o755)
        monkeypatch.setenv("PATH", f"{tool.parent}{os.pathsep}{os.environ['PATH']}")
        result = bash(
            ToolContext(workspace=workspace, sandbox=True),
            "ba-probe-tool; touch /tmp/x-$$ && echo tmp-writable",
        )
        assert result.data["sandboxed"] is True
        assert "probe-tool-ran" in result.output
        assert "tmp-writable" in result.output  # /tmp itself stays a private writable tmpfs
        assert not any(p.name.startswith("x-") for p in Path(tmp).iterdir())


@pytest.mark.skipif(not HAVE_BWRAP, reason="bubblewrap is not usable here")
def test_sandboxed_commands_cannot_rewrite_opencode_json(workspace: Path) -> None:
    config = workspace / "opencode.json"
    config.write_text('{"agent": {}}')
    ctx = ToolContext(workspace=workspace, sandbox=True)
    script = "open('opencode.json', 'w').write('{}')"
    result = bash(
        ctx, f'python3 -c "{script}" 2>/dev/null || echo refused; mv opencode.json x 2>/dev/null || echo kept'
    )
    assert "refused" in result.output and "kept" in result.output
    assert config.read_text() == '{"agent": {}}'
