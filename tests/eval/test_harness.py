"""`backend-agent eval` with scripted models that solve some tasks and fail others."""

from __future__ import annotations

import json
from pathlib import Path

from backend_agent.evaluation import load_suite
from tests.eval.conftest import SUITE, idle_script, solving_script, write_scripts

SOLVED = ["fix-server-error", "fix-sql-injection"]
FAILED = ["fix-broken-object-authorization", "validate-item-input"]


def _model(tmp_path: Path) -> str:
    tasks = {t.id: t for t in load_suite(SUITE, only=SOLVED + FAILED)}
    scripts = {tid: solving_script(tasks[tid]) for tid in SOLVED} | {tid: idle_script(tasks[tid]) for tid in FAILED}
    return write_scripts(tmp_path / "scripts", scripts)


def test_eval_reports_pass_rates_security_cost_and_time(tmp_path: Path, cli) -> None:
    model = _model(tmp_path)
    args = ["eval", str(SUITE), "--model", model, "--json", "--work-dir", str(tmp_path / "work")]
    for task_id in SOLVED + FAILED:
        args += ["--task", task_id]
    proc = cli(*args, cwd=tmp_path, timeout=600)
    assert proc.returncode == 1, proc.stderr  # some tasks failed
    report = json.loads(proc.stdout)
    outcomes = {t["id"]: t for t in report["tasks"]}
    assert {tid for tid, t in outcomes.items() if t["passed"]} == set(SOLVED)
    assert report["passed"] == 2 and report["pass_rate"] == 0.5
    # fix-sql-injection and fix-broken-object-authorization carry exploit tests: one solved, one not
    assert outcomes["fix-sql-injection"]["security_passed"] is True
    assert outcomes["fix-broken-object-authorization"]["security_passed"] is False
    assert outcomes["validate-item-input"]["security_passed"] is None
    assert report["security_tasks"] == 2 and report["security_pass_rate"] == 0.5
    sqli = outcomes["fix-sql-injection"]
    assert [(g["gate"], g["status"]) for g in sqli["gates"]] == [("static-security", "pass")]
    assert sqli["run_status"] == "success" and sqli["turns"] == 3 and sqli["duration_s"] > 0
    bola = outcomes["fix-broken-object-authorization"]
    failing = [t for t in bola["tests"] if not t["passed"]]
    assert [t["file"] for t in failing] == ["test_bola.py"] and failing[0]["security"] is True
    assert all("cost_usd" in t for t in report["tasks"])
    # the agent never saw the hidden tests
    for task_id in SOLVED + FAILED:
        workspace = Path(outcomes[task_id]["workspace"])
        assert not any(p.name.startswith("test_") for p in workspace.rglob("*.py"))


def test_eval_table_output(tmp_path: Path, cli) -> None:
    model = _model(tmp_path)
    proc = cli("eval", str(SUITE), "--model", model, "--task", "fix-server-error", "--task", "validate-item-input",
               "-o", str(tmp_path / "report.json"), cwd=tmp_path, timeout=600)  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "fix-server-error" in proc.stdout and "PASS" in proc.stdout and "FAIL" in proc.stdout
    assert "passed 1/2 (50%)" in proc.stdout
    assert json.loads((tmp_path / "report.json").read_text())["passed"] == 1


def test_bad_task_files_are_located(tmp_path: Path, cli) -> None:
    suite = tmp_path / "suite"
    (suite / "broken" / "workspace").mkdir(parents=True)
    (suite / "broken" / "task.yaml").write_text("title: x\nrequest: do it\ngates: [speed]\nbudget: 3\n")
    proc = cli("eval", str(suite), "--model", "script:x.yaml", cwd=tmp_path)
    assert proc.returncode == 1
    assert "task.yaml:4" in proc.stderr and "budget" in proc.stderr
    assert "task.yaml:3" in proc.stderr and "unknown gate 'speed'" in proc.stderr
    assert "Traceback" not in proc.stderr
    missing = cli("eval", str(tmp_path / "nope"), "--model", "x", cwd=tmp_path)
    assert missing.returncode == 2 and "not a folder" in missing.stderr
