"""Benchmark `backend-agent check` on the clean fixture project: full run and --fast.

Targets (issue 4): full check under 120 s, --fast under 30 s on 2 cores. The machine is shared and
noisy, so each figure is also given as a ratio to the project's own plain `pytest` run measured in
the same session (the floor any check that runs the tests has to pay).

    .venv/bin/python bench/bench_check.py [--skip-full]
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLEAN = ROOT / "tests" / "fixtures" / "projects" / "clean"
CLI = [sys.executable, "-m", "backend_agent", "check"]
TARGETS = {"full": 120.0, "fast": 30.0}


def _timed(cmd: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    return time.perf_counter() - started, proc


def main() -> int:
    if not (CLEAN / "app").is_dir():
        print(f"the clean fixture {CLEAN} is missing; nothing to measure")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        project = Path(tmp) / "clean"
        shutil.copytree(CLEAN, project, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.db"))
        baseline, proc = _timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project)
        print(f"baseline  plain pytest of the project: {baseline:6.1f} s (exit {proc.returncode})")
        runs = [("fast", ["--fast"])] + ([] if "--skip-full" in sys.argv else [("full", [])])
        for label, extra in runs:
            elapsed, proc = _timed([*CLI, str(project), "--json", *extra], ROOT)
            try:
                report = json.loads(proc.stdout)
            except json.JSONDecodeError:
                print(f"{label:<5} check produced no JSON (exit {proc.returncode}): {proc.stderr[-500:]}")
                continue
            target = TARGETS[label]
            verdict = "within" if elapsed < target else "OVER"
            print(
                f"{label:<5} check: {elapsed:6.1f} s  status {report['status']}  "
                f"ratio to plain pytest {elapsed / baseline:5.2f}x  target < {target:.0f} s: {verdict}"
            )
            for gate, seconds in report["timings"].items():
                status = next(g["status"] for g in report["gates"] if g["gate"] == gate)
                print(f"        {gate:<16} {seconds:6.1f} s  {status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
