"""contract gate: schemathesis against the live service's OpenAPI, as a signed-in test user.

All checks, bounded examples (fewer with ``--fast``), every phase including the stateful one.
Before the fuzzer starts, the gate creates a few rows through the API's own creates: a list checked
while it is empty proves nothing about the shape of its rows. Any server error, schema violation or undocumented status is a finding naming the operation and
the failed check; the JUnit report is the source, the console output the fallback evidence.
"""

from __future__ import annotations

import re
import tempfile
import time
import xml.etree.ElementTree as ET  # nosec B405 - parses the report schemathesis just wrote
from pathlib import Path
from typing import Any

import httpx

from backend_agent.gates._apiclient import ApiUser, AuthSetupError, find_auth_operations, seed, sign_up
from backend_agent.gates._boundaries import probe_boundaries
from backend_agent.gates._openapi import has_auth, operations
from backend_agent.gates._proc import find_tool, install_hint, run_process
from backend_agent.gates._service import RunningService, cannot_start, option, run_on_service
from backend_agent.gates.base import Finding, Gate, GateResult, Target, note

NAME = "contract"
DEFAULT_EXAMPLES = 25
ALL_PHASES = ("examples", "coverage", "fuzzing", "stateful")
# --fast keeps the deterministic coverage phase (boundary and negative values of every parameter,
# which reliably reaches unknown ids and limits) and drops random fuzzing, whose finds vary by seed.
FAST_PHASES = ("examples", "coverage", "stateful")
FAST_EXAMPLES = 15
SEED_ROWS = 2  # rows created per collection before fuzzing: a list of two shows its rows and their order
# schemathesis's own positive_data_acceptance defaults: what a schema-valid request may be answered with.
ACCEPTED_BY_DEFAULT = ("2xx", "3xx", "401", "403", "404", "409", "429", "5xx")

# Failures that mean the service is broken or insecure rather than merely off its documentation.
_SEVERITY = {"ST101": "high", "ST102": "high", "ST401": "critical", "ST402": "critical"}
_HINTS = {
    "ST101": "the service crashed (5xx); reproduce with the curl command and fix the handler",
    "ST102": "reject undeclared content types with 415 before the body parser runs",
    "ST103": "document this status code in the operation's responses, or stop returning it",
    "ST104": "send the documented Content-Type with the response",
    "ST105": "document the response Content-Type or return the documented one",
    "ST107": "send the response headers the operation documents as required",
    "ST108": "make the response body and headers match their documented schemas",
    "ST109": "return valid JSON under a JSON Content-Type",
    "ST201": "reject invalid input with a 4xx (validate the request against its schema)",
    "ST202": "accept every request the schema allows, or tighten the schema",
    "ST203": "reject requests that lack a required header with a 4xx",
    "ST204": "answer methods the path does not support with 405 and an Allow header",
    "ST205": "list exactly the documented methods in the Allow header",
    "ST301": "stop serving a resource once DELETE has removed it (404 afterwards)",
    "ST302": "serve a created resource at the location its POST response points to",
    "ST401": "require a valid token on this operation, as its OpenAPI security says",
    "ST402": "check that the caller owns the object before returning it",
}


def _st_binary() -> str | None:
    return find_tool("st") or find_tool("schemathesis")


def _explanations() -> dict[str, str]:
    try:
        from schemathesis.cli.commands.explain.explanations import EXPLANATIONS
    except Exception:  # schemathesis may live in another environment; its texts are a bonus
        return {}
    return {code: entry.summary for code, entry in EXPLANATIONS.items()}


def _failure_findings(operation: str, codes: list[str], text: str, explain: dict[str, str]) -> list[Finding]:
    lines = [line.strip() for line in text.splitlines()]
    detail = [
        line
        for line in lines
        if line.startswith(("Received:", "Documented:", "Expected:", "Got ", "Invalid component", "`"))
    ][:4]
    curl = next((line for line in lines if line.startswith("curl ")), None)
    findings = []
    for code in codes:
        title = next((line[2:] for line in lines if line.startswith(f"- {code}")), code)
        message = title + (f" ({'; '.join(detail)})" if detail else "")
        if curl:
            message += f"\nReproduce: {curl}"
        severity: Any = _SEVERITY.get(code, "medium")
        hint = _HINTS.get(code) or explain.get(code) or f"see `st explain {code}`"
        findings.append(
            Finding(
                rule=f"contract:{code}", message=message, severity=severity, operation=operation, hint=hint
            )
        )
    return findings


_CURL = re.compile(r"curl -X (\w+) .*?https?://[^/\s']+(/[^?\s']*)")


