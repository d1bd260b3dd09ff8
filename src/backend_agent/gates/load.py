"""load gate: bounded load on representative read and write operations of the live service.

wrk when installed (a Lua script sets method, body and auth header and prints the latency
distribution), else locust headless. Per operation: rps, p50/p95/p99, error rate and a latency
histogram in ``metrics["operations"][label]``. Fails when p95 or the error rate passes its bound
(defaults 100 ms and 0.1 %; ``p95_ms``, ``error_rate``, ``duration_s``, ``connections`` options).
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from backend_agent.gates._apiclient import (
    ApiUser,
    AuthSetupError,
    find_auth_operations,
    post_body,
    seed,
    sign_up,
)
from backend_agent.gates._loadtools import MARK, LoadRequest, OpStats, run_locust, run_wrk
from backend_agent.gates._openapi import Operation, fill_path, has_auth, operations, param_sample, sample
from backend_agent.gates._probekit import TolerantTransport
from backend_agent.gates._proc import find_tool, install_hint
from backend_agent.gates._service import RunningService, cannot_start, option, run_on_service
from backend_agent.gates.base import Finding, Gate, GateResult, Target, note

NAME = "load"
_SKIP_PATHS = ("health", "openapi", "docs", "metrics", "auth", "login", "register", "token")


# Words that name a read in an RPC-style path or operationId (listCards, /cards.list, search_orders).
_RPC_READ = re.compile(r"(^|[\s./_-])(list|search|find|query)", re.IGNORECASE)


def _is_plain(op: Operation) -> bool:
    return not any(word in op.path.lower() for word in _SKIP_PATHS)


def _required_query(doc: dict[str, Any], op: Operation) -> str:
    pairs = [f"{p['name']}={param_sample(doc, p, tag='load')}" for p in op.query_params(required_only=True)]
    return ("?" + "&".join(pairs)) if pairs else ""


def pick_requests(
    doc: dict[str, Any], *, created: dict[str, Any], headers: dict[str, str], chosen: list[str] | None = None
) -> list[LoadRequest]:
    """A collection read, an item read and a create (or the configured ``operations``)."""
    ops = [op for op in operations(doc) if _is_plain(op) or (chosen and op.label in chosen)]
    picked: list[Operation] = []
    if chosen:
        picked = [op for op in ops if op.label in chosen]
    else:
        reads = [op for op in ops if op.method == "GET"]
        collection = next((op for op in reads if op.path in created), None) or next(
            (op for op in reads if not op.path_params), None
        )
        item = next((op for op in reads if op.path_params and fill_path(op.path, created)), None)
        write = next((op for op in ops if op.method == "POST" and op.path in created), None)
        picked = [op for op in (collection, item, write) if op is not None]
        if not picked:  # an RPC-style API: a body-less POST that reads (``POST /cards.list``), else any GET
            rpc_read = next((op for op in ops if op.method == "POST" and not op.body_schema and not op.path_params
                             and _RPC_READ.search(f"{op.path} {op.operation_id or ''}")), None)
            health = next((op for op in operations(doc) if op.method == "GET" and not op.path_params), None)
            picked = [op for op in (rpc_read or health,) if op is not None]
    requests: list[LoadRequest] = []
    for op in picked:
        path = fill_path(op.path, created) if op.path_params else op.path
        if path is None:
            continue
        body = sample(doc, op.body_schema, tag=MARK) if op.body_schema and op.method != "GET" else None
        op_headers = headers if op.secured else {}
        requests.append(
            LoadRequest(
                label=op.label,
                method=op.method,
                path=path + _required_query(doc, op),
                headers=op_headers,
                body=body,
            )
        )
    return requests


def _thresholds(target: Target) -> tuple[float, float]:
    return float(option(target, NAME, "p95_ms", 100.0)), float(option(target, NAME, "error_rate", 0.001))


def judge(label: str, stats: OpStats, *, p95_ms: float, error_rate: float) -> list[Finding]:
    findings: list[Finding] = []
    if stats.p95_ms > p95_ms:
        findings.append(
            Finding(
                rule="load:p95",
                message=f"p95 latency {stats.p95_ms:.1f} ms exceeds {p95_ms:g} ms "
                f"(p50 {stats.p50_ms:.1f} ms, p99 {stats.p99_ms:.1f} ms, {stats.rps:.0f} rps)",
                severity="high",
                operation=label,
                hint="profile the endpoint (slow queries, N+1, blocking calls in async code) or raise p95_ms",
            )
        )
    if stats.error_rate > error_rate:
        findings.append(
            Finding(
                rule="load:error-rate",
                message=f"{stats.errors} of {stats.requests} requests failed ({stats.error_rate:.2%} > {error_rate:.2%})",
                severity="high",
                operation=label,
                hint="look at the service log for the failing requests (timeouts, 5xx, rate limits)",
            )
        )
    return findings


class LoadGate(Gate):
    name = NAME
    description = "bounded load (wrk or locust): rps, p50/p95/p99, error rate per operation"
    timeout_s = 240.0

    def applicable(self, target: Target) -> str | None:
        if reason := cannot_start(target):
            return reason
        if self._tool(target) is None:
            return f"neither wrk nor locust is installed: {install_hint('wrk')}"
        return None

    def _tool(self, target: Target) -> tuple[str, str] | None:
        wanted = option(target, NAME, "tool")
        for name in (wanted,) if wanted else ("wrk", "locust"):
            path = find_tool(str(name))
            if path:
                return str(name), path
        return None

    def run(self, target: Target) -> GateResult:
        return run_on_service(
            target,
            gate=NAME,
            db_prefix="ba_load",
            start_rule="load:start",
            check=lambda service: self._load(target, service),
        )

    def _prepare(self, target: Target, service: RunningService) -> tuple[dict[str, Any], dict[str, str]]:
        doc = service.openapi
        # Retries a dropped connection (as after the app's own 500) instead of failing the gate.
        transport = TolerantTransport()
        with httpx.Client(base_url=service.base_url, timeout=15.0, trust_env=False, transport=transport) as client:
            headers: dict[str, str] = {}
            auth = find_auth_operations(doc, option(target, NAME, "auth"))
            if has_auth(doc):
                headers = sign_up(client, doc, config=option(target, NAME, "auth"), name="load",
                                  run=service.run_command).headers
            created: dict[str, Any] = {}
            if doc:
                seeded = seed(
                    client,
                    doc,
                    ApiUser(username="load", password="", email="", token=None, headers=headers),
                    auth,
                )
                created = seeded.created
                for _ in range(20):  # some rows so list reads do real work
                    for op_path in list(created)[:1]:
                        op = next(o for o in operations(doc) if o.method == "POST" and o.path == op_path)
                        post_body(client, op, sample(doc, op.body_schema, tag=seeded.tag), headers, op_path)
        return created, headers

    def _load(self, target: Target, service: RunningService) -> GateResult:
        fast = bool(target.options.get("fast"))
        total_s = float(option(target, NAME, "duration_s", 4.0 if fast else 10.0))
        connections = int(option(target, NAME, "connections", 4))
        p95_ms, max_error_rate = _thresholds(target)
        tool = self._tool(target)
        if tool is None:
            return GateResult(gate=NAME, status="skip", summary=install_hint("wrk"))
        try:
            created, headers = self._prepare(target, service)
        except (AuthSetupError, httpx.HTTPError) as exc:
            message = getattr(exc, "message", str(exc))
            return GateResult(
                gate=NAME,
                status="fail",
                summary=f"could not prepare the load test: {message}",
                findings=[
                    Finding(
                        rule="load:setup", message=message, severity="high", hint=getattr(exc, "hint", None)
                    )
                ],
            )
        chosen = option(target, NAME, "operations")
        requests = pick_requests(service.openapi, created=created, headers=headers, chosen=chosen)
        if not requests:
            return GateResult(gate=NAME, status="skip", summary="no operation to put under load was found")
        per_op = max(1.0, total_s / len(requests))
        tool_name, tool_path = tool
        metrics: dict[str, Any] = {
            "tool": tool_name,
            "connections": connections,
            "duration_s": round(per_op, 2),
            "p95_ms": p95_ms,
            "max_error_rate": max_error_rate,
            "operations": {},
        }
        evidence: dict[str, Any] = {
            "thresholds": {"p95_ms": p95_ms, "error_rate": max_error_rate},
            "reports": {},
        }
        findings: list[Finding] = []
        for request in requests:
            runner = run_wrk if tool_name == "wrk" else run_locust
            stats, report = runner(
                tool_path, service.base_url, request, duration_s=per_op, connections=connections
            )
            evidence["reports"][request.label] = report
            if stats is None:
                findings.append(
                    Finding(
                        rule="load:tool",
                        message=f"{tool_name} produced no figures for {request.label}",
                        severity="high",
                        operation=request.label,
                        hint="see the tool output in the evidence",
                    )
                )
                continue
            metrics["operations"][request.label] = stats.as_metrics()
            note(
                f"{request.label}: p95 {stats.p95_ms:.1f} ms, {stats.rps:.0f} rps, errors {stats.error_rate:.2%}"
            )
            findings.extend(judge(request.label, stats, p95_ms=p95_ms, error_rate=max_error_rate))
        if not service.alive():
            evidence["service_log"] = service.logs()
        worst = max((m["p95_ms"] for m in metrics["operations"].values()), default=0.0)
        if findings:
            return GateResult(
                gate=NAME,
                status="fail",
                summary=f"{len(findings)} load threshold(s) missed; worst p95 {worst:.1f} ms",
                findings=findings,
                metrics=metrics,
                evidence=evidence,
                hint="the operations named in the findings are too slow or fail under load",
            )
        return GateResult(
            gate=NAME,
            status="pass",
            summary=f"{len(requests)} operations under load: worst p95 {worst:.1f} ms (limit {p95_ms:g} ms)",
            metrics=metrics,
            evidence=evidence,
        )


__all__ = ["LoadGate", "judge", "pick_requests"]
