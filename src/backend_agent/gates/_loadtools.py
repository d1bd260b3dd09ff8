"""Load generators for the load gate: wrk (with a Lua reporter) or locust headless, same figures out.

Both return an ``OpStats`` per operation: request count, rps, error rate, p50/p95/p99 and a latency
histogram as ``[[upper_ms, count], ...]`` over fixed bucket edges.
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
import textwrap
from bisect import bisect_left
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend_agent.gates._proc import run_process

BUCKETS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000)
MARK = "BAMARK"  # replaced by a per-request counter so writes do not collide on unique columns


@dataclass(frozen=True)
class LoadRequest:
    """One operation to load: method, concrete path, headers and an optional JSON body."""

    label: str  # "GET /api/projects/{project_id}"
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass
class OpStats:
    requests: int
    errors: int
    duration_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    histogram: list[list[float]]

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 1.0

    def as_metrics(self) -> dict[str, Any]:
        return {
            "p50_ms": round(self.p50_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "rps": round(self.rps, 1),
            "error_rate": round(self.error_rate, 5),
            "requests": self.requests,
            "errors": self.errors,
            "histogram": self.histogram,
        }


def bucketize(samples: list[tuple[float, int]]) -> list[list[float]]:
    """``[(latency_ms, count)]`` -> ``[[upper_ms, count]]`` over BUCKETS_MS (last bucket open)."""
    counts = [0] * (len(BUCKETS_MS) + 1)
    for value, count in samples:
        counts[bisect_left(BUCKETS_MS, value)] += count
    edges: list[float] = [*BUCKETS_MS, float("inf")]
    rows = [[float(edge), float(count)] for edge, count in zip(edges, counts, strict=True)]
    while len(rows) > 1 and rows[-1][1] == 0:
        rows.pop()
    if rows and rows[-1][0] == float("inf"):
        rows[-1][0] = float(BUCKETS_MS[-1]) * 10
    return rows


def _lua_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def wrk_script(request: LoadRequest) -> str:
    """A wrk Lua script: method, headers, a unique body per request, and a machine-readable report."""
    headers = "\n".join(f"wrk.headers[{_lua_quote(k)}] = {_lua_quote(v)}" for k, v in request.headers.items())
    body = json.dumps(request.body) if request.body is not None else ""
    return textwrap.dedent(
        """\
        wrk.method = {method}
        {headers}
        local body = {body}
        if body ~= "" then wrk.headers["Content-Type"] = "application/json" end
        local counter = 0
        local thread_id = 0
        local threads = 0
        function setup(thread)
          threads = threads + 1
          thread:set("tid", threads)
        end
        function init(args)
          thread_id = tid or 0
        end
        function request()
          if body == "" then return wrk.format() end
          counter = counter + 1
          local unique = string.gsub(body, "{mark}", "t" .. thread_id .. "n" .. counter)
          return wrk.format(nil, nil, nil, unique)
        end
        function done(summary, latency, requests)
          local e = summary.errors
          io.write(string.format("BA_SUMMARY %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
            e.connect, e.read, e.write, e.status, e.timeout))
          for _, p in ipairs({{50, 95, 99}}) do
            io.write(string.format("BA_PCT %d %d\\n", p, latency:percentile(p)))
          end
          for i = 1, #latency do
            local value, count = latency(i)
            io.write(string.format("BA_LAT %d %d\\n", value, count))
          end
        end
        """
    ).format(method=_lua_quote(request.method), headers=headers, body=_lua_quote(body), mark=MARK)


def parse_wrk(output: str) -> OpStats | None:
    """The figures the Lua reporter printed; None when wrk did not get that far."""
    summary = re.search(r"^BA_SUMMARY (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", output, re.MULTILINE)
    if not summary:
        return None
    requests, duration_us, *errors = (int(x) for x in summary.groups())
    pct = {int(p): int(v) / 1000 for p, v in re.findall(r"^BA_PCT (\d+) (\d+)$", output, re.MULTILINE)}
    samples = [(int(v) / 1000, int(c)) for v, c in re.findall(r"^BA_LAT (\d+) (\d+)$", output, re.MULTILINE)]
    # Socket errors happen on requests that never completed; status errors are counted in ``requests``.
    failed = sum(errors)
    return OpStats(
        requests=requests + errors[0],
        errors=failed,
        duration_s=duration_us / 1e6,
        p50_ms=pct.get(50, 0.0),
        p95_ms=pct.get(95, 0.0),
        p99_ms=pct.get(99, 0.0),
        histogram=bucketize(samples),
    )


def run_wrk(
    wrk: str, base_url: str, request: LoadRequest, *, duration_s: float, connections: int, threads: int = 2
) -> tuple[OpStats | None, str]:
    with tempfile.TemporaryDirectory(prefix="ba-wrk-") as tmp:
        script = Path(tmp) / "load.lua"
        script.write_text(wrk_script(request), encoding="utf-8")
        cmd = [
            wrk, f"-t{min(threads, connections)}", f"-c{connections}", f"-d{max(1, round(duration_s))}s",
            "--timeout", "5s", "--latency", "-s", str(script), base_url + request.path,
        ]  # fmt: skip
        proc = run_process(cmd, cwd=tmp, timeout_s=duration_s + 30)
    text = proc.stdout + proc.stderr
    report = "\n".join(line for line in text.splitlines() if not line.startswith("BA_LAT"))
    return parse_wrk(proc.stdout), report[-3000:]


LOCUSTFILE = """\
import json
import itertools
from locust import FastHttpUser, constant, task