def _template_of(text: str, doc: dict[str, Any] | None) -> str | None:
    """The documented operation a reproduction curl command hits (stateful failures name none)."""
    match = _CURL.search(text)
    if not match or not doc:
        return None
    method, path = match.group(1).upper(), match.group(2)
    for op in operations(doc):
        pattern = "^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(op.path)) + "$"
        if op.method == method and re.match(pattern, path):
            return op.label
    return f"{method} {path}"


def parse_junit(xml_text: str, doc: dict[str, Any] | None = None) -> list[Finding]:
    """One finding per (operation, failure code) in a schemathesis JUnit report.

    Stateful failures are reported under a "Stateful tests" case; ``doc`` lets them be named by
    the operation their reproduction request hits.
    """
    explain = _explanations()
    root = ET.fromstring(xml_text)  # nosec B314 - a local file the gate's own subprocess wrote
    findings: list[Finding] = []
    for case in root.iter("testcase"):
        name = case.get("name", "?")
        for element in [*case.findall("failure"), *case.findall("error")]:
            text = element.text or ""
            operation = name if re.match(r"[A-Z]+ /", name) else (_template_of(text, doc) or name)
            code = element.get("message") or ""
            codes = re.findall(r"ST\d{3}", code)
            if element.tag == "error" or not codes:
                findings.append(
                    Finding(
                        rule="contract:error",
                        message=(code + ": " + text.strip())[:1500],
                        severity="high",
                        operation=operation,
                        hint="schemathesis could not test this operation; fix the schema or the service error",
                    )
                )
                continue
            findings.extend(_failure_findings(operation, codes, text, explain))
    return findings


def summary_counts(output: str) -> dict[str, Any]:
    """Figures from the console summary: generated/passed test cases, operations, warnings."""
    metrics: dict[str, Any] = {}
    match = re.search(r"(\d+) generated, (\d+) (?:passed|found)", output)
    if match:
        metrics["cases_generated"] = int(match.group(1))
    match = re.search(r"Tested: (\d+)", output)
    if match:
        metrics["operations_tested"] = int(match.group(1))
    warnings = re.findall(r"⚠️ (.+)", output)
    if warnings:
        metrics["warnings"] = warnings
    return metrics


def schemathesis_config(
    accept: list[int] | dict[str, list[int]] | None, disabled: dict[str, list[str]] | None = None
) -> str | None:
    """A schemathesis.toml for the project's per-operation options; None when there is nothing to add.

    ``accept``: the statuses a project answers a well-formed request with when a business rule refuses
    it (a uniqueness conflict answered with 422, say), for every operation (a list) or per operationId
    (a table); they count as accepting a schema-valid request. ``disabled``: operationId -> schemathesis
    checks the project switches off for that operation (its ``disable_checks_for`` option).
    """

    def statuses(extra: list[int]) -> str:
        merged = [*ACCEPTED_BY_DEFAULT, *(str(code) for code in sorted(set(extra)) if str(code) not in ACCEPTED_BY_DEFAULT)]
        return "[" + ", ".join(f'"{code}"' for code in merged) + "]"

    blocks: list[str] = ["[checks]\nenabled = true\n"] if any((disabled or {}).values()) else []
    if isinstance(accept, list):
        if accept:
            blocks.append(f"[checks.positive_data_acceptance]\nexpected-statuses = {statuses(accept)}\n")
        accept = {}
    per_operation: dict[str, list[str]] = {}
    for operation_id, codes in (accept or {}).items():
        if codes:
            per_operation.setdefault(operation_id, []).append(
                f"checks.positive_data_acceptance.expected-statuses = {statuses(codes)}")
    for operation_id, checks in (disabled or {}).items():
        per_operation.setdefault(operation_id, []).extend(
            f"checks.{check}.enabled = false" for check in sorted(set(checks)) if re.fullmatch(r"[a-z_]+", check))
    blocks += [
        f'[[operations]]\ninclude-operation-id = "{operation_id}"\n' + "".join(line + "\n" for line in lines)
        for operation_id, lines in sorted(per_operation.items())
        if lines and re.fullmatch(r"[\w.\-]+", operation_id)
    ]
    return "\n".join(blocks) or None


