"""The normalized agent definition every supported file format is loaded into."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DefinitionFormat = Literal["claude-code", "opencode", "body-only"]
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

    model_config = ConfigDict(use_attribute_docstrings=True)

    name: str
    """Unique name: Claude Code's ``name``, an OpenCode file's path stem, or a body-only file's name."""
    description: str = ""
    """When to use the agent, with escaped ``\\n`` turned into real newlines."""
    examples: list[Example] = Field(default_factory=list)
    """The ``<example>`` blocks of the description."""
    system_prompt: str = ""
    """The body (``@include`` directives expanded), or OpenCode's ``prompt``."""
    tools: list[str] | None = None
    """Allowlist (``Read``, ``Agent(x)``, ``mcp__s__*``); None inherits every tool."""
    disallowed_tools: list[str] = Field(default_factory=list)
    """Denylist: Claude Code ``disallowedTools`` or OpenCode tools set to false."""
    model: str | None = None
    """``sonnet``/``opus``/``haiku``/``inherit``, ``provider/model-id`` or a full model id; None = default."""
    permissions: PermissionRules = Field(default_factory=PermissionRules)
    """Permission mode and rules."""
    mcp_servers: list[str] | dict[str, Any] = Field(default_factory=list)
    """MCP server names, or inline server configs by name."""
    skills: list[str] = Field(default_factory=list)
    """Skills preloaded for the agent."""
    hooks: dict[str, Any] = Field(default_factory=dict)
    """Hook matchers by event (``PreToolUse``, ``PostToolUse``, ...)."""
    max_turns: int | None = None
    """Turn limit: Claude Code ``maxTurns`` or OpenCode ``steps``/``maxSteps``."""
    temperature: float | None = None
    """Sampling temperature (OpenCode), 0 to 2."""
    top_p: float | None = None
    """Nucleus sampling (OpenCode), 0 to 1."""
    mode: AgentMode = "all"
    """OpenCode mode: primary, subagent or all."""
    hidden: bool = False
    """OpenCode ``hidden``: left out of the @ autocomplete menu."""
    disabled: bool = False
    """OpenCode ``disable``: left out of routing."""
    color: str | None = None
    """Display colour."""
    triggers: Triggers = Field(default_factory=Triggers)
    """Auto-activation keywords, file extensions and directory patterns."""
    source_path: str | None = None
    """File the definition came from (``opencode.json#agent.NAME`` for config entries)."""
    format: DefinitionFormat = "claude-code"
    """The format detected from the file itself."""
    scope: DefinitionScope | None = None
    """Where discovery found it; None when loaded directly."""
    unknown_keys: dict[str, Any] = Field(default_factory=dict)
    """Front-matter keys the format does not define, kept as written."""
    issues: list[SourceIssue] = Field(default_factory=list)
    """Warnings and errors found while loading."""

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
