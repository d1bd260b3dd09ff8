"""Contract-first services generated once per module and started with uvicorn on a loopback port (SQLite)."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from backend_agent.generate import generate_service

REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass
class RunningService:
    project: Path
    base_url: str
    design: dict[str, Any]
    env: dict[str, str]

    def run_python(self, code: str) -> str:
        """Run ``code`` in the project with the service's environment (same database and secret)."""
        done = subprocess.run([sys.executable, "-c", code], cwd=self.project, env=self.env, capture_output=True,
                              text=True, timeout=60, check=True)
        return done.stdout.strip()

    def wire(self, operation_id: str) -> dict[str, Any]:
        op = next(o for o in self.design["operations"] if o["operation_id"] == operation_id)
        wire: dict[str, Any] = op["wire"]
        return wire


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def service_env(workdir: Path) -> dict[str, str]:
    return {**os.environ, "APP_ENV": "production", "APP_SECRET": secrets.token_urlsafe(48),
            "DATABASE_URL": f"sqlite:///{workdir / 'service.sqlite3'}", "RATE_LIMIT_ENABLED": "false",
            "OUTBOX_ENABLED": "false"}


def start_service(project: Path, workdir: Path, env: dict[str, str]) -> Iterator[str]:
    """Migrate a fresh SQLite database, start uvicorn on a free loopback port, yield its URL, stop it."""
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=project, env=env, check=True,
                   capture_output=True, timeout=120)
    port = free_port()
    log = (workdir / "uvicorn.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
                               "--port", str(port)], cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the service did not start:\n{(workdir / 'uvicorn.log').read_text()[-3000:]}")
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def running_example(name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """examples/<name> generated into a temporary folder and started."""
    import json

    root = tmp_path_factory.mktemp(f"contract-{name}")
    result = generate_service(REPO_ROOT / "examples" / name / f"{name}.blueprint.yaml", root / "service")
    design = json.loads((result.out_dir / "design/design.json").read_text())
    env = service_env(root)
    for url in start_service(result.out_dir, root, env):
        yield RunningService(result.out_dir, url, design, env)


@pytest.fixture(scope="module")
def realworld(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    contract = Path(__file__).resolve().parents[3].parent / "shared" / "contracts" / "realworld-openapi.yml"
    if not contract.is_file():
        pytest.skip(f"the RealWorld contract {contract} is absent (../shared lives beside the repository)")
    yield from running_example("realworld", tmp_path_factory)


@pytest.fixture(scope="module")
def login(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    yield from running_example("login", tmp_path_factory)


@pytest.fixture(scope="module")
def monitors(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    yield from running_example("monitors", tmp_path_factory)


@pytest.fixture(scope="module")
def cart(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    yield from running_example("cart", tmp_path_factory)


@pytest.fixture(scope="module")
def clicks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    yield from running_example("clicks", tmp_path_factory)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    yield from running_example("catalog", tmp_path_factory)


@pytest.fixture(scope="module")
def recipes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    yield from running_example("recipes", tmp_path_factory)


@pytest.fixture(scope="module")
def cards(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    yield from running_example("cards", tmp_path_factory)


@pytest.fixture(scope="module")
def wiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    yield from running_example("wiki", tmp_path_factory)


@pytest.fixture(scope="module")
def forum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    yield from running_example("forum", tmp_path_factory)


@pytest.fixture(scope="module")
def bookmarks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    yield from running_example("bookmarks", tmp_path_factory)


def assert_serves_its_contract(service: RunningService) -> None:
    """/openapi.json equals design/openapi.yaml (the normalized contract), with every designed operation."""
    import yaml

    served = httpx.get(f"{service.base_url}/openapi.json").json()
    assert served == yaml.safe_load((service.project / "design/openapi.yaml").read_text())
    operations = {(path, method) for path, item in served["paths"].items() for method in item}
    assert operations == {(o["path"], o["method"].lower()) for o in service.design["operations"]}


def strip_annotations(schema: Any) -> Any:
    """The JSON Schema without x- annotations, OpenAPI 3.0 ``nullable: true`` as a ``null`` type."""
    if isinstance(schema, dict):
        out = {k: strip_annotations(v) for k, v in schema.items() if not k.startswith("x-") and k != "nullable"}
        if schema.get("nullable") is True and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        return out
    if isinstance(schema, list):
        return [strip_annotations(v) for v in schema]
    return schema


def assert_exact(body: Any, schema: dict[str, Any], where: str = "$") -> None:
    """``body`` is valid against ``schema`` and has no key the schema does not name (closed objects)."""
    jsonschema.validate(body, strip_annotations(schema))
    if isinstance(body, dict) and "properties" in schema:
        extra = sorted(set(body) - set(schema["properties"]))
        assert not extra, f"{where}: keys {extra} are not in the contract"
        for key, value in body.items():
            assert_exact(value, schema["properties"][key], f"{where}.{key}")
    if isinstance(body, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(body):
            assert_exact(item, schema["items"], f"{where}[{index}]")


def assert_wire(service: RunningService, operation_id: str, response: httpx.Response, status: int) -> Any:
    """The response has ``status``, that status is in the operation's wire, and the body fits its schema."""
    assert response.status_code == status, f"{operation_id}: {response.status_code} {response.text[:500]}"
    entries = [r for r in service.wire(operation_id)["responses"] if r["status"] == status]
    assert entries, f"{operation_id}: status {status} is not in wire.responses"
    entry = entries[0]
    if entry["content_type"] is None or status == 204:
        assert response.content == b"", f"{operation_id}: {status} must have no body"
        return None
    assert response.headers["content-type"].startswith(entry["content_type"])
    body = response.json()
    if entry["schema"] is not None:
        assert_exact(body, entry["schema"])
    return body


def assert_text(service: RunningService, operation_id: str, response: httpx.Response, status: int) -> str:
    """A text/html or text/plain answer with ``status``, the content type the contract gives that status."""
    assert response.status_code == status, f"{operation_id}: {response.status_code} {response.text[:500]}"
    entry = next(r for r in service.wire(operation_id)["responses"] if r["status"] == status)
    assert entry["content_type"] in ("text/html", "text/plain")
    assert response.headers["content-type"].split(";")[0] == entry["content_type"]
    return response.text
