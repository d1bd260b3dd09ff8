"""security-probes gate: attack the running service the way an outsider and a curious user would.

* every secured operation without a token, with garbage, expired, forged and ``alg: none`` tokens;
* BOLA: rows user A created, read/changed/deleted by id as user B, and A's rows in B's lists;
* SQL injection with sqlmap on each parameterized GET route (when sqlmap is installed);
* security headers on responses; rate limiting engages under a burst (429 with Retry-After).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import httpx

from backend_agent.gates._apiclient import (
    ApiUser,
    AuthOperations,
    AuthSetupError,
    find_auth_operations,
    seed,
    sign_up,
)
from backend_agent.gates._openapi import (
    Operation,
    auth_header,
    fill_path,
    operations,
    param_sample,
    resolve,
    sample,
)
from backend_agent.gates._probekit import TolerantTransport, bad_tokens, run_sqlmap
from backend_agent.gates._proc import find_tool
from backend_agent.gates._service import RunningService, cannot_start, option, run_on_service
from backend_agent.gates.base import Finding, Gate, GateResult, Target, note

NAME = "security-probes"
_ORDER = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}
_TOKEN_WORDS = {
    "no-token": "no token",
    "garbage-token": "a garbage token",
    "expired-token": "an expired token",
    "forged-signature": "a token signed with another key",
    "alg-none": "an unsigned token (alg: none)",
}
_VERB = {"GET": "read", "POST": "add rows under", "PUT": "replace", "PATCH": "change", "DELETE": "delete"}
REQUIRED_HEADERS = {
    "x-content-type-options": "add `X-Content-Type-Options: nosniff` to every response",
    "x-frame-options": "add `X-Frame-Options: DENY` (or CSP frame-ancestors) to every response",
    "content-security-policy": "add a Content-Security-Policy such as `default-src 'none'` for an API",
    "referrer-policy": "add `Referrer-Policy: no-referrer` to every response",
}


def _request(
    client: httpx.Client, doc: dict[str, Any], op: Operation, path: str, headers: dict[str, str]
) -> httpx.Response:
    query = {p["name"]: param_sample(doc, p, tag="probe") for p in op.query_params(required_only=True)}
    body = sample(doc, op.body_schema, tag="probe") if op.body_schema else None
    return client.request(op.method, path, params=query, json=body, headers=headers)


def _string_fields(doc: dict[str, Any], op: Operation) -> list[str]:
    """Top-level string properties of the operation's JSON body (not passwords: they are hashed)."""
    if not op.body_schema or (op.body_media and "json" not in op.body_media):
        return []
    schema = resolve(doc, op.body_schema)
    names = []
    for name, prop in (schema.get("properties") or {}).items():
        kinds = [prop.get("type")] + [s.get("type") for s in prop.get("anyOf", []) if isinstance(s, dict)]
        if "string" in kinds and "password" not in name.lower() and not prop.get("enum") and not prop.get("format"):
            names.append(name)
    return names


def _matching(seen: dict[str, str], name: str) -> str | None:
    """The answered value for a query parameter: same field name, else a name/title-like field."""
    for key in (name, "name", "title", "username", "slug", "body", "description"):
        if seen.get(key):
            return seen[key]
    return next((v for k, v in seen.items() if k not in ("created_at", "updated_at")), None)


def _concrete(op: Operation, created: dict[str, Any]) -> str:
    """``op.path`` with ids of rows user A created, or 1 where none is known."""
    if not op.path_params:
        return op.path
    filled = fill_path(op.path, created)
    if filled is not None:
        return filled
    path = op.path
    for name in op.path_params:
        path = path.replace("{" + name + "}", "1")
    return path


def _wrong_credential(name: str, owner: ApiUser) -> str:
    """The owner's identity under a wrong password: what a brute-force attempt on a real account sends."""
    low = name.lower()
    if "password" in low:
        return "wrong-" + owner.password
    return owner.email if "email" in low else owner.username


class SecurityProbesGate(Gate):
    name = NAME
    description = (
        "auth bypass, BOLA, SQL injection (sqlmap), security headers and rate limiting on the live service"
    )
    timeout_s = 420.0

    def applicable(self, target: Target) -> str | None:
        return cannot_start(target)

    def run(self, target: Target) -> GateResult:
        return run_on_service(
            target,
            gate=NAME,
            db_prefix="ba_probes",
            start_rule="probe:start",
            check=lambda service: _Probe(target, service).run(),
        )


