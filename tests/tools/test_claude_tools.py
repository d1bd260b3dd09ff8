"""TodoWrite, NotebookEdit, WebFetch and WebSearch: Claude Code's tools, on real files and a real server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest

from backend_agent.tools import (
    NotebookEditTool,
    ReadTool,
    TodoWriteTool,
    ToolContext,
    WebFetchTool,
    WebSearchTool,
)
from backend_agent.tools.web import SEARCH_URL_VARIABLE


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(workspace=tmp_path)


# -- TodoWrite ---------------------------------------------------------------------------------------


def test_todowrite_replaces_the_list_and_keeps_one_task_running(ctx: ToolContext) -> None:
    tool = TodoWriteTool()
    first = tool.call({"todos": [
        {"content": "Write the test", "status": "in_progress", "activeForm": "Writing the test"},
        {"content": "Fix the bug", "status": "pending", "activeForm": "Fixing the bug"},
    ]}, ctx)  # fmt: skip
    assert first.ok and "0/2 completed" in first.output
    second = tool.call({"todos": [
        {"content": "Write the test", "status": "completed", "activeForm": "Writing the test"},
        {"content": "Fix the bug", "status": "in_progress", "activeForm": "Fixing the bug"},
    ]}, ctx)  # fmt: skip
    assert second.data["oldTodos"][0]["status"] == "in_progress"
    assert [t["status"] for t in ctx.session.todos] == ["completed", "in_progress"]
    both_running = tool.call({"todos": [
        {"content": "a", "status": "in_progress"}, {"content": "b", "status": "in_progress"},
    ]}, ctx)  # fmt: skip
    assert not both_running.ok and "only one task may be in_progress" in both_running.output
    assert len(ctx.session.todos) == 2  # a refused update changes nothing


# -- NotebookEdit ------------------------------------------------------------------------------------


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("x = 1", execution_count=3)]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="old output")]
    path = tmp_path / "analysis.ipynb"
    path.write_text(nbformat.writes(nb))
    return path


def test_notebook_edit_replace_insert_delete(ctx: ToolContext, notebook: Path) -> None:
    tool = NotebookEditTool()
    not_read = tool.call({"notebook_path": str(notebook), "cell_id": "cell-1", "new_source": "x = 2"}, ctx)
    assert not not_read.ok and not_read.error is not None and not_read.error.code == "not_read"
    assert ReadTool().call({"file_path": str(notebook)}, ctx).ok
    code_id = nbformat.read(notebook, as_version=4).cells[1].id

    replaced = tool.call({"notebook_path": str(notebook), "cell_id": code_id, "new_source": "x = 2"}, ctx)
    assert replaced.ok, replaced.output
    cell = nbformat.read(notebook, as_version=4).cells[1]
    assert cell.source == "x = 2" and cell.outputs == [] and cell.execution_count is None

    inserted = tool.call({"notebook_path": "analysis.ipynb", "cell_id": "cell-0", "new_source": "Intro",
                          "cell_type": "markdown", "edit_mode": "insert"}, ctx)  # fmt: skip
    assert inserted.ok
    assert [c.source for c in nbformat.read(notebook, as_version=4).cells] == ["# Title", "Intro", "x = 2"]

    deleted = tool.call({"notebook_path": str(notebook), "cell_id": "cell-0", "new_source": "",
                         "edit_mode": "delete"}, ctx)  # fmt: skip
    assert deleted.ok
    final = nbformat.read(notebook, as_version=4)
    nbformat.validate(final)
    assert [c.source for c in final.cells] == ["Intro", "x = 2"]


def test_notebook_edit_names_unknown_cells_and_needs_a_type_to_insert(ctx: ToolContext, notebook: Path) -> None:
    ReadTool().call({"file_path": str(notebook)}, ctx)
    tool = NotebookEditTool()
    missing = tool.call({"notebook_path": str(notebook), "cell_id": "nope", "new_source": "y"}, ctx)
    assert not missing.ok and "cell-" not in missing.output.split("cells:")[0] and "nope" in missing.output
    untyped = tool.call({"notebook_path": str(notebook), "new_source": "y", "edit_mode": "insert"}, ctx)
    assert not untyped.ok and "cell_type is required" in untyped.output
    outside = tool.call({"notebook_path": "/etc/x.ipynb", "new_source": "y"}, ctx)
    assert not outside.ok and outside.error is not None and outside.error.code == "outside_workspace"


# -- WebFetch and WebSearch --------------------------------------------------------------------------


class _Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        routes = {
            "/page": (200, "text/html", "<html><body><h1>Pricing</h1><p>The <b>pro</b> plan costs $9.</p>"
                      "<script>track()</script></body></html>"),
            "/plain": (200, "text/plain", "just text"),
            "/missing": (404, "text/plain", "no"),
        }
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/page")
            self.end_headers()
            return
        if self.path == "/away":
            self.send_response(301)
            self.send_header("Location", "http://127.0.0.2:9/elsewhere")
            self.end_headers()
            return
        if self.path.startswith("/search"):
            body = json.dumps({"results": [
                {"title": "FastAPI docs", "url": "https://fastapi.tiangolo.com/tutorial/", "content": "Tutorial"},
                {"title": "Spam", "url": "https://spam.example/x", "content": "buy"},
            ]})  # fmt: skip
            routes[self.path] = (200, "application/json", body)
        status, kind, body = routes.get(self.path, (404, "text/plain", "no"))
        payload = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_webfetch_returns_markdown_with_the_question(ctx: ToolContext, site: str) -> None:
    result = WebFetchTool().call({"url": f"{site}/page", "prompt": "What does pro cost?"}, ctx)
    assert result.ok, result.output
    assert "# Pricing" in result.output and "**pro** plan costs $9" in result.output
    assert "track()" not in result.output and "What does pro cost?" in result.output
    again = WebFetchTool().call({"url": f"{site}/page", "prompt": "again"}, ctx)
    assert again.data["cached"] is True


def test_webfetch_redirects_errors_and_no_network(ctx: ToolContext, site: str) -> None:
    tool = WebFetchTool()
    same_host = tool.call({"url": f"{site}/moved", "prompt": "p"}, ctx)
    assert same_host.ok and "Pricing" in same_host.output
    other_host = tool.call({"url": f"{site}/away", "prompt": "p"}, ctx)
    assert other_host.ok and other_host.data["redirect_url"] == "http://127.0.0.2:9/elsewhere"
    missing = tool.call({"url": f"{site}/missing", "prompt": "p"}, ctx)
    assert not missing.ok and "HTTP 404" in missing.output
    unreachable = tool.call({"url": "http://127.0.0.1:9/closed", "prompt": "p"}, ctx)
    assert not unreachable.ok and unreachable.error is not None and unreachable.error.code == "network_error"
    bad = tool.call({"url": "ftp://x", "prompt": "p"}, ctx)
    assert not bad.ok and "full http(s) URL" in bad.output


def test_websearch_without_a_backend_says_so(ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SEARCH_URL_VARIABLE, raising=False)
    result = WebSearchTool().call({"query": "fastapi lifespan"}, ctx)
    assert not result.ok and SEARCH_URL_VARIABLE in result.output and "No search was made" in result.output


def test_websearch_filters_domains(ctx: ToolContext, site: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SEARCH_URL_VARIABLE, f"{site}/search")
    result = WebSearchTool().call({"query": "fastapi", "blocked_domains": ["spam.example"]}, ctx)
    assert result.ok, result.output
    assert [r["title"] for r in result.data["results"]] == ["FastAPI docs"]
    only = WebSearchTool().call({"query": "fastapi", "allowed_domains": ["spam.example"]}, ctx)
    assert [r["title"] for r in only.data["results"]] == ["Spam"]
