"""Issue 11: hooks that look like they guard must guard (Claude Code's JSON output protocol), from
every settings file, on every event, with ``transcript_path`` in their input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.runtime.conftest import write_script


def hook_settings(
    folder: Path, hooks: dict[str, object], name: str = "settings.json", **extra: object
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps({"hooks": hooks, **extra}))


def answering(output: dict[str, object], *, record: str | None = None) -> str:
    """A hook command that (optionally) saves its input and prints ``output`` as JSON."""
    save = f"open({record!r}, 'a').write(sys.stdin.read() + '\\n'); " if record else ""
    code = f"import json, sys; {save}print(json.dumps({output!r}))"
    return f"{sys.executable} -c {json.dumps(code)}"


def on(event: str, command: str, matcher: str = "") -> dict[str, object]:
    return {event: [{"matcher": matcher, "hooks": [{"type": "command", "command": command}]}]}


def rm_then_done(workspace: Path) -> None:
    write_script(workspace, [
        {"tool_calls": [{"tool": "Bash", "input": {"command": "rm keep.txt"}}]},
        {"text": "done"},
    ])  # fmt: skip


@pytest.mark.parametrize(
    "output",
    [
        {
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": "no deleting",
            }
        },
        {"decision": "block", "reason": "no deleting"},
    ],
    ids=["permissionDecision-deny", "decision-block"],
)
def test_json_deny_stops_the_command(workspace: Path, run_agent, output: dict[str, object]) -> None:
    (workspace / "keep.txt").write_text("keep")
    hook_settings(workspace / ".claude", on("PreToolUse", answering(output), "Bash"))
    rm_then_done(workspace)
    _result, events = run_agent(workspace, permission_mode="bypassPermissions")
    assert (workspace / "keep.txt").exists()
    (finished,) = [e for e in events.of("tool_result") if e.name == "Bash"]
    assert not finished.ok and "no deleting" in finished.output


def test_continue_false_ends_the_run_with_the_stop_reason(workspace: Path, run_agent) -> None:
    (workspace / "keep.txt").write_text("keep")
    hook_settings(
        workspace / ".claude", on("PreToolUse", answering({"continue": False, "stopReason": "freeze!"}))
    )
    rm_then_done(workspace)
    result, _ = run_agent(workspace, permission_mode="bypassPermissions")
    assert (workspace / "keep.txt").exists()
    assert result.status == "error" and "freeze!" in (result.error or "")


def test_updated_input_is_what_runs_and_what_permissions_see(workspace: Path, run_agent) -> None:
    (workspace / "keep.txt").write_text("keep")
    rewrite = {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "updatedInput": {"command": "echo safe > out.txt"},
        }
    }
    hook_settings(workspace / ".claude", on("PreToolUse", answering(rewrite), "Bash"))
    rm_then_done(workspace)
    result, _ = run_agent(workspace, allow=["Bash(echo:*)"], deny=["Bash(rm:*)"])
    assert result.status == "success", result.error
    assert (workspace / "keep.txt").exists() and (workspace / "out.txt").read_text() == "safe\n"


def test_hook_allow_approves_a_prompt_but_never_lifts_a_deny(workspace: Path, run_agent) -> None:
    allow = {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "allow"}}
    hook_settings(workspace / ".claude", on("PreToolUse", answering(allow), "Bash"))
    write_script(workspace, [
        {"tool_calls": [{"tool": "Bash", "input": {"command": "touch made.txt"}}]},
        {"tool_calls": [{"tool": "Bash", "input": {"command": "rm made.txt"}}]},
        {"text": "done"},
    ])  # fmt: skip
    _result, _ = run_agent(workspace, deny=["Bash(rm:*)"])  # headless default mode: 'ask' would be refused
    assert (workspace / "made.txt").exists()  # touch ran thanks to the hook; rm stayed denied


def test_post_tool_use_json_block_and_context_reach_the_model(workspace: Path, run_agent) -> None:
    (workspace / "a.txt").write_text("alpha\n")
    post = {
        "decision": "block",
        "reason": "lint failed",
        "hookSpecificOutput": {"additionalContext": "see docs"},
    }
    hook_settings(workspace / ".claude", on("PostToolUse", answering(post), "Read"))
    write_script(workspace, [
        {"tool_calls": [{"tool": "Read", "input": {"file_path": "a.txt"}}]},
        {"expect": {"tool": "Read", "contains": "lint failed"}, "text": "done"},
    ])  # fmt: skip
    result, _ = run_agent(workspace)
    assert result.status == "success", result.error


@pytest.mark.parametrize("where", ["local", "user", "managed"])
def test_hooks_from_every_settings_file(
    workspace: Path, home: Path, run_agent, where: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (workspace / "keep.txt").write_text("keep")
    deny = {"hookSpecificOutput": {"permissionDecision": "deny", "permissionDecisionReason": f"from {where}"}}
    hooks = on("PreToolUse", answering(deny), "Bash")
    if where == "local":
        hook_settings(workspace / ".claude", hooks, "settings.local.json")
    elif where == "user":
        hook_settings(home / ".claude", hooks)
    else:
        hook_settings(tmp_path / "etc", hooks, "managed-settings.json")
        monkeypatch.setenv("BACKEND_AGENT_MANAGED_SETTINGS", str(tmp_path / "etc" / "managed-settings.json"))
    rm_then_done(workspace)
    _result, events = run_agent(workspace, permission_mode="bypassPermissions")
    assert (workspace / "keep.txt").exists()
    assert any(f"from {where}" in e.output for e in events.of("tool_result"))


def test_managed_only_hooks_and_disable_all(workspace: Path, run_agent, monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:  # fmt: skip
    from backend_agent.runtime.hooks import load_hooks

    hook_settings(workspace / ".claude", on("Stop", "echo project"))
    hook_settings(
        tmp_path / "etc", on("Stop", "echo managed"), "managed-settings.json", allowManagedHooksOnly=True
    )
    monkeypatch.setenv("BACKEND_AGENT_MANAGED_SETTINGS", str(tmp_path / "etc" / "managed-settings.json"))
    assert [h.command for h in load_hooks(workspace, home=tmp_path / "h")] == ["echo managed"]
    monkeypatch.delenv("BACKEND_AGENT_MANAGED_SETTINGS")
    hook_settings(
        workspace / ".claude", on("Stop", "echo project"), "settings.local.json", disableAllHooks=True
    )
    monkeypatch.setenv("BACKEND_AGENT_MANAGED_SETTINGS", str(tmp_path / "none.json"))
    assert load_hooks(workspace, home=tmp_path / "h") == []


def test_session_end_notification_and_transcript_path(workspace: Path, run_agent) -> None:
    log = str(workspace / "events.jsonl")
    hooks = {
        **on("SessionEnd", answering({}, record=log)),
        **on("Notification", answering({}, record=log)),
        **on("PreToolUse", answering({}, record=log)),
    }
    hook_settings(workspace / ".claude", hooks)
    write_script(
        workspace, [{"tool_calls": [{"tool": "Bash", "input": {"command": "touch x"}}]}, {"text": "done"}]
    )

    async def approve(tool: str, tool_input: dict[str, object], decision: object) -> str:
        return "once"

    result, _ = run_agent(workspace, asker=approve)
    assert result.status == "success", result.error
    events = [json.loads(line) for line in Path(log).read_text().splitlines() if line.strip()]
    names = [e["hook_event_name"] for e in events]
    assert names == ["PreToolUse", "Notification", "SessionEnd"]
    transcript = Path(events[0]["transcript_path"])
    assert transcript.is_file() and transcript.stat().st_mode & 0o077 == 0
    lines = [json.loads(line) for line in transcript.read_text().splitlines()]
    assert lines and lines[0]["kind"] == "request"
    assert "permission" in events[1]["message"] and events[2]["reason"] == "other"


def test_pre_compact_runs_before_compaction(workspace: Path, run_agent) -> None:
    log = str(workspace / "compact.jsonl")
    hook_settings(workspace / ".claude", on("PreCompact", answering({}, record=log)))
    write_script(workspace, [
        {"tool_calls": [{"tool": "Bash", "input": {"command": "seq 1 3000"}}]},
        {"tool_calls": [{"tool": "Bash", "input": {"command": "seq 1 3000"}}]},
        {"text": "done"},
    ])  # fmt: skip
    result, _ = run_agent(workspace, permission_mode="bypassPermissions", compact_at_tokens=2000)
    assert result.status == "success", result.error
    events = [json.loads(line) for line in Path(log).read_text().splitlines() if line.strip()]
    assert events and events[0]["hook_event_name"] == "PreCompact" and events[0]["trigger"] == "auto"
