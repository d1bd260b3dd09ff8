"""Deployment files of a generated service: Docker, docker-compose, Kubernetes, Helm and Terraform.

``render_deploy(design)`` turns a design (the parsed ``design.json``) into ``{relative path: content}``;
the generator writes those files with the rest of the project. Everything here is pure: the
templates live under ``templates/deploy/`` and are rendered with Jinja2 (``*.j2``) or copied
verbatim (the Helm chart's own Go templates, which Helm renders at install time).

Every file is built from one ``DeployContext``, so the image, port, health paths, environment and
secret names agree across Docker, Kubernetes, Helm and Terraform.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import jinja2

from backend_agent.errors import GenerationError

TEMPLATE_ROOT = "deploy"

# Pinned by exact tag (the digest is not reachable offline; docs/deploy.md shows how to add it).
PYTHON_IMAGE = "python:3.11.11-slim-bookworm"  # the Python the service is tested and locked on
POSTGRES_IMAGE = "postgres:16.6-bookworm"
REDIS_IMAGE = "redis:7.4.1-bookworm"
# A visibly fake digest: Kubernetes manifests reference the image by digest, and the user puts
# the real one in (``kustomize edit set image``, ``--set image.digest=...`` or a CI step).
DIGEST_PLACEHOLDER = "sha256:" + "0" * 64

# Template files whose output path is not ``deploy/<template path>``: dotfiles are awkward as
# package data, and the build context's ignore file and the dependency lock belong at the root.
RENAMED = {
    "dockerignore.j2": (".dockerignore",),
    "helm/chart/helmignore": ("deploy/helm/{name}/.helmignore",),
    "requirements.lock": ("requirements.lock",),
}


@dataclass(frozen=True)
class SecretEnv:
    """An environment variable whose value comes from a Secret (never from a file in the repo)."""

    env: str
    key: str
    description: str


@dataclass(frozen=True)
class DeployContext:
    """Everything the deployment templates need, derived once from the design."""

    name: str
    title: str
    version: str
    description: str
    port: int = 8000
    app_module: str = "app.main:app"
    python_image: str = PYTHON_IMAGE
    postgres_image: str = POSTGRES_IMAGE
    redis_image: str = REDIS_IMAGE
    digest_placeholder: str = DIGEST_PLACEHOLDER
    uid: int = 10001
    health_live: str = "/health/live"
    health_ready: str = "/health/ready"
    metrics_path: str = "/metrics"
    config: dict[str, str] = field(default_factory=dict)
    secrets: tuple[SecretEnv, ...] = ()

    @property
    def image_repository(self) -> str:
        return f"registry.example.com/{self.name}"

    @property
    def secret_name(self) -> str:
        return f"{self.name}-secrets"

    @property
    def db_name(self) -> str:
        return self.name.replace("-", "_")


def _dns_label(name: str) -> str:
    """A Kubernetes object name (RFC 1123 label) from the service name."""
    label = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    return label[:40].rstrip("-") or "service"


def deploy_context(design: dict[str, Any]) -> DeployContext:
    """The deployment facts of one design: names, version, environment and the secrets it needs."""
    service = design.get("service")
    if not isinstance(service, dict) or not service.get("name"):
        raise GenerationError(
            "design.json: field 'service.name' is missing; expected the service section that "
            "`backend-agent design` writes. Regenerate the design from the blueprint."
        )
    name = _dns_label(str(service["name"]))
    config = {
        "APP_ENV": "production",
        "LOG_LEVEL": "INFO",
        "WEB_CONCURRENCY": "2",
        "PORT": "8000",
        "DB_POOL_SIZE": "3",
        "PUBLIC_URL": f"https://{name}.example.com",
    }
    # The service refuses to start outside development without a strong secret, auth or not.
    secret_env = str(service.get("secret_env") or "APP_SECRET")
    secrets: tuple[SecretEnv, ...] = (
        SecretEnv("DATABASE_URL", "database-url", "SQLAlchemy URL of the PostgreSQL database"),
        SecretEnv("REDIS_URL", "redis-url", "Redis URL shared by all replicas (rate limits, cache, token revocation)"),
        SecretEnv(secret_env, "app-secret", "signing key for tokens, at least 32 random characters"),
    )
    if any(f.get("encrypted") for e in (design.get("entities") or {}).values() for f in e.get("fields", [])):
        key_env = str(service.get("encryption_key_env") or f"{name.upper().replace('-', '_')}_ENCRYPTION_KEY")
        secrets += (SecretEnv(key_env, "encryption-key",
                              "AES-256-GCM key of the fields encrypted at rest, 32 random bytes as 64 hex characters"),)
    return DeployContext(
        name=name,
        title=str(service.get("title") or name),
        version=str(service.get("version") or "0.1.0"),
        description=str(service.get("description") or f"The {name} service"),
        config=config,
        secrets=secrets,
    )


def _templates() -> Traversable:
    return resources.files("backend_agent.generate").joinpath("templates", TEMPLATE_ROOT)


def _walk(folder: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    found: list[tuple[str, Traversable]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        rel = f"{prefix}{entry.name}"
        if entry.is_dir():
            if entry.name != "__pycache__":
                found += _walk(entry, rel + "/")
        else:
            found.append((rel, entry))
    return found


def _output_paths(rel: str, ctx: DeployContext) -> tuple[str, ...]:
    if rel in RENAMED:
        return tuple(p.format(name=ctx.name) for p in RENAMED[rel])
    out = rel.removesuffix(".j2")
    if out.startswith("helm/chart/"):
        out = f"helm/{ctx.name}/" + out.removeprefix("helm/chart/")
    return (f"deploy/{out}",)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("backend_agent.generate", f"templates/{TEMPLATE_ROOT}"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # YAML, HCL and Dockerfiles, not HTML  # nosec B701
    )


def render_deploy(design: dict[str, Any]) -> dict[str, str]:
    """``{relative POSIX path: content}`` of every deployment file for the design's service."""
    ctx = deploy_context(design)
    env = _environment()
    files: dict[str, str] = {}
    for rel, entry in _walk(_templates()):
        if rel.rsplit("/", 1)[-1].startswith("_") and rel.endswith(".j2"):
            continue  # a partial, included by other templates
        text = entry.read_text(encoding="utf-8")
        if rel.endswith(".j2"):
            try:
                text = env.get_template(rel).render(ctx=ctx)
            except jinja2.TemplateError as exc:  # a defect of ours, not of the user's input
                raise GenerationError(f"deploy template {rel} failed to render: {exc}") from exc
        for out in _output_paths(rel, ctx):
            files[out] = text
    return files


__all__ = ["DeployContext", "SecretEnv", "deploy_context", "render_deploy"]
