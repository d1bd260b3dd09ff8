"""The tests gate: the project's own pytest suite under coverage.py, with a coverage threshold.

The suite runs as the project runs it: its own pytest configuration, plugins and ``addopts``, in
check's sandbox (``_sandbox``) with a throwaway database, a secret and the ``.env.example``
variables. Coverage is measured through pytest-cov when the project's environment has it (so
xdist workers are measured and combined) and by ``coverage run`` otherwise; the project's own
``--cov*``/``--junitxml`` options are taken out of its ``addopts`` so two coverage runs never clash
and nothing is written into the project folder.
"""

from __future__ import annotations

import configparser
import json
import shlex
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, ClassVar

from backend_agent.gates._database import DatabaseUnavailable
from backend_agent.gates._proc import ProcResult, run_process
from backend_agent.gates._project import project_python, relative, source_dirs, walk_files
from backend_agent.gates._projectenv import EnvironmentUnavailable, project_environment
from backend_agent.gates._sandbox import Sandbox, project_sandbox
from backend_agent.gates._service import database_for
from backend_agent.gates.base import Finding, Gate, GateResult, Target, could_not_run, note

MISSING_MODULE_MARK = "No module named "


def _has_tests(root: Path) -> bool:
    return any(
        p.suffix == ".py" and (p.name.startswith("test_") or p.name.endswith("_test.py")) for p in walk_files(root)
    )


