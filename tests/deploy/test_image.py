"""The image's build steps, run without a Docker engine: the lock installs alone and runs the service.

There is no Docker engine here (hadolint and checkov check the Dockerfile itself). What can break
an image build is the lock: a missing transitive package or a conflict. This test runs the builder
stage's install command in a fresh virtualenv, then starts the service from it with the runtime
stage's settings and asks its health endpoint.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import venv
from pathlib import Path

import httpx
import pytest

from tests.deploy._cluster import APP_SECRET, free_port

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "conduit.blueprint.yaml"


def test_the_locked_dependencies_install_alone_and_run_the_service(scratch_dir: Path) -> None:
    from backend_agent.generate import generate_service

    tmp_path = scratch_dir

    project = tmp_path / "conduit"
    generate_service(EXAMPLE, project)
    dockerfile = (project / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    install = re.search(r"^RUN (pip install [^\n\\]*-r requirements\.lock)", dockerfile, re.M)
    assert install, "the builder stage no longer installs from requirements.lock"

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    proc = subprocess.run([str(python), "-m", *install.group(1).split()], cwd=project,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 and "No matching distribution" in proc.stderr + proc.stdout:
        pytest.skip(f"the package index is not reachable: {proc.stderr[-300:]}")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    check = subprocess.run([str(python), "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, f"requirements.lock is incomplete or inconsistent:\n{check.stdout}"

    migrate_env = {**os.environ, "APP_ENV": "production", "APP_SECRET": APP_SECRET, "PYTHONDONTWRITEBYTECODE": "1",
                   "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    migrate_env.pop("REDIS_URL", None)
    migrated = subprocess.run([str(python), "-m", "alembic", "upgrade", "head"], cwd=project, env=migrate_env,
                              capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    port = free_port()
    cmd = re.search(r'^CMD \["uvicorn", "([^"]+)"', dockerfile, re.M)
    assert cmd
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen([str(python), "-m", "uvicorn", cmd.group(1), "--host", "127.0.0.1", "--port",
                                   str(port), "--workers", "2"], cwd=project, env=migrate_env,
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert server.poll() is None, log.read_text(errors="replace")[-3000:]
            assert "ModuleNotFoundError" not in log.read_text(errors="replace"), log.read_text(errors="replace")[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            raise AssertionError(f"the service built from the lock did not become ready:\n{log.read_text()[-3000:]}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert sys.version_info[:2] == (3, 11) or "python:3.11" not in dockerfile, (
        "the image's Python differs from the one the lock was resolved and tested on"
    )
