"""Policy-clean: the deploy files of every example pass the iac-policy gate, and so does the rendered chart.

helm is not installable here, so the chart is rendered with the built-in renderer and the rendered
manifests go through the same policy (kubernetes-validate --strict and checkov's Kubernetes checks).
Terraform is checked by checkov's Terraform checks, parsed as HCL2, and its references resolved.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from backend_agent.gates._proc import find_tool
from backend_agent.generate.helm_template import render_chart_manifest
from tests.deploy.conftest import POLICY_EXAMPLES, POLICY_IDS
from tests.gates._defects import ensure_tool

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def checkov() -> str:
    return ensure_tool("checkov")


def _tool(name: str) -> str:
    path = find_tool(name)
    if path is None:
        pytest.fail(f"{name} is not installed; it comes with the project's gates extra (pip install -e '.[gates]')")
    return path


def test_rendered_helm_chart_passes_the_same_policy(deploy_project: Path, tmp_path: Path, checkov: str) -> None:
    name = deploy_project.name
    chart = deploy_project / "deploy" / "helm" / name
    rendered_dir = tmp_path / "rendered"
    rendered_dir.mkdir()
    manifest = rendered_dir / "chart.yaml"
    manifest.write_text(render_chart_manifest(chart, release=name, namespace=name), encoding="utf-8")

    validate = subprocess.run(
        [_tool("kubernetes-validate"), "--strict", "--quiet", "--no-warn", str(manifest)],
        capture_output=True, text=True, timeout=120,
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr

    scan = subprocess.run(
        [checkov, "-d", str(rendered_dir), "--framework", "kubernetes", "--skip-download", "-o", "json",
         "--quiet", "--compact", "--skip-check", "CKV_K8S_35"],
        capture_output=True, text=True, timeout=300, env={"BC_SKIP_MAPPING": "TRUE", "PATH": "/usr/bin:/bin"},
    )
    report: dict[str, Any] = json.loads(scan.stdout)
    failed = [f"{c['check_id']} {c['resource']}" for c in report["results"]["failed_checks"]]
    assert failed == [] and report["summary"]["passed"] > 100


def test_every_checkov_skip_carries_a_reason(deploy_project: Path) -> None:
    skips = [
        (path.name, line)
        for path in deploy_project.rglob("*")
        if path.is_file()
        for line in path.read_text(encoding="utf-8").splitlines()
        if "checkov:skip" in line
    ]
    assert skips, "the Terraform KMS key policy is expected to carry its reasoned skips"
    for name, line in skips:
        assert re.search(r"checkov:skip=CKV2?_[A-Z0-9]+_\d+:\S.{20,}", line), f"{name}: skip without a reason: {line}"


HCL_DUMP = """
import json, sys, hcl2
out = {}
for path in sys.argv[1:]:
    with open(path) as handle:
        out[path] = hcl2.load(handle)
