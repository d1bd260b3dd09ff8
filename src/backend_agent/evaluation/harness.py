"""``backend-agent eval``: run each task with a model in a fresh copy of its workspace, then judge it.

A task passes when every hidden test passes and every gate it names passes. The agent never sees
the hidden tests: they are staged outside the workspace after the run. ``{task}`` in the model
reference is replaced by the task id, so ``--model script:scripts/{task}.yaml`` replays one script
per task (how the harness itself is tested offline).
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from backend_agent.errors import BackendAgentError
from backend_agent.evaluation.checks import GateOutcome, TestOutcome, run_task_gates, run_tests, stage_checks
from backend_agent.evaluation.task import EvalTask

IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".backend-agent")


class TaskOutcome(BaseModel):
    """How one task went: the run, the hidden tests, the gates, and what it cost."""

    id: str
    title: str
    kind: str
    passed: bool
    security_passed: bool | None = Field(None, description="None when the task has no exploit tests.")
    run_status: str
    run_error: str | None = None
    tests_passed: int = 0
    tests_total: int = 0
    tests: list[TestOutcome] = Field(default_factory=list)
    gates: list[GateOutcome] = Field(default_factory=list)
    turns: int = 0
    tool_calls: int = 0
    cost_usd: float | None = None
    duration_s: float = 0.0
    workspace: str = ""


class SuiteReport(BaseModel):
    """The outcome of ``backend-agent eval``: per task and totals."""

    model: str
    tasks_dir: str
    started_at: datetime
    duration_s: float
    tasks: list[TaskOutcome]
    passed: int
    pass_rate: float
    security_tasks: int
    security_passed: int
    security_pass_rate: float | None
    total_cost_usd: float | None


@dataclass
class EvalOptions:
    model: str
    work_dir: Path
    permission_mode: str = "bypassPermissions"  # an unattended run in a throwaway copy
    max_turns: int | None = None
    verify: bool = False  # pass the task's gates as --verify-with
    home: Path | None = None
    allow: list[str] = field(default_factory=list)


def prepare_workspace(task: EvalTask, into: Path) -> Path:
    """A fresh copy of the task's starting workspace (its base first, then its own files)."""
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    if task.base is not None:
        shutil.copytree(task.base, into, dirs_exist_ok=True, ignore=IGNORED)
    if task.workspace.is_dir():
        shutil.copytree(task.workspace, into, dirs_exist_ok=True, ignore=IGNORED)
    return into


def judge(task: EvalTask, workspace: Path, scratch: Path) -> tuple[list[TestOutcome], list[GateOutcome]]:
    """The hidden tests and the gates on a finished workspace."""
    checks = stage_checks(task, scratch / "checks") if task.checks.is_dir() else scratch
    tests = run_tests(task, workspace, checks) if task.checks.is_dir() else []
    return tests, run_task_gates(task, workspace)


def run_task(task: EvalTask, options: EvalOptions) -> TaskOutcome:
    from backend_agent.runtime import RunOptions, run

    started = time.monotonic()
    scratch = options.work_dir / task.id
    workspace = prepare_workspace(task, scratch / "workspace")
    run_options = RunOptions(
        prompt=task.spec.request, cwd=workspace, model=options.model.replace("{task}", task.id),
        max_turns=options.max_turns or task.spec.max_turns, permission_mode=options.permission_mode,
        home=options.home, allow=list(options.allow), verify_with=list(task.spec.gates) if options.verify else None,
    )  # fmt: skip
    status, error, turns, calls, cost = "error", None, 0, 0, None
    try:
        result = asyncio.run(asyncio.wait_for(run(run_options), timeout=task.spec.timeout_s))
        status, error, turns, calls, cost = result.status, result.error, result.turns, result.tool_calls, result.cost_usd
    except TimeoutError:
        error = f"the run did not finish within {task.spec.timeout_s:g} s"
    except BackendAgentError as exc:
        error = str(exc)
    tests, gates = judge(task, workspace, scratch)
    security = [t for t in tests if t.security]
    passed = all(t.passed for t in tests) and all(g.status in ("pass", "skip") for g in gates) and bool(tests or gates)
    return TaskOutcome(
        id=task.id, title=task.spec.title, kind=task.spec.kind, passed=passed,
        security_passed=all(t.passed for t in security) if security else None, run_status=status, run_error=error,
        tests_passed=sum(t.passed for t in tests), tests_total=len(tests), tests=tests, gates=gates, turns=turns,
        tool_calls=calls, cost_usd=cost, duration_s=round(time.monotonic() - started, 2), workspace=str(workspace),
    )  # fmt: skip


def run_suite(tasks: list[EvalTask], options: EvalOptions, *, tasks_dir: Path,
              on_task: Callable[[EvalTask, TaskOutcome | None], None] | None = None) -> SuiteReport:  # fmt: skip
    """Run every task in order; ``on_task`` hears of each start (None) and finish (its outcome)."""
    started_at, began = datetime.now(UTC), time.monotonic()
    outcomes: list[TaskOutcome] = []
    for task in tasks:
        if on_task:
            on_task(task, None)
        outcome = run_task(task, options)
        outcomes.append(outcome)
        if on_task:
            on_task(task, outcome)
    return summarize(outcomes, model=options.model, tasks_dir=tasks_dir, started_at=started_at,
                     duration_s=time.monotonic() - began)  # fmt: skip


def summarize(outcomes: list[TaskOutcome], *, model: str, tasks_dir: Path, started_at: datetime,
              duration_s: float) -> SuiteReport:  # fmt: skip
    passed = sum(o.passed for o in outcomes)
    security = [o for o in outcomes if o.security_passed is not None]
    costs = [o.cost_usd for o in outcomes]
    return SuiteReport(
        model=model, tasks_dir=str(tasks_dir), started_at=started_at, duration_s=round(duration_s, 2), tasks=outcomes,
        passed=passed, pass_rate=round(passed / len(outcomes), 4) if outcomes else 0.0,
        security_tasks=len(security), security_passed=sum(bool(o.security_passed) for o in security),
        security_pass_rate=round(sum(bool(o.security_passed) for o in security) / len(security), 4) if security else None,
        total_cost_usd=None if any(c is None for c in costs) else round(sum(c or 0.0 for c in costs), 6),
    )  # fmt: skip


__all__ = ["EvalOptions", "SuiteReport", "TaskOutcome", "judge", "prepare_workspace", "run_suite", "run_task",
           "summarize"]  # fmt: skip
