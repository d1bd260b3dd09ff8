"""Blueprint tool: located errors with fix hints, explain, design files, from-openapi, workspace bounds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from backend_agent.backend_tools import BlueprintTool
from backend_agent.tools import ToolContext
from tests.backend_tools.conftest import NOTES


def call(ctx: ToolContext, **args: object):  # type: ignore[no-untyped-def]
    return BlueprintTool().call(dict(args), ctx)


def test_validate_reports_a_valid_blueprint(ctx: ToolContext) -> None:
    (ctx.workspace / "notes.blueprint.yaml").write_text(NOTES)
    result = call(ctx, action="validate", file="notes.blueprint.yaml")
    assert result.ok
    assert result.data == {"file": "notes.blueprint.yaml", "valid": True, "service": "notes", "entities": 1,
                           "tables": 1, "operations": 5}  # fmt: skip
    assert result.output.splitlines()[0] == "valid: notes.blueprint.yaml"
    assert json.loads(result.output.splitlines()[1]) == result.data


def test_validate_locates_each_problem_with_its_fix(ctx: ToolContext) -> None:
    broken = NOTES.replace("type: string", "type: strng").replace("max_length: 120", "max_length: -1")
    (ctx.workspace / "notes.blueprint.yaml").write_text(broken)
    result = call(ctx, action="validate", file="notes.blueprint.yaml")
    assert not result.ok and result.error is not None and result.error.code == "invalid_blueprint"
    problems = result.data["problems"]
    typo = next(p for p in problems if p["key_path"] == "entities.Note.fields.title.type")
    assert typo["file"] == "notes.blueprint.yaml" and typo["line"] == 8
    assert typo["hint"] == "did you mean 'string'?"
    assert "string, text, int" in typo["expected"]
    assert result.output.startswith("invalid: notes.blueprint.yaml has ")


def test_explain_lists_operations(ctx: ToolContext) -> None:
    (ctx.workspace / "notes.blueprint.yaml").write_text(NOTES)
    result = call(ctx, action="explain", file="notes.blueprint.yaml")
    assert result.ok
    assert [(o["method"], o["path"]) for o in result.data["operations"]] == [
        ("GET", "/api/notes"), ("POST", "/api/notes"), ("GET", "/api/notes/{id}"), ("PATCH", "/api/notes/{id}"),
        ("DELETE", "/api/notes/{id}"),
    ]  # fmt: skip
    assert "Entity Note" in result.output


def test_design_writes_the_contract_and_schema(ctx: ToolContext) -> None:
    (ctx.workspace / "notes.blueprint.yaml").write_text(NOTES)
    result = call(ctx, action="design", file="notes.blueprint.yaml", output="design")
    assert result.ok, result.output
    assert "design/openapi.yaml" in result.data["files"]
    openapi = yaml.safe_load((ctx.workspace / "design" / "openapi.yaml").read_text())
    assert "/api/notes/{id}" in openapi["paths"]
    assert "CREATE TABLE" in (ctx.workspace / "design" / "schema.sqlite.sql").read_text()


@pytest.mark.parametrize("path", ["/etc/hosts", "../outside.blueprint.yaml"])
def test_paths_outside_the_workspace_are_refused(ctx: ToolContext, path: str) -> None:
    result = call(ctx, action="validate", file=path)
    assert not result.ok and result.error is not None and result.error.code == "outside_workspace"


def test_missing_file_and_bad_action_are_tool_errors(ctx: ToolContext) -> None:
    missing = call(ctx, action="validate", file="nope.blueprint.yaml")
    assert not missing.ok and "write the blueprint first" in missing.output
    bad = call(ctx, action="compile", file="x.yaml")
    assert not bad.ok and bad.error is not None and bad.error.code == "bad_input"


CATALOG = Path(__file__).resolve().parents[2] / "examples" / "catalog" / "openapi.yaml"


def test_from_openapi_drafts_a_contract_first_blueprint(ctx: ToolContext) -> None:
    (ctx.workspace / "contract.yaml").write_text(CATALOG.read_text())
    result = call(ctx, action="from-openapi", file="catalog.blueprint.yaml", contract="contract.yaml")
    assert result.ok, result.output
    assert result.data["valid"] is True and result.data["operations"] == result.data["bound"] == 4
    assert result.output.startswith("drafted catalog.blueprint.yaml from contract.yaml: 4/4 operations bound")
    draft = yaml.safe_load((ctx.workspace / "catalog.blueprint.yaml").read_text())
    assert draft["service"]["contract"] == "contract.yaml"
    again = call(ctx, action="from-openapi", file="catalog.blueprint.yaml", contract="contract.yaml")
    assert not again.ok and again.error is not None and again.error.code == "exists"
    forced = call(ctx, action="from-openapi", file="catalog.blueprint.yaml", contract="contract.yaml", force=True)
    assert forced.ok


def test_from_openapi_reports_an_invalid_contract(ctx: ToolContext) -> None:
    (ctx.workspace / "contract.yaml").write_text("openapi: 3.1.0\npaths: [not, a, mapping]\n")
    result = call(ctx, action="from-openapi", file="x.blueprint.yaml", contract="contract.yaml")
    assert not result.ok and result.error is not None and result.error.code == "invalid_contract"
    assert not (ctx.workspace / "x.blueprint.yaml").exists()


def test_from_openapi_needs_a_contract(ctx: ToolContext) -> None:
    result = call(ctx, action="from-openapi", file="x.blueprint.yaml")
    assert not result.ok and "needs contract" in result.output


def test_validate_passes_on_the_cautions_of_a_contract_first_blueprint(ctx: ToolContext) -> None:
    import shutil

    examples = Path(__file__).resolve().parents[2] / "examples"
    shutil.copytree(examples / "cart", ctx.workspace / "cart")
    contract = ctx.workspace / "cart" / "openapi.yaml"
    contract.write_text(contract.read_text().replace("sku: {type: string, maxLength: 64}", "sku: {type: string}"))
    result = call(ctx, action="validate", file="cart/cart.blueprint.yaml")
    assert result.ok and result.output.startswith("valid with 1 caution(s): cart/cart.blueprint.yaml")
    assert "sku has no maxLength in the contract" in result.data["cautions"][0]
