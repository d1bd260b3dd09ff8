"""The iac-policy gate: checkov, hadolint and offline Kubernetes schema validation.

Policy enforced (documented in docs/check-report.md):

* checkov (``--skip-download``, frameworks dockerfile, kubernetes, helm, terraform): every
  built-in check fails the gate except ``DEFAULT_SKIPPED_CHECKS``: CKV_K8S_35 (secrets as
  environment variables) because twelve-factor services read their settings from the environment
  and ``secretKeyRef`` keeps the value out of the manifest. Helm charts are scanned by checkov
  only when the ``helm`` binary is installed.
* hadolint: ``error`` and ``warning`` level rules fail; ``info`` and ``style`` are reported only.
* kubernetes-validate (bundled schemas, strict: unknown fields fail) on every Kubernetes manifest,
  and on ``helm template`` output of each chart when helm is installed.

Per-project options::

    [tool.backend-agent.iac-policy]
    skip_checks = ["CKV_K8S_43"]        # extra checkov checks to leave out
    hadolint_ignore = ["DL3008"]
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from backend_agent.gates._proc import find_tool, install_hint, run_process
from backend_agent.gates._project import SKIP_DIRS, relative, walk_files
from backend_agent.gates._toolenv import isolated_tool
from backend_agent.gates.base import Finding, Gate, GateResult, Target, note

DEFAULT_SKIPPED_CHECKS = ("CKV_K8S_35",)
HADOLINT_FAILING = ("error", "warning")


@dataclass
class IacFiles:
    dockerfiles: list[Path] = field(default_factory=list)
    manifests: list[Path] = field(default_factory=list)
    charts: list[Path] = field(default_factory=list)
    terraform: list[Path] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.dockerfiles or self.manifests or self.charts or self.terraform)


def _is_manifest(path: Path) -> bool:
    try:
        docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8", errors="replace")))
    except yaml.YAMLError:
        return False
    return any(isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc for doc in docs)


def discover(root: Path) -> IacFiles:
    """Dockerfiles, Kubernetes manifests, Helm charts and Terraform files under ``root``."""
    found = IacFiles()
    chart_dirs = {p.parent for p in walk_files(root) if p.name == "Chart.yaml"}
    found.charts = sorted(chart_dirs)
    for path in walk_files(root):
        if any(path.is_relative_to(chart) for chart in chart_dirs):
            continue
        name = path.name
        if name == "Dockerfile" or name.startswith("Dockerfile.") or name.endswith(".dockerfile"):
            found.dockerfiles.append(path)
        elif path.suffix in (".yaml", ".yml") and _is_manifest(path):
            found.manifests.append(path)
        elif path.suffix == ".tf":
            found.terraform.append(path)
    return found


# Concrete fixes for the checks a hand-written or generated service most often fails; checkov's
# own guideline links are not available offline (--skip-download).
CHECKOV_HINTS: dict[str, str] = {
    "CKV_DOCKER_2": "add a HEALTHCHECK instruction (e.g. one that calls the service's /health endpoint)",
    "CKV_DOCKER_3": "create an unprivileged user and switch to it with USER before CMD",
    "CKV_DOCKER_7": "pin the base image to a version tag or digest instead of :latest",
    "CKV_DOCKER_8": "end the Dockerfile with USER <non-root user> (e.g. USER 10001)",
    "CKV_K8S_8": "add a livenessProbe to the container (httpGet on the health endpoint)",
    "CKV_K8S_9": "add a readinessProbe to the container (httpGet on the health endpoint)",
    "CKV_K8S_10": "set resources.requests.cpu on the container",
    "CKV_K8S_11": "set resources.limits.cpu on the container",
    "CKV_K8S_12": "set resources.requests.memory on the container",
    "CKV_K8S_13": "set resources.limits.memory on the container",
    "CKV_K8S_14": "pin the container image to a version tag or digest instead of :latest",
    "CKV_K8S_20": "set securityContext.allowPrivilegeEscalation: false on the container",
    "CKV_K8S_22": "set securityContext.readOnlyRootFilesystem: true (mount an emptyDir for /tmp)",
    "CKV_K8S_23": "set securityContext.runAsNonRoot: true",
    "CKV_K8S_28": "drop the NET_RAW capability (securityContext.capabilities.drop: [ALL])",
    "CKV_K8S_37": "drop all capabilities (securityContext.capabilities.drop: [ALL])",
    "CKV_K8S_40": "run as a high UID (securityContext.runAsUser: 10001)",
    "CKV_K8S_43": "reference the image by digest (image: name@sha256:...)",
}


def checkov_findings(data: Any, root: Path) -> tuple[list[Finding], dict[str, Any]]:
    reports = data if isinstance(data, list) else [data]
    findings: list[Finding] = []
    summary: dict[str, Any] = {}
    for report in reports:
        if not isinstance(report, dict):
            continue
        summary[str(report.get("check_type"))] = report.get("summary", {})
        for check in report.get("results", {}).get("failed_checks", []):
            file_path = str(check.get("file_path", "")).lstrip("/")
            lines = check.get("file_line_range") or [None]
            findings.append(
                Finding(
                    rule=f"checkov:{check.get('check_id')}",
                    message=f"{check.get('check_id')} {check.get('check_name')} ({check.get('resource')})",
                    severity="high" if str(check.get("severity") or "").upper() in ("HIGH", "CRITICAL") else "medium",
                    file=relative(root / file_path, root),
                    line=lines[0] if isinstance(lines[0], int) and lines[0] > 0 else None,
                    hint=CHECKOV_HINTS.get(str(check.get("check_id")))
                    or check.get("guideline")
                    or f"see the checkov documentation for {check.get('check_id')}",
                )
            )
    return findings, summary


def hadolint_findings(data: list[dict[str, Any]], root: Path) -> list[Finding]:
    level_to_severity = {"error": "high", "warning": "medium", "info": "low", "style": "info"}
    return [
        Finding(
            rule=f"hadolint:{item.get('code')}",
            message=f"{item.get('code')} {item.get('message')}",
            severity=level_to_severity.get(str(item.get("level")), "low"),
            file=relative(item.get("file", ""), root),
            line=item.get("line"),
            hint=f"https://github.com/hadolint/hadolint/wiki/{item.get('code')}"
            if str(item.get("code", "")).startswith("DL")
            else None,
        )
        for item in data
    ]


_KV_ERROR = re.compile(
    r"^ERROR\s+(?P<file>\S+) did not validate (?:for resource (?P<res>\S+) )?against version (?P<ver>\S+): (?P<msg>.*)$"
)


def kubeval_findings(output: str, root: Path, *, label: str | None = None) -> list[Finding]:
    findings = []
    for line in output.splitlines():
        match = _KV_ERROR.match(line.strip())
        if match:
            findings.append(
                Finding(
                    rule="kubernetes-validate:schema",
                    message=f"{label or relative(match['file'], root)}"
                    f"{' (' + match['res'] + ')' if match['res'] else ''} is not valid Kubernetes {match['ver']}: {match['msg']}",
                    severity="high",
                    file=label or relative(match["file"], root),
                    hint="fix the field named in the message (kubernetes-validate --strict rejects unknown fields)",
                )
            )
        elif line.startswith("ERROR"):
            findings.append(Finding(rule="kubernetes-validate:error", message=line.strip(), severity="high"))
    return findings


class IacPolicyGate(Gate):
    """Infrastructure-as-code policy: checkov, hadolint and Kubernetes schema validation."""

    name: ClassVar[str] = "iac-policy"
    description: ClassVar[str] = "Dockerfiles, Kubernetes, Helm and Terraform pass checkov, hadolint and schema validation"
    timeout_s: ClassVar[float] = 300.0
    parallel_safe: ClassVar[bool] = True

    def applicable(self, target: Target) -> str | None:
        if not discover(target.root):
            return "no Dockerfile, Kubernetes manifest, Helm chart or Terraform file found"
        return None

    def run(self, target: Target) -> GateResult:
        options = target.options.get(self.name) or {}
        files = discover(target.root)
        findings: list[Finding] = []
        skipped: list[str] = []
        evidence: dict[str, Any] = {
            "files": {
                kind: [relative(p, target.root) for p in getattr(files, kind)]
                for kind in ("dockerfiles", "manifests", "charts", "terraform")
            },
            "enforced": {
                "checkov": f"all checks except {', '.join(DEFAULT_SKIPPED_CHECKS + tuple(options.get('skip_checks', [])))}",
                "hadolint": "error and warning levels",
                "kubernetes-validate": "strict schemas",
            },
        }
        helm = find_tool("helm")
        findings += self._checkov(target, options, evidence, skipped)
        findings += self._hadolint(target, files, options, skipped)
        findings += self._kubeval(target, files, helm, skipped)
        if files.charts and helm is None:
            findings += self._charts_without_helm(target, files, options, evidence, skipped)
            evidence["helm"] = install_hint("helm")
        blocking = [f for f in findings if f.severity in ("medium", "high", "critical")]
        evidence["skipped"] = skipped
        by_tool: dict[str, int] = {}
        for finding in blocking:
            tool = finding.rule.split(":", 1)[0]
            by_tool[tool] = by_tool.get(tool, 0) + 1
        rules = sorted({f.rule.split(":", 1)[1] for f in blocking})
        summary = (
            f"{len(blocking)} polic{'y violation' if len(blocking) == 1 else 'y violations'}"
            + (f" ({', '.join(rules[:8])}{', ...' if len(rules) > 8 else ''})" if rules else "")
            + f" in {sum(len(v) for v in evidence['files'].values())} IaC files"
            + ("; " + "; ".join(skipped) if skipped else "")
        )
        return GateResult(
            gate=self.name,
            status="fail" if blocking else "pass",
            summary=summary,
            findings=sorted(findings, key=lambda f: (f.severity not in ("high", "critical"), f.file or "", f.line or 0)),
            metrics={"violations": len(blocking), "by_tool": by_tool},
            evidence=evidence,
            hint=blocking[0].hint if blocking else None,
        )

    def _checkov(self, target: Target, options: dict[str, Any], evidence: dict[str, Any], skipped: list[str]) -> list[Finding]:
        checkov = isolated_tool("checkov") or find_tool("checkov")
        if checkov is None:
            skipped.append(f"checkov: not installed ({install_hint('checkov')})")
            return []
        skips = [*DEFAULT_SKIPPED_CHECKS, *[str(c) for c in options.get("skip_checks", [])]]
        cmd = [checkov, "-d", str(target.root), "--framework", "dockerfile", "kubernetes", "helm", "terraform",
               "--skip-download", "-o", "json", "--quiet", "--compact", "--skip-check", ",".join(skips)]
        for skip_dir in sorted(SKIP_DIRS):
            cmd += ["--skip-path", skip_dir]
        result = run_process(cmd, cwd=target.root, timeout_s=self.timeout_s, env={"BC_SKIP_MAPPING": "TRUE"})
        try:
            data = json.loads(result.stdout) if result.stdout.strip() else []
        except json.JSONDecodeError:
            skipped.append("checkov: unreadable output")
            evidence["checkov_output"] = result.tail(2000)
            return []
        found, summary = checkov_findings(data, target.root)
        evidence["checkov_summary"] = summary
        versions = {str(v.get("checkov_version")) for v in summary.values() if isinstance(v, dict) and v.get("checkov_version")}
        if versions:
            evidence["tool_versions"] = {"checkov": sorted(versions)[0]}
        note(f"checkov: {len(found)} failed checks")
        return found

    def _hadolint(self, target: Target, files: IacFiles, options: dict[str, Any], skipped: list[str]) -> list[Finding]:
        if not files.dockerfiles:
            return []
        hadolint = find_tool("hadolint")
        if hadolint is None:
            skipped.append(f"hadolint: not installed ({install_hint('hadolint')})")
            return []
        findings: list[Finding] = []
        ignore = [arg for code in options.get("hadolint_ignore", []) for arg in ("--ignore", str(code))]
        for dockerfile in files.dockerfiles:
            result = run_process([hadolint, "--format", "json", "--no-fail", *ignore, str(dockerfile)],
                                 cwd=target.root, timeout_s=60)
            try:
                findings += hadolint_findings(json.loads(result.stdout or "[]"), target.root)
            except json.JSONDecodeError:
                findings.append(Finding(rule="hadolint:parse", message=result.tail(500), severity="high",
                                        file=relative(dockerfile, target.root)))
        note(f"hadolint: {len(findings)} findings")
        return findings

    def _kubeval(self, target: Target, files: IacFiles, helm: str | None, skipped: list[str]) -> list[Finding]:
        if not files.manifests and not (files.charts and helm):
            return []
        validator = find_tool("kubernetes-validate")
        if validator is None:
            skipped.append(f"kubernetes-validate: not installed ({install_hint('kubernetes-validate')})")
            return []
        base = [validator, "--strict", "--quiet", "--no-warn"]
        findings: list[Finding] = []
        if files.manifests:
            result = run_process([*base, *map(str, files.manifests)], cwd=target.root, timeout_s=120)
            findings += kubeval_findings(result.stdout + "\n" + result.stderr, target.root)
        if helm is not None:
            for chart in files.charts:
                findings += self._rendered_chart(target, chart, helm, base)
        note(f"kubernetes-validate: {len(findings)} schema errors")
        return findings

    def _charts_without_helm(self, target: Target, files: IacFiles, options: dict[str, Any],
                             evidence: dict[str, Any], skipped: list[str]) -> list[Finding]:
        """Render each chart with backend-agent's own renderer and hold the result to the same policy."""
        from backend_agent.generate import HelmTemplateError, render_chart_manifest

        validator = find_tool("kubernetes-validate")
        checkov = isolated_tool("checkov") or find_tool("checkov")
        findings: list[Finding] = []
        rendered_with: list[str] = []
        for chart in files.charts:
            label = f"{relative(chart, target.root)} (rendered without helm)"
            try:
                text = render_chart_manifest(chart, release="check", namespace="check")
            except HelmTemplateError as exc:
                skipped.append(f"{relative(chart, target.root)} not rendered: {exc} (install helm to validate it)")
                continue
            rendered_with.append(relative(chart, target.root))
            with tempfile.TemporaryDirectory(prefix="ba-chart-") as tmp:
                manifest = Path(tmp) / "rendered.yaml"
                manifest.write_text(text, encoding="utf-8")
                if validator:
                    result = run_process([validator, "--strict", "--quiet", "--no-warn", str(manifest)],
                                         cwd=target.root, timeout_s=120)
                    findings += kubeval_findings(result.stdout + "\n" + result.stderr, target.root, label=label)
                if checkov:
                    skips = [*DEFAULT_SKIPPED_CHECKS, *[str(c) for c in options.get("skip_checks", [])]]
                    result = run_process([checkov, "-d", tmp, "--framework", "kubernetes", "--skip-download", "-o",
                                          "json", "--quiet", "--compact", "--skip-check", ",".join(skips)],
                                         cwd=target.root, timeout_s=self.timeout_s, env={"BC_SKIP_MAPPING": "TRUE"})
                    try:
                        found, _ = checkov_findings(json.loads(result.stdout or "[]"), Path(tmp))
                    except json.JSONDecodeError:
                        skipped.append(f"{label}: checkov output unreadable")
                        found = []
                    for finding in found:
                        finding.file = label
                    findings += found
        if rendered_with:
            skipped.append(f"helm not installed: {len(rendered_with)} chart(s) rendered with backend-agent's "
                           "built-in renderer and validated (kubernetes-validate --strict, checkov)")
            evidence["charts_rendered_without_helm"] = rendered_with
        return findings

    @staticmethod
    def _rendered_chart(target: Target, chart: Path, helm: str, validate: list[str]) -> list[Finding]:
        """``helm template`` the chart and validate the rendered manifests."""
        label = relative(chart, target.root)
        rendered = run_process([helm, "template", "check", str(chart)], cwd=target.root, timeout_s=60)
        if not rendered.ok:
            return [Finding(rule="helm:template", message=f"helm template {label} failed: {rendered.tail(400)}",
                            severity="high", file=label)]
        with tempfile.TemporaryDirectory(prefix="ba-helm-") as tmp:
            manifest = Path(tmp) / "rendered.yaml"
            manifest.write_text(rendered.stdout, encoding="utf-8")
            result = run_process([*validate, str(manifest)], cwd=target.root, timeout_s=120)
        return kubeval_findings(result.stdout + "\n" + result.stderr, target.root, label=f"{label} (rendered)")


__all__ = ["DEFAULT_SKIPPED_CHECKS", "IacFiles", "IacPolicyGate", "checkov_findings", "discover", "hadolint_findings"]
