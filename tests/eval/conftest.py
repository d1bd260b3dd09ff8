"""Eval tests: scripted models built from the suite's reference solutions."""

from __future__ import annotations

from pathlib import Path

import yaml

from backend_agent.evaluation import EvalTask
from tests.runtime.conftest import cli, home  # noqa: F401 - fixtures shared with the runtime tests

SUITE = Path(__file__).resolve().parents[2] / "evals" / "tasks"


def solving_script(task: EvalTask) -> dict[str, object]:
    """Model turns that write the task's reference solution (reading each file it overwrites first)."""
    files = sorted(p.relative_to(task.solution) for p in task.solution.rglob("*") if p.is_file())
    existing = [f for f in files if (task.workspace / f).is_file() or (task.base is not None and (task.base / f).is_file())]
    turns: list[dict[str, object]] = []
    if existing:
        turns.append({"tool_calls": [{"tool": "Read", "input": {"file_path": str(f)}} for f in existing]})
    turns.append({"tool_calls": [{"tool": "Write", "input": {"file_path": str(f), "content": (task.solution / f).read_text()}}
                                 for f in files]})  # fmt: skip
    turns.append({"expect": {"tool": "Write", "ok": True}, "text": f"Solved {task.id}."})
    return {"turns": turns}


def idle_script(task: EvalTask) -> dict[str, object]:
    """A model that claims success without changing anything."""
    return {"turns": [{"tool_calls": [{"tool": "Glob", "input": {"pattern": "app/**/*.py"}}]},
                      {"text": f"{task.id} is done."}]}  # fmt: skip


def write_scripts(folder: Path, scripts: dict[str, dict[str, object]]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for task_id, script in scripts.items():
        (folder / f"{task_id}.yaml").write_text(yaml.safe_dump(script, sort_keys=False))
    return f"script:{folder}/{{task}}.yaml"
