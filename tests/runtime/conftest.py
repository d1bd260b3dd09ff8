"""Helpers for runtime tests: scripted runs in real workspaces, in-process and through the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from backend_agent.runtime import RunOptions, RunResult, run

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "backend_agent"]


class Recorder:
    """An event sink that keeps every event."""

    def __init__(self) -> None:
        self.events: list[BaseModel] = []

    def __call__(self, event: BaseModel) -> None:
        self.events.append(event)

    def of(self, kind: str) -> list[Any]:
        return [e for e in self.events if getattr(e, "type", None) == kind]


def write_script(folder: Path, turns: list[dict[str, Any]], *, subagents: dict[str, Any] | None = None,
                 name: str = "script.yaml") -> Path:  # fmt: skip
    path = folder / name
    data: dict[str, Any] = {"turns": turns}
    if subagents:
        data["subagents"] = subagents
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def user_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's data folder (sessions, MCP approvals) of each test, never the real one."""
    folder = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    return folder


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty home folder, so user-level agents, skills and settings never leak into tests."""
    folder = tmp_path / "home"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def run_agent(home: Path) -> Callable[..., tuple[RunResult, Recorder]]:
    def go(
        workspace: Path, prompt: str | None = "do the task", *, asker: Any = None, **kw: Any
    ) -> tuple[RunResult, Recorder]:
        recorder = Recorder()
        kw.setdefault("model", "script:script.yaml")
        options = RunOptions(prompt=prompt, cwd=workspace, home=home, **kw)
        result = asyncio.run(run(options, emit=recorder, asker=asker))
        return result, recorder

    return go


def cli_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("_API_KEY") and not k.startswith("BACKEND_AGENT_")
    }
    env.update(HOME=str(home), PYTHONPATH=str(REPO / "src"), XDG_CACHE_HOME=str(home / ".cache"))
    return env


@pytest.fixture
def cli(home: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    def go(
        *args: str, cwd: Path, timeout: float = 120, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, *args], cwd=cwd, env={**cli_env(home), **(env or {})}, capture_output=True, text=True,
            timeout=timeout, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    return go


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli_inproc(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Outcome]:
    """The CLI in this process (fast): ``main(argv)`` with HOME isolated and the output captured."""
    from backend_agent.cli.main import main

    monkeypatch.setenv("HOME", str(home))
    for name in [n for n in os.environ if n.endswith("_API_KEY") or n.startswith("BACKEND_AGENT_")]:
        monkeypatch.delenv(name)

    def go(*args: str, cwd: Path) -> Outcome:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return go


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
