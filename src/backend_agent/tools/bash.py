"""Bash: shell commands in the workspace, sandboxed with bubblewrap when available."""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path

from pydantic import AliasChoices, BaseModel, Field

from backend_agent.tools._jobs import start_job
from backend_agent.tools._paths import allowed_roots, is_inside
from backend_agent.tools._sandbox import (
    SANDBOX_OFF_WARNING,
    absent_guarded_files,
    bash_path,
    bwrap_path,
    protected_paths,
    read_capped,
    remove_placeholders,
    run_group,
    sandbox_argv,
)
from backend_agent.tools.base import Tool, ToolContext, ToolResult

DEFAULT_TIMEOUT_MS = 120_000
MAX_TIMEOUT_MS = 600_000


class BashInput(BaseModel):
    command: str = Field(description="The shell command to run (bash).")
    timeout_ms: int | None = Field(
        None,
        ge=1,
        le=MAX_TIMEOUT_MS,
        validation_alias=AliasChoices("timeout_ms", "timeout"),
        description="Timeout in milliseconds (default 120000, max 600000).",
    )
    description: str | None = Field(None, description="A short description of what the command does.")
    run_in_background: bool = Field(
        False, description="Start the command in the background; read it with BashOutput."
    )


def shell_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {"GIT_TERMINAL_PROMPT": "0", "PAGER": "cat", "GIT_PAGER": "cat", "TERM": env.get("TERM", "dumb")}
    )
    return env


def current_cwd(ctx: ToolContext) -> tuple[Path, str | None]:
    """The session's shell directory, reset to the workspace if it vanished or left the allowed roots."""
    workspace = ctx.workspace.resolve()
    if ctx.session.cwd is None:
        return workspace, None
    cwd = Path(ctx.session.cwd)
    if cwd.is_dir() and is_inside(cwd.resolve(), allowed_roots(ctx)):
        return cwd, None
    ctx.session.cwd = None
    return workspace, f"Shell working directory {cwd} is no longer usable; it was reset to {workspace}."


def sandbox_writable(ctx: ToolContext, *extra: Path) -> list[Path]:
    return [ctx.workspace, *ctx.extra_dirs, *extra]


def sandbox_protected(ctx: ToolContext) -> list[Path]:
    if not ctx.protect_settings:
        return []
    return protected_paths([ctx.workspace, *ctx.extra_dirs], ctx.protected_extra)


def sandbox_absent_files(ctx: ToolContext) -> list[Path]:
    return absent_guarded_files([ctx.workspace, *ctx.extra_dirs]) if ctx.protect_settings else []


def use_sandbox(ctx: ToolContext) -> str | None:
    return bwrap_path() if ctx.sandbox else None


def warn_once(ctx: ToolContext, notes: list[str]) -> None:
    """Say once per session that the sandbox is off because bubblewrap is missing."""
    if ctx.sandbox and bwrap_path() is None and "sandbox_off" not in ctx.session.warnings:
        ctx.session.warnings.append("sandbox_off")
        notes.append(SANDBOX_OFF_WARNING)


