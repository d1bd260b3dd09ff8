"""Boundary values for every integer, number, string and enum parameter of the read operations.

For each parameter: the schema's bounds and just beyond them (minimum-1, maximum+1, maxLength+1),
and where the schema sets no bound the values that overflow real column types (2^31, 2^63, 2^64,
-2^63-1), an empty and a 10 000-character string, and a value outside the enum. A documented
bound must be enforced with a 4xx and an in-range value must not crash: any 5xx, or a dropped
connection, is one finding per (operation, parameter) listing the values that broke it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from backend_agent.gates._openapi import Operation, operations, param_sample, resolve
from backend_agent.gates.base import Finding

OVERFLOWS = (2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1)
_RETRIES = 2


def _schema(doc: dict[str, Any], param: dict[str, Any]) -> dict[str, Any]:
    schema = resolve(doc, param.get("schema") or {})
    for key in ("anyOf", "oneOf"):
        options = [s for s in schema.get(key, []) if isinstance(s, dict) and s.get("type") != "null"]
        if options:
            return {**options[0], **{k: v for k, v in schema.items() if k not in (key,)}}
    return schema if isinstance(schema, dict) else {}


def boundary_values(schema: dict[str, Any]) -> list[Any]:
    """The edge values worth sending for one parameter schema."""
    kind = schema.get("type")
    if schema.get("enum"):
        return [schema["enum"][0], schema["enum"][-1], "not-a-member"]
    if kind in ("integer", "number"):
        values: list[Any] = [0, -1]
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        for bound in (low, high):
            if isinstance(bound, int | float):
                values += [bound, bound - 1, bound + 1]
        if low is None or high is None:
            values += list(OVERFLOWS)
        return list(dict.fromkeys(values))
    if kind == "string" and schema.get("format") not in ("date", "date-time", "uuid", "email", "binary"):
        longest = schema.get("maxLength")
        values = ["", "x" * 10_000]
        if isinstance(longest, int):
            values += ["x" * longest, "x" * (longest + 1)]
        return values
    return []


@dataclass
class BoundaryOutcome:
    requests: int = 0
    findings: list[Finding] = field(default_factory=list)
    broken: dict[str, list[str]] = field(default_factory=dict)


def send_tolerant(client: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
    """The response, retried on a dropped connection; None when the connection failed every time."""
    for attempt in range(_RETRIES + 1):
        try:
            return client.request(method, path, **kwargs)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError, httpx.WriteError):
            if attempt == _RETRIES:
                return None
            time.sleep(0.3 * (attempt + 1))
    return None


def _fill(doc: dict[str, Any], op: Operation, created: dict[str, Any]) -> tuple[str, dict[str, str]]:
    from backend_agent.gates._openapi import fill_path

    path = fill_path(op.path, created) if op.path_params else op.path
    if path is None:
        path = op.path
        for name in op.path_params:
            path = path.replace("{" + name + "}", "1")
    query = {p["name"]: param_sample(doc, p, tag="edge") for p in op.query_params(required_only=True)}
    return path, query


def probe_boundaries(
    client: httpx.Client, doc: dict[str, Any], *, headers: dict[str, str], created: dict[str, Any] | None = None,
    budget_s: float = 60.0,
) -> BoundaryOutcome:
    """Send every boundary value of every GET parameter; collect 5xx and dropped connections."""
    outcome = BoundaryOutcome()
    deadline = time.monotonic() + budget_s
    for op in (o for o in operations(doc) if o.method == "GET"):
        base_path, base_query = _fill(doc, op, created or {})
        auth = headers if op.secured else {}
        for param in op.parameters:
            if param.get("in") not in ("path", "query"):
                continue
            name = str(param.get("name"))
            failures: list[str] = []
            for value in boundary_values(_schema(doc, param)):
                if time.monotonic() > deadline:
                    break
                path, query = base_path, dict(base_query)
                if param["in"] == "path":
                    segment = "{" + name + "}"
                    if segment not in op.path:
                        continue
                    parts = op.path.split("/")
                    filled = base_path.split("/")
                    path = "/".join(str(value) if tpl == segment else cur for tpl, cur in zip(parts, filled, strict=False))
                    if value == "":
                        continue  # an empty path segment is another route
                else:
                    query[name] = value
                outcome.requests += 1
                response = send_tolerant(client, "GET", path, params=query, headers=auth)
                shown = value if not isinstance(value, str) or len(value) <= 20 else f"<{len(value)} chars>"
                if response is None:
                    failures.append(f"{shown!r}: connection dropped")
                elif response.status_code >= 500:
                    failures.append(f"{shown!r}: {response.status_code}")
            if failures:
                outcome.broken[f"{op.label} {name}"] = failures
                outcome.findings.append(
                    Finding(
                        rule="contract:boundary",
                        message=f"{op.label}: {param['in']} parameter {name} breaks the service at its edges "
                        f"({'; '.join(failures[:6])})",
                        severity="high",
                        operation=op.label,
                        hint=f"bound {name} in its schema (e.g. Path(ge=1, le=2**63 - 1) for a 64-bit id, "
                        "max_length for strings) so out-of-range values get a 422, and handle the edges in code",
                    )
                )
    return outcome


__all__ = ["OVERFLOWS", "BoundaryOutcome", "boundary_values", "probe_boundaries", "send_tolerant"]
