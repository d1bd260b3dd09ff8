"""start_service: migrations, a loopback port, readiness, OpenAPI, and a process group that always dies."""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from backend_agent.gates import Target
from backend_agent.gates._database import throwaway_database
from backend_agent.gates._service import (
    ServiceStartError,
    free_port,
    option,
    port_is_free,
    service_command,
    service_env,
    start_service,
)
from tests.gates.projects import build, replace, target


def _dead(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A zombie still answers kill(0); it is gone once its parent reaps it.
        status = Path(f"/proc/{pid}/status")
        if status.exists() and "State:\tZ" in status.read_text():
            return True
        time.sleep(0.05)
    return False


def test_free_port_is_on_loopback_and_free() -> None:
    port = free_port()
    assert 1024 < port < 65536
    assert port_is_free(port)


def test_start_command_gets_port_and_host_substituted(tmp_path: Path) -> None:
    t = Target(root=tmp_path, start_command=["serve", "--bind", "{host}:{port}"])
    assert service_command(t, port=4321) == ["serve", "--bind", "127.0.0.1:4321"]
    t = Target(root=tmp_path, app="app.main:app")
    command = service_command(t, port=4321)
    assert command[1:] == [
        "-m",
        "uvicorn",
        "app.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        "4321",
        "--no-access-log",
    ]


def test_src_layout_gets_an_app_dir(tmp_path: Path) -> None:
    (tmp_path / "src" / "svc").mkdir(parents=True)
    command = service_command(Target(root=tmp_path, app="svc.main:app"), port=1)
    assert command[-2:] == ["--app-dir", "src"]


def test_no_app_and_no_start_command_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ServiceStartError, match="no application to start") as info:
        service_command(Target(root=tmp_path), port=1)
    assert "[tool.backend-agent]" in (info.value.hint or "")


def test_env_has_database_fresh_secret_and_gate_extras(tmp_path: Path) -> None:
    t = Target(root=tmp_path, options={"load": {"env": {"RATE_LIMIT_PER_MINUTE": 0}}})
    first = service_env(t, database_url="sqlite:///x.db", env={"EXTRA": "1"}, gate="load")
    second = service_env(t, database_url="sqlite:///x.db", env=None, gate="contract")
    assert first["DATABASE_URL"] == "sqlite:///x.db"
    assert first["RATE_LIMIT_PER_MINUTE"] == "0" and first["EXTRA"] == "1"
    assert "RATE_LIMIT_PER_MINUTE" not in second
    assert len(first["SECRET_KEY"]) >= 32 and first["SECRET_KEY"] != second["SECRET_KEY"]


def test_option_prefers_the_gate_table(tmp_path: Path) -> None:
    t = Target(root=tmp_path, options={"p95_ms": 100, "load": {"p95_ms": 250}})
    assert option(t, "load", "p95_ms") == 250
    assert option(t, "contract", "p95_ms") == 100
    assert option(t, "contract", "missing", 7) == 7


@pytest.mark.slow
def test_clean_project_starts_migrated_and_stops(tmp_path: Path) -> None:
    project = build(tmp_path)
    with throwaway_database(None) as db, start_service(target(project), database_url=db.url) as service:
        assert service.base_url.startswith("http://127.0.0.1:")
        assert service.ready_url.endswith("/health")
        assert "/api/projects" in service.openapi["paths"]
        created = httpx.post(
            service.base_url + "/api/auth/register", json={"username": "zed", "password": "pw-12345678"}
        )
        assert created.status_code == 201  # the tables exist: migrations ran
        port, pid = service.port, service.process.pid
    assert _dead(pid)
    assert port_is_free(port)


@pytest.mark.slow
@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_group_is_killed_when_the_body_raises(tmp_path: Path, error: type[BaseException]) -> None:
    # check keeps the project folder read-only for the service: the pid file goes beside it.
    project = tmp_path / "svc"
    project.mkdir()
    script = project / "serve.py"
    pid_file = tmp_path / "child.pid"
    script.write_text(
        textwrap.dedent(
            f"""
            import subprocess, sys, time
            child = subprocess.Popen([sys.executable, "-m", "http.server", sys.argv[1], "--bind", "127.0.0.1"])
            open({str(pid_file)!r}, "w").write(str(child.pid))
            time.sleep(600)
            """
        )
    )
    t = Target(
        root=project, start_command=[sys.executable, str(script), "{port}"], options={"health_path": "/"}
    )
    with pytest.raises(error, match="boom"), start_service(t, database_url="sqlite://") as service:
        port, leader = service.port, service.process.pid
        raise error("boom")
    child = int(pid_file.read_text())
    assert _dead(leader)
    assert _dead(child)
    assert port_is_free(port)


@pytest.mark.slow
def test_a_service_that_exits_reports_its_output(tmp_path: Path) -> None:
    t = Target(
        root=tmp_path, start_command=[sys.executable, "-c", "import sys; print('cannot bind'); sys.exit(3)"]
    )
    with (
        pytest.raises(ServiceStartError, match="exited with code 3") as info,
        start_service(t, database_url="sqlite://"),
    ):
        pass
    assert "cannot bind" in info.value.logs


@pytest.mark.slow
def test_broken_migrations_stop_before_start(tmp_path: Path) -> None:
    project = build(tmp_path)
    replace(
        project,
        "alembic/versions/0001_initial_schema.py",
        "op.create_table('projects',",
        "op.create_table('users',",
    )
    with (
        pytest.raises(ServiceStartError, match="alembic upgrade head") as info,
        throwaway_database(None) as db,
        start_service(target(project), database_url=db.url),
    ):
        pass
    assert "users" in info.value.logs


@pytest.mark.slow
def test_sigterm_during_the_block_still_stops_the_group(tmp_path: Path) -> None:
    script = tmp_path / "serve.py"
    script.write_text(
        "import sys, time, http.server as h\nh.test(h.SimpleHTTPRequestHandler, port=int(sys.argv[1]), bind='127.0.0.1')\n"
    )
    t = Target(
        root=tmp_path, start_command=[sys.executable, str(script), "{port}"], options={"health_path": "/"}
    )
    with pytest.raises(SystemExit), start_service(t, database_url="sqlite://") as service:
        pid, port = service.process.pid, service.port
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    assert _dead(pid)
    assert port_is_free(port)


@pytest.mark.slow
@pytest.mark.services
def test_clean_project_on_a_throwaway_postgres_database(tmp_path: Path, postgres_url: str) -> None:
    project = build(tmp_path)
    with (
        throwaway_database(postgres_url) as db,
        start_service(target(project), database_url=db.url) as service,
    ):
        assert db.dialect == "postgresql"
        client = httpx.Client(base_url=service.base_url)
        body = {"username": "pg-user", "password": "pw-12345678"}
        assert client.post("/api/auth/register", json=body).status_code == 201
        token = client.post("/api/auth/login", json=body).json()["access_token"]
        project_row = client.post(
            "/api/projects", json={"name": "on pg"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert project_row.status_code == 201
        client.close()