class BashTool(Tool[BashInput]):
    name = "Bash"
    description = (
        "Run a bash command in the workspace. The working directory persists between calls. "
        "Default timeout 2 minutes (max 10). Long output keeps its head and tail. Use "
        "run_in_background for servers and watchers, then BashOutput / KillShell."
    )
    Input = BashInput

    def run(self, input: BashInput, ctx: ToolContext) -> ToolResult:
        notes: list[str] = []
        cwd, reset_note = current_cwd(ctx)
        if reset_note:
            notes.append(reset_note)
        warn_once(ctx, notes)
        if input.run_in_background:
            job = start_job(input.command, ctx=ctx, cwd=cwd, env=shell_env())
            text = f"Command running in background with ID: {job['id']}. Use BashOutput to read its output."
            return ToolResult(
                output="\n".join([*notes, text]),
                data={
                    "background": True,
                    "bash_id": job["id"],
                    "pid": job["pid"],
                    "sandboxed": job["sandboxed"],
                },
            )
        timeout_ms = input.timeout_ms or DEFAULT_TIMEOUT_MS
        with tempfile.TemporaryDirectory(prefix="backend-agent-bash-") as scratch_name:
            scratch = Path(scratch_name)
            cwd_file = scratch / "cwd"
            script = f"trap 'pwd -P > {shlex.quote(str(cwd_file))}' EXIT\n{input.command}\n"
            command = [bash_path(), "-c", script]
            bwrap = use_sandbox(ctx)
            if bwrap:
                argv = sandbox_argv(
                    command,
                    bwrap=bwrap,
                    cwd=cwd,
                    writable=sandbox_writable(ctx, scratch),
                    protected=sandbox_protected(ctx),
                    absent_files=sandbox_absent_files(ctx),
                    allow_network=ctx.allow_network,
                )
            else:
                argv = command
            absent = [
                path
                for path in sandbox_protected(ctx) + sandbox_absent_files(ctx)
                if bwrap and not path.exists()
            ]
            code, timed_out = run_group(
                argv,
                cwd=cwd,
                stdout=scratch / "out",
                stderr=scratch / "err",
                timeout_s=timeout_ms / 1000,
                env=shell_env(),
            )
            stdout, stdout_bytes, out_cut = read_capped(scratch / "out")
            stderr, stderr_bytes, err_cut = read_capped(scratch / "err")
            new_cwd = cwd_file.read_text().strip() if cwd_file.exists() else ""
        remove_placeholders(absent)  # the empty mount points the sandbox left for settings folders/files
        if new_cwd:
            self._move_cwd(Path(new_cwd), ctx, notes)
        return self._result(
            input,
            stdout=stdout,
            stderr=stderr,
            code=code,
            timed_out=timed_out,
            timeout_ms=timeout_ms,
            sandboxed=bool(bwrap),
            notes=notes,
            sizes={"stdout_bytes": stdout_bytes, "stderr_bytes": stderr_bytes},
            truncated=out_cut or err_cut,
        )

    @staticmethod
    def _move_cwd(new_cwd: Path, ctx: ToolContext, notes: list[str]) -> None:
        if is_inside(new_cwd.resolve(), allowed_roots(ctx)):
            ctx.session.cwd = None if new_cwd.resolve() == ctx.workspace.resolve() else str(new_cwd)
        else:
            ctx.session.cwd = None
            notes.append(f"Shell cwd was reset to {ctx.workspace.resolve()} (it left the workspace).")

    @staticmethod
    def _result(
        input: BashInput,
        *,
        stdout: str,
        stderr: str,
        code: int | None,
        timed_out: bool,
        timeout_ms: int,
        sandboxed: bool,
        notes: list[str],
        sizes: dict[str, int],
        truncated: bool,
    ) -> ToolResult:
        parts = [*notes]
        if stdout:
            parts.append(stdout.rstrip("\n"))
        if stderr:
            parts.append(stderr.rstrip("\n"))
        data = {
            "stdout": stdout,
            "stderr": stderr,
            "exit_code": code,
            "interrupted": timed_out,
            "sandboxed": sandboxed,
            "truncated": truncated,
            **sizes,
        }
        if timed_out:
            message = (
                f"Command timed out after {timeout_ms} ms and was killed (with every process it started)."
            )
            result = ToolResult.failure("timeout", "\n".join([*parts, message]), **data)
            result.data = data
            return result
        if code != 0:
            parts.append(f"Exit code {code}")
            result = ToolResult.failure("exit_code", "\n".join(parts), **data)
            result.data = data
            return result
        return ToolResult(ok=True, output="\n".join(parts) if parts else "(no output)", data=data)


__all__ = ["BashInput", "BashTool"]
