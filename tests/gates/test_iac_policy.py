"""The iac-policy gate: checkov, hadolint and kubernetes-validate on planted defects and the clean deploy files."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from backend_agent.gates import load_target, run_gates
from backend_agent.gates import policy as policy_module
from backend_agent.gates.policy import checkov_findings, discover, kubeval_findings
from tests.gates._defects import clean_copy, ensure_tool, write


@pytest.fixture(scope="module")
def checkov() -> str:
    return ensure_tool("checkov")


def _remove_limits_and_probes(project: Path) -> None:
    path = project / "deploy" / "k8s" / "deployment.yaml"
    text = path.read_text(encoding="utf-8")
    stripped = re.sub(r"\n          resources:.*?(?=\n          securityContext:)", "", text, flags=re.S)
    assert stripped != text and "livenessProbe" not in stripped and "limits" not in stripped
    path.write_text(stripped, encoding="utf-8")


ROOT_LATEST_DOCKERFILE = """
FROM python:latest
WORKDIR /srv
COPY . .
RUN pip install --no-cache-dir .
USER root
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0"]
"""


@pytest.mark.slow
def test_deployment_without_limits_or_probes_fails_and_is_named(tmp_path: Path, checkov: str) -> None:
    project = clean_copy(tmp_path)
    _remove_limits_and_probes(project)
    result = run_gates(load_target(project), gates=["iac-policy"]).gates[0]
    assert result.status == "fail"
    rules = {f.rule for f in result.findings if f.file == "deploy/k8s/deployment.yaml"}
    # liveness, readiness, CPU/memory requests and limits
    assert {"checkov:CKV_K8S_8", "checkov:CKV_K8S_9", "checkov:CKV_K8S_11", "checkov:CKV_K8S_13"} <= rules
    assert any("Liveness Probe" in f.message and "Deployment" in f.message for f in result.findings)
    assert "CKV_K8S_11" in result.summary
    assert any(f.rule == "checkov:CKV_K8S_8" and "livenessProbe" in (f.hint or "") for f in result.findings)


@pytest.mark.slow
def test_dockerfile_running_as_root_from_latest_fails_and_is_named(tmp_path: Path, checkov: str) -> None:
    project = clean_copy(tmp_path)
    write(project, "Dockerfile", ROOT_LATEST_DOCKERFILE)
    result = run_gates(load_target(project), gates=["iac-policy"]).gates[0]
    assert result.status == "fail"
    rules = {f.rule for f in result.findings if f.file == "Dockerfile"}
    assert {"checkov:CKV_DOCKER_7", "hadolint:DL3007", "hadolint:DL3002"} <= rules  # :latest, root user
    hints = {f.rule: f.hint or "" for f in result.findings}
    assert "version tag" in hints["checkov:CKV_DOCKER_7"] and "USER" in hints["checkov:CKV_DOCKER_8"]
    assert any(f.rule == "checkov:CKV_DOCKER_2" for f in result.findings)  # no HEALTHCHECK


@pytest.mark.slow
def test_clean_deploy_files_pass(tmp_path: Path, checkov: str) -> None:
    project = clean_copy(tmp_path)
    result = run_gates(load_target(project), gates=["iac-policy"]).gates[0]
    assert result.status == "pass", [f"{f.rule} {f.file}" for f in result.findings]
    files = result.evidence["files"]
    assert files["dockerfiles"] == ["Dockerfile"]
    assert "deploy/k8s/deployment.yaml" in files["manifests"]
    assert files["charts"] == ["deploy/helm/tasks-api"]
    assert "deploy/terraform/main.tf" in files["terraform"]
    assert set(result.evidence["checkov_summary"]) >= {"dockerfile", "kubernetes", "terraform"}
    if policy_module.find_tool("helm") is None:  # rendered by our own renderer and held to the same policy
        assert result.evidence["charts_rendered_without_helm"] == ["deploy/helm/tasks-api"]
        assert "rendered with backend-agent's built-in renderer" in result.summary


def test_schema_errors_fail_even_without_checkov(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy_module, "isolated_tool", lambda name: None)
    real_find = policy_module.find_tool
    monkeypatch.setattr(policy_module, "find_tool", lambda name: None if name == "checkov" else real_find(name))
    write(tmp_path, "k8s/svc.yaml", """
        apiVersion: v1
        kind: Service
        metadata:
          name: api
        spec:
          selector:
            app: api
          ports:
            - port: "eighty"
              targetPort: 8000
          typo_field: true
    """)
    result = run_gates(load_target(tmp_path), gates=["iac-policy"]).gates[0]
    assert result.status == "fail"
    assert any(f.rule == "kubernetes-validate:schema" and f.file == "k8s/svc.yaml" for f in result.findings)
    assert "checkov: not installed" in result.summary


def test_nothing_to_check_is_a_skip(tmp_path: Path) -> None:
    write(tmp_path, "app.py", "x = 1\n")
    write(tmp_path, "config.yaml", "name: not-kubernetes\n")
    result = run_gates(load_target(tmp_path), gates=["iac-policy"]).gates[0]
    assert result.status == "skip" and "no Dockerfile" in result.summary


def test_discovery_keeps_chart_templates_apart(tmp_path: Path) -> None:
    write(tmp_path, "Dockerfile", "FROM python:3.11-slim\n")
    write(tmp_path, "deploy/k8s/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n")
    write(tmp_path, "deploy/chart/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n")
    write(tmp_path, "deploy/chart/templates/d.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n")
    write(tmp_path, "infra/main.tf", 'resource "null_resource" "x" {}\n')
    write(tmp_path, ".venv/lib/Dockerfile", "FROM scratch\n")
    found = discover(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found.dockerfiles] == ["Dockerfile"]
    assert [p.relative_to(tmp_path).as_posix() for p in found.manifests] == ["deploy/k8s/a.yaml"]
    assert [p.relative_to(tmp_path).as_posix() for p in found.charts] == ["deploy/chart"]
    assert [p.relative_to(tmp_path).as_posix() for p in found.terraform] == ["infra/main.tf"]


def test_tool_outputs_are_mapped(tmp_path: Path) -> None:
    checkov_json = [{"check_type": "kubernetes", "summary": {"failed": 1}, "results": {"failed_checks": [
        {"check_id": "CKV_K8S_8", "check_name": "Liveness Probe Should be Configured", "file_path": "/deploy/d.yaml",
         "file_line_range": [1, 40], "resource": "Deployment.default.api", "guideline": None}]}}]
    [finding], summary = checkov_findings(checkov_json, tmp_path)
    assert (finding.rule, finding.file, finding.line) == ("checkov:CKV_K8S_8", "deploy/d.yaml", 1)
    assert "Deployment.default.api" in finding.message and summary == {"kubernetes": {"failed": 1}}
    out = (f"ERROR {tmp_path}/k.yaml did not validate for resource service/api against version 1.37: "
           "spec.ports.0.port: 'x' is not of type 'integer'")
    [schema] = kubeval_findings(out, tmp_path)
    assert schema.file == "k.yaml" and "is not of type 'integer'" in schema.message and "service/api" in schema.message


def test_rendered_helm_charts_are_schema_checked_when_helm_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(policy_module, "isolated_tool", lambda name: None)
    real_find = policy_module.find_tool
    monkeypatch.setattr(policy_module, "find_tool", lambda name: None if name == "checkov" else real_find(name))
    # A stand-in helm that renders the chart to a Deployment with a misspelt field.
    bin_dir = tmp_path / "bin"
    helm = write(bin_dir, "helm", """
        #!/bin/sh
        [ "$1" = template ] || exit 2
        cat <<'YAML'
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: check
        spec:
          replica: 2
          selector:
            matchLabels: {app: x}
          template:
            metadata:
              labels: {app: x}
            spec:
              containers:
                - name: x
                  image: x:1
        YAML
    """)
    helm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    project = tmp_path / "p"
    write(project, "chart/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n")
    write(project, "chart/templates/deploy.yaml", "kind: Deployment\nname: {{ .Release.Name }}\n")
    result = run_gates(load_target(project), gates=["iac-policy"]).gates[0]
    assert result.status == "fail"
    [schema] = [f for f in result.findings if f.rule == "kubernetes-validate:schema"]
    assert schema.file == "chart (rendered)" and "replica" in schema.message
    assert "not rendered" not in result.summary


@pytest.mark.slow
def test_chart_defects_are_caught_without_helm(tmp_path: Path, checkov: str) -> None:
    if policy_module.find_tool("helm") is not None:
        pytest.skip("helm is installed: the chart goes through `helm template` instead")
    project = clean_copy(tmp_path)
    template = project / "deploy" / "helm" / "tasks-api" / "templates" / "deployment.yaml"
    text = template.read_text()
    assert "          resources:\n            {{- toYaml .Values.resources | nindent 12 }}\n" in text
    template.write_text(text.replace("          resources:\n            {{- toYaml .Values.resources | nindent 12 }}\n", ""))
    result = run_gates(load_target(project), gates=["iac-policy"]).gates[0]
    assert result.status == "fail"
    chart_rules = {f.rule for f in result.findings if f.file == "deploy/helm/tasks-api (rendered without helm)"}
    assert {"checkov:CKV_K8S_10", "checkov:CKV_K8S_11", "checkov:CKV_K8S_12", "checkov:CKV_K8S_13"} <= chart_rules