class _Probe:
    def __init__(self, target: Target, service: RunningService) -> None:
        self.target = target
        self.service = service
        self.doc = service.openapi
        self.ops = sorted(operations(self.doc), key=lambda op: _ORDER.get(op.method, 9))
        self.findings: list[Finding] = []
        self.evidence: dict[str, Any] = {}
        self.counts: dict[str, int] = {}
        self.transport = TolerantTransport()
        self.client = httpx.Client(
            base_url=service.base_url, timeout=15.0, trust_env=False, transport=self.transport
        )

    def _count(self, key: str, amount: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + amount

    def run(self) -> GateResult:
        try:
            return self._run()
        finally:
            self.client.close()

    def _run(self) -> GateResult:
        auth = find_auth_operations(self.doc, option(self.target, NAME, "auth"))
        secured = [op for op in self.ops if op.secured]
        owner = intruder = None
        created: dict[str, Any] = {}
        seeded_tag = "probe"
        if secured:
            try:
                owner = sign_up(self.client, self.doc, config=option(self.target, NAME, "auth"), name="owner",
                                run=self.service.run_command)
                intruder = sign_up(
                    self.client, self.doc, config=option(self.target, NAME, "auth"), name="intruder",
                    run=self.service.run_command,
                )
            except (AuthSetupError, httpx.HTTPError) as exc:
                message = getattr(exc, "message", str(exc))
                self.findings.append(
                    Finding(
                        rule="probe:auth-setup",
                        message=message,
                        severity="high",
                        hint=getattr(exc, "hint", None),
                    )
                )
                return self._result()
            seeded = seed(self.client, self.doc, owner, auth)
            created, seeded_tag = seeded.created, seeded.tag
            self.evidence["rows_created_by_owner"] = created
            note(f"signed up two users; owner created {len(created)} row(s)")
            safe = [op for op in secured if op.method != "DELETE"]
            deletes = [op for op in secured if op.method == "DELETE"]
            shared = set(option(self.target, NAME, "shared", None) or [])
            if shared:
                self.evidence["bola_shared"] = sorted(shared)  # declared shared: any signed-in user may
            self._bola([op for op in safe if op.label not in shared], owner, intruder, created, seeded.tag)
            self._auth_bypass(safe, owner, created)
            self._bola([op for op in deletes if op.label not in shared], owner, intruder, created, seeded.tag)
            self._auth_bypass(deletes, owner, created)
            note(f"auth and BOLA probes done on {len(secured)} secured operation(s)")
        else:
            self.evidence["auth"] = (
                "the OpenAPI document marks no operation as secured; auth and BOLA probes skipped"
            )
        self._sqlmap(owner, created, seeded_tag)
        self._headers(owner)
        self._rate_limit(auth, owner)
        return self._result()

    # -- probes ---------------------------------------------------------------------------------

    def _auth_bypass(self, ops: list[Operation], owner: ApiUser, created: dict[str, Any]) -> None:
        variants: dict[str, dict[str, str]] = {"no-token": {}}
        for kind, token in bad_tokens(owner.token or "", service_key=self.service.secret_key).items():
            variants[kind] = auth_header(self.doc, token)
        for op in ops:
            path = _concrete(op, created)
            for kind, headers in variants.items():
                self._count("auth_requests")
                response = _request(self.client, self.doc, op, path, headers)
                if response.is_success:
                    severity: Any = "critical" if kind == "no-token" else "high"
                    self.findings.append(
                        Finding(
                            rule=f"probe:{kind}",
                            message=f"{op.label} is documented as secured but answered {response.status_code} "
                            f"to a request with {_TOKEN_WORDS.get(kind, kind)}",
                            severity=severity,
                            operation=op.label,
                            hint="require a valid, unexpired, properly signed token on this operation "
                            "(decode with an explicit algorithm list and verify exp)",
                        )
                    )

    def _bola(
        self, ops: list[Operation], owner: ApiUser, intruder: ApiUser, created: dict[str, Any], tag: str
    ) -> None:
        for op in ops:
            if not op.path_params:
                if op.method == "GET":
                    self._count("bola_requests")
                    response = _request(self.client, self.doc, op, op.path, intruder.headers)
                    if response.is_success and tag in response.text:
                        self._bola_finding(op, op.path, response.status_code, listing=True)
                continue
            path = fill_path(op.path, created)
            if path is None:
                continue
            self._count("bola_requests")
            response = _request(self.client, self.doc, op, path, intruder.headers)
            if response.is_success:
                self._bola_finding(op, path, response.status_code, listing=False)

    def _bola_finding(self, op: Operation, path: str, status: int, *, listing: bool) -> None:
        if listing:
            message = f"{op.label} as user B listed rows user A created ({status})"
        else:
            message = f"user B could {_VERB.get(op.method, 'use')} user A's row: {op.method} {path} answered {status}"
        self.findings.append(
            Finding(
                rule="probe:bola",
                message=message,
                severity="critical",
                operation=op.label,
                hint="scope the query to the caller (WHERE owner_id = current user) and answer 404 otherwise",
            )
        )

    def _sqlmap(self, owner: ApiUser | None, created: dict[str, Any], tag: str) -> None:
        sqlmap = find_tool("sqlmap")
        enabled = option(self.target, NAME, "sqlmap", not self.target.options.get("fast"))
        if sqlmap is None or not enabled:
            self.evidence["sqlmap"] = "skipped: " + (
                "sqlmap is not installed (apt-get install sqlmap)"
                if sqlmap is None
                else "disabled (fast profile)"
                if self.target.options.get("fast")
                else "disabled (sqlmap = false in the configuration)"
            )
            return
        budget = float(option(self.target, NAME, "sqlmap_budget_s", 150.0))
        workers = int(option(self.target, NAME, "sqlmap_workers", 3))
        # Level 2 adds the boundaries that close a LIKE '%…%' or a quoted string, which level 1 misses.
        level = min(5, max(1, int(option(self.target, NAME, "sqlmap_level", 2))))
        risk = min(3, max(1, int(option(self.target, NAME, "sqlmap_risk", 1))))
        deadline = time.monotonic() + budget
        routes = [op for op in self.ops if op.method == "GET" and (op.path_params or op.query_params())]
        if option(self.target, NAME, "sqlmap_post", True):
            auth = find_auth_operations(self.doc, option(self.target, NAME, "auth"))
            # Not the auth operations: a rate-limited login answers sqlmap with 429s, and its
            # burst would spoil the rate-limit probe that follows.
            skip = {op.label for op in (auth.register, auth.login) if op is not None}
            routes += [
                op for op in self.ops
                if op.method == "POST" and op.label not in skip and _string_fields(self.doc, op)
            ]  # fmt: skip

        chosen = option(self.target, NAME, "sqlmap_operations")
        if isinstance(chosen, list):
            routes = [op for op in routes if op.label in chosen]

        def probe(op: Operation) -> dict[str, Any]:
            remaining = deadline - time.monotonic()
            if remaining < 5:
                return {
                    "operation": op.label,
                    "vulnerable": False,
                    "timed_out": True,
                    "skipped": "budget spent",
                }
            headers = owner.headers if (owner and op.secured) else {}
            data = None
            if op.method == "POST":
                url = self.service.base_url + _concrete(op, created)
                data = self._injectable_body(op, tag)
            else:
                url = self.service.base_url + self._injectable_url(op, created, tag, headers)
            outcome = run_sqlmap(
                sqlmap, url, headers=headers, timeout_s=min(remaining, 90.0), level=level, risk=risk, data=data
            )
            if outcome.vulnerable:
                self.findings.append(
                    Finding(
                        rule="probe:sql-injection",
                        message=f"sqlmap confirmed SQL injection on {op.label} "
                        f"(parameters: {', '.join(outcome.parameters) or 'see evidence'})\n{outcome.excerpt}",
                        severity="critical",
                        operation=op.label,
                        hint="use bound parameters (SQLAlchemy expressions or text() with :params), never f-strings",
                    )
                )
            return {"operation": op.label, "vulnerable": outcome.vulnerable, "timed_out": outcome.timed_out}

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            outcomes = list(pool.map(probe, routes))
        self.evidence["sqlmap"] = outcomes
        note(f"sqlmap probed {len(outcomes)} route(s)")

    def _injectable_url(self, op: Operation, created: dict[str, Any], tag: str, headers: dict[str, str]) -> str:
        """A URL for sqlmap: ``*`` marks path parameters; string query values are taken from what
        the service itself answered (else the seeded rows' marker), so they match a real row and a
        true and a false injected condition answer differently."""
        path = _concrete(op, created)
        parts, template = path.split("/"), op.path.split("/")
        marked = [
            part + "*" if tpl.startswith("{") else part for part, tpl in zip(parts, template, strict=False)
        ]
        seen = self._response_strings(path, headers)
        values = []
        for p in op.query_params():
            schema = p.get("schema") or {}
            is_text = schema.get("type") == "string" or any(
                isinstance(s, dict) and s.get("type") == "string" for s in schema.get("anyOf", [])
            )
            value = _matching(seen, p["name"]) if is_text else None
            values.append(f"{p['name']}={quote(value or param_sample(self.doc, p, tag=tag))}")
        query = "&".join(values)
        return "/".join(marked) + (f"?{query}" if query else "")

    def _response_strings(self, path: str, headers: dict[str, str]) -> dict[str, str]:
        """Field name -> a string value from the operation's own answer (its first listed row)."""
        response = self.client.get(path, headers=headers)
        try:
            payload = response.json()
        except ValueError:
            return {}
        rows = payload if isinstance(payload, list) else next(
            (v for v in payload.values() if isinstance(v, list)), [payload]
        ) if isinstance(payload, dict) else []
        found: dict[str, str] = {}
        for row in rows[:5]:
            if isinstance(row, dict):
                for key, value in row.items():
                    if isinstance(value, str) and value and key not in found:
                        found[key] = value
        return found

    def _injectable_body(self, op: Operation, tag: str) -> str:
        """A JSON body valid for the operation with every string field marked ``*`` for sqlmap."""
        body = sample(self.doc, op.body_schema, tag=tag) if op.body_schema else {}
        if not isinstance(body, dict):
            body = {}
        for name in _string_fields(self.doc, op):
            body[name] = str(body.get(name) or tag) + "*"
        return json.dumps(body)

    def _headers(self, owner: ApiUser | None) -> None:
        responses = [self.client.get(self.service.ready_url)]
        listing = next(
            (op for op in self.ops if op.method == "GET" and op.secured and not op.path_params), None
        )
        if listing is not None and owner is not None:
            responses.append(self.client.get(listing.path, headers=owner.headers))
        seen: dict[str, list[str]] = {}
        for response in responses:
            for header in REQUIRED_HEADERS:
                if header == "x-frame-options" and "frame-ancestors" in response.headers.get(
                    "content-security-policy", ""
                ):
                    continue
                if header not in response.headers:
                    seen.setdefault(header, []).append(
                        f"{response.request.method} {response.request.url.path}"
                    )
        for header, where in seen.items():
            self.findings.append(
                Finding(
                    rule="probe:headers",
                    message=f"{header} is missing on {', '.join(where)}",
                    severity="medium",
                    operation=where[0],
                    hint=REQUIRED_HEADERS[header] + " (a small ASGI middleware does it for all routes)",
                )
            )
        self.evidence["headers_checked"] = [f"{r.request.method} {r.request.url.path}" for r in responses]
        self._hsts()

    def _hsts(self) -> None:
        """HSTS belongs on HTTPS responses; behind a proxy the service learns of HTTPS from
        X-Forwarded-Proto, which uvicorn honours from loopback."""
        response = self.client.get(self.service.ready_url, headers={"X-Forwarded-Proto": "https"})
        present = "strict-transport-security" in response.headers
        self.evidence["hsts"] = (
            "present over (forwarded) HTTPS" if present else "absent over (forwarded) HTTPS"
        )
        if not present:
            self.findings.append(
                Finding(
                    rule="probe:hsts",
                    message="no Strict-Transport-Security header on a request forwarded as HTTPS",
                    severity="low",
                    operation=f"GET {response.request.url.path}",
                    hint="send `Strict-Transport-Security: max-age=63072000` on HTTPS responses "
                    "(or make sure the TLS proxy adds it)",
                )
            )

    def _burst_target(
        self, auth: AuthOperations, owner: ApiUser | None
    ) -> tuple[Operation, Callable[[], httpx.Response]] | None:
        """Failed logins when the API has a login (brute force is what limits are for), else a GET."""
        login = auth.login
        if login is not None and owner is not None:
            fields = (login.body_schema or {}).get("properties") or {}
            body = {name: _wrong_credential(name, owner) for name in fields}
            if login.body_media and "form" in login.body_media:
                return login, lambda: self.client.post(login.path, data=body)
            return login, lambda: self.client.post(login.path, json=body)
        fallback = next((o for o in self.ops if o.method == "GET" and not o.path_params), None)
        if fallback is None:
            return None
        headers = owner.headers if owner and fallback.secured else {}
        return fallback, lambda: self.client.get(fallback.path, headers=headers)

    def _rate_limit(self, auth: AuthOperations, owner: ApiUser | None) -> None:
        burst = int(option(self.target, NAME, "rate_limit_burst", 300))
        window_s = float(option(self.target, NAME, "rate_limit_window_s", 60.0))
        chosen = self._burst_target(auth, owner)
        if chosen is None:
            return
        op, call = chosen
        deadline = time.monotonic() + window_s
        sent, limited = 0, None
        with ThreadPoolExecutor(max_workers=8) as pool:
            while sent < burst and limited is None and time.monotonic() < deadline:
                batch = [pool.submit(call) for _ in range(min(8, burst - sent))]
                for future in batch:
                    response = future.result()
                    if response.status_code == 429 and limited is None:
                        limited = response
                sent += len(batch)
        self.evidence["rate_limit"] = {
            "operation": op.label,
            "requests": sent,
            "limited": limited is not None,
        }
        if limited is None:
            self.findings.append(
                Finding(
                    rule="probe:rate-limit",
                    message=f"{sent} rapid requests to {op.label} never got 429 Too Many Requests",
                    severity="medium",
                    operation=op.label,
                    hint="rate-limit per client (at least on login/registration) and answer 429 with Retry-After",
                )
            )
        elif "retry-after" not in limited.headers:
            self.findings.append(
                Finding(
                    rule="probe:retry-after",
                    message=f"{op.label} answered 429 without a Retry-After header",
                    severity="low",
                    operation=op.label,
                    hint="tell clients when to retry with a Retry-After header",
                )
            )
        note(f"rate limit: {'429 after ' + str(sent) if limited is not None else 'none'} request(s)")

    def _dropped(self) -> None:
        """One finding per operation whose connection was dropped on every retry."""
        if not self.transport.dropped:
            return
        by_path: dict[str, int] = {}
        for where in self.transport.dropped:
            label = self._operation_of(where)
            by_path[label] = by_path.get(label, 0) + 1
        self.evidence["connections_dropped"] = by_path
        for where, count in sorted(by_path.items()):
            self.findings.append(
                Finding(
                    rule="probe:connection-dropped",
                    message=f"{where} dropped the connection without a complete answer "
                    f"({count} request(s), each retried {self.transport.retries} times)",
                    severity="medium",
                    operation=where,
                    hint="a handler crashed after the response started (or the worker died); "
                    "see the service log and return an error response instead",
                )
            )

    def _operation_of(self, request: str) -> str:
        """``GET /api/tags/1`` -> ``GET /api/tags/{tag_id}`` when a documented operation matches."""
        method, _, path = request.partition(" ")
        for op in self.ops:
            pattern = "^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(op.path)) + "$"
            if op.method == method and re.match(pattern, path):
                return op.label
        return request

    def _result(self) -> GateResult:
        self._dropped()
        failing = [f for f in self.findings if f.severity in ("medium", "high", "critical")]
        metrics = {**self.counts, "findings": len(self.findings)}
        sqlmap = self.evidence.get("sqlmap")
        # A part left out (sqlmap missing or off) is said in the summary, not only in the evidence.
        left_out = f"; sqlmap {sqlmap}" if isinstance(sqlmap, str) else ""
        if failing:
            rules = sorted({f.rule for f in failing})
            return GateResult(
                gate=NAME,
                status="fail",
                summary=f"{len(failing)} security problem(s): {', '.join(rules)}{left_out}",
                findings=self.findings,
                metrics=metrics,
                evidence=self.evidence,
                hint="each finding names the operation and how to fix it",
            )
        return GateResult(
            gate=NAME,
            status="pass",
            summary=(
                "no auth bypass or BOLA found; headers and rate limiting in place" + left_out
                if left_out
                else "no auth bypass, BOLA or injection found; headers and rate limiting in place"
            ),
            findings=self.findings,
            metrics=metrics,
            evidence=self.evidence,
        )


__all__ = ["SecurityProbesGate"]
