"""Our evaluation suite is sound: each task fails as shipped and passes with its reference solution."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from backend_agent.evaluation import EvalTask, judge, load_suite, prepare_workspace

SUITE = Path(__file__).resolve().parents[2] / "evals" / "tasks"
TASKS = load_suite(SUITE)


def test_the_suite_has_at_least_twelve_tasks_of_every_kind() -> None:
    assert len(TASKS) >= 12
    kinds = {task.spec.kind for task in TASKS}
    assert {"feature", "fix", "security", "performance", "contract"} <= kinds
    assert sum(bool(task.spec.security_tests) for task in TASKS) >= 5
    for task in TASKS:
        assert task.solution.is_dir(), f"{task.id} has no reference solution"


def _passes(task: EvalTask, workspace: Path, scratch: Path) -> tuple[bool, list[str]]:
    tests, gates = judge(task, workspace, scratch)
    failing = [f"{t.file}::{t.name}: {t.message}" for t in tests if not t.passed]
    failing += [f"gate {g.gate}: {g.status} {g.summary}" for g in gates if g.status not in ("pass", "skip")]
    return not failing, failing


@pytest.mark.slow  # every task's hidden tests (and gates) twice
@pytest.mark.parametrize("task", TASKS, ids=[t.id for t in TASKS])
def test_task_fails_as_shipped_and_passes_with_its_solution(task: EvalTask, tmp_path: Path) -> None:
    workspace = prepare_workspace(task, tmp_path / "workspace")
    ok, _ = _passes(task, workspace, tmp_path / "before")
    assert not ok, f"{task.id}: the starting workspace already passes"
    shutil.copytree(task.solution, workspace, dirs_exist_ok=True)
    ok, failing = _passes(task, workspace, tmp_path / "after")
    assert ok, f"{task.id}: the reference solution fails: {failing}"
