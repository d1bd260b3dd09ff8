"""The static-security gate: bandit (medium+ fails), semgrep with the rules shipped in ``rules/``,
a cross-file CORS rule, detect-secrets over every file type and pip-audit over the lock file.

detect-secrets and pip-audit live in their own venvs in the tool cache; pip-audit needs the
vulnerability service on the network and says "could not run" without it (never a failure).

semgrep lives in its own venv in the tool cache and always runs with ``--disable-version-check
--metrics=off`` on local rule files, so it never talks to the network. Only the project's source
folders are scanned, never its tests; ``--project-root .`` stops semgrep from applying the ignore
rules of an enclosing git repository (whose default ignores would drop a project under ``tests/``). Per-project option::

    [tool.backend-agent.static-security]
    ignore = ["B101", "debug-mode-enabled"]   # bandit test ids or semgrep rule ids
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from backend_agent.gates._depaudit import audit_dependencies
from backend_agent.gates._proc import find_tool, install_hint, run_process
from backend_agent.gates._project import relative, source_dirs, walk_files
from backend_agent.gates._pyrules import cors_from_settings
from backend_agent.gates._secrets import scan_secrets
from backend_agent.gates._toolenv import isolated_tool
from backend_agent.gates.base import Finding, Gate, GateResult, Target, note

RULES_DIR = Path(__file__).with_name("rules")
FAILING = ("medium", "high", "critical")
_RANK = ("critical", "high", "medium", "low", "info")
_BANDIT_SEVERITY = {"LOW": "low", "MEDIUM": "medium", "HIGH": "high"}
_SEMGREP_SEVERITY = {"ERROR": "high", "WARNING": "medium", "INFO": "low"}
# What to do about the bandit tests a web service trips most often; the others point at bandit's page.
_BANDIT_FIXES = {
    "B104": "bind to 127.0.0.1 by default and take the address from configuration",
    "B105": "read the secret from the environment or a secret store; never write it in the source",
    "B106": "read the secret from the environment or a secret store; never write it in the source",
    "B107": "read the secret from the environment or a secret store; never write it in the source",
    "B201": "never run Flask with debug=True outside development: take it from configuration",
    "B301": "never unpickle data a client can reach; use JSON",
    "B307": "never eval input; parse it (json.loads, ast.literal_eval) instead",
    "B324": "use hashlib.sha256 (or argon2id for passwords), or pass usedforsecurity=False for checksums",
    "B501": "keep TLS verification on (verify=True, or a CA bundle path)",
    "B506": "use yaml.safe_load",
    "B602": "pass the command as a list without shell=True",
    "B608": "use bound parameters: SQLAlchemy expressions, or text() with :params, never f-strings or +",
}


def _bandit_hint(item: dict[str, Any]) -> str | None:
    fix = _BANDIT_FIXES.get(str(item.get("test_id")))
    more = f"see {item['more_info']}" if item.get("more_info") else None
    return "; ".join(part for part in (fix, more) if part) or None


def bandit_findings(data: dict[str, Any], root: Path) -> list[Finding]:
    findings = []
    for item in data.get("results", []):
        findings.append(
            Finding(
                rule=f"bandit:{item.get('test_id')}",
                message=f"{item.get('test_name')}: {item.get('issue_text')}",
                severity=_BANDIT_SEVERITY.get(str(item.get("issue_severity")), "medium"),
                file=relative(item.get("filename", ""), root),
                line=item.get("line_number"),
                hint=_bandit_hint(item),
            )
        )
    return findings


def semgrep_findings(data: dict[str, Any], root: Path) -> list[Finding]:
    findings = []
    for item in data.get("results", []):
        extra = item.get("extra", {})
        rule_id = str(item.get("check_id", "")).rsplit(".", 1)[-1]
        message = " ".join(str(extra.get("message", "")).split())
        findings.append(
            Finding(
                rule=f"semgrep:{rule_id}",
                message=message,
                severity=_SEMGREP_SEVERITY.get(str(extra.get("severity")), "medium"),
                file=relative(item.get("path", ""), root),
                line=item.get("start", {}).get("line"),
                hint=(extra.get("metadata") or {}).get("fix"),
            )
        )
    return findings


def _top_rules(by_rule: dict[str, int], limit: int = 5) -> str:
    ranked = sorted(by_rule.items(), key=lambda item: -item[1])
    text = ", ".join(f"{rule} x{n}" if n > 1 else rule for rule, n in ranked[:limit])
    return text + (f", +{len(ranked) - limit} more rules" if len(ranked) > limit else "")


def _ignored(finding: Finding, ignore: set[str]) -> bool:
    return finding.rule.split(":", 1)[-1] in ignore


class StaticSecurityGate(Gate):
    """bandit and semgrep over the project's Python sources."""

    name: ClassVar[str] = "static-security"
    description: ClassVar[str] = (
        "no medium+ bandit issues, semgrep findings, secrets in files or known-vulnerable pinned dependencies"
    )
    timeout_s: ClassVar[float] = 300.0
    parallel_safe: ClassVar[bool] = True

    def applicable(self, target: Target) -> str | None:
        if not any(p.suffix == ".py" for p in walk_files(target.root, skip_tests=True)):
            return "no Python sources to scan"
        return None

    def run(self, target: Target) -> GateResult:
        options = target.options.get(self.name) or {}
        ignore = {str(rule) for rule in options.get("ignore", [])}
        # Relative paths keep the exclude globs from matching folders above the project root.
        paths = [relative(p, target.root) for p in source_dirs(target)]
        findings: list[Finding] = []
        skipped: list[str] = []
        evidence: dict[str, Any] = {"scanned": paths, "tool_versions": {}}
        counts: dict[str, int] = {}

        bandit = find_tool("bandit")
        if bandit is None:
            skipped.append(f"bandit: not installed ({install_hint('bandit')})")
        else:
            result = run_process(
                [bandit, "-r", *paths, "-f", "json", "-q", "-x", "*/tests/*,*/.venv/*,*/venv/*"],
                cwd=target.root, timeout_s=self.timeout_s,
            )
            try:
                found = bandit_findings(json.loads(result.stdout or "{}"), target.root)
            except json.JSONDecodeError:
                return self._tool_error("bandit", result.tail(2000))
            findings += found
            counts["bandit"] = len(found)
            note(f"bandit: {len(found)} issues")

        semgrep = isolated_tool("semgrep") or find_tool("semgrep")
        if semgrep is None:
            skipped.append(f"semgrep: not installed ({install_hint('semgrep')})")
        else:
            result = run_process(
                [semgrep, "scan", "--config", str(RULES_DIR), "--disable-version-check", "--metrics=off",
                 "--json", "--quiet", "--project-root", ".", *paths],
                cwd=target.root, timeout_s=self.timeout_s,
                env={"SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"},
            )
            try:
                data = json.loads(result.stdout or "{}")
            except json.JSONDecodeError:
                return self._tool_error("semgrep", result.tail(2000))
            if data.get("errors"):
                # Files semgrep could not parse (or rules it could not run) were not scanned: say so.
                evidence["semgrep_errors"] = data["errors"][:5]
                skipped.append(f"semgrep: {len(data['errors'])} error(s), see evidence.semgrep_errors")
            found = semgrep_findings(data, target.root)
            findings += found
            counts["semgrep"] = len(found)
            evidence["tool_versions"]["semgrep"] = data.get("version", "")
            note(f"semgrep: {len(found)} findings")

        found = cors_from_settings(
            [f for d in source_dirs(target) for f in walk_files(d, skip_tests=True) if f.suffix == ".py"], target.root
        )
        findings += found
        counts["cors-settings"] = len(found)

        secrets_tool = isolated_tool("detect-secrets")
        if secrets_tool is None:
            skipped.append("detect-secrets: not installed (backend-agent check --install-tools)")
        else:
            found_secrets, why = scan_secrets(secrets_tool, target.root, timeout_s=self.timeout_s)
            if found_secrets is None:
                skipped.append(f"detect-secrets: could not run ({why})")
            else:
                findings += found_secrets
                counts["detect-secrets"] = len(found_secrets)
                note(f"detect-secrets: {len(found_secrets)} secret(s) in files")

        audit_tool = isolated_tool("pip-audit")
        if audit_tool is None:
            skipped.append("pip-audit: not installed (backend-agent check --install-tools)")
        else:
            audit = audit_dependencies(audit_tool, target.root, timeout_s=min(self.timeout_s, 120.0))
            evidence["dependency_audit"] = {
                "source": audit.source, "pins": audit.pins, "audited": audit.audited,
                "could_not_run": audit.could_not_run,
            }  # fmt: skip
            if audit.could_not_run:
                skipped.append(f"pip-audit could not run: {audit.could_not_run}")
            findings += audit.findings
            counts["pip-audit"] = len(audit.findings)
            note(f"pip-audit: {audit.audited}/{audit.pins} pins audited, {len(audit.findings)} vulnerabilities")

        if bandit is None and semgrep is None:
            return GateResult(gate=self.name, status="skip", summary="neither bandit nor semgrep is installed",
                              hint=install_hint("semgrep"), evidence={"skipped": skipped})
        findings = [f for f in findings if not _ignored(f, ignore)]
        findings.sort(key=lambda f: (_RANK.index(f.severity), f.file or "", f.line or 0))
        blocking = [f for f in findings if f.severity in FAILING]
        evidence["skipped"] = skipped
        by_rule: dict[str, int] = {}
        for finding in blocking:
            by_rule[finding.rule] = by_rule.get(finding.rule, 0) + 1
        summary = (
            f"{len(blocking)} medium+ issue{'s' if len(blocking) != 1 else ''}"
            + (f" ({_top_rules(by_rule)})" if by_rule else "")
            + (f"; {len(findings) - len(blocking)} low" if len(findings) > len(blocking) else "")
            + ("; " + "; ".join(skipped) if skipped else "")
        )
        return GateResult(
            gate=self.name,
            status="fail" if blocking else "pass",
            summary=summary,
            findings=findings,
            metrics={"issues": len(blocking), "low": len(findings) - len(blocking), "by_tool": counts, "by_rule": by_rule},
            evidence=evidence,
            hint=blocking[0].hint if blocking else (skipped[0] if skipped else None),
        )

    def _tool_error(self, tool: str, output: str) -> GateResult:
        return GateResult(gate=self.name, status="error", summary=f"{tool} produced no readable report",
                          evidence={"output": output}, hint=f"run {tool} by hand on the project to see why")


__all__ = ["RULES_DIR", "StaticSecurityGate", "bandit_findings", "semgrep_findings"]
