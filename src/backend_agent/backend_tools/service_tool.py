"""Service: start and stop the project's service on a loopback port, and make HTTP requests to it."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from backend_agent.backend_tools import _service
from backend_agent.backend_tools._output import answer
from backend_agent.backend_tools._paths import relative, resolve_in_workspace
from backend_agent.errors import BackendAgentError
from backend_agent.tools import Tool, ToolContext, ToolResult

BODY_CHARS = 4000


class ServiceInput(BaseModel):
    action: Literal["start", "stop", "request", "status", "logs"] = Field(
        description="start the service (throwaway SQLite database, free loopback port); request: one HTTP "
        "call to it; logs: its output; status: what runs; stop it when done."
    )
    path: str = Field(".", description="The project folder (default: the workspace).")
    method: str = Field("GET", description="request: the HTTP method.")
    url: str | None = Field(None, description="request: the path, e.g. /api/items?limit=5 (loopback only).")
    headers: dict[str, str] = Field(default_factory=dict, description="request: extra headers.")
    body: Any = Field(None, description="request: a JSON body.")
    timeout_s: float = Field(15.0, gt=0, le=120, description="request: time bound in seconds.")
    full_body: bool = Field(
        False, description=f"request: return the whole body (default: the first {BODY_CHARS} characters), e.g. for /openapi.json."
    )


class ServiceTool(Tool[ServiceInput]):
    name = "Service"
    description = (
        "Run the project's own service so you can try its API: action=start launches it on a free loopback "
        "port against a throwaway SQLite database (migrations applied), action=request sends one HTTP request "
        "(method, url path, headers, JSON body) and returns status, headers and body, action=logs shows its "
        "output, action=stop stops it. Services are stopped when the session ends."
    )
    Input = ServiceInput

    def run(self, input: ServiceInput, ctx: ToolContext) -> ToolResult:
        root = resolve_in_workspace(input.path, ctx, what="project folder")
        if isinstance(root, ToolResult):
            return root
        key = id(ctx.session)
        if input.action == "start":
            return _start(key, root, ctx)
        if input.action == "stop":
            stopped = _service.stop(key, root)
            return answer("stopped" if stopped else "no service was running", {"stopped": stopped})
        if input.action == "status":
            services = [{"path": relative(s.root, ctx), "base_url": s.base_url, "alive": s.alive()}
                        for s in _service.running(key)]  # fmt: skip
            return answer(f"{len(services)} service(s) started in this session", {"services": services})
        started = _service.get(key, root)
        if started is None:
            return ToolResult.failure("not_started", "No service is running for this project; call action=start first.")
        if input.action == "logs":
            return answer(f"service output ({'running' if started.alive() else 'exited'})",
                          {"alive": started.alive(), "logs": started.logs()})  # fmt: skip
        return _request(started, input)


def _start(key: int, root: Any, ctx: ToolContext) -> ToolResult:
    from backend_agent.gates import load_target

    if not root.is_dir():
        return ToolResult.failure("not_found", f"{relative(root, ctx)} is not a folder.")
    try:
        target = load_target(root)
        started = _service.start(key, root, app=target.app, start_command=target.start_command)
    except BackendAgentError as exc:
        return ToolResult.failure("bad_project", str(exc))
    except _service.ServiceError as exc:
        return answer(f"the service did not start: {exc}", {"error": str(exc), "logs": exc.logs},
                      ok=False, code="start_failed")  # fmt: skip
    data = {"base_url": started.base_url, "port": started.port, "database": "sqlite (throwaway)",
            "path": relative(root, ctx)}  # fmt: skip
    return answer(f"service running at {started.base_url}", data)


def _request(started: _service.Started, input: ServiceInput) -> ToolResult:
    import httpx

    if not input.url:
        return ToolResult.failure("bad_input", "action=request needs url: the path to call, e.g. /api/items.")
    if "://" in input.url:
        return ToolResult.failure("bad_input", "Give only the path (e.g. /api/items); requests go to the started service.")
    path = input.url if input.url.startswith("/") else "/" + input.url
    try:
        response = _service.request(started, input.method.upper(), path, headers=input.headers, body=input.body,
                                    timeout_s=input.timeout_s)  # fmt: skip
    except httpx.HTTPError as exc:
        return answer(f"the request failed: {type(exc).__name__}: {exc}",
                      {"error": str(exc), "alive": started.alive(), "logs": started.logs(1500)},
                      ok=False, code="request_failed")  # fmt: skip
    text = response.text
    try:
        body: Any = response.json()
        shown = json.dumps(body)
    except ValueError:
        body, shown = None, text
    limit = len(shown) if input.full_body else BODY_CHARS
    data: dict[str, Any] = {
        "status": response.status_code,
        "headers": {k: v for k, v in response.headers.items() if k.lower() in ("content-type", "location", "www-authenticate", "retry-after", "x-request-id")},
        "body": body if body is not None and len(shown) <= limit else shown[:limit],
        "elapsed_ms": round(response.elapsed.total_seconds() * 1000, 1),
    }
    if len(shown) > limit:
        data["body_truncated"] = len(shown)
    return answer(f"{input.method.upper()} {path} -> {response.status_code}", data)


__all__ = ["ServiceInput", "ServiceTool"]
