"""Evaluation tasks: ``TASKS_DIR/<id>/task.yaml`` plus a starting workspace and hidden checks.

A task folder holds::

    task.yaml       request, gates and tests that define success (fields below)
    workspace/      the starting workspace the agent works in (copied; optional with ``base``)
    checks/         hidden pytest files run after the agent finished (never shown to it)
    solution/       optional reference files: the workspace plus these must pass (the suite's own test)

A ``_shared/checks`` folder beside the tasks is copied in with each task's checks (a conftest with
the ``client`` and ``live`` fixtures, for instance).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backend_agent.errors import ConfigError, Location, Problem

TASK_FILE = "task.yaml"
SHARED_DIR = "_shared"
TaskKind = Literal["feature", "fix", "security", "performance", "contract", "build"]


class TaskSpec(BaseModel):
    """The fields of ``task.yaml``."""

    model_config = ConfigDict(extra="forbid")

    title: str
    kind: TaskKind = "feature"
    request: str = Field(min_length=1, description="What the user asks the agent, as they would write it.")
    base: str | None = Field(None, description="A folder (relative to the suite) copied under the workspace first.")
    gates: list[str] = Field(default_factory=list, description="Gates that must pass on the finished workspace.")
    tests: list[str] = Field(default_factory=list, description="Hidden test files under checks/ (default: all).")
    security_tests: list[str] = Field(default_factory=list, description="Which of the tests try exploits.")
    max_turns: int = Field(40, ge=1)
    timeout_s: float = Field(600.0, gt=0)


class EvalTask(BaseModel):
    """A loaded task: its id (folder name), spec and folders."""

    id: str
    spec: TaskSpec
    folder: Path
    suite: Path

    @property
    def workspace(self) -> Path:
        return self.folder / "workspace"

    @property
    def checks(self) -> Path:
        return self.folder / "checks"

    @property
    def solution(self) -> Path:
        return self.folder / "solution"

    @property
    def base(self) -> Path | None:
        return (self.suite / self.spec.base) if self.spec.base else None

    def test_files(self) -> list[str]:
        if self.spec.tests:
            return list(self.spec.tests)
        return sorted(p.name for p in self.checks.glob("test_*.py")) if self.checks.is_dir() else []


def _line_of(text: str, key: str) -> int | None:
    match = re.search(rf"^\s*{re.escape(key)}\s*:", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def load_task(folder: Path, suite: Path) -> EvalTask:
    """Load and check one task folder; a ConfigError locates every problem in its task.yaml."""
    from backend_agent.gates import GATE_NAMES

    path = folder / TASK_FILE
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"{path}: invalid YAML", problems=[Problem(str(exc), location=Location(
            str(path), mark.line + 1 if mark else None))], hint="fix the YAML syntax") from None  # fmt: skip
    problems: list[Problem] = []
    spec: TaskSpec | None = None
    try:
        spec = TaskSpec.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            key = ".".join(str(p) for p in error["loc"])
            first = str(error["loc"][0]) if error["loc"] else ""
            problems.append(Problem(error["msg"], location=Location(str(path), _line_of(text, first), key_path=key),
                                    expected="one of: " + ", ".join(TaskSpec.model_fields)
                                    if error["type"] == "extra_forbidden" else None,
                                    hint="see docs/eval.md for the task.yaml fields"))  # fmt: skip
    gates = raw.get("gates") if isinstance(raw, dict) else None
    for gate in gates if isinstance(gates, list) else []:
        if gate not in GATE_NAMES:
            problems.append(Problem(f"unknown gate {gate!r}", location=Location(str(path), _line_of(text, "gates"),
                                    key_path="gates"), expected=", ".join(GATE_NAMES)))  # fmt: skip
    if spec is not None:
        if spec.base and not (suite / spec.base).is_dir():
            problems.append(Problem(f"base folder {spec.base} does not exist",
                                    location=Location(str(path), _line_of(text, "base"), key_path="base")))  # fmt: skip
        if not (folder / "workspace").is_dir() and not spec.base:
            problems.append(Problem("the task has no workspace/ folder and no base", location=Location(str(path)),
                                    hint="add the starting files under workspace/ or name a base folder"))  # fmt: skip
        task = EvalTask(id=folder.name, spec=spec, folder=folder, suite=suite)
        for name in task.test_files():
            if not (task.checks / name).is_file():
                problems.append(Problem(f"test file checks/{name} does not exist",
                                        location=Location(str(path), _line_of(text, "tests"), key_path="tests")))  # fmt: skip
        for name in spec.security_tests:
            if name not in task.test_files():
                problems.append(Problem(f"security test {name} is not one of the task's tests",
                                        location=Location(str(path), _line_of(text, "security_tests"),
                                                          key_path="security_tests")))  # fmt: skip
        if not task.test_files() and not spec.gates:
            problems.append(Problem("nothing defines success: no gates and no tests", location=Location(str(path)),
                                    hint="add gates: [...] or test files under checks/"))  # fmt: skip
    if problems or spec is None:
        raise ConfigError(f"invalid evaluation task {folder.name}", problems=problems, hint="fix task.yaml")
    return task


def load_suite(tasks_dir: Path, *, only: list[str] | None = None) -> list[EvalTask]:
    """Every task folder (one holding task.yaml) under ``tasks_dir``, sorted by id."""
    from backend_agent.errors import UsageError

    if not tasks_dir.is_dir():
        raise UsageError(f"{tasks_dir} is not a folder", hint="pass the folder holding the task folders, e.g. evals/tasks")
    folders = sorted(p for p in tasks_dir.iterdir() if (p / TASK_FILE).is_file())
    if not folders:
        raise UsageError(f"no tasks in {tasks_dir}", hint=f"each task is a folder with a {TASK_FILE}")
    if only:
        known = {p.name for p in folders}
        unknown = [name for name in only if name not in known]
        if unknown:
            raise UsageError(f"unknown task(s): {', '.join(unknown)}", hint=f"tasks: {', '.join(sorted(known))}")
        folders = [p for p in folders if p.name in only]
    return [load_task(folder, tasks_dir) for folder in folders]


__all__ = ["SHARED_DIR", "TASK_FILE", "EvalTask", "TaskKind", "TaskSpec", "load_suite", "load_task"]
