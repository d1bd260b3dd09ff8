"""Reading the tracer's files back: SQL records and stack samples, attributed to request windows."""

from __future__ import annotations

import bisect
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TRACER_DIR = Path(__file__).with_name("tracer")


def tracer_env(trace_dir: Path, project_root: Path) -> dict[str, str]:
    """Variables that load the tracer into the service (prepended to any PYTHONPATH it has)."""
    existing = os.environ.get("PYTHONPATH")
    path = str(TRACER_DIR) + (os.pathsep + existing if existing else "")
    return {
        "PYTHONPATH": path,
        "BA_DOCTOR_TRACE_DIR": str(trace_dir),
        "BA_DOCTOR_PROJECT_ROOT": str(project_root.resolve()) + os.sep,
    }


@dataclass(frozen=True)
class SqlRecord:
    t: float
    duration_s: float
    sql: str
    params: Any


@dataclass(frozen=True)
class Sample:
    t: float
    kind: str  # "db" or "py"
    where: str


def _lines(trace_dir: Path, prefix: str) -> Iterator[dict[str, Any]]:
    for path in sorted(trace_dir.glob(f"{prefix}-*.jsonl")):
        with path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                try:
                    yield json.loads(line)
                except ValueError:  # the last line of a killed process may be cut short
                    continue


class Trace:
    """Everything the service recorded, sorted by time, queried by request window."""

    def __init__(self, trace_dir: Path) -> None:
        self.sql = sorted(
            (SqlRecord(r["t"], r["d"], r["sql"], r.get("p")) for r in _lines(trace_dir, "sql")),
            key=lambda r: r.t,
        )
        self.samples = sorted(
            (Sample(r["t"], r["k"], r.get("w", "")) for r in _lines(trace_dir, "samples")), key=lambda s: s.t
        )
        self._sql_times = [r.t for r in self.sql]
        self._sample_times = [s.t for s in self.samples]

    def statements(self, start: float, end: float) -> list[SqlRecord]:
        low = bisect.bisect_left(self._sql_times, start)
        high = bisect.bisect_right(self._sql_times, end)
        return self.sql[low:high]

    def samples_in(self, start: float, end: float) -> list[Sample]:
        low = bisect.bisect_left(self._sample_times, start)
        high = bisect.bisect_right(self._sample_times, end)
        return self.samples[low:high]


__all__ = ["TRACER_DIR", "Sample", "SqlRecord", "Trace", "tracer_env"]
