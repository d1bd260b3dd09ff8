"""Benchmark the live gates (contract, security-probes, load) on the clean 5-entity fixture.

Run: .venv/bin/python bench/bench_live_gates.py [--fast-only]
Target (issue 4): a full check under 120 s and ``--fast`` under 30 s on 2 cores; these three gates
are the bulk of it. The baseline, measured in the same run because the machine is shared, is one
bare service start (migrate + start + ready + stop): every live gate pays it once, and the ratio
shows how much each gate costs beyond it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from backend_agent.gates import Gate, Target
from backend_agent.gates._database import throwaway_database
from backend_agent.gates._service import start_service
from backend_agent.gates.contract import ContractGate
from backend_agent.gates.load import LoadGate
from backend_agent.gates.probes import SecurityProbesGate

CLEAN = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "projects" / "clean"


def bare_start(target: Target) -> float:
    started = time.perf_counter()
    with throwaway_database(None) as db, start_service(target, database_url=db.url):
        pass
    return time.perf_counter() - started


def timed(gate: Gate, target: Target) -> tuple[float, str]:
    started = time.perf_counter()
    result = gate.run(target)
    return time.perf_counter() - started, f"{result.status}: {result.summary}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast-only", action="store_true", help="only the --fast profile (contract)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ba-bench-") as tmp:
        root = Path(tmp) / "clean"
        shutil.copytree(CLEAN, root, ignore=shutil.ignore_patterns("__pycache__", "*.db", ".coverage*"))
        full = Target(root=root, app="app.main:app", options={"fast": False})
        fast = full.model_copy(update={"options": {"fast": True}})
        baseline = min(bare_start(full) for _ in range(2))
        print(f"baseline: bare service start/stop {baseline:.2f} s")
        rows: list[tuple[str, float, str]] = []
        rows.append(("contract --fast", *timed(ContractGate(), fast)))
        if not args.fast_only:
            rows.append(("contract", *timed(ContractGate(), full)))
            rows.append(("security-probes", *timed(SecurityProbesGate(), full)))
            rows.append(("load", *timed(LoadGate(), full)))
    for name, seconds, outcome in rows:
        print(f"{name:<18} {seconds:6.1f} s  {seconds / baseline:5.1f}x baseline  {outcome}")
    full_total = sum(seconds for name, seconds, _ in rows if name != "contract --fast")
    if full_total:
        print(f"live gates, full profile: {full_total:.1f} s ({full_total / baseline:.1f}x baseline)")
    print(f"live gates, fast profile: {rows[0][1]:.1f} s ({rows[0][1] / baseline:.1f}x baseline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