def st_command(
    st: str,
    service: RunningService,
    *,
    examples: int,
    junit: Path,
    headers: dict[str, str],
    max_time_s: int | None,
    phases: tuple[str, ...] = ALL_PHASES,
    config_file: Path | None = None,
    allow_x00: bool = True,
    excluded_checks: tuple[str, ...] = (),
    per_operation_checks: bool = False,
) -> list[str]:
    """The schemathesis command line. Every check runs: named on the command line (``--checks all``),
    or, when the config file switches some off for single operations, enabled by the file itself
    (a check named on the command line would override the file's per-operation ``enabled = false``)."""
    if service.openapi_url is None:
        raise ValueError("the service has no OpenAPI URL")
    # An explicit config file, even an empty one, also keeps a schemathesis.toml of the caller's out.
    cmd = [
        st, *(["--config-file", str(config_file)] if config_file else []), "run", service.openapi_url,
        "--origin", service.base_url,
        *([] if per_operation_checks else ["--checks", "all"]),
        "--phases", ",".join(phases),
        "--max-examples", str(examples),
        "--report", "junit", "--report-junit-path", str(junit),
        "--generation-database", "none",
        "--suppress-health-check", "all",
        "--request-timeout", "10",
        "--no-color",
    ]  # fmt: skip
    if not allow_x00:
        cmd += ["--generation-allow-x00", "false"]
    if excluded_checks:
        cmd += ["--exclude-checks", ",".join(excluded_checks)]
    if max_time_s:
        cmd += ["--max-time", str(max_time_s)]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    return cmd


