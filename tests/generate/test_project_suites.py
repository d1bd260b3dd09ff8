"""Each example's generated project passes its own suite on SQLite and PostgreSQL with >= 90 % coverage of app/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend_agent.generate import generate_service
from tests.generate.conftest import REPO_ROOT, run_project_tests

PROJECTS = ("conduit", "inventory", "orders", "realworld", "login", "monitors", "cart", "clicks", "catalog", "forum")


def _blueprint(name: str) -> Path:
    flat = REPO_ROOT / "examples" / f"{name}.blueprint.yaml"
    return flat if flat.exists() else REPO_ROOT / "examples" / name / f"{name}.blueprint.yaml"


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {}


def _project(projects: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    if name not in projects:
        out = tmp_path_factory.mktemp("suites") / name
        generate_service(_blueprint(name), out)
        projects[name] = out
    return projects[name]


def _assert_passes_with_coverage(project: Path, env: dict[str, str]) -> None:
    report = project / "coverage.json"
    result = run_project_tests(project, env, ("--cov=app", f"--cov-report=json:{report}"))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    covered = json.loads(report.read_text())["totals"]["percent_covered"]
    assert covered >= 90.0, f"{project.name}: {covered:.1f} % of app/ covered"


@pytest.mark.slow
@pytest.mark.parametrize("name", PROJECTS)
def test_suite_passes_on_sqlite(name: str, projects: dict[str, Path],
                                tmp_path_factory: pytest.TempPathFactory) -> None:
    _assert_passes_with_coverage(_project(projects, tmp_path_factory, name), {})


@pytest.mark.slow
@pytest.mark.parametrize("name", PROJECTS)
def test_suite_passes_on_postgresql(name: str, projects: dict[str, Path], postgres_database: str,
                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    _assert_passes_with_coverage(_project(projects, tmp_path_factory, name), {"TEST_DATABASE_URL": postgres_database})
