"""Benchmark `backend-agent doctor --fix` on the doctor fixture (planted N+1 and missing indexes).

Target (issue 15): the doctor on the fixture under 60 s. The machine is shared and noisy, so the
figure is also given as a ratio to the project's own plain `pytest` run measured in the same
session (the same baseline bench_check uses).

    .venv/bin/python bench/bench_doctor.py [--rows N]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET_S = 60.0


def _timed(cmd: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    return time.perf_counter() - started, proc


def main() -> int:
    from tests.gates.doctor.slow_project import build

    rows = sys.argv[sys.argv.index("--rows") + 1] if "--rows" in sys.argv else "10000"
    with tempfile.TemporaryDirectory(prefix="bench-doctor-") as tmp:
        project = build(Path(tmp))
        baseline, proc = _timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project)
        print(f"baseline  plain pytest of the project: {baseline:6.1f} s (exit {proc.returncode})")
        cmd = [sys.executable, "-m", "backend_agent", "doctor", str(project), "--fix", "--json", "--rows", rows,
               "--html", str(Path(tmp) / "doctor.html")]  # fmt: skip
        elapsed, proc = _timed(cmd, ROOT)
        try:
            report = json.loads(proc.stdout)
        except json.JSONDecodeError:
            print(f"doctor produced no JSON (exit {proc.returncode}): {proc.stderr[-800:]}")
            return 1
        verdict = "within" if elapsed < TARGET_S else "OVER"
        print(
            f"doctor --fix: {elapsed:6.1f} s  ratio to plain pytest {elapsed / baseline:5.2f}x  "
            f"target < {TARGET_S:.0f} s: {verdict}"
        )
        before, after = report["before"], report["after"] or {}
        print(f"        database: {before['database']} ({before['throwaway_database']})")
        print(f"        seeded {sum(before['rows'].values())} rows in {before['seed_s']:.1f} s; "
              f"before pass {before['duration_s']:.1f} s, after pass {after.get('duration_s', 0):.1f} s")  # fmt: skip
        for finding in report["findings"]:
            print(f"        {finding['severity']:<7} {finding['rule']}: {finding['message'][:110]}")
        after_ops = {op["operation"]: op for op in after.get("operations", [])}
        print("        p95 per operation: first pass | after --fix, alternated on one service: without -> with the index")
        for row in report["p95"]:
            later = after_ops.get(row["operation"], {})
            after_ms = row["after_ms"] if row["after_ms"] is not None else float("nan")
            p50 = (
                f"p50 {later['p50_without_fix_ms']:6.1f} -> {later['p50_ms']:6.1f} ms"
                if later.get("p50_without_fix_ms") is not None
                else ""
            )
            print(
                f"        {row['operation']:<40} {row['first_pass_ms']:7.1f} ms | {row['before_ms']:7.1f} -> "
                f"{after_ms:7.1f} ms   {p50}   SQL/request {later.get('sql_ms_per_request', float('nan')):6.2f} ms"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
