"""Sessions survive SIGKILL mid-run and resume from the last saved step."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import time
from pathlib import Path

from backend_agent.runtime import SessionStore
from tests.runtime.conftest import CLI, cli_env, json_lines, write_script

SLOW_STEP = (
    "echo $$ > bash.pid; if [ -f first.done ]; then echo resumed-run; else touch first.done; sleep 30; fi"
)


def _read_until_tool_call(proc: subprocess.Popen[str], deadline: float) -> str:
    assert proc.stdout is not None
    session_id = ""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if not ready:
            continue
        line = proc.stdout.readline()
        if not line:
            break
        event = json.loads(line)
        if event["type"] == "system":
            session_id = event["session_id"]
        content = (event.get("message") or {}).get("content") if event["type"] == "assistant" else None
        if event["type"] == "tool_call" or (  # our own event, or Claude Code's assistant tool_use message
            isinstance(content, list) and any(c.get("type") == "tool_use" for c in content)
        ):
            return session_id
    raise AssertionError("the run never reached its tool call")


def test_resume_after_sigkill_completes(workspace: Path, home: Path, cli) -> None:
    write_script(workspace, [
        {"text": "Starting the slow step.", "tool_calls": [{"tool": "Bash", "input": {"command": SLOW_STEP}}]},
        {"expect": {"tool": "Bash", "ok": True, "contains": "resumed-run"}, "text": "Finished after resume."},
    ])  # fmt: skip
    args = ["run", "-p", "run the slow step", "--model", "script:script.yaml", "--permission-mode",
            "bypassPermissions", "--output-format", "stream-json"]  # fmt: skip
    proc = subprocess.Popen([*CLI, *args], cwd=workspace, env=cli_env(home), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)  # fmt: skip
    try:
        session_id = _read_until_tool_call(proc, time.monotonic() + 60)
        deadline = time.monotonic() + 20
        while not (workspace / "first.done").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
        pid_file = workspace / "bash.pid"
        if pid_file.exists():  # the orphaned `sleep` of the killed run
            try:
                os.killpg(int(pid_file.read_text().strip()), signal.SIGKILL)
            except (ProcessLookupError, PermissionError, ValueError):
                pass
    assert proc.returncode == -signal.SIGKILL
    with SessionStore.for_workspace(workspace) as store:
        assert store.get(session_id).status == "running"  # killed: never finished
        assert len(store.load_messages(session_id)) == 2  # the request and the response with the tool call

    resumed = cli("run", "-p", "--resume", session_id[:8], "--permission-mode", "bypassPermissions",
                  "--output-format", "json", cwd=workspace)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr + resumed.stdout
    result = json.loads(resumed.stdout)
    assert result["status"] == "success" and result["session_id"] == session_id
    assert result["result"] == "Finished after resume."
    with SessionStore.for_workspace(workspace) as store:
        assert store.get(session_id).status == "success"
        assert len(store.load_messages(session_id)) == 4


def test_continue_takes_a_new_task(workspace: Path, run_agent) -> None:
    write_script(workspace, [{"text": "first answer"}, {"text": "second answer"}])
    first, _ = run_agent(workspace, "first task")
    second, events = run_agent(workspace, "second task", continue_last=True)
    assert second.session_id == first.session_id
    assert second.result == "second answer"
    assert events.of("system")[0].resumed is True


def test_resume_unknown_id_is_a_usage_error(workspace: Path, cli_inproc) -> None:
    cli = cli_inproc
    write_script(workspace, [{"text": "x"}])
    assert cli("run", "-p", "t", "--model", "script:script.yaml", cwd=workspace).returncode == 0
    proc = cli("run", "-p", "--resume", "nope", cwd=workspace)
    assert proc.returncode == 2
    assert "nope" in proc.stderr and "sessions list" in proc.stderr and "Traceback" not in proc.stderr


def test_ctrl_c_stops_the_run_and_its_processes(workspace: Path, home: Path) -> None:
    # A unique sleep length identifies the command's process on the host, sandboxed or not
    # (inside bubblewrap `$$` is a pid of the sandbox's own namespace).
    token = f"{30 + os.getpid() % 1000 / 1000 + time.time_ns() % 997 / 1e6:.6f}"
    write_script(workspace, [
        {"tool_calls": [{"tool": "Bash", "input": {"command": f"echo started > bash.pid; sleep {token}"}}]},
        {"text": "never"},
    ])  # fmt: skip
    args = ["run", "-p", "slow", "--model", "script:script.yaml", "--permission-mode", "bypassPermissions",
            "--output-format", "stream-json"]  # fmt: skip
    proc = subprocess.Popen([*CLI, *args], cwd=workspace, env=cli_env(home), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)  # fmt: skip
    try:
        session_id = _read_until_tool_call(proc, time.monotonic() + 60)
        deadline = time.monotonic() + 20
        while not (workspace / "bash.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert time.monotonic() - started < 10
    assert proc.returncode == 1  # issue 11: an interrupted run exits 1, as docs/output-format.md says
    deadline = time.monotonic() + 3  # the group was killed; give the kernel a moment to reap it under load
    while survivors := subprocess.run(
        ["pgrep", "-af", f"sleep {token}"], capture_output=True, text=True
    ).stdout.strip():
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert survivors == "", f"the Bash command survived Ctrl-C: {survivors}"
    assert json_lines(out)[-1]["status"] == "interrupted"
    with SessionStore.for_workspace(workspace) as store:
        assert store.get(session_id).status == "interrupted"


def test_new_prompt_after_an_interrupted_tool_call(workspace: Path, run_agent) -> None:
    from pydantic_ai.messages import ModelRequest, ModelResponse, ToolCallPart, UserPromptPart

    with SessionStore.for_workspace(workspace) as store:
        sid = store.create(workspace=workspace.resolve(), agent="backend", model="x", title="first")
        store.save_step(sid, [
            ModelRequest(parts=[UserPromptPart("first")]),
            ModelResponse(parts=[ToolCallPart("Bash", {"command": "sleep 100"}, tool_call_id="t1")]),
        ])  # fmt: skip
    write_script(workspace, [{"text": "unused"}, {"text": "on the new task"}])
    result, _ = run_agent(workspace, "a different task", resume=sid)
    assert result.status == "success", result.error
    assert result.result == "on the new task"
    with SessionStore.for_workspace(workspace) as store:
        kinds = [type(m).__name__ for m in store.load_messages(sid)]
    assert kinds[:2] == ["ModelRequest", "ModelResponse"] and kinds[-1] == "ModelResponse"


def test_resuming_a_finished_session_without_a_task_is_a_usage_error(workspace: Path, run_agent) -> None:
    import pytest

    from backend_agent.errors import UsageError

    write_script(workspace, [{"text": "done"}])
    first, _ = run_agent(workspace)
    with pytest.raises(UsageError, match="already finished"):
        run_agent(workspace, None, resume=first.session_id)
    with SessionStore.for_workspace(workspace) as store:
        assert store.get(first.session_id).status == "success"


SUB_SLOW_STEP = (
    "echo $$ > bash.pid; if [ -f sub.started ]; then echo sub-resumed; else touch sub.started; sleep 30; fi"
)


def test_a_subagent_killed_mid_way_resumes_from_its_checkpoint(workspace: Path, home: Path, cli) -> None:
    """Issue 11: kill -9 during a subagent, then resume: the subagent continues from its last saved
    step instead of starting over (its first command runs once, not twice)."""
    folder = workspace / ".claude" / "agents"
    folder.mkdir(parents=True)
    (folder / "worker.md").write_text("---\nname: worker\ndescription: does work\ntools: Bash\n---\nWork.\n")
    (folder / "lead.md").write_text("---\nname: lead\ndescription: leads\ntools: Agent(worker)\n---\nLead.\n")
    write_script(
        workspace,
        [
            {"tool_calls": [{"tool": "Agent", "input": {"subagent_type": "worker", "prompt": "work"}}]},
            {"expect": {"tool": "Agent", "ok": True, "contains": "worker finished"}, "text": "lead done"},
        ],
        subagents={"worker": [
            {"tool_calls": [{"tool": "Bash", "input": {"command": "echo step1 >> log.txt"}}]},
            {"tool_calls": [{"tool": "Bash", "input": {"command": SUB_SLOW_STEP}}]},
            {"expect": {"tool": "Bash", "ok": True, "contains": "sub-resumed"}, "text": "worker finished"},
        ]},
    )  # fmt: skip
    args = ["run", "-p", "go", "--agent", "lead", "--model", "script:script.yaml", "--permission-mode",
            "bypassPermissions", "--output-format", "stream-json"]  # fmt: skip
    proc = subprocess.Popen([*CLI, *args], cwd=workspace, env=cli_env(home), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)  # fmt: skip
    try:
        session_id = _read_until_tool_call(proc, time.monotonic() + 60)
        deadline = time.monotonic() + 30
        while not (workspace / "sub.started").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (workspace / "sub.started").exists()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
        pid_file = workspace / "bash.pid"
        if pid_file.exists():
            try:
                os.killpg(int(pid_file.read_text().strip()), signal.SIGKILL)
            except (ProcessLookupError, PermissionError, ValueError):
                pass
    resumed = cli("run", "-p", "--resume", session_id, "--permission-mode", "bypassPermissions",
                  "--output-format", "json", cwd=workspace)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr + resumed.stdout
    result = json.loads(resumed.stdout)
    assert result["status"] == "success" and result["result"] == "lead done"
    assert (workspace / "log.txt").read_text() == "step1\n"  # the subagent's first step ran once
    with SessionStore.for_workspace(workspace) as store:
        children = store.export(session_id)["subagent_sessions"]
        assert len(children) == 1  # the same subagent session was continued, not a new one started
        assert store.get(children[0]).status == "success"
