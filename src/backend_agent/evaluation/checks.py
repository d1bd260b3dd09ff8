"""Judging a finished workspace: the task's hidden tests (pytest, JUnit XML) and its gates."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from backend_agent.evaluation.task import SHARED_DIR, EvalTask

TEST_TIMEOUT_S = 300.0
MESSAGE_CHARS = 400


class TestOutcome(BaseModel):
    """One hidden test: passed or not, and whether it is an exploit (security) test."""

    file: str
    name: str
    passed: bool
    security: bool = False
    message: str | None = None


class GateOutcome(BaseModel):
    gate: str
    status: str
    summary: str


def project_python(root: Path) -> str:
    for name in (".venv", "venv"):
        candidate = root / name / "bin" / "python"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return sys.executable


def stage_checks(task: EvalTask, into: Path) -> Path:
    """Copy the shared checks and the task's checks into ``into`` (outside the agent's workspace)."""
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    shared = task.suite / SHARED_DIR / "checks"
    if shared.is_dir():
        shutil.copytree(shared, into, dirs_exist_ok=True)
    shutil.copytree(task.checks, into, dirs_exist_ok=True)
    return into


def run_tests(task: EvalTask, workspace: Path, checks: Path) -> list[TestOutcome]:
    """Run the task's hidden tests against ``workspace``; a file that fails to load fails all its tests."""
    files = task.test_files()
    if not files:
        return []
    report = checks / "junit.xml"
    env = {**os.environ, "PYTHONPATH": str(workspace), "PYTHONDONTWRITEBYTECODE": "1",
           "EVAL_WORKSPACE": str(workspace)}  # fmt: skip
    command = [project_python(workspace), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
               "--rootdir", str(checks), "-o", "junit_logging=all", f"--junitxml={report}", *[str(checks / f) for f in files]]  # fmt: skip
    try:
        proc = subprocess.run(command, cwd=workspace, env=env, capture_output=True, text=True,
                              timeout=TEST_TIMEOUT_S, stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        output = proc.stdout + proc.stderr
    except subprocess.TimeoutExpired:
        output = f"the hidden tests did not finish within {TEST_TIMEOUT_S:g} s"
    outcomes = _parse_junit(report, set(task.spec.security_tests)) if report.is_file() else []
    seen = {o.file for o in outcomes}
    for name in files:  # a file that could not be collected reports nothing: it fails
        if name not in seen:
            outcomes.append(TestOutcome(file=name, name="(collection)", passed=False,
                                        security=name in task.spec.security_tests, message=output[-MESSAGE_CHARS:]))  # fmt: skip
    return outcomes


def _parse_junit(report: Path, security: set[str]) -> list[TestOutcome]:
    outcomes: list[TestOutcome] = []
    for case in ET.parse(report).getroot().iter("testcase"):
        classname = case.get("classname", "")
        file = classname.split(".")[0] + ".py" if classname else str(case.get("file", ""))
        problem = next((child for child in case if child.tag in ("failure", "error")), None)
        skipped = any(child.tag == "skipped" for child in case)
        message = None
        if problem is not None:
            message = (problem.get("message") or problem.text or "")[:MESSAGE_CHARS]
            output = next((child.text or "" for child in case if child.tag == "system-out"), "")
            if output.strip():  # e.g. the service's traceback behind a 500
                message += "\n--- output ---\n" + output[-MESSAGE_CHARS * 3 :]
        elif skipped:
            message = "skipped (a skipped hidden test does not count as passed)"
        outcomes.append(TestOutcome(file=file, name=case.get("name", ""), passed=problem is None and not skipped,
                                    security=file in security, message=message))  # fmt: skip
    return outcomes


def run_task_gates(task: EvalTask, workspace: Path) -> list[GateOutcome]:
    """The task's gates on the finished workspace (an error to run them counts as a failure)."""
    if not task.spec.gates:
        return []
    from backend_agent.backend_tools import run_check
    from backend_agent.errors import BackendAgentError

    try:
        report: Any = run_check(workspace, gates=task.spec.gates)
    except BackendAgentError as exc:
        return [GateOutcome(gate=gate, status="error", summary=str(exc)) for gate in task.spec.gates]
    return [GateOutcome(gate=r.gate, status=r.status, summary=r.summary) for r in report.gates]


__all__ = ["GateOutcome", "TestOutcome", "project_python", "run_task_gates", "run_tests", "stage_checks"]
