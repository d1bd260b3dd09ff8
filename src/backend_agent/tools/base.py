"""The tool contract: a typed input model, one ``run`` method, and a JSON-serialisable result.

Tools know nothing about permissions, hooks, sessions or models; the runtime wraps them.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class ReadRecord(BaseModel):
    """What a Read saw of a file, so Write and Edit can refuse to clobber changes made since."""

    path: str
    mtime_ns: int
    sha256: str
    partial: bool = False


class ToolSession(BaseModel):
    """Tool state that lives across calls in one agent or CLI session (serialisable to JSON)."""

    reads: dict[str, ReadRecord] = Field(default_factory=dict)
    cwd: str | None = None  # Bash's persistent working directory; None = workspace root
    background_jobs: dict[str, dict[str, Any]] = Field(default_factory=dict)
    id: str | None = None  # set when the session is stored on disk (CLI tool sessions)
    warnings: list[str] = Field(default_factory=list)  # one-time notices already shown (e.g. "sandbox_off")
    todos: list[dict[str, Any]] = Field(default_factory=list)  # TodoWrite's current list


class ToolContext(BaseModel):
    """Everything a tool may use: the workspace, extra allowed folders and the session state."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    workspace: Path
    extra_dirs: list[Path] = Field(default_factory=list)
    session: ToolSession = Field(default_factory=ToolSession)
    sandbox: bool = True  # use bubblewrap for Bash when installed
    allow_network: bool = False
    # Files that run later outside the sandbox (hook scripts): read-only inside it, like settings.
    protected_extra: list[Path] = Field(default_factory=list)
    # Settings folders, .mcp.json, git hooks/config read-only in the sandbox (off in bypassPermissions).
    protect_settings: bool = True
    state_dir: Path | None = (
        None  # where tools may keep files (background job output); default workspace/.backend-agent
    )


class ToolFailure(BaseModel):
    """A structured tool error that goes back to the model (never raised out of a run)."""

    code: str  # e.g. "not_found", "not_read", "modified_since_read", "no_match", "timeout"
    message: str  # written for the model: what happened and what to do
    details: dict[str, Any] = Field(default_factory=dict)


class ToolResult(BaseModel):
    """A tool's answer: ``output`` is the text the model sees, ``data`` the structured JSON result."""

    ok: bool = True
    output: str = ""
    data: dict[str, Any] = Field(default_factory=dict)
    error: ToolFailure | None = None

    @classmethod
    def failure(cls, code: str, message: str, **details: Any) -> ToolResult:
        return cls(ok=False, output=message, error=ToolFailure(code=code, message=message, details=details))


InputT = TypeVar("InputT", bound=BaseModel)


class Tool(ABC, Generic[InputT]):
    """A tool: a name, a description for the model, an input model and a ``run`` method."""

    name: ClassVar[str]
    description: ClassVar[str]
    Input: ClassVar[type[BaseModel]]
    read_only: ClassVar[bool] = False  # True for tools allowed in plan mode

    @abstractmethod
    def run(self, input: InputT, ctx: ToolContext) -> ToolResult:
        """Run the tool. Expected failures return ``ToolResult.failure``; they are not raised."""

    def call(self, raw_input: dict[str, Any], ctx: ToolContext) -> ToolResult:
        """Validate raw JSON input and run; a validation problem becomes a ``bad_input`` failure."""
        from pydantic import ValidationError

        try:
            parsed = self.Input.model_validate(raw_input)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'input'}: {err['msg']}" for err in exc.errors()
            )
            return ToolResult.failure("bad_input", f"Invalid input for {self.name}: {problems}")
        try:
            return self.run(parsed, ctx)  # type: ignore[arg-type]
        except Exception as exc:  # a tool bug must not crash the agent run
            return ToolResult.failure("internal_error", f"{self.name} failed: {type(exc).__name__}: {exc}")

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        return cls.Input.model_json_schema()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


__all__ = ["ReadRecord", "Tool", "ToolContext", "ToolFailure", "ToolResult", "ToolSession", "file_sha256"]
