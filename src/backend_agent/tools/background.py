"""BashOutput and KillShell: read and stop background Bash jobs by id."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import AliasChoices, BaseModel, Field

from backend_agent.tools._jobs import job_status, kill_job
from backend_agent.tools._sandbox import read_capped
from backend_agent.tools.base import Tool, ToolContext, ToolResult


class BashOutputInput(BaseModel):
    bash_id: str = Field(
        validation_alias=AliasChoices("bash_id", "shell_id"), description="The background job id."
    )
    filter: str | None = Field(None, description="Only return output lines matching this regular expression.")


class KillShellInput(BaseModel):
    shell_id: str = Field(
        validation_alias=AliasChoices("shell_id", "bash_id"), description="The background job id."
    )


def _unknown(job_id: str, ctx: ToolContext) -> ToolResult:
    known = ", ".join(sorted(ctx.session.background_jobs)) or "none"
    return ToolResult.failure("unknown_job", f"No background job with id '{job_id}'. Known jobs: {known}.")


class BashOutputTool(Tool[BashOutputInput]):
    name = "BashOutput"
    description = (
        "Read the new output of a background Bash job since the last read, with its status "
        "(running, completed, failed, killed) and exit code. Optionally filter lines by a regex."
    )
    Input = BashOutputInput
    read_only = True

    def run(self, input: BashOutputInput, ctx: ToolContext) -> ToolResult:
        job = ctx.session.background_jobs.get(input.bash_id)
        if job is None:
            return _unknown(input.bash_id, ctx)
        try:
            pattern = re.compile(input.filter) if input.filter else None
        except re.error as exc:
            return ToolResult.failure("bad_input", f"Invalid filter regex {input.filter!r}: {exc}")
        status, code = job_status(job)
        streams: dict[str, str] = {}
        for name in ("stdout", "stderr"):
            path = Path(job[f"{name}_path"])
            text, count, _ = read_capped(path, start=int(job[f"{name}_offset"]))
            job[f"{name}_offset"] = int(job[f"{name}_offset"]) + count
            if pattern is not None:
                text = "\n".join(line for line in text.splitlines() if pattern.search(line))
            streams[name] = text
        parts = [f"<status>{status}</status>"]
        if code is not None:
            parts.append(f"<exit_code>{code}</exit_code>")
        for name, text in streams.items():
            if text:
                parts.append(f"<{name}>\n{text.rstrip()}\n</{name}>")
        return ToolResult(
            output="\n".join(parts),
            data={"bash_id": input.bash_id, "status": status, "exit_code": code, **streams},
        )


class KillShellTool(Tool[KillShellInput]):
    name = "KillShell"
    description = "Stop a background Bash job (and every process it started) by its id."
    Input = KillShellInput

    def run(self, input: KillShellInput, ctx: ToolContext) -> ToolResult:
        job = ctx.session.background_jobs.get(input.shell_id)
        if job is None:
            return _unknown(input.shell_id, ctx)
        if not kill_job(job):
            status, code = job_status(job)
            return ToolResult.failure(
                "not_running",
                f"Background job {input.shell_id} is not running (status: {status}, exit code: {code}).",
                status=status,
                exit_code=code,
            )
        return ToolResult(
            output=f"Successfully killed shell: {input.shell_id} ({job['command']})",
            data={"shell_id": input.shell_id, "status": "killed"},
        )


__all__ = ["BashOutputInput", "BashOutputTool", "KillShellInput", "KillShellTool"]
