"""Benchmark the permission engine: one decision for a 20-command pipeline, against bashlex parsing alone.

Run: .venv/bin/python bench/bench_permissions.py
Target (issues 6 and 11): under 5 ms per decision. The bashlex parse of the same command line is the
baseline measured in the same run. A plain line (words, quotes, pipes, lists, simple redirections)
takes the exact fast tokenizer; the same pipeline with a ``$(...)`` in it takes the full bashlex
grammar, and is reported too, so the cost of both paths is visible. Since issue 11 each stage is
also checked for risky options (sed/awk/find/rg/git ...) and file operands against Read/Edit rules.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import bashlex

from backend_agent.runtime.permissions import PermissionEngine, RuleSet

STAGES = [
    "cat access.log",
    "grep -v healthz",
    "grep -E 'GET|POST'",
    "cut -d' ' -f1,7",
    "sort",
    "uniq -c",
    "sort -rn",
    "head -100",
    "awk '{print $2}'",
    "sed 's/x/y/'",
    "tr a-z A-Z",
    "grep -i api",
    "wc -l",
    "tee /dev/null",
    "xargs -n1 echo",
    "sort -u",
    "head -50",
    "cut -c1-80",
    "nl",
    "tail -20",
]
COMMAND = " | ".join(STAGES)
ALLOW = [*(f"Bash({stage.split()[0]}:*)" for stage in STAGES), "Bash(echo:*)"]


def per_call(func: Callable[[], object], *, repeat: int = 7, number: int = 50) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(number):
            func()
        samples.append((time.perf_counter() - started) / number)
    return statistics.median(samples)


def main() -> int:
    assert len(STAGES) == 20
    with tempfile.TemporaryDirectory(prefix="bench-perm-") as name:
        workspace = Path(name)
        engine = PermissionEngine(
            rules=RuleSet.from_lists(allow=ALLOW, deny=["Bash(rm:*)", "Bash(curl:*)"]), workspace=workspace
        )
        decision = engine.decide("Bash", {"command": COMMAND})
        assert decision.action == "allow" and len(decision.subcommands) == 20, decision.reason
        decide_s = per_call(lambda: engine.decide("Bash", {"command": COMMAND}))
        parse_s = per_call(lambda: bashlex.parse(COMMAND))
        denied = COMMAND + " && rm -rf /"
        deny_s = per_call(lambda: engine.decide("Bash", {"command": denied}))
        full = COMMAND.replace("cat access.log", "cat $(echo access.log)")
        assert engine.decide("Bash", {"command": full}).action == "allow"
        full_s = per_call(lambda: engine.decide("Bash", {"command": full}))
        files = PermissionEngine(
            rules=RuleSet.from_lists(allow=ALLOW, deny=["Bash(rm:*)", "Read(./secrets/**)", "Edit(src/**)"]),
            workspace=workspace,
        )
        assert files.decide("Bash", {"command": COMMAND}).action == "allow"
        files_s = per_call(lambda: files.decide("Bash", {"command": COMMAND}))
    print(f"pipeline of {len(STAGES)} commands, {len(COMMAND)} characters")
    print(
        f"decision (allow, 20 rules):   {decide_s * 1000:7.3f} ms  (target < 5 ms: {'OK' if decide_s < 0.005 else 'MISSED'})"
    )
    print(f"decision (+ denied rm):       {deny_s * 1000:7.3f} ms")
    print(f"decision (+ Read/Edit rules): {files_s * 1000:7.3f} ms")
    print(
        f"decision via full parser:     {full_s * 1000:7.3f} ms  (with $(...); target < 5 ms: "
        f"{'OK' if full_s < 0.005 else 'MISSED'})"
    )
    print(f"bashlex.parse alone:          {parse_s * 1000:7.3f} ms  (baseline)")
    print(f"ratio decision / parse:       {decide_s / parse_s:7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
