"""The SQLite session store: WAL, incremental saves, resume loading, redaction, export, CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from pydantic_ai.messages import (
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from backend_agent.runtime import Redactor, SessionStore
from backend_agent.runtime.sessions import session_db_path
from tests.runtime.conftest import write_script


def conversation(n: int) -> list:
    messages: list = [ModelRequest(parts=[UserPromptPart("task")])]
    for i in range(n):
        messages.append(
            ModelResponse(parts=[ToolCallPart("Read", {"file_path": f"f{i}"}, tool_call_id=f"c{i}")])
        )
        messages.append(ModelRequest(parts=[ToolReturnPart("Read", f"content {i}", tool_call_id=f"c{i}")]))
    messages.append(ModelResponse(parts=[TextPart("done")]))
    return messages


def test_wal_incremental_save_and_load(tmp_path: Path) -> None:
    with SessionStore.for_workspace(tmp_path) as store:
        sid = store.create(workspace=tmp_path, agent="a", model="m", title="t")
        messages = conversation(5)
        store.save_step(sid, messages[:3], tool_session={"cwd": "x"})
        store.save_step(sid, messages, usage={"input_tokens": 3})
        loaded = store.load_messages(sid)
        assert len(loaded) == len(messages)
        assert loaded[-1].parts[0].content == "done"
        assert store.get(sid[:6]).tool_session == {"cwd": "x"}
        store.save_step(sid, messages[:4])  # shorter history (e.g. after compaction) drops the rest
        assert len(store.load_messages(sid)) == 4
    db = sqlite3.connect(session_db_path(tmp_path))
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_secrets_are_redacted_in_stored_transcripts(tmp_path: Path) -> None:
    redactor = Redactor({"MY_SERVICE_TOKEN": "tok-1234567890", "PATH": "/usr/bin"})
    with SessionStore.for_workspace(tmp_path, redactor=redactor) as store:
        sid = store.create(workspace=tmp_path, agent="a", model="m", title="use tok-1234567890")
        key = "sk-ant-" + "a1" * 20
        msgs = [ModelRequest(parts=[UserPromptPart(f"key {key} and tok-1234567890, password=hunter22")])]
        store.save_step(sid, msgs)
        store.record_tool_call(sid, tool_use_id="1", name="Bash", tool_input={"command": f"echo {key}"}, ok=True,
                               output="AKIAABCDEFGHIJKLMNOP", error_code=None, duration_ms=1)  # fmt: skip
        exported = json.dumps(store.export(sid))
    assert key not in exported and "tok-1234567890" not in exported and "hunter22" not in exported
    assert "AKIAABCDEFGHIJKLMNOP" not in exported
    assert "/usr/bin" not in redactor.text("x") and redactor.text("/usr/bin") == "/usr/bin"  # not a secret
    assert exported.count("[REDACTED]") >= 5


def test_bearer_tokens_and_url_passwords_are_redacted_keeping_their_context() -> None:
    redactor = Redactor({})
    assert (
        redactor.text("Authorization: Bearer abcdefghijklmnop.qrstuv") == "Authorization: Bearer [REDACTED]"
    )
    assert (
        redactor.text("DATABASE_URL=postgresql://app:supersecret@db:5432/app")
        == "DATABASE_URL=postgresql://app:[REDACTED]@db:5432/app"
    )
    assert redactor.text('password = "hunter2hunter" ok') == 'password = "[REDACTED]" ok'
    for harmless in ("git@github.com:org/repo.git", "http://localhost:8000/items?page=2", "Bearer short"):
        assert redactor.text(harmless) == harmless


def test_a_corrupt_session_store_is_a_clear_error(workspace: Path, cli_inproc) -> None:
    store = session_db_path(workspace)
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text("not a database at all")
    write_script(workspace, [{"text": "hi"}])
    for args in (("run", "-p", "x", "--model", "script:script.yaml"), ("sessions", "list")):
        outcome = cli_inproc(*args, cwd=workspace)
        assert outcome.returncode == 1 and "Traceback" not in outcome.stderr
        assert (
            f"{store}: file is not a database" in outcome.stderr and "move the file aside" in outcome.stderr
        )


def test_sessions_cli_list_show_export(workspace: Path, cli_inproc) -> None:
    cli = cli_inproc
    (workspace / "a.txt").write_text("x\n")
    write_script(
        workspace, [{"tool_calls": [{"tool": "Read", "input": {"file_path": "a.txt"}}]}, {"text": "ok"}]
    )
    assert cli("run", "-p", "read a.txt", "--model", "script:script.yaml", cwd=workspace).returncode == 0
    listed = cli("sessions", "list", "--json", cwd=workspace)
    (info,) = json.loads(listed.stdout)
    assert info["title"] == "read a.txt" and info["status"] == "success" and info["message_count"] == 4
    shown = cli("sessions", "show", info["id"][:8], cwd=workspace)
    assert shown.returncode == 0 and "Read" in shown.stdout and "allow" in shown.stdout
    out = workspace / "export.json"
    exported = cli("sessions", "export", info["id"], "-o", str(out), cwd=workspace)
    assert exported.returncode == 0
    folder = cli("sessions", "export", info["id"], "-o", str(workspace), cwd=workspace)
    assert folder.returncode == 2 and "is a folder" in folder.stderr and "Traceback" not in folder.stderr
    data = json.loads(out.read_text())
    assert len(data["messages"]) == 4 and data["tool_calls"][0]["name"] == "Read"
    empty = cli("sessions", "list", cwd=workspace / "..")  # nothing stored there: an empty answer
    assert empty.returncode == 0 and "no sessions" in empty.stdout
    assert json.loads(cli("sessions", "list", "--json", cwd=workspace / "..").stdout) == []
    assert not (workspace.parent / ".backend-agent").exists()  # listing creates no state
    missing = cli("sessions", "show", "abc", cwd=workspace / "..")
    assert missing.returncode == 2 and "no sessions" in missing.stderr


def test_environment_secret_never_reaches_stream_or_store(workspace: Path, cli) -> None:
    secret = "s3cr3t-value-4242"
    write_script(workspace, [
        {"text": f"the token is {secret}", "tool_calls": [{"tool": "Bash", "input": {"command": "echo $DEPLOY_TOKEN"}}]},
        {"expect": {"tool": "Bash", "ok": True, "contains": secret}, "text": "done"},
    ])  # fmt: skip
    proc = cli("run", "-p", "show it", "--model", "script:script.yaml", "--permission-mode", "bypassPermissions",
               "--output-format", "stream-json", cwd=workspace, env={"DEPLOY_TOKEN": secret})  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert secret not in proc.stdout and "[REDACTED]" in proc.stdout
    raw = session_db_path(workspace).read_bytes()
    wal = session_db_path(workspace).with_name("sessions.db-wal")
    raw += wal.read_bytes() if wal.exists() else b""
    assert secret.encode() not in raw


# ------------------------------------------------------------------ issue 11: where sessions live
def test_sessions_live_in_the_user_data_folder_private_and_out_of_git(
    workspace: Path, user_data: Path, cli
) -> None:
    import stat
    import subprocess

    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    write_script(workspace, [{"text": "ok"}])
    proc = cli("run", "-p", "hi", "--model", "script:script.yaml", cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    db = session_db_path(workspace)
    assert db.is_relative_to(user_data / "backend-agent" / "sessions")
    for path in db.parent.glob("sessions.db*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(db.parent.stat().st_mode) & 0o077 == 0
    status = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=workspace, capture_output=True,
                            text=True, check=True).stdout  # fmt: skip
    assert "sessions" not in status and ".backend-agent" not in status


def test_session_dir_chooses_the_store(workspace: Path, tmp_path: Path, cli) -> None:
    chosen = tmp_path / "elsewhere"
    write_script(workspace, [{"text": "ok"}])
    proc = cli(
        "run", "-p", "hi", "--model", "script:script.yaml", "--session-dir", str(chosen), cwd=workspace
    )
    assert proc.returncode == 0, proc.stderr
    assert (chosen / "sessions.db").is_file() and not session_db_path(workspace).exists()
    listed = cli("sessions", "list", "--json", "--session-dir", str(chosen), cwd=workspace)
    assert len(json.loads(listed.stdout)) == 1
    assert json.loads(cli("sessions", "list", "--json", cwd=workspace).stdout) == []


def test_a_busy_session_cannot_be_resumed_twice(workspace: Path) -> None:
    from backend_agent.runtime.sessions import SessionBusy, SessionStore

    with SessionStore.for_workspace(workspace) as first:
        sid = first.create(workspace=workspace, agent="a", model="m", title="t")
        first.hold(sid)
        with SessionStore.for_workspace(workspace) as second:
            try:
                second.hold(sid)
            except SessionBusy as exc:
                assert "busy" in exc.message and f"pid {__import__('os').getpid()}" in exc.message
            else:
                raise AssertionError("a second holder was let in")
    with SessionStore.for_workspace(workspace) as third:  # released when the first store closed
        third.hold(sid)
