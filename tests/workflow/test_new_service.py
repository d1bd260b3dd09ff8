"""New services, end to end with scripted models: from a paragraph, and from a given OpenAPI contract."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from backend_agent.backend_tools import GenerateTool
from backend_agent.tools import ToolContext
from tests.runtime.conftest import write_script

pytestmark = pytest.mark.slow  # generates a service and runs its tests and gates

REQUEST = ("Build a small notes service: notes have a required title (at most 120 characters) and a body. "
           "Besides the usual CRUD, GET /api/notes/stats returns how many notes there are.")  # fmt: skip
BLUEPRINT = """service:
  name: notes
  version: 0.1.0
  base_path: /api
entities:
  Note:
    fields:
      title: {type: strng, required: true, max_length: 120}
      body: {type: text}
    actions:
      stats:
        kind: custom
        handler: note_rules:stats
        target: collection
        method: GET
        status: 200
"""
UNSAFE_RULE = '''"""Business rules of the notes service."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from app.services.access import Principal


def stats(conn: Connection, user: Principal | None, row_id: Any, data: dict[str, Any]) -> Any:
    """How many notes there are."""
    table = "notes"
    return {"notes": conn.execute(text(f"SELECT COUNT(*) FROM {table} WHERE 1 = 1")).scalar_one()}
