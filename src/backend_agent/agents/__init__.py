"""Agent definitions: formats, registry and routing (public surface of the agents part)."""

from backend_agent.agents.definition import (
    AgentDefinition,
    Example,
    PermissionRules,
    SourceIssue,
    Triggers,
)

__all__ = ["AgentDefinition", "Example", "PermissionRules", "SourceIssue", "Triggers"]
