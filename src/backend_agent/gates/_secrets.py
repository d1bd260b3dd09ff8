"""Secret scanning of every file type (YAML manifests, .env files, Terraform, Python) with detect-secrets.

detect-secrets runs from its own venv in the tool cache. Lines that only *name* a secret
(``secretName:``, ``secretKeyRef:``, ``password_file =``) are excluded: they reference a secret
kept elsewhere, which is what a manifest should do; so are keys naming a field or a column
(``"password_field": "password"``), and an image reference
(``image: registry/secrets:1.0@sha256:...``, whose repository name may read as a keyword). In an OpenAPI document, a keyword hit on a value the document
itself gives as an ``example`` is published documentation, not a leak, and is dropped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from backend_agent.gates._proc import run_process
from backend_agent.gates.base import Finding

EXCLUDE_FILES = r"(^|/)(\.venv|venv|node_modules|\.git|tests?|__pycache__|\.mypy_cache|\.ruff_cache|\.pytest_cache)/|\.(lock|svg|png|jpg|ico)$"
# A key that refers to a secret by name/reference/path instead of holding it.
EXCLUDE_LINES = r"(?i)^\s*[\"']?[\w.-]*(name|ref|path|file|field|column|image)[\"']?\s*[:=]"


def detect_secrets_command(exe: str) -> list[str]:
    return [exe, "scan", "--all-files", "--exclude-files", EXCLUDE_FILES, "--exclude-lines", EXCLUDE_LINES, "."]


def _documented_examples(path: Path) -> set[str]:
    """The string examples of an OpenAPI document (``example`` and ``examples`` values), else nothing."""
    if path.suffix not in (".json", ".yaml", ".yml") or not path.is_file():
        return set()
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
        return set()
    if not isinstance(document, dict) or "openapi" not in document:
        return set()
    found: set[str] = set()

    def strings(node: Any) -> None:
        if isinstance(node, str):
            found.add(node)
        elif isinstance(node, dict):
            for value in node.values():
                strings(value)
        elif isinstance(node, list):
            for value in node:
                strings(value)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                (strings if key in ("example", "examples") else walk)(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return {value for value in found if len(value) >= 4}


def _example_lines(path: Path) -> set[int]:
    """Line numbers (1-based) of an OpenAPI document that hold one of its own string examples."""
    examples = _documented_examples(path)
    if not examples:
        return set()
    lines = path.read_text(encoding="utf-8").splitlines()
    return {number for number, text in enumerate(lines, 1) if any(example in text for example in examples)}


def secret_findings(data: dict[str, Any], root: Path | None = None) -> list[Finding]:
    """One finding per (file, line): detect-secrets may report several detectors on one line.

    With ``root``, keyword hits on an OpenAPI document's own examples are left out.
    """
    findings = []
    for filename, hits in sorted((data.get("results") or {}).items()):
        examples = _example_lines(root / filename) if root is not None else set()
        by_line: dict[int, list[str]] = {}
        for hit in hits:
            by_line.setdefault(int(hit.get("line_number") or 0), []).append(str(hit.get("type")))
        for line, kinds in sorted(by_line.items()):
            if line in examples and set(kinds) == {"Secret Keyword"}:
                continue
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
    return secret_findings(data, root), ""


__all__ = ["EXCLUDE_FILES", "EXCLUDE_LINES", "detect_secrets_command", "scan_secrets", "secret_findings"]
