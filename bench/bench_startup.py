"""Start-up benchmark: commands that run no model, end to end as a user types them.

Each command runs as a subprocess (interpreter start-up and imports count), a few times, and the
median is reported with its ratio to `python -c "import typer, rich"` measured in the same run:
the floor any typer + rich CLI pays. Target: every command here starts in under 300 ms.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 7
TARGET_SECONDS = 0.3
CLI = [sys.executable, "-m", "backend_agent"]
COMMANDS: list[list[str]] = [
    ["--version"],
    ["agents", "list"],
    ["sessions", "list"],
    ["tools", "list"],
    ["permissions", "check", "--tool", "Bash", "--input", json.dumps({"command": "git status"})],
    ["permissions", "check", "--tool", "Read", "--input", json.dumps({"file_path": "README.md"})],
]


def _median_seconds(argv: list[str], cwd: Path) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        floor = _median_seconds([sys.executable, "-c", "import typer, rich.console"], cwd)
        print(f"baseline: python -c 'import typer, rich.console'  {floor * 1000:7.1f} ms")
        worst = 0.0
        for command in COMMANDS:
            seconds = _median_seconds([*CLI, *command], cwd)
            worst = max(worst, seconds)
            label = " ".join(command)[:60]
            print(f"{label:62} {seconds * 1000:7.1f} ms  ({seconds / floor:4.2f}x baseline)")
    verdict = "meets" if worst < TARGET_SECONDS else "MISSES"
    print(f"slowest command {worst * 1000:.0f} ms: {verdict} the {TARGET_SECONDS * 1000:.0f} ms target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
