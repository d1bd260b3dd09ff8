"""Gate framework: registry, selection, time bounds, crash handling, subprocess runner, target config."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import ClassVar

import pytest

from backend_agent.errors import ConfigError, UsageError
from backend_agent.gates import (
    FAST_GATES,
    GATE_NAMES,
    Gate,
    GateResult,
    Target,
    detect_app,
    load_gate,
    load_target,
    note,
    run_gate,
    run_gates,
    select_gates,
)
from backend_agent.gates import registry as registry_module
from backend_agent.gates._proc import MissingTool, find_tool, run_process
from backend_agent.report import report_from
from tests.gates._defects import write


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); treat it as dead.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait_dead(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


# --- registry and selection -------------------------------------------------------------------


def test_registry_has_the_seven_gates_in_order() -> None:
    assert GATE_NAMES[:7] == ("tests", "static-security", "iac-policy", "migrations", "contract", "security-probes",
                              "load")
    assert FAST_GATES == ("tests", "static-security", "iac-policy", "contract")


def test_unknown_gate_lists_the_valid_ones() -> None:
    with pytest.raises(UsageError) as info:
        select_gates(gates=["tests", "fuzz"])
    assert "fuzz" in str(info.value) and "static-security" in str(info.value)
    assert info.value.exit_code == 2


def test_selection_keeps_registry_order_and_applies_skip_and_fast() -> None:
    assert select_gates(gates=["load", "tests"]) == ["tests", "load"]
    assert select_gates(skip=["load", "contract"]) == [
        name for name in GATE_NAMES if name not in ("load", "contract")
    ]
    assert select_gates(fast=True, skip=["tests"]) == ["static-security", "iac-policy", "contract"]


def test_a_gate_module_that_fails_to_import_is_an_error_result(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(registry_module.GATES, "load", "backend_agent.gates.no_such_module:LoadGate")
    report = report_from(run_gates(Target(root=tmp_path), gates=["load"]))
    result = report.gates[0]
    assert result.status == "error"
    assert "no_such_module" in result.summary
    # check could not run the gate: not a failure of the project, but not a pass either
    assert report.status == "incomplete" and report.exit_code == 3


def test_load_gate_instantiates_registered_gates() -> None:
    gate = load_gate("tests")
    assert isinstance(gate, Gate) and gate.name == "tests"


# --- time bounds and crashes -------------------------------------------------------------------


class _SleepyGate(Gate):
    name: ClassVar[str] = "sleepy"
    description: ClassVar[str] = "starts a long process"
    timeout_s: ClassVar[float] = 1.5

    def __init__(self, pid_file: Path):
        self.pid_file = pid_file

    def applicable(self, target: Target) -> str | None:
        return None

    def run(self, target: Target) -> GateResult:
        note("step one finished")
        # A grandchild (sleep under bash) must die with the group too.
        run_process(["bash", "-c", f"sleep 60 & echo $! > {self.pid_file}; wait"], cwd=target.root, timeout_s=60)
        return GateResult(gate=self.name, status="pass", summary="should not get here")


def test_timeout_fails_with_what_was_done_and_kills_grandchildren(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    result = run_gate(_SleepyGate(pid_file), Target(root=tmp_path))
    assert time.monotonic() - started < 10
    assert result.status == "fail"
    assert "timed out after 1.5 s" in result.summary
    assert "step one finished" in result.summary
    assert result.findings[0].rule == "sleepy:timeout"
    assert _wait_dead(int(pid_file.read_text().strip()))


def test_timeout_can_be_configured_per_gate(tmp_path: Path) -> None:
    gate = _SleepyGate(tmp_path / "pid")
    result = run_gate(gate, Target(root=tmp_path, options={"sleepy": {"timeout_s": 0.5}}))
    assert result.status == "fail" and "timed out after 0.5 s" in result.summary


class _CrashingGate(Gate):
    name: ClassVar[str] = "crashy"
    description: ClassVar[str] = "raises"

    def applicable(self, target: Target) -> str | None:
        return None

    def run(self, target: Target) -> GateResult:
        raise RuntimeError("boom")


class _SkippingGate(_CrashingGate):
    name: ClassVar[str] = "skippy"

    def applicable(self, target: Target) -> str | None:
        return "nothing to check here"


def test_a_crashing_gate_becomes_an_error_with_traceback(tmp_path: Path) -> None:
    result = run_gate(_CrashingGate(), Target(root=tmp_path))
    assert result.status == "error"
    assert "RuntimeError: boom" in result.summary
    assert "Traceback" in result.evidence["traceback"]


def test_not_applicable_is_a_skip_with_the_reason(tmp_path: Path) -> None:
    result = run_gate(_SkippingGate(), Target(root=tmp_path))
    assert (result.status, result.summary) == ("skip", "nothing to check here")


# --- the subprocess runner --------------------------------------------------------------------


def test_run_process_captures_output_and_exit_code(tmp_path: Path) -> None:
    result = run_process([sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"],
                         cwd=tmp_path, timeout_s=30)
    assert (result.returncode, result.stdout.strip(), result.stderr.strip(), result.timed_out) == (3, "out", "err", False)


def test_run_process_caps_output(tmp_path: Path) -> None:
    result = run_process([sys.executable, "-c", "print('x' * 100000)"], cwd=tmp_path, timeout_s=30, cap=1000)
    assert len(result.stdout) < 1200 and "characters cut" in result.stdout


def test_run_process_timeout_kills_the_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    result = run_process(["bash", "-c", f"sleep 60 & echo $! > {pid_file}; wait"], cwd=tmp_path, timeout_s=1)
    assert result.timed_out and not result.ok
    assert _wait_dead(int(pid_file.read_text().strip()))


def test_missing_binary_gives_an_install_hint(tmp_path: Path) -> None:
    with pytest.raises(MissingTool) as info:
        run_process(["wrk-does-not-exist-xyz"], cwd=tmp_path, timeout_s=5)
    assert "install" in info.value.hint
    with pytest.raises(MissingTool) as known:
        run_process(["/nonexistent/helm"], cwd=tmp_path, timeout_s=5)
    assert "helm.sh" in known.value.hint


def test_find_tool_prefers_the_interpreter_bin_dir() -> None:
    assert find_tool("bandit") == str(Path(sys.executable).parent / "bandit")
    assert find_tool("definitely-not-a-tool-xyz") is None


# --- target configuration ---------------------------------------------------------------------


def test_load_target_reads_pyproject_settings(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", """
        [tool.backend-agent]
        app = "svc.api:application"
        start = "python -m svc --port {port}"
        coverage_threshold = 90
        p95_ms = 50
        skip = ["load"]

        [tool.backend-agent.iac-policy]
        skip_checks = ["CKV_K8S_43"]
    """)
    target = load_target(tmp_path)
    assert target.app == "svc.api:application"
    assert target.start_command == ["python", "-m", "svc", "--port", "{port}"]
    assert target.options["coverage_threshold"] == 90 and target.options["p95_ms"] == 50
    assert target.options["skip"] == ["load"]
    assert target.options["iac-policy"] == {"skip_checks": ["CKV_K8S_43"]}


def test_command_line_values_win_over_the_file(tmp_path: Path) -> None:
    write(tmp_path, "backend-agent.toml", 'app = "a.b:app"\ncoverage_threshold = 70\n')
    target = load_target(tmp_path, app="x.y:app", database_url="sqlite:///x.db", overrides={"coverage_threshold": 95})
    assert (target.app, target.database_url, target.options["coverage_threshold"]) == ("x.y:app", "sqlite:///x.db", 95)


def test_unknown_key_names_file_line_and_valid_keys(tmp_path: Path) -> None:
    write(tmp_path, "backend-agent.toml", 'app = "a.b:app"\ncoverage = 80\n')
    with pytest.raises(ConfigError) as info:
        load_target(tmp_path)
    text = str(info.value)
    assert "backend-agent.toml:2" in text and "unknown key 'coverage'" in text
    assert "coverage_threshold" in text and "hint" in text


def test_bad_values_are_located_with_what_was_expected(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", """
        [project]
        name = "svc"

        [tool.other]
        app = "elsewhere"

        [tool.backend-agent]
        app = "not a path"
        coverage_threshold = 140
        gates = ["tests", "fuzz"]
    """)
    with pytest.raises(ConfigError) as info:
        load_target(tmp_path)
    text = str(info.value)
    assert "pyproject.toml:8" in text and "tool.backend-agent.app" in text and "package.module:app" in text
    assert "pyproject.toml:9" in text and "less than or equal to 100" in text
    assert "unknown gate 'fuzz'" in text


def test_per_gate_options_are_checked_and_located(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", """
        [tool.backend-agent]
        app = "app.main:app"

        [tool.backend-agent.contract]
        max_examples = "many"

        [tool.backend-agent.load]
        p95 = 250
        timeout_s = -1

        [tool.backend-agent.security-probes.auth]
        login = "POST /login"
        user = "me"
    """)
    with pytest.raises(ConfigError) as info:
        load_target(tmp_path)
    text = " ".join(str(info.value).split())
    assert "pyproject.toml:5 (tool.backend-agent.contract.max_examples)" in text and "'many'" in text
    assert "pyproject.toml:8 (tool.backend-agent.load.p95): unknown option 'p95' of gate 'load'" in text
    assert "p95_ms" in text  # the valid options are listed
    assert "pyproject.toml:9 (tool.backend-agent.load.timeout_s): Input should be greater than 0" in text
    assert "pyproject.toml:13 (tool.backend-agent.security-probes.auth.user)" in text
    write(tmp_path, "backend-agent.toml", '[iac-policy]\nskip_checks = ["CKV_K8S_43"]\n[load]\np95_ms = 250\n')
    assert load_target(tmp_path).options["load"] == {"p95_ms": 250}


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    write(tmp_path, "backend-agent.toml", "app = \n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_target(tmp_path)


def test_fastapi_app_is_auto_detected(tmp_path: Path) -> None:
    write(tmp_path, "app/__init__.py", "")
    write(tmp_path, "app/main.py", "from fastapi import FastAPI\n\napp = FastAPI(title='x')\n")
    assert detect_app(tmp_path) == "app.main:app"
    assert load_target(tmp_path).app == "app.main:app"
    factory = tmp_path / "f"
    write(factory, "service/__init__.py", "")
    write(factory, "service/main.py", "from fastapi import FastAPI\n\ndef build():\n    return FastAPI()\n\napp = build()\n")
    assert detect_app(factory) == "service.main:app"
    assert detect_app(tmp_path / "f" / "service") == "main:app"
    plain = tmp_path / "plain"
    write(plain, "main.py", "print('no web app here')\napp = 1\n")
    assert detect_app(plain) is None


def test_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a folder"):
        load_target(tmp_path / "nope")


# --- scheduling -------------------------------------------------------------------------------


class _TimedGate(Gate):
    """Sleeps in a subprocess and records when it ran."""

    description: ClassVar[str] = "sleeps"

    def __init__(self, name: str, *, safe: bool, log: list[tuple[str, float, float]], seconds: float = 1.0):
        self._name, self._safe, self.log, self.seconds = name, safe, log, seconds

    @property  # type: ignore[override]
    def name(self) -> str:  # type: ignore[override]
        return self._name

    @property  # type: ignore[override]
    def parallel_safe(self) -> bool:  # type: ignore[override]
        return self._safe

    def applicable(self, target: Target) -> str | None:
        return None

    def run(self, target: Target) -> GateResult:
        began = time.monotonic()
        run_process(["sleep", str(self.seconds)], cwd=target.root, timeout_s=30)
        self.log.append((self.name, began, time.monotonic()))
        return GateResult(gate=self.name, status="pass", summary="slept")


def test_parallel_safe_gates_overlap_and_others_run_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[tuple[str, float, float]] = []
    gates = {
        "tests": _TimedGate("tests", safe=True, log=log),
        "static-security": _TimedGate("static-security", safe=True, log=log),
        "contract": _TimedGate("contract", safe=False, log=log, seconds=0.5),
        "load": _TimedGate("load", safe=False, log=log, seconds=0.5),
    }
    monkeypatch.setattr("backend_agent.gates.runner.load_gate", lambda name: gates[name])
    events: list[tuple[str, str]] = []
    started = time.monotonic()
    report = run_gates(Target(root=tmp_path), gates=list(gates), max_parallel=2,
                       on_event=lambda e: events.append((e.kind, e.gate)))
    elapsed = time.monotonic() - started
    assert [r.gate for r in report.gates] == ["tests", "static-security", "contract", "load"]
    assert all(r.status == "pass" for r in report.gates)
    spans = {name: (a, b) for name, a, b in log}
    assert spans["static-security"][0] < spans["tests"][1]  # the two safe gates overlapped
    assert spans["contract"][0] >= max(spans["tests"][1], spans["static-security"][1])
    assert spans["load"][0] >= spans["contract"][1]  # exclusive gates never overlap
    assert elapsed < 1.0 + 0.5 + 0.5 + 1.5
    gate_events = [e for e in events if e[1] != "environment"]  # the run's preparation comes first
    assert events.count(("finish", "load")) == 1 and gate_events[0][0] == "start"
