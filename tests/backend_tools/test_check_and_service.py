"""Check and Service tools on a real FastAPI project: located findings, and a service the model can call."""

from __future__ import annotations

import os
from pathlib import Path

from backend_agent.backend_tools import CheckTool, ServiceTool, stop_services
from backend_agent.tools import ToolContext
from tests.workflow.conftest import SAFE, UNSAFE


def test_check_reports_a_failing_gate_with_file_line_and_hint(tiny: Path) -> None:
    ctx = ToolContext(workspace=tiny)
    result = CheckTool().call({"gates": ["static-security"]}, ctx)
    assert result.ok, result.output  # the check ran; pass/fail is in the data
    assert result.data["status"] == "fail" and result.data["failed"] == ["static-security"]
    (gate,) = result.data["gates"]
    finding = next(f for f in gate["findings"] if f["rule"] == "bandit:B608")
    assert finding["file"] == "app/main.py" and finding["line"] == 16
    assert "bound parameters" in gate["hint"]
    assert result.output.startswith("check FAILED: static-security failing")

    main = tiny / "app" / "main.py"
    main.write_text(main.read_text().replace(UNSAFE, SAFE))
    again = CheckTool().call({"gates": ["static-security"]}, ctx)
    assert again.data["status"] == "pass" and again.data["passed"] == ["static-security"]


def test_check_rejects_unknown_gates_and_missing_folders(tiny: Path) -> None:
    ctx = ToolContext(workspace=tiny)
    unknown = CheckTool().call({"gates": ["speed"]}, ctx)
    assert not unknown.ok and "valid gates: tests" in unknown.output
    missing = CheckTool().call({"path": "nope"}, ctx)
    assert not missing.ok and missing.error is not None and missing.error.code == "not_found"


def test_service_starts_answers_requests_and_stops(tiny: Path) -> None:
    ctx = ToolContext(workspace=tiny)
    tool = ServiceTool()
    not_started = tool.call({"action": "request", "url": "/health"}, ctx)
    assert not not_started.ok and "action=start first" in not_started.output

    started = tool.call({"action": "start"}, ctx)
    assert started.ok, started.output
    assert started.data["base_url"].startswith("http://127.0.0.1:")
    health = tool.call({"action": "request", "url": "/health"}, ctx)
    assert health.ok and health.data["status"] == 200 and health.data["body"] == {"status": "ok"}
    missing = tool.call({"action": "request", "url": "/items"}, ctx)  # `name` is required
    assert missing.data["status"] == 422
    remote = tool.call({"action": "request", "url": "http://example.com/"}, ctx)
    assert not remote.ok and "only the path" in remote.output

    status = tool.call({"action": "status"}, ctx)
    (running,) = status.data["services"]
    assert running["alive"] is True
    pid = _pid_listening(started.data["port"])
    assert stop_services(ctx.session) == 1
    assert pid is None or not Path(f"/proc/{pid}").exists() or _zombie(pid)
    assert tool.call({"action": "status"}, ctx).data["services"] == []


def test_service_start_failure_returns_the_logs(tiny: Path) -> None:
    (tiny / "app" / "main.py").write_text("from fastapi import FastAPI\nraise RuntimeError('boom at import')\napp = FastAPI()\n")
    result = ServiceTool().call({"action": "start"}, ToolContext(workspace=tiny))
    assert not result.ok
    assert "boom at import" in result.data["logs"]


def _pid_listening(port: int) -> int | None:
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":
            inode = fields[9]
    if inode is None:
        return None
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if any(os.readlink(fd) == f"socket:[{inode}]" for fd in (proc / "fd").iterdir()):
                    return int(proc.name)
            except OSError:
                continue
    return None


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
