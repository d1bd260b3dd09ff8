"""Generate: create or update a FastAPI service from a blueprint (user code is never overwritten)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from backend_agent.backend_tools._output import answer, problem_json, trimmed
from backend_agent.backend_tools._paths import relative, resolve_in_workspace
from backend_agent.errors import BackendAgentError, BlueprintError
from backend_agent.tools import Tool, ToolContext, ToolResult


class GenerateInput(BaseModel):
    blueprint: str = Field(description="The *.blueprint.yaml to generate from (validate it with Blueprint first).")
    output: str = Field(".", description="The project folder: empty for a new service, or one made by Generate.")
    update: bool = Field(
        False, description="Regenerate an existing generated project: your edits are kept (new versions go to "
        "<file>.new) and app/custom/ is never touched.",
    )


class GenerateTool(Tool[GenerateInput]):
    name = "Generate"
    description = (
        "Generate a complete FastAPI service (models, migrations, routes, tests, Docker/Kubernetes/Helm/Terraform) "
        "from a valid blueprint into an empty folder, or regenerate one with update=true after changing the "
        "blueprint. The result lists the custom handlers left as 501 stubs under app/custom/: those are your "
        "to-do list (implement the business rules there, then run Check)."
    )
    Input = GenerateInput

    def run(self, input: GenerateInput, ctx: ToolContext) -> ToolResult:
        from backend_agent.generate import generate_service

        blueprint = resolve_in_workspace(input.blueprint, ctx, what="blueprint file")
        if isinstance(blueprint, ToolResult):
            return blueprint
        out = resolve_in_workspace(input.output, ctx, what="output folder")
        if isinstance(out, ToolResult):
            return out
        if not blueprint.is_file():
            return ToolResult.failure("not_found", f"{input.blueprint} does not exist; write the blueprint first.")
        try:
            result = generate_service(blueprint, out, update=input.update)
        except BlueprintError as exc:
            problems, more = trimmed([problem_json(p, ctx) for p in exc.problems] or [{"message": exc.message}])
            return answer(f"cannot generate: {relative(blueprint, ctx)} is invalid; fix it and validate again",
                          {"valid": False, "problems": problems, "more_problems": more},
                          ok=False, code="invalid_blueprint")  # fmt: skip
        except BackendAgentError as exc:
            return ToolResult.failure("generation_failed", str(exc))
        written, more_written = trimmed([str(p) for p in result.written], 40)
        data: dict[str, Any] = {
            "output": relative(result.out_dir, ctx),
            "operations": result.operations,
            "files": written,
            "more_files": more_written,
            "unchanged": len(result.unchanged),
            "kept_user_edits": result.kept_user_edits,
            "stubs": result.stubs,
            "migration": result.migration,
        }
        todo = f"; {len(result.stubs)} custom handler stub(s) to implement" if result.stubs else ""
        kept = f"; kept your edits in {len(result.kept_user_edits)} file(s) (see *.new)" if result.kept_user_edits else ""
        verb = "updated" if input.update else "generated"
        return answer(f"{verb} {relative(result.out_dir, ctx)}: {len(result.written)} file(s) written{todo}{kept}", data)


__all__ = ["GenerateInput", "GenerateTool"]
