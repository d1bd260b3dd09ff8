"""check on two real, public FastAPI projects of different styles (issue 15).

* fastapi/full-stack-fastapi-template (SQLModel, psycopg 3, POSTGRES_* settings read from ``../.env``,
  OAuth2 form login under ``/api/v1``), at a commit whose ``requires-python`` is ``>=3.10``;
* nsidnev/fastapi-realworld-example-app (pydantic v1, asyncpg with raw SQL, Poetry lock, wrapped
  ``{"user": {...}}`` bodies and a ``Token`` scheme, pytest-cov + xdist ``addopts``).

Their code is never copied into this repository: each test exports the project from a local mirror
(``$BACKEND_AGENT_MIRRORS``, default ``/work/.mirror``, filled by fetching the GitHub repositories)
into a temporary folder, and skips with the reason when the mirror is absent. Building each
project's environment needs PyPI the first time (then it is cached by the lock file). Each test
takes several minutes (a full gate run on a real project), so they run only when
``BACKEND_AGENT_REAL_PROJECTS=1`` is set, keeping the suite within its time budget.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from backend_agent.gates import load_target, run_gates
from backend_agent.gates._pgserver import server_bindir
from backend_agent.report import CheckReport, report_from

MIRRORS = Path(os.environ.get("BACKEND_AGENT_MIRRORS", "/work/.mirror"))
FULL_STACK = ("fastapi+full-stack-fastapi-template", "f459c20a")  # 2026-06-16, requires-python >=3.10
REALWORLD = ("nsidnev+fastapi-realworld-example-app", "029eb77")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("BACKEND_AGENT_REAL_PROJECTS") != "1",
                       reason="set BACKEND_AGENT_REAL_PROJECTS=1 to check the real public projects (minutes each)"),
    pytest.mark.skipif(server_bindir() is None, reason="no PostgreSQL server binaries (apt-get install postgresql)"),
]


def export(tmp_path: Path, mirror: tuple[str, str]) -> Path:
    name, commit = mirror
    git_dir = MIRRORS / name / "repo"
    if not git_dir.is_dir():
        pytest.skip(f"no mirror of {name.replace('+', '/')} in {MIRRORS} (fetch the GitHub repository to run this test)")
    dest = tmp_path / name.split("+", 1)[1]
    dest.mkdir()
    archive = subprocess.run(["git", "-C", str(git_dir), "archive", commit], capture_output=True, check=False)
    if archive.returncode != 0:
        pytest.skip(f"the mirror of {name} lacks commit {commit}: {archive.stderr.decode()[:200]}")
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    # A fresh clone: one commit on main, so migrations lint sees every revision as already applied.
    git = ["git", "-C", str(dest), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "clone"], check=True)
    return dest


def check(project: Path, gates: list[str]) -> CheckReport:
    return report_from(run_gates(load_target(project, database_url=None), gates=gates))


def _ran_or_said_why(report: CheckReport) -> None:
    for gate in report.gates:
        assert gate.status in ("pass", "fail", "error", "skip"), gate
        if gate.status == "error":
            assert gate.summary and gate.hint, f"{gate.gate} could not run without saying why: {gate}"
            assert "crashed" not in gate.summary, gate.evidence.get("traceback")


def test_full_stack_template(tmp_path: Path) -> None:
    project = export(tmp_path, FULL_STACK) / "backend"
    report = check(project, ["tests", "migrations", "contract", "security-probes"])
    _ran_or_said_why(report)
    migrations = report.gate("migrations")
    assert migrations is not None and migrations.status == "pass", migrations
    assert migrations.metrics["revisions"] == 5
    assert "no new revision to lint" in migrations.summary
    assert "check's own PostgreSQL" in report.target.throwaway_databases["migrations"]
    tests = report.gate("tests")
    assert tests is not None and tests.status == "pass", tests  # migrated first, as its CI does
    assert tests.metrics["tests"]["total"] >= 60 and tests.metrics["coverage_percent"] > 80
    assert "from uv.lock" in str(tests.evidence["steps"])  # the workspace's lock one folder up
    contract = report.gate("contract")
    assert contract is not None and contract.status in ("pass", "fail"), contract  # it ran, under /api/v1
    assert contract.evidence.get("openapi_url", "").endswith("/api/v1/openapi.json")


def test_realworld_app(tmp_path: Path) -> None:
    project = export(tmp_path, REALWORLD)
    report = check(project, ["tests", "migrations", "contract", "security-probes"])
    _ran_or_said_why(report)
    migrations = report.gate("migrations")
    assert migrations is not None and migrations.status == "pass", migrations
    assert migrations.evidence["steps_status"]["drift check"] == "not applicable"  # Alembic 1.8, no target_metadata
    tests = report.gate("tests")
    assert tests is not None and tests.status == "pass", tests
    assert tests.metrics["coverage_percent"] == 100.0  # its own --cov/xdist addopts no longer clash
    assert tests.evidence["coverage_measured_by"] == "pytest-cov"
    assert "--cov-fail-under=100" in tests.evidence["addopts_left_out"]
    contract = report.gate("contract")
    assert contract is not None and contract.evidence.get("test_user"), contract  # wrapped body + Token scheme
