"""Known vulnerabilities in the project's pinned dependencies, with pip-audit (offline-tolerant).

The pins come from the project's lock file: uv.lock, poetry.lock, pdm.lock or pylock.toml
([[package]] name/version), else requirements*.txt lines pinned with ``==``, else ``==`` pins in
pyproject's dependencies. They are audited with ``--no-deps --disable-pip`` so nothing is
resolved or installed. pip-audit needs the vulnerability service on the network; when it cannot
reach it, the audit says it could not run and never fails the project for that.
"""

from __future__ import annotations

import json
import re
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend_agent.gates._proc import run_process
from backend_agent.gates.base import Finding

LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock", "pylock.toml")
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([A-Za-z0-9.+!_-]+)")


@dataclass
class AuditOutcome:
    source: str | None  # the file the pins came from
    pins: int = 0
    findings: list[Finding] = field(default_factory=list)
    audited: int = 0
    could_not_run: str | None = None


def _from_lock(path: Path) -> list[tuple[str, str]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    packages = data.get("package") or data.get("packages") or []
    return [
        (str(p["name"]), str(p["version"]))
        for p in packages
        if isinstance(p, dict) and p.get("name") and p.get("version") and not (p.get("source") or {}).get("editable")
        and not (p.get("source") or {}).get("virtual")
    ]


def _from_lines(lines: list[str]) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in (_PIN.match(line.split("#", 1)[0]) for line in lines) if m]


def find_pins(root: Path) -> tuple[str | None, list[tuple[str, str]]]:
    """(source file, [(name, version)]) from the best lock the project has."""
    for name in LOCK_FILES:
        if (root / name).is_file():
            try:
                return name, _from_lock(root / name)
            except (tomllib.TOMLDecodeError, OSError):
                continue
    requirements = sorted(root.glob("requirements*.txt"))
    if requirements:
        pins = [pin for path in requirements for pin in _from_lines(path.read_text(encoding="utf-8").splitlines())]
        return ", ".join(p.name for p in requirements), pins
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project") or {}
        except tomllib.TOMLDecodeError:
            return None, []
        return "pyproject.toml", _from_lines([str(d) for d in project.get("dependencies") or []])
    return None, []


def audit_findings(data: dict[str, Any], source: str) -> tuple[list[Finding], int, int]:
    """(findings, audited, skipped) from pip-audit's JSON report."""
    findings: list[Finding] = []
    audited = skipped = 0
    for dep in data.get("dependencies") or []:
        if dep.get("skip_reason"):
            skipped += 1
            continue
        audited += 1
        for vuln in dep.get("vulns") or []:
            fixes = vuln.get("fix_versions") or []
            aliases = [a for a in vuln.get("aliases") or [] if a.startswith("CVE-")]
            findings.append(
                Finding(
                    rule=f"pip-audit:{vuln.get('id')}",
                    message=f"{dep.get('name')} {dep.get('version')} has a known vulnerability {vuln.get('id')}"
                    + (f" ({', '.join(aliases)})" if aliases else "")
                    + (f": {' '.join(str(vuln.get('description', '')).split())[:300]}" if vuln.get("description") else ""),
                    severity="high",
                    file=source,
                    hint=f"upgrade {dep.get('name')} to {' or '.join(fixes)} and re-lock"
                    if fixes
                    else f"no fixed release of {dep.get('name')} yet; consider replacing it or mitigating",
                )
            )
    return findings, audited, skipped


def audit_dependencies(exe: str, root: Path, *, timeout_s: float) -> AuditOutcome:
    source, pins = find_pins(root)
    outcome = AuditOutcome(source=source, pins=len(pins))
    if not pins:
        outcome.could_not_run = "no pinned dependencies found (no lock file, requirements pins or == pins)"
        return outcome
    with tempfile.TemporaryDirectory(prefix="ba-pip-audit-") as tmp:
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text("".join(f"{name}=={version}\n" for name, version in pins), encoding="utf-8")
        result = run_process(
            [exe, "-r", str(requirements), "--no-deps", "--disable-pip", "--format", "json",
             "--progress-spinner", "off", "--timeout", "15", "--cache-dir", str(Path(tmp) / "cache")],
            cwd=root, timeout_s=timeout_s,
        )  # fmt: skip
    try:
        data = json.loads(result.stdout or "")
    except json.JSONDecodeError:
        outcome.could_not_run = "pip-audit could not reach the vulnerability service: " + " ".join(
            result.tail(300).split()
        )
        return outcome
    outcome.findings, outcome.audited, skipped = audit_findings(data, source or "")
    if outcome.audited == 0:
        outcome.could_not_run = (
            f"pip-audit could not look up any of the {skipped} pinned dependencies "
            "(the vulnerability service is not reachable: offline?)"
        )
    return outcome


__all__ = ["LOCK_FILES", "AuditOutcome", "audit_dependencies", "audit_findings", "find_pins"]
