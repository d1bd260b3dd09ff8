"""Blueprint: validate, explain and design a blueprint, or draft one from an OpenAPI contract.

The model writes ``*.blueprint.yaml`` files with Write/Edit and iterates on the located errors
this tool returns (file, line, column, key path, what was expected and how to fix it).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from backend_agent.backend_tools._output import answer, problem_json, trimmed
from backend_agent.backend_tools._paths import relative, resolve_in_workspace
from backend_agent.errors import BackendAgentError, BlueprintError
from backend_agent.tools import Tool, ToolContext, ToolResult

if TYPE_CHECKING:
    from backend_agent.blueprint import Blueprint
    from backend_agent.design import Design

BlueprintAction = Literal["validate", "explain", "design", "from-openapi"]


class BlueprintInput(BaseModel):
    action: BlueprintAction = Field(
        description=(
            "validate: check FILE and list every problem with its location and fix; "
            "explain: what FILE means (entities, API operations, auth); "
            "design: write the OpenAPI contract, SQL schema, ERD and DESIGN.md of FILE into OUTPUT; "
            "from-openapi: draft a contract-first blueprint from CONTRACT into FILE."
        )
    )
    file: str = Field(description="The *.blueprint.yaml file (for from-openapi: where to write the draft).")
    output: str | None = Field(None, description="design: folder for the design files (default: design/).")
    contract: str | None = Field(None, description="from-openapi: the OpenAPI 3.x contract (YAML or JSON).")
    force: bool = Field(False, description="from-openapi: overwrite FILE when it exists.")


class BlueprintTool(Tool[BlueprintInput]):
    name = "Blueprint"
    description = (
        "Work with backend-agent blueprints (*.blueprint.yaml, the YAML spec of a service's domain and API). "
        "action=validate lists every problem located by file:line with the expected value and a fix hint "
        "(write the blueprint with Write/Edit, then validate until it is valid); action=explain summarises "
        "entities and API operations; action=design writes openapi.yaml, schema.*.sql, erd and DESIGN.md; "
        "action=from-openapi drafts a contract-first blueprint from a given OpenAPI contract."
    )
    Input = BlueprintInput

    def run(self, input: BlueprintInput, ctx: ToolContext) -> ToolResult:
        path = resolve_in_workspace(input.file, ctx, what="blueprint file")
        if isinstance(path, ToolResult):
            return path
        if input.action == "from-openapi":
            return self._from_openapi(input, path, ctx)
        if not path.is_file():
            return ToolResult.failure(
                "not_found", f"{input.file} does not exist; write the blueprint first (Write tool).", path=str(path)
            )
        loaded = _load_and_design(path, ctx)
        if isinstance(loaded, ToolResult):
            return loaded
        blueprint, design = loaded
        if input.action == "validate":
            data = {"file": relative(path, ctx), "valid": True, **_counts(blueprint, design)}
            if design.cautions:  # valid, but the service refuses values its contract allows
                data["cautions"] = [f"{c.location.key_path if c.location else ''}: {c.message} ({c.hint})"
                                    for c in design.cautions]
                return answer(f"valid with {len(design.cautions)} caution(s): {relative(path, ctx)}", data)
            return answer(f"valid: {relative(path, ctx)}", data)
        if input.action == "explain":
            return _explain(blueprint, design, path, ctx)
        return _write(design, input, path, ctx)

    def _from_openapi(self, input: BlueprintInput, path: Path, ctx: ToolContext) -> ToolResult:
        if not input.contract:
            return ToolResult.failure("bad_input", "action=from-openapi needs contract: the OpenAPI file to start from.")
        contract = resolve_in_workspace(input.contract, ctx, what="contract")
        if isinstance(contract, ToolResult):
            return contract
        if not contract.is_file():
            return ToolResult.failure("not_found", f"the contract {input.contract} does not exist.")
        if path.exists() and not input.force:
            return ToolResult.failure(
                "exists", f"{input.file} already exists; pass force=true to overwrite it or choose another file."
            )
        from backend_agent import blueprint as blueprint_part

        draft = getattr(blueprint_part, "from_openapi", None)
        if draft is None:
            return ToolResult.failure(
                "not_available",
                "from-openapi is not available in this build of backend-agent (blueprint.from_openapi is missing); "
                "write the blueprint by hand from the contract instead.",
            )
        try:
            text, report = draft(contract, output=path)
        except BlueprintError as exc:
            problems, more = trimmed([problem_json(p, ctx) for p in exc.problems])
            return answer(f"cannot draft a blueprint from {input.contract}: {exc.message}",
                          {"contract": relative(contract, ctx), "problems": problems, "more_problems": more,
                           "hint": exc.hint}, ok=False, code="invalid_contract")  # fmt: skip
        except BackendAgentError as exc:
            return ToolResult.failure("invalid_contract", str(exc))
        from backend_agent._atomic import write_atomic

        write_atomic(path, text)
        data: dict[str, Any] = {"file": relative(path, ctx), "contract": relative(contract, ctx), "written": True,
                                "operations": report.operations, "bound": report.bound,
                                "custom_handlers": report.custom,
                                "starter_templates": getattr(report, "templates", [])}  # fmt: skip
        loaded = _load_and_design(path, ctx)
        if isinstance(loaded, ToolResult):
            data["valid"] = False
            data["problems"] = loaded.data.get("problems", [])
            return answer(f"drafted {relative(path, ctx)}; it needs edits before it is valid", data)
        data.update(valid=True, **_counts(*loaded))
        todo = f"; {len(report.custom)} operation(s) left to custom handlers" if report.custom else ""
        return answer(f"drafted {relative(path, ctx)} from {relative(contract, ctx)}: {report.bound}/{report.operations} "
                      f"operations bound{todo}; review the `# guess:` comments", data)  # fmt: skip


def _load_and_design(path: Path, ctx: ToolContext) -> tuple[Blueprint, Design] | ToolResult:
    from backend_agent.blueprint import load_blueprint, locate_problems
    from backend_agent.design import design

    try:
        blueprint = load_blueprint(path)
        try:
            return blueprint, design(blueprint)
        except BlueprintError as exc:  # design-time problems (e.g. route clashes): point at the declaration
            raise locate_problems(exc, path) from None
    except BlueprintError as exc:
        problems, more = trimmed([problem_json(p, ctx) for p in exc.problems] or [{"message": exc.message}])
        data = {"file": relative(path, ctx), "valid": False, "message": exc.message, "problems": problems,
                "more_problems": more}  # fmt: skip
        count = len(exc.problems) or 1
        return answer(
            f"invalid: {relative(path, ctx)} has {count} problem{'s' if count != 1 else ''}; fix them and validate again",
            data, ok=False, code="invalid_blueprint",
        )  # fmt: skip


def _counts(blueprint: Blueprint, design: Design) -> dict[str, Any]:
    return {"service": blueprint.service.name, "entities": len(blueprint.entities),
            "tables": len(design.tables), "operations": len(design.operations)}  # fmt: skip


def _explain(blueprint: Blueprint, design: Design, path: Path, ctx: ToolContext) -> ToolResult:
    from backend_agent.blueprint import explain

    operations = [
        {"operation": op.operation_id, "method": op.method, "path": op.path, "auth": op.auth.describe()}
        for op in design.operations
    ]
    data = {"file": relative(path, ctx), **_counts(blueprint, design), "operations": operations}
    return ToolResult(output=explain(blueprint) + "\nOperations:\n" + "\n".join(
        f"  {o['method']:<6} {o['path']}  ({o['operation']}; {o['auth']})" for o in operations
    ), data=data)  # fmt: skip


def _write(design: Design, input: BlueprintInput, path: Path, ctx: ToolContext) -> ToolResult:
    from backend_agent.design import write_design

    out = resolve_in_workspace(input.output or "design", ctx, what="output folder")
    if isinstance(out, ToolResult):
        return out
    try:
        written = write_design(design, out, render_svg=False)
    except BackendAgentError as exc:
        return ToolResult.failure("write_failed", str(exc))
    data = {"file": relative(path, ctx), "output": relative(out, ctx),
            "files": [relative(p, ctx) for p in written], "operations": len(design.operations),
            "tables": len(design.tables)}  # fmt: skip
    return answer(f"designed {design.service.name} into {relative(out, ctx)}", data)


__all__ = ["BlueprintAction", "BlueprintInput", "BlueprintTool"]
