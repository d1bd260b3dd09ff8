"""Interactive runs on a real pseudo-terminal: streamed text, a permission prompt, a follow-up."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path

from tests.runtime.conftest import CLI, cli_env, write_script


class Terminal:
    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        # A bare pty answers no cursor-position requests; a real terminal does.
        env = {**env, "PROMPT_TOOLKIT_NO_CPR": "1"}
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env)
        os.close(slave)
        self.output = ""

    def expect(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.output += os.read(self.master, 4096).decode(errors="replace")
                except OSError:
                    break
        assert text in self.output, f"{text!r} not in:\n{self.output}"

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def close(self) -> int:
        try:
            return self.proc.wait(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            os.close(self.master)


def test_prompt_allow_always_then_follow_up(workspace: Path, home: Path) -> None:
    write_script(workspace, [
        {"text": "I will create the file.", "tool_calls": [{"tool": "Bash", "input": {"command": "touch made.txt"}}]},
        {"expect": {"tool": "Bash", "ok": True}, "text": "Created made.txt."},
        {"tool_calls": [{"tool": "Bash", "input": {"command": "touch made.txt"}}]},
        {"expect": {"tool": "Bash", "ok": True}, "text": "Touched it again without asking."},
    ])  # fmt: skip
    term = Terminal([*CLI, "run", "make a file", "--model", "script:script.yaml"], workspace, cli_env(home))
    try:
        term.expect("I will create the file.")
        term.expect("[a]lways this session")
        term.send("a\n")
        term.expect("Created made.txt.")
        term.expect("tokens")  # the run's summary line: the prompt for the next task follows
        term.send("touch it again\n")
        term.expect("Touched it again without asking.")
        term.send("/exit\n")
    finally:
        code = term.close()
    assert code == 0
    assert (workspace / "made.txt").exists()
    assert term.output.count("? Bash") == 1  # "always" also holds for the follow-up
    assert "pydantic-ai v" not in term.output


def test_ctrl_d_denies_a_prompt_and_ends_the_conversation_cleanly(workspace: Path, home: Path) -> None:
    write_script(workspace, [
        {"tool_calls": [{"tool": "Bash", "input": {"command": "touch made.txt"}}]},
        {"expect": {"tool": "Bash", "ok": False, "contains": "denied"}, "text": "Nothing was made."},
    ])  # fmt: skip
    term = Terminal([*CLI, "run", "make a file", "--model", "script:script.yaml"], workspace, cli_env(home))
    try:
        term.expect("[a]lways this session")
        term.send("\x04")  # Ctrl-D at the permission prompt: refused
        term.expect("Nothing was made.")
        term.expect("tokens")  # the run's summary line: the prompt for the next task follows
        time.sleep(0.5)
        term.send("\x04")  # Ctrl-D at the follow-up prompt: done, with the run's own exit code
    finally:
        code = term.close()
    assert code == 4, term.output  # the run was stopped by a refusal
    assert not (workspace / "made.txt").exists()
    assert "Aborted" not in term.output and "Traceback" not in term.output
