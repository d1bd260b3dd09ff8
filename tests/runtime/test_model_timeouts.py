"""Issue 11: a model server that accepts the connection and never answers ends the run, clearly.

A real local socket server accepts every connection and never sends a byte; the CLI run must end
within the configured read timeout (times attempts) with an error naming the server's URL.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend_agent.runtime.models import GuardedModel, resolve_model
from backend_agent.settings import Settings


class SilentServer:
    """Accepts connections, reads whatever arrives, never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.first_accept: float | None = None
        self.held: list[socket.socket] = []
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            self.first_accept = self.first_accept or time.monotonic()
            self.held.append(conn)

    def close(self) -> None:
        self.stopping = True
        self.thread.join(timeout=2)
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def test_a_silent_model_server_ends_the_run_with_a_clear_error(
    workspace: Path, cli, silent_server: SilentServer
) -> None:
    url = f"http://127.0.0.1:{silent_server.port}/v1"
    env = {
        "BACKEND_AGENT_OPENAI_BASE_URL": url,
        "BACKEND_AGENT_MODEL_READ_TIMEOUT": "1",
        "BACKEND_AGENT_MODEL_CONNECT_TIMEOUT": "1",
        "BACKEND_AGENT_MODEL_RETRIES": "1",
    }
    proc = cli("run", "-p", "hello", "--model", "openai-compat:test-model", "--output-format", "json",
               cwd=workspace, env=env, timeout=60)  # fmt: skip
    ended = time.monotonic()
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "error"
    error = result["error"]
    assert url in error and "did not answer in time" in error and "read timeout 1 s" in error, error
    assert "2 attempts" in error and silent_server.accepted == 2  # the retry really happened
    # from the first connection to the end of the run: 2 attempts x 1 s read timeout, the SDK's retry
    # back-off (under a second) and the shutdown; start-up time (slow on a loaded machine) is not counted
    assert silent_server.first_accept is not None
    took = ended - silent_server.first_accept
    assert took < 10, f"took {took:.1f} s after the first connection"


def test_a_refused_connection_names_the_url(workspace: Path, cli) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    env = {"BACKEND_AGENT_OPENAI_BASE_URL": url, "BACKEND_AGENT_MODEL_RETRIES": "0"}
    proc = cli("run", "-p", "hello", "--model", "openai-compat:m", cwd=workspace, env=env, timeout=60)
    assert proc.returncode == 1
    assert url in proc.stderr and "could not be reached" in proc.stderr and "Traceback" not in proc.stderr


def test_timeouts_and_retries_come_from_settings(tmp_path: Path) -> None:
    settings = Settings.model_validate({"openai_base_url": "http://127.0.0.1:9/v1", "model_read_timeout": 7,
                                        "model_connect_timeout": 3, "model_retries": 4})  # fmt: skip
    resolved = resolve_model("openai-compat:m", settings=settings, cwd=tmp_path)
    assert isinstance(resolved.model, GuardedModel)
    client = resolved.model.wrapped.client  # type: ignore[attr-defined]
    assert client.max_retries == 4
    assert (client.timeout.read, client.timeout.connect) == (7, 3)
