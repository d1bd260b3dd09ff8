"""The tests gate on real pytest runs: coverage below threshold and failing tests are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.gates import load_target, run_gates
from backend_agent.report import report_from
from tests.gates._defects import append, clean_copy, mini_project

SOURCE = """
from fastapi import FastAPI

app = FastAPI(title="mini")


def add(a: int, b: int) -> int:
    return a + b


def branchy(x: int) -> int:
    if x > 10:
        return x * 2
    if x < 0:
        return -x
    return x
"""


def test_coverage_below_threshold_fails_and_names_the_file(tmp_path: Path) -> None:
    project = mini_project(tmp_path, source=SOURCE, tests="""
        from app.main import add


        def test_add():
            assert add(1, 2) == 3
    """)
    report = report_from(run_gates(load_target(project), gates=["tests"]))
    result = report.gates[0]
    assert result.status == "fail"
    rules = [f.rule for f in result.findings]
    assert "tests:coverage" in rules and "tests:failed" not in rules
    coverage = next(f for f in result.findings if f.rule == "tests:coverage")
    assert "below the 80 % threshold" in coverage.message
    assert any(f.rule == "tests:uncovered-file" and f.file == "app/main.py" for f in result.findings)
    assert result.metrics["tests"]["passed"] == 1
    assert 0 < result.metrics["files"]["app/main.py"] < 80
    assert report.exit_code == 1


def test_threshold_is_configurable_and_failing_tests_are_named(tmp_path: Path) -> None:
    project = mini_project(tmp_path, source=SOURCE, tests="""
        from app.main import add, branchy


        def test_add():
            assert add(1, 2) == 3


        def test_branchy_is_wrong():
            assert branchy(20) == 41
    """)
    target = load_target(project, overrides={"coverage_threshold": 10})
    result = run_gates(target, gates=["tests"]).gates[0]
    assert result.status == "fail"
    failed = [f for f in result.findings if f.rule == "tests:failed"]
    assert len(failed) == 1 and "test_branchy_is_wrong" in failed[0].message
    assert failed[0].file == "tests/test_main.py"
    assert not any(f.rule == "tests:coverage" for f in result.findings)


def test_passing_suite_with_enough_coverage_passes(tmp_path: Path) -> None:
    project = mini_project(tmp_path, source=SOURCE, tests="""
        from app.main import add, branchy


        def test_all():
            assert add(1, 2) == 3
            assert [branchy(20), branchy(-3), branchy(4)] == [40, 3, 4]
    """)
    (project / "app" / "legacy.py").write_text("def old():\n    return 1\n", encoding="utf-8")
    result = run_gates(load_target(project), gates=["tests"]).gates[0]
    assert result.status == "pass", result.summary
    assert result.metrics["files"]["app/main.py"] == 100.0 and result.metrics["files"]["app/legacy.py"] == 0.0
    [uncovered] = [f for f in result.findings if f.rule == "tests:uncovered-file"]
    assert uncovered.file == "app/legacy.py" and uncovered.severity == "low"


def test_project_without_tests_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("x = 1\n")
    result = run_gates(load_target(tmp_path), gates=["tests"]).gates[0]
    assert result.status == "skip" and "no test files" in result.summary


@pytest.mark.slow
def test_clean_project_passes(tmp_path: Path) -> None:
    project = clean_copy(tmp_path)
    result = run_gates(load_target(project), gates=["tests"]).gates[0]
    assert result.status == "pass", result.summary
    assert result.metrics["coverage_percent"] >= 80


@pytest.mark.slow
def test_clean_project_with_untested_module_drops_below_threshold(tmp_path: Path) -> None:
    project = clean_copy(tmp_path)
    body = "\n".join(f"def helper_{i}(x: int) -> int:\n    if x > {i}:\n        return x - {i}\n    return x + {i}\n"
                     for i in range(120))
    (project / "app" / "reports.py").write_text(body, encoding="utf-8")
    append(project, "app/main.py", "from app import reports  # noqa: E402,F401\n")
    result = run_gates(load_target(project), gates=["tests"]).gates[0]
    assert result.status == "fail"
    assert any(f.rule == "tests:coverage" for f in result.findings)
    assert any(f.rule == "tests:uncovered-file" and f.file == "app/reports.py" for f in result.findings)


# --- issue 15: the project's own pytest configuration --------------------------------------------

FULL_TESTS = """
    from app.main import add, branchy


    def test_add():
        assert add(1, 2) == 3


    def test_branchy():
        assert [branchy(20), branchy(-3), branchy(4)] == [40, 3, 4]
"""


def test_own_cov_and_xdist_addopts_are_measured_right_and_write_nothing(tmp_path: Path) -> None:
    """A suite at 100 % whose addopts run pytest-cov under xdist is measured at 100 %, not 0 %."""
    project = mini_project(tmp_path / "p", source=SOURCE, tests=FULL_TESTS)
    (project / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\n'
        'addopts = "-n 2 --cov=app --cov-report=xml --cov-report=term-missing --cov-fail-under=100 --junitxml=out.xml"\n',
        encoding="utf-8",
    )
    before = sorted(p.name for p in project.rglob("*"))
    result = run_gates(load_target(project), gates=["tests"]).gates[0]
    assert result.status == "pass", (result.summary, result.evidence.get("pytest_output"))
    assert result.metrics["coverage_percent"] == 100.0
    assert result.metrics["tests"]["passed"] == 2
    assert result.evidence["coverage_measured_by"] == "pytest-cov"
    assert "--cov-report=xml" in result.evidence["addopts_left_out"] and "-n" not in result.evidence["addopts_left_out"]
    assert "gw0" in result.evidence["pytest_output"] or "2 workers" in result.evidence["pytest_output"]
    assert sorted(p.name for p in project.rglob("*")) == before  # no coverage.xml, out.xml or .coverage


def test_tests_get_a_database_and_the_env_example_variables(tmp_path: Path) -> None:
    project = mini_project(tmp_path / "p", source=SOURCE, tests=FULL_TESTS + """

    import os


    def test_environment():
        assert os.environ["DATABASE_URL"].startswith("sqlite:///")
        assert os.environ["FEATURE_FLAG"] == "on"
        assert len(os.environ["SECRET_KEY"]) >= 32
    """)
    (project / ".env.example").write_text("FEATURE_FLAG=on\nDATABASE_URL=sqlite:///./dev.db\n", encoding="utf-8")
    result = run_gates(load_target(project), gates=["tests"]).gates[0]
    assert result.status == "pass", result.evidence.get("pytest_output")
    assert "SQLite file" in result.evidence["throwaway_database"]


def test_missing_pytest_means_could_not_run_with_the_fix(tmp_path: Path) -> None:
    import venv

    project = mini_project(tmp_path / "p", source=SOURCE, tests=FULL_TESTS)
    venv.EnvBuilder(with_pip=False).create(project / ".venv")
    result = run_gates(load_target(project), gates=["tests"]).gates[0]
    assert result.status == "error", result
    assert "not installed in the project's environment" in result.summary
    assert result.hint is not None and "pip install" in result.hint
