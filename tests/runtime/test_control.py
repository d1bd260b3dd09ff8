"""Issue 11 "hangs and lost control": signals end a run with a result, a busy session is refused.

Real processes: the CLI is started, signalled while a command runs, and its output, exit code and
stored session are checked.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.runtime.conftest import CLI, cli_env, json_lines, write_script


def start(workspace: Path, home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, *args], cwd=workspace, env=cli_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip


def wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.05)


def slow_script(workspace: Path) -> None:
    write_script(workspace, [
        {"tool_calls": [{"tool": "Bash", "input": {"command": "touch started; sleep 60"}}]},
        {"text": "never reached"},
    ])  # fmt: skip


@pytest.mark.parametrize(
    ("signum", "output_format"),
    [
        (signal.SIGTERM, "json"),
        (signal.SIGINT, "json"),
        (signal.SIGTERM, "stream-json"),
        (signal.SIGINT, "text"),
    ],
)
def test_a_signal_ends_the_run_with_a_final_result(
    workspace: Path, home: Path, cli, signum: signal.Signals, output_format: str
) -> None:
    slow_script(workspace)
    proc = start(workspace, home, "run", "-p", "go", "--model", "script:script.yaml", "--permission-mode",
                 "bypassPermissions", "--output-format", output_format)  # fmt: skip
    try:
        wait_for(workspace / "started")
        sent = time.monotonic()
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=20)
        took = time.monotonic() - sent
    finally:
        proc.kill()
    assert took < 10, f"the run took {took:.1f} s to stop"  # the 60 s sleep was killed, not waited for
    assert proc.returncode == 1, err  # docs/output-format.md: interrupted exits 1
    name = signal.Signals(signum).name
    if output_format == "json":
        result = json.loads(out)
        assert result["status"] == "interrupted" and result["is_error"] is True
        assert name in result["error"]
    elif output_format == "stream-json":
        last = json_lines(out)[-1]
        assert last["type"] == "result" and last["status"] == "interrupted"
    else:
        assert "interrupted" in err and "Traceback" not in err
    listed = json.loads(cli("sessions", "list", "--json", cwd=workspace).stdout)
    assert listed[0]["status"] == "interrupted"


def test_a_second_resume_of_a_busy_session_is_refused(workspace: Path, home: Path, cli) -> None:
    slow_script(workspace)
    first = start(workspace, home, "run", "-p", "go", "--model", "script:script.yaml", "--permission-mode",
                  "bypassPermissions", "--output-format", "json")  # fmt: skip
    try:
        wait_for(workspace / "started")
        (info,) = json.loads(cli("sessions", "list", "--json", cwd=workspace).stdout)
        write_script(workspace, [{"text": "second run"}], name="second.yaml")
        second = cli(
            "run", "-p", "more", "--resume", info["id"], "--model", "script:second.yaml", cwd=workspace
        )
        assert second.returncode == 2, second.stdout + second.stderr
        assert "busy" in second.stderr and "Traceback" not in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=20)
    # the script model counts the session's earlier model turns: turn 1 was the interrupted Bash call
    write_script(
        workspace, [{"text": "(turn 1, already played)"}, {"text": "resumed fine"}], name="third.yaml"
    )
    third = cli("run", "-p", "more", "--resume", info["id"], "--model", "script:third.yaml", cwd=workspace)
    assert third.returncode == 0 and "resumed fine" in third.stdout, third.stderr
