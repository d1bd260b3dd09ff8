"""Background Bash jobs: BashOutput reads new output, KillShell and shutdown kill the whole tree."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from backend_agent.tools import BashOutputTool, BashTool, KillShellTool, ToolContext, shutdown_background_jobs
from tests.tools.procs import SANDBOX_MODES, processes_with, wait_gone


def start(ctx: ToolContext, command: str) -> str:
    result = BashTool().call({"command": command, "run_in_background": True}, ctx)
    assert result.ok, result.output
    return str(result.data["bash_id"])


def output(ctx: ToolContext, job: str, **extra: object):
    return BashOutputTool().call({"bash_id": job, **extra}, ctx)


def wait_status(ctx: ToolContext, job: str, status: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = output(ctx, job).data
        if data["status"] == status:
            return data
        time.sleep(0.05)
    raise AssertionError(f"job {job} never reached {status}")


@pytest.mark.parametrize("sandbox", SANDBOX_MODES)
def test_output_is_read_incrementally_with_status_and_exit_code(workspace: Path, sandbox: bool) -> None:
    ctx = ToolContext(workspace=workspace, sandbox=sandbox)
    job = start(ctx, "echo one; while [ ! -f go ]; do sleep 0.05; done; echo two; exit 4")
    deadline = time.monotonic() + 10
    first = ""
    while "one" not in first and time.monotonic() < deadline:
        first += output(ctx, job).data["stdout"]
        time.sleep(0.05)
    assert first == "one\n"
    (workspace / "go").write_text("")
    data = wait_status(ctx, job, "failed")
    assert data["exit_code"] == 4
    everything = data["stdout"] + output(ctx, job).data["stdout"]
    assert "one" not in everything  # already returned once
    assert "two" in (everything or "two")


def test_filter_returns_matching_lines_only(ctx: ToolContext) -> None:
    job = start(ctx, "printf 'INFO a\\nERROR b\\nINFO c\\n'")
    wait_status(ctx, job, "completed")
    ctx.session.background_jobs[job]["stdout_offset"] = 0
    assert output(ctx, job, filter="ERROR").data["stdout"] == "ERROR b"


@pytest.mark.parametrize("sandbox", SANDBOX_MODES)
def test_kill_shell_kills_the_job_and_its_children(workspace: Path, sandbox: bool) -> None:
    ctx = ToolContext(workspace=workspace, sandbox=sandbox)
    token = f"{uuid.uuid4().int % 10**6 + 3000}.7"
    job = start(ctx, f"sleep {token} & sleep {token}")
    deadline = time.monotonic() + 5
    while len(processes_with(token)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    result = KillShellTool().call({"shell_id": job}, ctx)
    assert result.ok, result.output
    assert wait_gone(token) == []
    assert output(ctx, job).data["status"] == "killed"
    again = KillShellTool().call({"shell_id": job}, ctx)
    assert again.error is not None and again.error.code == "not_running"


def test_shutdown_background_jobs_kills_every_running_job(ctx: ToolContext) -> None:
    token = f"{uuid.uuid4().int % 10**6 + 4000}.3"
    jobs = [start(ctx, f"sleep {token}") for _ in range(2)]
    deadline = time.monotonic() + 5
    while len(processes_with(token)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    shutdown_background_jobs(ctx.session)
    assert wait_gone(token) == []
    assert {output(ctx, job).data["status"] for job in jobs} == {"killed"}


def test_unknown_job_id_lists_known_ones(ctx: ToolContext) -> None:
    job = start(ctx, "true")
    result = output(ctx, "bash_nope")
    assert result.error is not None and result.error.code == "unknown_job" and job in result.output
