"""`backend-agent check`: exit codes, JSON and HTML output, usage errors, config errors, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backend_agent.cli.main import main
from tests.gates._defects import mini_project, write

CLI = [sys.executable, "-m", "backend_agent"]

SOURCE = """
from fastapi import FastAPI

app = FastAPI()


def add(a: int, b: int) -> int:
    return a + b


def unused(x: int) -> int:
    if x > 1:
        return x * 2
    return x
"""

FULL_TESTS = """
from app.main import add, unused


def test_all():
    assert add(1, 2) == 3
    assert unused(5) == 10 and unused(1) == 1
"""

PARTIAL_TESTS = """
from app.main import add


def test_add():
    assert add(1, 2) == 3
"""


def test_unknown_gate_is_a_usage_error_listing_valid_gates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path), "--gates", "tests,fuzz"]) == 2
    err = capsys.readouterr().err
    assert "fuzz" in err and "static-security" in err and "Traceback" not in err
    assert main(["check", str(tmp_path), "--skip", "nope"]) == 2
    assert main(["check", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize(
    ("args", "option"), [(["--coverage-threshold", "150"], "--coverage-threshold"), (["--p95-ms", "0"], "--p95-ms")]
)
def test_out_of_range_option_is_a_usage_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], option: str
) -> None:
    assert main(["check", str(tmp_path), *args]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"invalid value for {option}" in err and f"fix {option}" in err and "Traceback" not in err


def test_unwritable_html_path_is_a_usage_error_before_any_gate_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = write(tmp_path, "blocker", "a file, not a folder\n")
    assert main(["check", str(tmp_path), "--gates", "tests", "--html", str(tmp_path)]) == 2
    assert main(["check", str(tmp_path), "--gates", "tests", "--html", str(blocker / "r.html")]) == 2
    captured = capsys.readouterr()
    err = " ".join(captured.err.split())
    assert "is a folder" in err and "cannot create the folder" in err and "Traceback" not in err
    assert "tests" not in captured.out  # nothing ran


def test_failing_gate_exits_1_with_json_on_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = mini_project(tmp_path / "p", source=SOURCE, tests=PARTIAL_TESTS)
    assert main(["check", str(project), "--gates", "tests", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "fail" and data["totals"]["failed"] == 1
    [gate] = data["gates"]
    assert gate["gate"] == "tests" and any(f["rule"] == "tests:coverage" for f in gate["findings"])


def test_passing_check_exits_0_and_writes_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = mini_project(tmp_path / "p", source=SOURCE, tests=FULL_TESTS)
    html = tmp_path / "reports" / "check.html"
    assert main(["check", str(project), "--gates", "tests,migrations", "--html", str(html)]) == 0
    out = capsys.readouterr().out
    assert "tests" in out and "pass" in out and "migrations" in out and "not applicable" in out
    assert "PASS" in out and f"HTML report: {html}" in out
    assert 'aria-label="Coverage per file"' in html.read_text(encoding="utf-8")


def test_command_line_threshold_overrides_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = mini_project(tmp_path / "p", source=SOURCE, tests=PARTIAL_TESTS)
    write(project, "backend-agent.toml", "coverage_threshold = 95\n")
    assert main(["check", str(project), "--gates", "tests", "--coverage-threshold", "10", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["gates"][0]["metrics"]["threshold"] == 10


def test_bad_config_is_reported_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "pyproject.toml", '[tool.backend-agent]\napp = "app.main:app"\np95 = 100\n')
    assert main(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err.replace("\n", "")  # the error console wraps long paths
    assert "ConfigError" in err and "pyproject.toml:3" in err and "unknown key 'p95'" in err
    assert "p95_ms" in err and "Traceback" not in err


def test_real_cli_when_piped_prints_the_summary_without_progress(tmp_path: Path) -> None:
    project = mini_project(tmp_path / "p", source=SOURCE, tests=PARTIAL_TESTS)
    proc = subprocess.run([*CLI, "check", str(project), "--gates", "tests"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "tests:coverage" in proc.stdout and "FAIL" in proc.stdout
    assert "running…" not in proc.stdout and proc.stderr == ""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_stops_everything_it_started(tmp_path: Path, sig: signal.Signals) -> None:
    pid_file = tmp_path / "pytest.pid"
    project = mini_project(tmp_path / "p", source=SOURCE, tests=f"""
        import os
        import time


        def test_slow():
            with open({str(pid_file)!r}, "w") as handle:
                handle.write(str(os.getpid()))
            time.sleep(120)
    """)
    proc = subprocess.Popen([*CLI, "check", str(project), "--gates", "tests"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (pid_file.exists() and pid_file.read_text().strip()):
            assert time.monotonic() < deadline and proc.poll() is None, "the project's test never started"
            time.sleep(0.1)
        pytest_pid = int(pid_file.read_text())
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        assert "Interrupted: the check stopped every process" in err and "Traceback" not in err
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{pytest_pid}"):
            stat = Path(f"/proc/{pytest_pid}/stat").read_text().split(")")[-1].split()[0]
            if stat == "Z":
                break
            assert time.monotonic() < deadline, "the project's pytest survived the interrupt"
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_install_tools_reports_every_tool(tmp_path: Path) -> None:
    proc = subprocess.run([*CLI, "check", "--install-tools"], capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for tool in ("semgrep", "checkov", "bandit", "coverage", "schemathesis", "hadolint", "kubernetes-validate", "squawk"):
        assert tool in proc.stdout
    assert "failed" not in proc.stdout
