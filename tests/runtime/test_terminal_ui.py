"""The terminal UI under tmux, as a person uses it: a diff before approving, slash commands, mode cycling."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from backend_agent.runtime import SessionStore
from tests.runtime.conftest import CLI, cli_env, write_script

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)")


class Tmux:
    def __init__(self, command: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.name = f"ba-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items() if key in _PASSED)
        line = f"cd {shlex.quote(str(cwd))} && env {exports} {shlex.join(command)}; echo EXIT=$?; sleep 60"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "140", "-y", "50", line], check=True)

    def screen(self) -> str:
        proc = subprocess.run(["tmux", "capture-pane", "-p", "-S", "-200", "-t", self.name], capture_output=True, text=True)
        return proc.stdout

    def expect(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not on screen:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def type(self, text: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", text], check=True)
        self.keys("Enter")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


_PASSED = {"HOME", "PYTHONPATH", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "PATH", "ALLOW_MODEL_REQUESTS"}


def test_diff_approval_slash_commands_and_mode_cycling(workspace: Path, home: Path) -> None:
    (workspace / "app.py").write_text("def greet():\n    return 'hello'\n")
    commands = workspace / ".claude" / "commands"
    commands.mkdir(parents=True)
    (commands / "shout.md").write_text("---\ndescription: Make a greeting louder\n---\nMake $ARGUMENTS louder.\n")
    write_script(workspace, [
        {"tool_calls": [{"tool": "Read", "input": {"file_path": "app.py"}}]},
        {"text": "Changing the greeting.",
         "tool_calls": [{"tool": "Edit", "input": {"file_path": "app.py", "old_string": "'hello'", "new_string": "'hi'"}}]},
        {"expect": {"tool": "Edit", "ok": True}, "text": "Greeting changed."},
        {"text": "LOUDER DONE"},
    ])  # fmt: skip
    term = Tmux([*CLI, "run", "change the greeting", "--model", "script:script.yaml"], workspace, cli_env(home))
    try:
        screen = term.expect("[a]lways this session")
        assert "-    return 'hello'" in screen and "+    return 'hi'" in screen  # the diff, before approval
        assert (workspace / "app.py").read_text().endswith("'hello'\n")  # nothing changed yet
        term.type("y")
        term.expect("Greeting changed.")
        term.type("/cost")
        term.expect("turns 3 · tokens")
        term.type("/help")
        term.expect("Make a greeting louder (project)")
        term.keys("BTab")
        term.expect("mode: acceptEdits (shift+tab)")
        term.type("/mode")
        term.expect("permission mode: acceptEdits")
        term.type("/shout the greeting")
        term.expect("LOUDER DONE")
        term.type("/nosuch")
        term.expect("Unknown command /nosuch")
        term.type("/exit")
        term.expect("EXIT=0")
    finally:
        term.close()
    assert (workspace / "app.py").read_text() == "def greet():\n    return 'hi'\n"
    with SessionStore.for_workspace(workspace) as store:
        (session,) = [s for s in store.list() if s.title == "change the greeting"]
        prompts = [str(part.content) for m in store.load_messages(session.id) for part in m.parts
                   if part.part_kind == "user-prompt"]  # fmt: skip
    assert "Make the greeting louder." in prompts


def test_agents_permissions_resume_picker_and_compact(workspace: Path, home: Path) -> None:
    settings = workspace / ".claude"
    settings.mkdir()
    (settings / "settings.json").write_text('{"permissions": {"deny": ["Bash(rm:*)"]}}')
    agents = settings / "agents"
    agents.mkdir()
    (agents / "reviewer.md").write_text("---\nname: reviewer\ndescription: Reviews pull requests\n---\nReview.\n")
    write_script(workspace, [{"text": f"answer {n}"} for n in range(1, 9)])
    term = Tmux([*CLI, "run", "first task", "--model", "script:script.yaml"], workspace, cli_env(home))
    try:
        term.expect("answer 1")
        for n in range(2, 6):
            term.type(f"task {n}")
            term.expect(f"answer {n}")
        term.type("/compact")
        term.expect("compacted:")
        term.type("/agents")
        term.expect("Reviews pull requests")
        term.type("/permissions")
        screen = term.expect("Bash(rm:*)")
        assert "deny" in screen
        term.type("/clear")
        term.expect("new session from the next task")
        term.type("/resume")
        term.expect("resume which #")
        term.type("1")
        term.expect("resumed session")
        term.type("one more")
        term.expect("answer 6")
        term.type("/exit")
        term.expect("EXIT=0")
    finally:
        term.close()
    with SessionStore.for_workspace(workspace) as store:
        sessions = [s for s in store.list() if s.title == "first task"]
    assert len(sessions) == 1  # /resume continued the same session rather than starting another