class ContractGate(Gate):
    name = NAME
    description = (
        "schemathesis against the live service: server errors, schema violations, undocumented statuses"
    )
    timeout_s = 420.0

    def applicable(self, target: Target) -> str | None:
        if reason := cannot_start(target):
            return reason
        if _st_binary() is None:
            return f"schemathesis is not installed: {install_hint('schemathesis')}"
        return None

    def run(self, target: Target) -> GateResult:
        started = time.monotonic()
        fast = bool(target.options.get("fast"))
        examples = int(option(target, NAME, "max_examples", FAST_EXAMPLES if fast else DEFAULT_EXAMPLES))
        # run_on_service: sandboxed project processes on check's own throwaway database (issue 15).
        result = run_on_service(
            target, gate=NAME, db_prefix="ba_contract", start_rule="contract:start",
            check=lambda service: self._check(target, service, examples=examples, fast=fast),
        )
        result.duration_s = time.monotonic() - started
        return result

    def _check(self, target: Target, service: RunningService, *, examples: int, fast: bool) -> GateResult:
        if service.openapi_url is None:
            return GateResult(
                gate=NAME,
                status="fail",
                summary="the running service publishes no OpenAPI document",
                findings=[
                    Finding(
                        rule="contract:no-openapi",
                        message="none of /openapi.json, /api/openapi.json answered with an OpenAPI document",
                        severity="high",
                        hint="serve the OpenAPI document, or set openapi_path in [tool.backend-agent.contract]",
                    )
                ],
            )
        headers: dict[str, str] = {}
        evidence: dict[str, Any] = {"openapi_url": service.openapi_url, "max_examples": examples}
        user = ApiUser(username="contract", password="", email="", token=None)
        if has_auth(service.openapi):
            try:
                with httpx.Client(base_url=service.base_url, timeout=15.0, trust_env=False) as client:
                    user = sign_up(
                        client, service.openapi, config=option(target, NAME, "auth"), name="contract",
                        run=service.run_command,
                    )
            except (AuthSetupError, httpx.HTTPError) as exc:
                message = getattr(exc, "message", str(exc))
                return GateResult(
                    gate=NAME,
                    status="fail",
                    summary=f"could not authenticate a test user: {message}",
                    findings=[
                        Finding(
                            rule="contract:auth",
                            message=message,
                            severity="high",
                            hint=getattr(exc, "hint", None),
                        )
                    ],
                    evidence={**evidence, "service_log": service.logs()},
                )
            headers = user.headers
            evidence["test_user"] = user.username
            note(f"signed in test user {user.username}")
        evidence["seeded"] = self._seed(target, service, user)
        st = _st_binary()
        if st is None:
            return GateResult(gate=NAME, status="skip", summary=install_hint("schemathesis"))
        max_time = option(target, NAME, "max_time_s")
        with tempfile.TemporaryDirectory(prefix="ba-contract-") as tmp:
            junit = Path(tmp) / "junit.xml"
            config_file = Path(tmp) / "schemathesis.toml"
            config_text = schemathesis_config(
                option(target, NAME, "accept_statuses"), option(target, NAME, "disable_checks_for")
            )
            config_file.write_text(config_text or "", encoding="utf-8")
            if config_text:
                evidence["schemathesis_config"] = config_text
            phases = option(target, NAME, "phases", FAST_PHASES if fast else ALL_PHASES)
            cmd = st_command(
                st, service, examples=examples, junit=junit, headers=headers,
                max_time_s=int(max_time) if max_time else None, phases=tuple(phases), config_file=config_file,
                allow_x00=bool(option(target, NAME, "allow_x00", True)),
                excluded_checks=tuple(option(target, NAME, "disable_checks", None) or ()),
                per_operation_checks=bool(option(target, NAME, "disable_checks_for", None)),
            )  # fmt: skip
            proc = run_process(cmd, cwd=tmp, timeout_s=self.timeout_s - 30, env={"NO_COLOR": "1"})
            note(f"schemathesis finished in {proc.duration_s:.1f} s (exit {proc.returncode})")
            junit_text = junit.read_text(encoding="utf-8") if junit.is_file() else ""
        output = proc.stdout + proc.stderr
        findings = parse_junit(junit_text, service.openapi) if junit_text else []
        findings += self._boundaries(target, service, headers, findings, evidence)
        metrics = {**summary_counts(output), "failures": len(findings)}
        evidence.update({"schemathesis_output": proc.tail(8000), "command": _redacted(cmd)})
        if proc.timed_out:
            findings.append(
                Finding(
                    rule="contract:timeout",
                    message=f"schemathesis did not finish within {self.timeout_s - 30:.0f} s",
                    severity="high",
                    hint="lower max_examples in [tool.backend-agent.contract] or speed up the service",
                )
            )
        elif proc.returncode != 0 and not findings:
            findings.append(
                Finding(
                    rule="contract:error",
                    message=f"schemathesis exited with {proc.returncode} without a report: {proc.tail(600)}",
                    severity="high",
                    hint="run the command in the evidence by hand to see the problem",
                )
            )
        if not service.alive():
            evidence["service_log"] = service.logs()
        if findings:
            operations = sorted({f.operation for f in findings if f.operation})
            return GateResult(
                gate=NAME,
                status="fail",
                summary=f"{len(findings)} contract failure(s) in {len(operations)} operation(s)",
                findings=findings,
                metrics=metrics,
                evidence=evidence,
                hint="reproduce each failure with the curl command in its message",
            )
        tested = metrics.get("operations_tested", "all")
        return GateResult(
            gate=NAME,
            status="pass",
            summary=f"{tested} operations conform ({metrics.get('cases_generated', 0)} generated cases)",
            metrics=metrics,
            evidence=evidence,
        )


    def _seed(self, target: Target, service: RunningService, user: ApiUser) -> dict[str, Any]:
        """Rows in every list before the fuzzer reads it, made by the API's creates as the test user."""
        rounds = int(option(target, NAME, "seed_rows", SEED_ROWS))
        auth = find_auth_operations(service.openapi, option(target, NAME, "auth"))
        created = 0
        failures: list[str] = []
        markers: list[str] = []
        with httpx.Client(base_url=service.base_url, timeout=15.0, trust_env=False) as client:
            for _ in range(max(rounds, 0)):
                try:
                    seeded = seed(client, service.openapi, user, auth)
                except httpx.HTTPError as exc:
                    failures.append(str(exc))
                    break
                created += seeded.made
                markers.append(seeded.tag)
                failures += seeded.refused
        if rounds > 0:
            note(f"created {created} row(s) before fuzzing ({len(failures)} create(s) refused)")
        # A refused create is no finding here: the fuzzer tries every create itself and judges it.
        return {"rows": created, "markers": markers, "refused": sorted(set(failures))}

    def _boundaries(
        self, target: Target, service: RunningService, headers: dict[str, str], found: list[Finding],
        evidence: dict[str, Any],
    ) -> list[Finding]:
        """Schema bounds and just beyond them on every GET parameter; 5xx the fuzzer already
        reported for an operation are not repeated."""
        if not option(target, NAME, "boundaries", True) or not service.alive():
            return []
        with httpx.Client(base_url=service.base_url, timeout=15.0, trust_env=False) as client:
            outcome = probe_boundaries(client, service.openapi, headers=headers)
        crashed = {f.operation for f in found if f.rule == "contract:ST101"}
        evidence["boundaries"] = {"requests": outcome.requests, "broken": outcome.broken}
        note(f"boundary values: {outcome.requests} request(s), {len(outcome.findings)} broken parameter(s)")
        return [f for f in outcome.findings if f.operation not in crashed]


def _redacted(cmd: list[str]) -> list[str]:
    """The command with header values (credentials) blanked out."""
    return [
        part.split(":", 1)[0] + ": [redacted]" if index and cmd[index - 1] == "-H" else part
        for index, part in enumerate(cmd)
    ]


__all__ = ["ContractGate", "parse_junit", "schemathesis_config"]
