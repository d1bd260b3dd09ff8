"""render_deploy: the deploy files of every example blueprint, consistent and free of secrets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from backend_agent.errors import GenerationError
from backend_agent.generate.deploy import deploy_context, render_deploy
from backend_agent.generate.helm_template import render_chart

K8S_KINDS = {
    "Namespace", "ServiceAccount", "ConfigMap", "Secret", "Deployment", "Service", "Ingress",
    "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "Job",
}


def _docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def _k8s(files: dict[str, str]) -> list[dict[str, Any]]:
    return [d for rel, text in files.items() if rel.startswith("deploy/k8s/") for d in _docs(text)]


def test_every_part_of_the_deployment_is_rendered(example_design: dict[str, Any]) -> None:
    files = render_deploy(example_design)
    name = deploy_context(example_design).name
    expected = {
        ".dockerignore", "deploy/Dockerfile", "deploy/docker-compose.yml",
        f"deploy/helm/{name}/Chart.yaml", f"deploy/helm/{name}/values.yaml", f"deploy/helm/{name}/.helmignore",
        f"deploy/helm/{name}/templates/_helpers.tpl", f"deploy/helm/{name}/templates/deployment.yaml",
        f"deploy/helm/{name}/templates/migrate-job.yaml", f"deploy/helm/{name}/templates/networkpolicy.yaml",
        "deploy/terraform/versions.tf", "deploy/terraform/variables.tf", "deploy/terraform/postgres.tf",
        "deploy/terraform/redis.tf", "deploy/terraform/kubernetes.tf", "deploy/terraform/outputs.tf",
    }
    assert expected <= set(files)
    assert {d["kind"] for d in _k8s(files)} == K8S_KINDS
    for rel, text in files.items():
        assert "{{ ctx" not in text and "{%" not in text, f"Jinja left in {rel}"
        assert text.endswith("\n"), rel
    assert render_deploy(example_design) == files  # deterministic


def test_manifests_share_names_ports_and_secret_keys(example_design: dict[str, Any]) -> None:
    ctx = deploy_context(example_design)
    docs = _k8s(render_deploy(example_design))
    assert {d["metadata"]["namespace"] for d in docs if d["kind"] != "Namespace"} == {ctx.name}
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    secret = next(d for d in docs if d["kind"] == "Secret")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
    assert {r["name"] for r in refs.values()} == {secret["metadata"]["name"]}
    assert {r["key"] for r in refs.values()} == set(secret["stringData"])
    assert {"DATABASE_URL", "REDIS_URL"} <= set(refs)
    assert example_design["service"].get("secret_env", "APP_SECRET") in refs
    assert container["startupProbe"]["httpGet"]["path"] == ctx.health_live
    assert container["readinessProbe"]["httpGet"]["path"] == ctx.health_ready
    service = next(d for d in docs if d["kind"] == "Service")
    selector = service["spec"]["selector"]
    assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    job = next(d for d in docs if d["kind"] == "Job")
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["alembic", "upgrade", "head"]


def test_pods_are_locked_down(example_design: dict[str, Any]) -> None:
    docs = _k8s(render_deploy(example_design))
    for workload in (d for d in docs if d["kind"] in ("Deployment", "Job")):
        pod = workload["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in pod["containers"]:
            sc = container["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
            assert sc["capabilities"] == {"drop": ["ALL"]} and sc["runAsUser"] >= 10000
            assert re.search(r"@sha256:[0-9a-f]{64}$", container["image"])
            assert {"requests", "limits"} <= set(container["resources"])
            assert any(m["mountPath"] == "/tmp" for m in container["volumeMounts"])


def test_network_policy_admits_only_the_ingress_controller_and_reaches_only_dns_postgres_redis(
    example_design: dict[str, Any],
) -> None:
    policies = [d for d in _k8s(render_deploy(example_design)) if d["kind"] == "NetworkPolicy"]
    deny = next(p for p in policies if p["spec"]["podSelector"] == {})
    assert set(deny["spec"]["policyTypes"]) == {"Ingress", "Egress"} and "ingress" not in deny["spec"]
    app = next(p for p in policies if p["spec"]["podSelector"])
    (ingress,) = app["spec"]["ingress"]
    assert ingress["from"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "ingress-nginx"}
    ports = sorted(p["port"] for rule in app["spec"]["egress"] for p in rule["ports"])
    assert ports == [53, 53, 5432, 6379]


def test_no_secret_values_anywhere(example_design: dict[str, Any]) -> None:
    files = render_deploy(example_design)
    secret = next(d for d in _k8s(files) if d["kind"] == "Secret")
    assert set(secret["stringData"].values()) == {""}
    for rel, text in files.items():
        assert not re.search(r"(?i)(password|secret|token)\s*[:=]\s*\"[^\"$]{8,}\"", text), rel
    compose = yaml.safe_load(files["deploy/docker-compose.yml"])
    env = compose["x-app"]["environment"]
    assert env["APP_SECRET"].startswith("${APP_SECRET:?")
    assert "${POSTGRES_PASSWORD:?" in env["DATABASE_URL"]
    assert compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_dockerfile_is_multi_stage_pinned_non_root_and_read_only_friendly(example_design: dict[str, Any]) -> None:
    dockerfile = render_deploy(example_design)["deploy/Dockerfile"]
    stages = re.findall(r"^FROM (\S+) AS (\w+)$", dockerfile, re.M)
    assert [s[1] for s in stages] == ["builder", "runtime"]
    for image, _ in stages:
        assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", image), image
    builder, runtime = dockerfile.split("AS runtime")
    assert builder.index("COPY requirements.lock") < builder.index("-r requirements.lock") < builder.index("COPY app")
    assert "pip install" not in runtime and "COPY --from=builder /opt/venv" in runtime
    assert re.search(r"^USER 10001:10001$", runtime, re.M) and "HEALTHCHECK" in runtime
    assert 'VOLUME ["/tmp"]' in runtime and "PYTHONDONTWRITEBYTECODE=1" in runtime


def test_helm_chart_defaults_match_the_plain_manifests(tmp_path: Path, example_design: dict[str, Any]) -> None:
    files = render_deploy(example_design)
    ctx = deploy_context(example_design)
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    chart = tmp_path / "deploy" / "helm" / ctx.name
    rendered = render_chart(chart, release=ctx.name, namespace=ctx.name)
    docs = [d for text in rendered.values() for d in _docs(text)]
    assert {d["kind"] for d in docs} == K8S_KINDS - {"Namespace", "Secret"}  # both come from Terraform
    helm_deploy = next(d for d in docs if d["kind"] == "Deployment")
    plain_deploy = next(d for d in _k8s(files) if d["kind"] == "Deployment")
    helm_pod, plain_pod = helm_deploy["spec"]["template"]["spec"], plain_deploy["spec"]["template"]["spec"]
    for key in ("securityContext", "automountServiceAccountToken", "terminationGracePeriodSeconds"):
        assert helm_pod[key] == plain_pod[key], key
    helm_c, plain_c = helm_pod["containers"][0], plain_pod["containers"][0]
    for key in ("image", "securityContext", "resources", "livenessProbe", "readinessProbe", "startupProbe", "ports"):
        assert helm_c[key] == plain_c[key], key
    assert {e["name"] for e in helm_c["env"]} == {e["name"] for e in plain_c["env"]}
    hook = next(d for d in docs if d["kind"] == "Job")["metadata"]["annotations"]["helm.sh/hook"]
    assert hook == "pre-install,pre-upgrade"


@pytest.mark.parametrize(
    ("values", "check"),
    [
        ({"autoscaling": {"enabled": False}, "replicaCount": 5},
         lambda docs: docs["Deployment"]["spec"]["replicas"] == 5 and "HorizontalPodAutoscaler" not in docs),
        ({"image": {"digest": "", "tag": "2.0.0", "repository": "ghcr.io/acme/api"}},
         lambda docs: docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/acme/api:2.0.0"),
        ({"existingSecret": "prod-creds"},
         lambda docs: {e["valueFrom"]["secretKeyRef"]["name"] for e in
                       docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]} == {"prod-creds"}),
        ({"ingress": {"enabled": False}, "networkPolicy": {"enabled": False}, "podDisruptionBudget": {"enabled": False}},
         lambda docs: not {"Ingress", "NetworkPolicy", "PodDisruptionBudget"} & set(docs)),
        ({"ingress": {"hosts": [{"host": "api.acme.io", "paths": [{"path": "/", "pathType": "Prefix"}]}]}},
         lambda docs: docs["Ingress"]["spec"]["rules"][0]["host"] == "api.acme.io"),
        ({"resources": {"limits": {"cpu": "4", "memory": "1Gi"}}, "workers": 4},
         lambda docs: docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
         == {"cpu": "4", "memory": "1Gi"} and docs["ConfigMap"]["data"]["WEB_CONCURRENCY"] == "4"),
        ({"migrations": {"enabled": False}}, lambda docs: "Job" not in docs),
        ({"fullnameOverride": "shop-api", "serviceAccount": {"create": False, "name": "shared"}},
         lambda docs: docs["Deployment"]["metadata"]["name"] == "shop-api" and "ServiceAccount" in docs
         and docs["ServiceAccount"]["metadata"]["name"] == "shop-api-migrate"
         and docs["Deployment"]["spec"]["template"]["spec"]["serviceAccountName"] == "shared"),
        ({"imagePullSecrets": [{"name": "regcred"}], "nodeSelector": {"pool": "api"}},
         lambda docs: docs["Deployment"]["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "regcred"}]
         and docs["Deployment"]["spec"]["template"]["spec"]["nodeSelector"] == {"pool": "api"}),
    ],
    ids=["replicas", "image-by-tag", "existing-secret", "toggles", "hosts", "resources-workers", "no-migrations",
         "names-and-service-account", "pull-secrets-and-scheduling"],
)
def test_helm_values_drive_the_release(tmp_path: Path, values: dict[str, Any], check: Any) -> None:
    from tests.deploy.conftest import EXAMPLES, design_of, write_files

    files = render_deploy(design_of(EXAMPLES[0]))
    write_files(tmp_path, files)
    chart = next((tmp_path / "deploy" / "helm").iterdir())
    rendered = render_chart(chart, values=values, release="r1", namespace="ns")
    docs = {d["kind"]: d for text in rendered.values() for d in _docs(text)}
    assert check(docs), yaml.safe_dump(docs)


def test_a_design_without_a_service_name_is_refused() -> None:
    with pytest.raises(GenerationError, match=r"service\.name"):
        render_deploy({"service": {"title": "x"}})


SERVICE_PYPROJECT = (
    Path(__file__).resolve().parents[2] / "src" / "backend_agent" / "generate" / "templates" / "service" / "pyproject.toml.j2"
)


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;]+)\s*", line)
        if match:
            pins[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return pins


def test_the_lock_file_pins_exactly_what_the_generated_pyproject_pins(example_design: dict[str, Any]) -> None:
    lock = _pins(render_deploy(example_design)["requirements.lock"].splitlines())
    text = SERVICE_PYPROJECT.read_text(encoding="utf-8")
    block = text[text.index("dependencies = [") : text.index("\n]", text.index("dependencies = ["))]
    direct = _pins(re.findall(r'"([^"]+)"', block))
    assert direct, "no pinned dependencies found in the service's pyproject template"
    assert {name: lock.get(name) for name in direct} == direct, "requirements.lock disagrees with pyproject.toml"
    assert "psycopg-binary" in lock and len(lock) > len(direct)
