"""The normalized agent definition every supported file format is loaded into."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

DefinitionFormat = Literal["claude-code", "opencode", "body-only", "builtin"]
AgentMode = Literal["primary", "subagent", "all"]
DefinitionScope = Literal["path", "project", "user", "builtin"]
PermissionAction = Literal["allow", "ask", "deny"]


class Example(BaseModel):
    """One ``<example>`` block from a description: when to use the agent."""

    context: str | None = None
    user: str | None = None
    assistant: str | None = None
    commentary: str | None = None
    raw: str = ""


class Triggers(BaseModel):
    """Auto-activation hints: words in a task, file extensions and directory patterns."""

    keywords: list[str] = Field(default_factory=list)
    extensions: list[str] = Field(default_factory=list)  # with leading dot, e.g. ".py"
    directories: list[str] = Field(default_factory=list)  # glob-ish patterns, e.g. "api/", "**/routes/**"


class PermissionRules(BaseModel):
    """Permission settings carried by a definition.

    ``rules`` are Claude Code style strings per action (``Bash(git log:*)``); ``patterns`` are
    OpenCode style per-tool maps (``{"bash": {"git *": "allow", "*": "ask"}}``), last match wins.
    """

    mode: str | None = None  # default | acceptEdits | plan | dontAsk | bypassPermissions
    allow: list[str] = Field(default_factory=list)
    ask: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)
    patterns: dict[str, dict[str, PermissionAction]] = Field(default_factory=dict)
    simple: dict[str, PermissionAction] = Field(default_factory=dict)  # e.g. {"webfetch": "deny"}


class SourceIssue(BaseModel):
    """A warning or error found while loading a file, located by line when possible."""

    severity: Literal["warning", "error"]
    message: str
    line: int | None = None
    field: str | None = None


class AgentDefinition(BaseModel):
    """One agent, whatever format it was written in."""

    name: str
    description: str = ""
    examples: list[Example] = Field(default_factory=list)
    system_prompt: str = ""
    tools: list[str] | None = None  # None = inherit every tool; entries like "Read", "Agent(x)", "mcp__s__*"
    disallowed_tools: list[str] = Field(default_factory=list)
    model: str | None = None  # "sonnet", "inherit", "anthropic/claude-…", "openai:gpt-…"
    permissions: PermissionRules = Field(default_factory=PermissionRules)
    mcp_servers: list[str] | dict[str, Any] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)
    hooks: dict[str, Any] = Field(default_factory=dict)
    max_turns: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    mode: AgentMode = "all"
    hidden: bool = False
    disabled: bool = False
    color: str | None = None
    triggers: Triggers = Field(default_factory=Triggers)
    source_path: str | None = None
    format: DefinitionFormat = "claude-code"
    scope: DefinitionScope | None = None  # where discovery found it; None when loaded directly
    unknown_keys: dict[str, Any] = Field(default_factory=dict)
    issues: list[SourceIssue] = Field(default_factory=list)

    @property
    def warnings(self) -> list[SourceIssue]:
        return [issue for issue in self.issues if issue.severity == "warning"]


__all__ = [
    "AgentDefinition",
    "AgentMode",
    "DefinitionFormat",
    "DefinitionScope",
    "Example",
    "PermissionAction",
    "PermissionRules",
    "SourceIssue",
    "Triggers",
]