def parse_junit(path: Path, root: Path) -> tuple[dict[str, int], list[Finding]]:
    """Counts and one finding per failing or erroring test from a JUnit XML file."""
    counts = {"total": 0, "passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    findings: list[Finding] = []
    if not path.is_file():
        return counts, findings
    for case in ET.parse(path).getroot().iter("testcase"):
        counts["total"] += 1
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        if case.find("skipped") is not None:
            counts["skipped"] += 1
        elif bad is not None:
            counts["failed" if bad.tag == "failure" else "errors"] += 1
            classname = case.get("classname", "")
            test_id = f"{classname.replace('.', '/')}.py::{case.get('name')}" if classname else str(case.get("name"))
            message = (bad.get("message") or bad.text or "").strip().splitlines()
            findings.append(
                Finding(
                    rule="tests:failed" if bad.tag == "failure" else "tests:error",
                    message=f"{test_id} {'failed' if bad.tag == 'failure' else 'errored'}: "
                    f"{message[0][:300] if message else 'no message'}",
                    severity="high",
                    file=relative(case.get("file") or "", root) or None,
                    line=int(line) + 1 if (line := case.get("line") or "").isdigit() else None,
                    hint="run the test locally with `pytest -x` and fix the code or the test",
                )
            )
        else:
            counts["passed"] += 1
    return counts, findings


def pytest_addopts(root: Path) -> tuple[list[str], str | None]:
    """The project's pytest ``addopts`` and the file they come from (pytest's own precedence)."""
    candidates: list[tuple[Path, str]] = [
        (root / "pytest.ini", "pytest"), (root / ".pytest.ini", "pytest"), (root / "pyproject.toml", ""),
        (root / "tox.ini", "pytest"), (root / "setup.cfg", "tool:pytest"),
    ]
    for path, section in candidates:
        if not path.is_file():
            continue
        if path.suffix == ".toml":
            try:
                table = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("pytest", {})
            except tomllib.TOMLDecodeError:
                continue
            options = table.get("ini_options")
            if not isinstance(options, dict):
                continue
            value = options.get("addopts", "")
            return (shlex.split(value) if isinstance(value, str) else [str(v) for v in value]), path.name
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except configparser.Error:
            continue
        if parser.has_section(section):
            return shlex.split(parser.get(section, "addopts", fallback="")), path.name
    return [], None


_OWN_OPTIONS = ("--cov", "--no-cov", "--junitxml", "--junit-xml", "--html", "--json-report", "--result-log")


def without_report_options(addopts: list[str]) -> list[str]:
    """``addopts`` minus the options check sets itself (coverage, JUnit and other report files)."""
    kept: list[str] = []
    skip_value = False
    for arg in addopts:
        if skip_value:
            skip_value = False
            continue
        if arg.startswith(_OWN_OPTIONS):
            # "--cov app" gives its value separately; "--cov=app" does not. "--cov" alone takes none.
            skip_value = "=" not in arg and arg in ("--cov-report", "--cov-config", "--cov-fail-under", "--junitxml",
                                                     "--junit-xml", "--html")
            continue
        kept.append(arg)
    return kept


def _has_module(python: str, module: str, cwd: Path, env: dict[str, str]) -> bool:
    probe = run_process([python, "-c", f"import importlib.util,sys; sys.exit(importlib.util.find_spec({module!r}) is None)"],
                        cwd=cwd, env=env, inherit_env=False, timeout_s=60)
    return probe.returncode == 0


def parse_coverage(path: Path, root: Path) -> tuple[float | None, dict[str, float]]:
    """Total percent and per-file percent (relative paths) from ``coverage json`` output."""
    if not path.is_file():
        return None, {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    files = {
        relative(name, root): round(float(info["summary"]["percent_covered"]), 1)
        for name, info in sorted(data.get("files", {}).items())
    }
    total = data.get("totals", {}).get("percent_covered")
    return (round(float(total), 1) if total is not None else None), files


class TestsGate(Gate):
    """Runs the project's pytest suite under coverage.py and enforces a coverage threshold."""

    __test__ = False  # not a pytest test class, despite the name
    name: ClassVar[str] = "tests"
    description: ClassVar[str] = "the project's pytest suite passes with enough line coverage"
    timeout_s: ClassVar[float] = 600.0
    parallel_safe: ClassVar[bool] = True

    def applicable(self, target: Target) -> str | None:
        if not _has_tests(target.root):
            return "no test files (test_*.py) found in the project"
        return None

    def run(self, target: Target) -> GateResult:
        threshold = float(target.options.get("coverage_threshold", 80.0))
        try:
            with database_for(target, prefix="ba_tests") as db, project_sandbox(
                target.root, db, database_variables=target.options.get("database_variables") or (),
                generated_secrets=target.options.get("generated_secrets") or (),
            ) as sandbox:
                note(f"throwaway database: {db.where}")
                migrated = self._migrate(target, sandbox)
                result = self._run(target, sandbox.env, sandbox.wrap, threshold)
                if migrated is not None:
                    result.evidence["migrations_before_tests"] = migrated
                result.evidence["throwaway_database"] = sandbox.describe()
                return result
        except (DatabaseUnavailable, EnvironmentUnavailable) as exc:
            return could_not_run(self.name, exc.message, exc.hint or "")

    def _migrate(self, target: Target, sandbox: Sandbox) -> str | None:
        """``alembic upgrade head`` on the tests' database first, as a project's CI does before pytest."""
        options = target.options.get(self.name)
        if (isinstance(options, dict) and options.get("migrate") is False) or not (target.root / "alembic.ini").is_file():
            return None
        command = [project_python(target.root, target.options.get("python")), "-m", "alembic", "upgrade", "head"]
        result = run_process(sandbox.wrap(command), cwd=target.root, env=sandbox.env, inherit_env=False, timeout_s=300)
        outcome = "ok" if result.ok else f"failed (exit {result.returncode}): {result.tail(300)}"
        note(f"alembic upgrade head before the tests: {outcome[:120]}")
        return outcome

    def _run(self, target: Target, base_env: dict[str, str], wrap: Any, threshold: float) -> GateResult:
        python = project_python(target.root, target.options.get("python"))
        note(f"project environment: {project_environment(target.root, target.options.get('python')).origin}")
        sources = source_dirs(target)
        addopts, config_file = pytest_addopts(target.root)
        kept = without_report_options(addopts)
        with tempfile.TemporaryDirectory(prefix="ba-tests-") as tmp:
            tmp_dir = Path(tmp)
            env = {**base_env, "COVERAGE_FILE": str(tmp_dir / ".coverage"), "PYTEST_ADDOPTS": ""}
            pytest_args = ["-p", "no:cacheprovider", f"--junitxml={tmp_dir / 'junit.xml'}", "-o", "junit_family=xunit1"]
            if config_file is not None:
                pytest_args += ["-o", f"addopts={shlex.join(kept)}"]
            if _has_module(python, "pytest_cov", target.root, env):
                command = [python, "-m", "pytest", *pytest_args, *[f"--cov={p}" for p in sources], "--cov-report="]
                measured_by = "pytest-cov"
            else:
                omit = f"{target.root}/tests/*,{target.root}/**/test_*.py"
                command = [python, "-m", "coverage", "run", f"--source={','.join(str(p) for p in sources)}",
                           f"--omit={omit}", "-m", "pytest", *pytest_args]
                measured_by = "coverage run"
            run = run_process(wrap(command), cwd=target.root, env=env, inherit_env=False, timeout_s=self.timeout_s)
            missing = self._missing_module(run)
            if missing:
                return could_not_run(
                    self.name, f"{missing} is not installed in the project's environment ({python})",
                    f"install it there: {python} -m pip install {missing} (or add it to the project's test dependencies)",
                )
            counts, findings = parse_junit(tmp_dir / "junit.xml", target.root)
            note(f"pytest: {counts['passed']} passed, {counts['failed'] + counts['errors']} failing")
            report = run_process(
                [python, "-m", "coverage", "json", "-q", "-o", str(tmp_dir / "cov.json")],
                cwd=target.root, env=env, inherit_env=False, timeout_s=120,
            )
            total, files = parse_coverage(tmp_dir / "cov.json", target.root)
        note(f"coverage: {total if total is not None else 'n/a'} % (measured by {measured_by})")
        result = self._judge(run, report, counts, findings, total, files, threshold)
        result.evidence["coverage_measured_by"] = measured_by
        if addopts != kept:
            result.evidence["addopts_left_out"] = [a for a in addopts if a not in kept]
        return result

    @staticmethod
    def _missing_module(run: ProcResult) -> str | None:
        for module in ("coverage", "pytest"):
            if f"{MISSING_MODULE_MARK}{module}" in run.stderr or f"{MISSING_MODULE_MARK}'{module}'" in run.stderr:
                return module
        return None

    def _judge(
        self, run: ProcResult, report: ProcResult, counts: dict[str, int], findings: list[Finding],
        total: float | None, files: dict[str, float], threshold: float,
    ) -> GateResult:
        metrics: dict[str, Any] = {"coverage_percent": total, "threshold": threshold, "tests": counts, "files": files}
        evidence: dict[str, Any] = {"pytest_output": run.tail(6000)}
        if run.returncode in (3, 4) or (counts["total"] == 0 and run.returncode not in (0, 5)):
            cause = _first_error(run.tail(4000))
            if "No module named" in cause or "ModuleNotFoundError" in cause:
                return could_not_run(
                    self.name, f"pytest could not collect the tests: {cause}",
                    "install the project's dependencies (with its test extras) into its environment",
                    evidence=evidence,
                )
            return GateResult(
                gate=self.name, status="fail", summary=f"pytest could not collect the tests (exit {run.returncode}): {cause}",
                findings=[Finding(rule="tests:pytest", message=cause, severity="high")],
                metrics=metrics, evidence=evidence, hint="run `pytest` in the project and fix the collection errors",
            )
        if run.returncode == 5 or counts["total"] == 0:
            findings.append(Finding(rule="tests:none", message="pytest collected no tests", severity="high",
                                    hint="add tests under tests/"))
        if total is None:
            evidence["coverage_output"] = report.tail(2000)
        elif total < threshold:
            findings.append(Finding(
                rule="tests:coverage",
                message=f"line coverage {total:.1f} % is below the {threshold:.0f} % threshold",
                severity="high",
                hint="add tests for the least-covered files listed below",
            ))
            for path, pct in sorted(files.items(), key=lambda item: item[1])[:10]:
                if pct < threshold:
                    findings.append(Finding(
                        rule="tests:uncovered-file",
                        message=f"{path} is {'not covered at all' if pct == 0 else f'only {pct:.1f} % covered'}",
                        severity="low", file=path, hint="add tests that exercise this module",
                    ))
        elif files:
            # Above the threshold overall, but a module no test touches is still worth naming.
            for path, pct in sorted(files.items()):
                if pct == 0:
                    findings.append(Finding(
                        rule="tests:uncovered-file", message=f"{path} is not covered at all", severity="low",
                        file=path, hint="add tests that exercise this module, or delete it if unused",
                    ))
        failing = counts["failed"] + counts["errors"]
        blocking = [f for f in findings if f.severity in ("high", "critical")]
        cov_text = f"coverage {total:.1f} % (threshold {threshold:.0f} %)" if total is not None else "coverage n/a"
        summary = f"{counts['passed']}/{counts['total']} tests passed, {failing} failing; {cov_text}"
        return GateResult(
            gate=self.name,
            status="fail" if blocking or run.timed_out else "pass",
            summary=summary,
            findings=findings,
            metrics=metrics,
            evidence=evidence,
            hint=blocking[0].hint if blocking else None,
        )


def _first_error(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("E ") or "Error" in line:
            return line.removeprefix("E").strip()[:300]
    return lines[-1][:300] if lines else "no output"


__all__ = ["TestsGate", "parse_coverage", "parse_junit", "pytest_addopts", "without_report_options"]