'''
SAFE_QUERY = 'conn.execute(text("SELECT COUNT(*) FROM notes")).scalar_one()'
UNSAFE_QUERY = 'conn.execute(text(f"SELECT COUNT(*) FROM {table} WHERE 1 = 1")).scalar_one()'


def generator_problem(workspace: Path, blueprint_text: str) -> str | None:
    """None when the generator turns this blueprint into a service that imports, else why not."""
    probe = workspace.parent / "probe"
    probe.mkdir()
    (probe / "b.blueprint.yaml").write_text(blueprint_text)
    result = GenerateTool().call({"blueprint": "b.blueprint.yaml", "output": "svc"}, ToolContext(workspace=probe))
    if not result.ok:
        return f"Generate failed: {result.output[:300]}"
    proc = subprocess.run([sys.executable, "-c", "import app.main"], cwd=probe / "svc", capture_output=True,
                          text=True, timeout=120, env={"APP_SECRET": "s" * 48, "PATH": "/usr/bin:/bin"})  # fmt: skip
    return None if proc.returncode == 0 else f"the generated service does not import: {proc.stderr.strip()[-300:]}"


def test_from_a_paragraph_to_a_verified_service(workspace: Path, run_agent) -> None:
    problem = generator_problem(workspace, BLUEPRINT.replace("strng", "string"))
    if problem:
        pytest.skip(f"needs a generator whose services import: {problem}")
    rules = "svc/app/custom/note_rules.py"
    write_script(workspace, [
        {"tool_calls": [{"tool": "Write", "input": {"file_path": "notes.blueprint.yaml", "content": BLUEPRINT}}]},
        {"tool_calls": [{"tool": "Blueprint", "input": {"action": "validate", "file": "notes.blueprint.yaml"}}]},
        {"expect": {"tool": "Blueprint", "ok": False, "contains": "did you mean 'string'"},
         "tool_calls": [{"tool": "Edit", "input": {"file_path": "notes.blueprint.yaml", "old_string": "strng",
                                                   "new_string": "string"}}]},
        {"tool_calls": [{"tool": "Blueprint", "input": {"action": "validate", "file": "notes.blueprint.yaml"}}]},
        {"expect": {"tool": "Blueprint", "ok": True},
         "tool_calls": [{"tool": "Generate", "input": {"blueprint": "notes.blueprint.yaml", "output": "svc"}}]},
        {"expect": {"tool": "Generate", "ok": True, "contains": "note_rules"},
         "tool_calls": [{"tool": "Read", "input": {"file_path": rules}}]},
        {"tool_calls": [{"tool": "Write", "input": {"file_path": rules, "content": UNSAFE_RULE}}]},
        {"tool_calls": [{"tool": "Check", "input": {"path": "svc", "gates": ["tests", "static-security"]}}]},
        {"expect": [{"tool": "Check", "contains": '"failed":["static-security"]'},
                    {"tool": "Check", "contains": '"file":"svc/app/custom/note_rules.py"'}],
         "tool_calls": [{"tool": "Edit", "input": {"file_path": rules, "old_string": UNSAFE_QUERY,
                                                   "new_string": SAFE_QUERY}}]},
        {"tool_calls": [{"tool": "Check", "input": {"path": "svc", "gates": ["tests", "static-security"]}}]},
        {"expect": {"tool": "Check", "contains": "check passed"},
         "text": "Built the notes service (svc/) from notes.blueprint.yaml; GET /api/notes/stats is implemented in "
                 "app/custom/note_rules.py; tests and static-security pass."},
    ])  # fmt: skip
    result, events = run_agent(workspace, prompt=REQUEST, permission_mode="bypassPermissions",
                               verify_with=["tests", "static-security"])  # fmt: skip
    assert result.status == "success", result.error
    assert SAFE_QUERY in (workspace / rules).read_text()
    assert (workspace / "svc" / "app" / "main.py").is_file()
    assert result.verification is not None and result.verification["passed"] is True
    assert result.verification["path"] == "svc"
    phases = [m["phase"] for m in result.milestones]
    assert phases[:4] == ["understand", "design", "implement", "verify"]
    checks = [e for e in events.of("tool_result") if e.name == "Check"]
    assert [c.output.split("\n")[0].split(":")[0] for c in checks] == ["check FAILED", "check passed"]


CATALOG = Path(__file__).resolve().parents[2] / "examples" / "catalog" / "openapi.yaml"


def _operations(document: dict[str, object]) -> set[tuple[str, str]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return {(path, method) for path, item in paths.items() for method in item if method in ("get", "post", "put",
            "patch", "delete")}  # fmt: skip


def _contract_first_problem(workspace: Path) -> str | None:
    """None when a drafted contract-first blueprint can be generated, else why not."""
    from backend_agent.backend_tools import BlueprintTool

    probe = workspace.parent / "contract-probe"
    probe.mkdir()
    (probe / "contract.yaml").write_text(CATALOG.read_text())
    ctx = ToolContext(workspace=probe)
    drafted = BlueprintTool().call({"action": "from-openapi", "file": "api.blueprint.yaml", "contract": "contract.yaml"}, ctx)
    if not drafted.ok:
        return f"from-openapi failed: {drafted.output[:300]}"
    generated = GenerateTool().call({"blueprint": "api.blueprint.yaml", "output": "svc"}, ctx)
    return None if generated.ok else f"Generate refused the draft: {generated.output[:300]}"


def test_from_a_contract_the_service_serves_exactly_the_contract(workspace: Path, run_agent) -> None:
    import json

    from backend_agent.blueprint import load_contract

    problem = _contract_first_problem(workspace)
    if problem:
        pytest.skip(f"needs contract-first generation: {problem}")
    (workspace / "contract.yaml").write_text(CATALOG.read_text())
    write_script(workspace, [
        {"tool_calls": [{"tool": "Blueprint", "input": {"action": "from-openapi", "file": "api.blueprint.yaml",
                                                        "contract": "contract.yaml"}}]},
        {"expect": {"tool": "Blueprint", "ok": True, "contains": '"valid":true'},
         "tool_calls": [{"tool": "Generate", "input": {"blueprint": "api.blueprint.yaml", "output": "svc"}}]},
        {"expect": {"tool": "Generate", "ok": True},
         "tool_calls": [{"tool": "Service", "input": {"action": "start", "path": "svc"}}]},
        {"expect": {"tool": "Service", "ok": True},
         "tool_calls": [{"tool": "Service", "input": {"action": "request", "path": "svc", "url": "/openapi.json",
                                                      "full_body": True}}]},
        {"expect": {"tool": "Service", "ok": True, "contains": "-> 200"}, "text": "The service serves the contract."},
    ])  # fmt: skip
    result, events = run_agent(workspace, prompt="Implement contract.yaml", permission_mode="bypassPermissions")
    assert result.status == "success", result.error
    served = next(e for e in reversed(events.of("tool_result")) if e.name == "Service")
    document = json.loads(served.output.split("\n", 1)[1])["body"]
    assert _operations(document) == _operations(load_contract(workspace / "contract.yaml").normalized)
