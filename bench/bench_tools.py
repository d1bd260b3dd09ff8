"""Benchmark the tools: Grep on a 50k-file tree against the raw ``rg`` command, Read of a 10 MB file.

Run: .venv/bin/python bench/bench_tools.py [--files N]
Targets (issue 6): Grep within 1.5x of rg doing the same search; Read of 10 MB under 200 ms.
Each figure is compared with a baseline measured in the same run, because the machine is shared.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from backend_agent.tools import GrepTool, ReadTool, ToolContext
from backend_agent.tools._ripgrep import base_args, rg_path


def best_of(runs: int, func: Callable[[], object]) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        timings.append(time.perf_counter() - started)
    return min(timings)


def make_tree(root: Path, count: int) -> None:
    body = "def handler(event):\n    return process(event)\n" * 8
    for index in range(count):
        folder = root / f"pkg{index % 100:02}" / f"mod{index % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        extra = "# needle_marker here\n" if index % 100 == 0 else ""
        (folder / f"file{index}.py").write_text(body + extra)


def bench_grep(root: Path, runs: int) -> tuple[float, float, float]:
    ctx = ToolContext(workspace=root)
    tool = GrepTool()
    rg = rg_path()
    assert rg is not None, "rg not found"
    same_flags = [*base_args(rg), "--files-with-matches", "--regexp", "needle_marker", "--", str(root)]
    plain = [rg, "--files-with-matches", "needle_marker", str(root)]
    result = tool.call({"pattern": "needle_marker", "head_limit": 0}, ctx)
    expected = subprocess.run(same_flags, capture_output=True, text=True).stdout.splitlines()
    assert result.ok and sorted(result.data["entries"]) == sorted(expected), "Grep and rg disagree"
    tool_s = best_of(runs, lambda: tool.call({"pattern": "needle_marker"}, ctx))
    rg_same_s = best_of(runs, lambda: subprocess.run(same_flags, capture_output=True))
    rg_plain_s = best_of(runs, lambda: subprocess.run(plain, capture_output=True))
    return tool_s, rg_same_s, rg_plain_s


def bench_read(root: Path, runs: int) -> tuple[float, float, int]:
    path = root / "big.log"
    line = "2026-01-01T00:00:00Z INFO request handled in 12 ms path=/api/items\n"
    path.write_text(line * (10 * 1024 * 1024 // len(line) + 1))
    ctx = ToolContext(workspace=root)
    tool = ReadTool()
    assert tool.call({"file_path": str(path)}, ctx).ok

    def baseline() -> None:
        with open(path, encoding="utf-8") as handle:
            handle.read()

    return (
        best_of(runs, lambda: tool.call({"file_path": str(path)}, ctx)),
        best_of(runs, baseline),
        path.stat().st_size,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tools-") as name:
        root = Path(name)
        started = time.perf_counter()
        make_tree(root / "tree", args.files)
        print(f"generated {args.files} files in {time.perf_counter() - started:.1f} s")
        tool_s, rg_same_s, rg_plain_s = bench_grep(root / "tree", args.runs)
        ratio = tool_s / rg_same_s
        print(f"Grep tool (files_with_matches):   {tool_s * 1000:8.1f} ms")
        print(f"rg, same flags (baseline):        {rg_same_s * 1000:8.1f} ms")
        print(f"rg -l, plain:                     {rg_plain_s * 1000:8.1f} ms")
        print(
            f"ratio Grep / rg same flags:       {ratio:8.2f}x  (target <= 1.5x: {'OK' if ratio <= 1.5 else 'MISSED'})"
        )
        print(f"ratio Grep / rg plain:            {tool_s / rg_plain_s:8.2f}x")
        read_s, open_s, size = bench_read(root, args.runs)
        print(
            f"Read tool, {size / 1e6:.1f} MB file:         {read_s * 1000:8.1f} ms  (target < 200 ms: {'OK' if read_s < 0.2 else 'MISSED'})"
        )
        print(f"open().read() baseline:           {open_s * 1000:8.1f} ms")
        print(f"ratio Read / open().read():       {read_s / open_s:8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