print(json.dumps(out, default=str))
"""


def _blocks(parsed: dict[str, Any], kind: str) -> set[str]:
    names: set[str] = set()
    for doc in parsed.values():
        for block in doc.get(kind, []):
            for type_name, body in block.items():
                names |= {f"{type_name}.{n}" for n in body} if kind in ("resource", "data") else {type_name}
    return names


def test_terraform_parses_and_every_reference_resolves(deploy_project: Path, checkov: str) -> None:
    """What `terraform validate` would catch without providers: syntax, undeclared vars, dangling refs."""
    tf_files = sorted((deploy_project / "deploy" / "terraform").glob("*.tf"))
    python = str(Path(checkov).with_name("python"))
    dump = subprocess.run([python, "-c", HCL_DUMP, *map(str, tf_files)], capture_output=True, text=True, timeout=120)
    assert dump.returncode == 0, dump.stderr
    parsed: dict[str, Any] = json.loads(dump.stdout)
    variables = _blocks(parsed, "variable")
    resources = _blocks(parsed, "resource")
    data = _blocks(parsed, "data")
    locals_ = {k for doc in parsed.values() for block in doc.get("locals", []) for k in block}
    for variable in parsed[str(deploy_project / "deploy" / "terraform" / "variables.tf")]["variable"]:
        ((name, body),) = variable.items()
        description = body.get("description", [""])  # checkov's HCL parser wraps attributes in lists
        description = description[0] if isinstance(description, list) else description
        assert len(description) > 15, f"variable {name} is not documented"

    code = "\n".join(re.sub(r"(?m)^\s*#.*$", "", p.read_text(encoding="utf-8")) for p in tf_files)
    used_vars = set(re.findall(r"\bvar\.(\w+)", code))
    used_data = {f"{a}.{b}" for a, b in re.findall(r"\bdata\.(\w+)\.(\w+)", code)}
    used_locals = set(re.findall(r"\blocal\.(\w+)", code))
    used_resources = {
        f"{a}.{b}" for a, b in re.findall(r"(?<![\w.\"])((?:aws|kubernetes|random)_\w+)\.(\w+)", code)
    }
    assert used_vars <= variables, used_vars - variables
    assert used_data <= data, used_data - data
    assert used_locals <= locals_, used_locals - locals_
    assert used_resources <= resources, used_resources - resources
    assert variables - used_vars == set(), "declared but unused variables"
    assert "backend \"s3\"" in (deploy_project / "deploy" / "terraform" / "versions.tf").read_text()


def test_terraform_writes_the_secret_the_chart_reads(deploy_project: Path) -> None:
    ctx_name = deploy_project.name
    values = (deploy_project / "deploy" / "helm" / ctx_name / "values.yaml").read_text(encoding="utf-8")
    variables = (deploy_project / "deploy" / "terraform" / "variables.tf").read_text(encoding="utf-8")
    kubernetes_tf = (deploy_project / "deploy" / "terraform" / "kubernetes.tf").read_text(encoding="utf-8")
    secret = re.search(r"existingSecret: (\S+)", values)
    assert secret and f'default     = "{secret.group(1)}"' in variables
    for key in re.findall(r"^  [A-Z_]+: ([a-z-]+)$", values, re.M):
        assert f'"{key}"' in kubernetes_tf, f"Terraform does not write secret key {key}"


@pytest.mark.parametrize("example", POLICY_EXAMPLES, ids=POLICY_IDS)
def test_check_passes_iac_policy_on_a_generated_project(example: Path, tmp_path: Path, checkov: str) -> None:
    """`backend-agent new` then `backend-agent check --gates iac-policy`, as a user runs them."""
    from backend_agent.generate import generate_service

    project = tmp_path / "service"
    generate_service(example, project)
    assert (project / "deploy" / "Dockerfile").is_file() and (project / "requirements.lock").is_file()
    proc = subprocess.run(
        [sys.executable, "-m", "backend_agent", "check", str(project), "--gates", "iac-policy", "--json"],
        capture_output=True, text=True, timeout=600,
    )
    report = json.loads(proc.stdout)
    (gate,) = report["gates"]
    assert proc.returncode == 0 and gate["status"] == "pass", (gate["summary"], gate.get("findings"))
    assert gate["metrics"]["violations"] == 0 and gate["findings"] == []
    files = gate["evidence"]["files"]
    assert files["dockerfiles"] == ["deploy/Dockerfile"]
    assert len(files["manifests"]) >= 11 and len(files["terraform"]) >= 6 and len(files["charts"]) == 1
    summary = gate["evidence"]["checkov_summary"]
    for framework in ("dockerfile", "kubernetes", "terraform"):
        assert summary[framework]["failed"] == 0 and summary[framework]["parsing_errors"] == 0, framework
        assert summary[framework]["passed"] > 50, framework
    assert summary["terraform"]["skipped"] == 3  # the reasoned KMS key-policy skips, nothing else
