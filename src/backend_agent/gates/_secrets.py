"""Secret scanning of every file type (YAML manifests, .env files, Terraform, Python) with detect-secrets.

detect-secrets runs from its own venv in the tool cache. Lines that only *name* a secret
(``secretName:``, ``secretKeyRef:``, ``password_file =``) are excluded: they reference a secret
kept elsewhere, which is what a manifest should do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from backend_agent.gates._proc import run_process
from backend_agent.gates.base import Finding

EXCLUDE_FILES = r"(^|/)(\.venv|venv|node_modules|\.git|tests?|__pycache__|\.mypy_cache|\.ruff_cache|\.pytest_cache)/|\.(lock|svg|png|jpg|ico)$"
# A key that refers to a secret by name/reference/path instead of holding it.
EXCLUDE_LINES = r"(?i)^\s*[\w.-]*(name|ref|path|file)\s*[:=]"


def detect_secrets_command(exe: str) -> list[str]:
    return [exe, "scan", "--all-files", "--exclude-files", EXCLUDE_FILES, "--exclude-lines", EXCLUDE_LINES, "."]


def secret_findings(data: dict[str, Any]) -> list[Finding]:
    """One finding per (file, line): detect-secrets may report several detectors on one line."""
    findings = []
    for filename, hits in sorted((data.get("results") or {}).items()):
        by_line: dict[int, list[str]] = {}
        for hit in hits:
            by_line.setdefault(int(hit.get("line_number") or 0), []).append(str(hit.get("type")))
        for line, kinds in sorted(by_line.items()):
            findings.append(
                Finding(
                    rule="secrets:" + kinds[0].lower().replace(" ", "-"),
                    message=f"a secret is written in {filename} ({', '.join(sorted(set(kinds)))})",
                    severity="high",
                    file=filename,
                    line=line or None,
                    hint="move it to a secret store or an environment variable set at deploy time "
                    "(Kubernetes: a Secret created outside the repository, referenced by secretKeyRef), "
                    "and rotate the leaked value",
                )
            )
    return findings


def scan_secrets(exe: str, root: Path, *, timeout_s: float) -> tuple[list[Finding] | None, str]:
    """(findings, "") or (None, why it could not run)."""
    result = run_process(detect_secrets_command(exe), cwd=root, timeout_s=timeout_s)
    try:
        data = json.loads(result.stdout or "")
    except json.JSONDecodeError:
        return None, "detect-secrets produced no report: " + result.tail(300)
    return secret_findings(data), ""


__all__ = ["EXCLUDE_FILES", "EXCLUDE_LINES", "detect_secrets_command", "scan_secrets", "secret_findings"]
