"""The evaluation harness: backend tasks with hidden tests and gates, run with a model (public surface)."""

from backend_agent.evaluation.checks import GateOutcome, TestOutcome
from backend_agent.evaluation.harness import (
    EvalOptions,
    SuiteReport,
    TaskOutcome,
    judge,
    prepare_workspace,
    run_suite,
    run_task,
    summarize,
)
from backend_agent.evaluation.render import render_table
from backend_agent.evaluation.task import EvalTask, TaskSpec, load_suite, load_task

__all__ = [
    "EvalOptions",
    "EvalTask",
    "GateOutcome",
    "SuiteReport",
    "TaskOutcome",
    "TaskSpec",
    "TestOutcome",
    "judge",
    "load_suite",
    "load_task",
    "prepare_workspace",
    "render_table",
    "run_suite",
    "run_task",
    "summarize",
]
