"""Generated services pass `backend-agent check`: every gate, schemathesis included (issue 10, "Done when").

One `check` run per example, in a subprocess as a user runs it, with every gate. Its contract gate is
schemathesis with all checks and all phases; its report counts the generated cases, which must reach
1,000. The gates that start the service use check's own throwaway database, as check decides.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from backend_agent.gates.registry import GATE_NAMES
from backend_agent.generate import generate_service

REPO_ROOT = Path(__file__).resolve().parents[2]
REALWORLD_CONTRACT = REPO_ROOT.parent / "shared" / "contracts" / "realworld-openapi.yml"
MIN_CASES = 1000

pytestmark = pytest.mark.slow


def _backend_agent() -> list[str]:
    beside = Path(sys.executable).with_name("backend-agent")
    if beside.exists():
        return [str(beside)]
    return [sys.executable, "-c", "from backend_agent._entry import console_main; console_main()"]


def _check(project: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "APP_ENV")}
    done = subprocess.run([*_backend_agent(), "check", str(project), "--json"], env=env, capture_output=True,
                          text=True, timeout=1500, check=False)
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"check printed no JSON report (exit {done.returncode}):\n{done.stdout[-3000:]}\n"
                    f"{done.stderr[-3000:]}")
    return done, report


def _problems(report: dict[str, Any]) -> str:
    lines = []
    for gate in report["gates"]:
        if gate["status"] != "pass":
            lines.append(f"{gate['gate']}: {gate['status']}: {gate['summary']}")
            lines += [f"  - {f['rule']} {f.get('operation') or ''}: {f['message'][:400]}" for f in gate["findings"]]
    return "\n".join(lines)


def _assert_passes_every_gate(project: Path) -> dict[str, Any]:
    done, report = _check(project)
    gates = {gate["gate"]: gate for gate in report["gates"]}
    assert set(gates) == set(GATE_NAMES), f"check ran {sorted(gates)}, not every gate"
    assert all(gate["status"] == "pass" for gate in gates.values()), _problems(report)
    assert done.returncode == 0, done.stderr[-2000:]
    cases = gates["contract"]["metrics"].get("cases_generated", 0)
    assert cases >= MIN_CASES, f"schemathesis generated {cases} cases, fewer than {MIN_CASES}"
    assert gates["contract"]["metrics"]["failures"] == 0
    timings = ", ".join(f"{name} {gate['duration_s']:.0f} s" for name, gate in gates.items())
    print(f"\n{project.name}: check passed in {report['duration_s']:.0f} s ({timings}); {cases} schemathesis cases")
    return report


# The generated pyproject.toml sets the contract gate's examples per operation so that even a small
# service is fuzzed with MIN_CASES cases; these examples prove it does.
PASSING = ["conduit.blueprint.yaml", "orders.blueprint.yaml", "login/login.blueprint.yaml", "forum/forum.blueprint.yaml"]


@pytest.mark.parametrize("example", PASSING)
def test_example_passes_every_gate(example: str, tmp_path: Path) -> None:
    name = Path(example).name.removesuffix(".blueprint.yaml")
    project = generate_service(REPO_ROOT / "examples" / example, tmp_path / name).out_dir
    _assert_passes_every_gate(project)


@pytest.mark.xfail(strict=True, reason=(
    "open decisions, not generator defects: the RealWorld contract declares no 404 while the design answers "
    "undeclared not-found outcomes with 404 (docs/blueprint.md, 'Outcomes and statuses'); the contract allows "
    "empty usernames, titles and tags that the blueprint's min_length refuses (schemathesis ST202); and the "
    "blueprint sets no rate limit on login, which the security-probes gate expects (the contract has no 429)"))
def test_realworld_passes_every_gate(tmp_path: Path) -> None:
    if not REALWORLD_CONTRACT.is_file():
        pytest.skip(f"the RealWorld contract {REALWORLD_CONTRACT} is absent (../shared lives beside the repository)")
    blueprint = REPO_ROOT / "examples" / "realworld" / "realworld.blueprint.yaml"
    project = generate_service(blueprint, tmp_path / "realworld").out_dir
    _assert_passes_every_gate(project)