REQUESTS = json.loads({payload!r})
_counter = itertools.count()


class GateUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def call(self):
        for item in REQUESTS:
            body = item["body"]
            if body is not None:
                body = json.loads(json.dumps(body).replace("{mark}", "u%d" % next(_counter)))
            with self.client.request(item["method"], item["path"], headers=item["headers"], json=body,
                                     name=item["label"], catch_response=True) as response:
                if response.status_code >= 400:
                    response.failure("status %d" % response.status_code)
"""


def parse_locust_csv(stats_csv: str) -> dict[str, OpStats]:
    """Per-name figures from locust's ``*_stats.csv`` (histogram estimated from its percentiles)."""
    result: dict[str, OpStats] = {}
    for row in csv.DictReader(stats_csv.splitlines()):
        name = row.get("Name", "")
        if not name or name == "Aggregated":
            continue
        requests = int(float(row.get("Request Count") or 0))
        rps = float(row.get("Requests/s") or 0)
        points = [
            (float(p.rstrip("%")), float(row[p]))
            for p in row
            if p.endswith("%") and row[p] not in ("", "N/A")
        ]
        samples: list[tuple[float, int]] = []
        previous = 0.0
        for percent, value in sorted(points):
            samples.append((value, round(requests * (percent - previous) / 100)))
            previous = percent
        result[name] = OpStats(
            requests=requests,
            errors=int(float(row.get("Failure Count") or 0)),
            duration_s=requests / rps if rps else 0.0,
            p50_ms=float(row.get("50%") or 0),
            p95_ms=float(row.get("95%") or 0),
            p99_ms=float(row.get("99%") or 0),
            histogram=bucketize(samples),
        )
    return result


def run_locust(
    locust: str, base_url: str, request: LoadRequest, *, duration_s: float, connections: int
) -> tuple[OpStats | None, str]:
    payload = json.dumps([{**request.__dict__}])
    with tempfile.TemporaryDirectory(prefix="ba-locust-") as tmp:
        locustfile = Path(tmp) / "locustfile.py"
        locustfile.write_text(LOCUSTFILE.format(payload=payload, mark=MARK), encoding="utf-8")
        cmd = [
            locust, "-f", str(locustfile), "--headless", "-u", str(connections), "-r", str(connections),
            "-t", f"{max(1, round(duration_s))}s", "--host", base_url, "--csv", str(Path(tmp) / "run"),
            "--only-summary", "--stop-timeout", "2", "--loglevel", "WARNING",
        ]  # fmt: skip
        proc = run_process(cmd, cwd=tmp, timeout_s=duration_s + 60)
        stats_file = Path(tmp) / "run_stats.csv"
        stats = parse_locust_csv(stats_file.read_text(encoding="utf-8")) if stats_file.is_file() else {}
    return stats.get(request.label), proc.tail(3000)


__all__ = [
    "BUCKETS_MS",
    "MARK",
    "LoadRequest",
    "OpStats",
    "bucketize",
    "parse_locust_csv",
    "parse_wrk",
    "run_locust",
    "run_wrk",
    "wrk_script",
]
