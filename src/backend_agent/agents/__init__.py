"""Agent definitions: formats, discovery and routing (public surface of the agents part)."""

from backend_agent.agents.definition import (
    AgentDefinition,
    AgentMode,
    DefinitionFormat,
    DefinitionScope,
    Example,
    PermissionAction,
    PermissionRules,
    SourceIssue,
    Triggers,
)
from backend_agent.agents.discovery import BUILTIN_DIR, LoadFailure, Roster, discover, load_paths
from backend_agent.agents.loader import load_definition, parse_definition
from backend_agent.agents.routing import RouteMatch, route

__all__ = [
    "BUILTIN_DIR",
    "AgentDefinition",
    "AgentMode",
    "DefinitionFormat",
    "DefinitionScope",
    "Example",
    "LoadFailure",
    "PermissionAction",
    "PermissionRules",
    "Roster",
    "RouteMatch",
    "SourceIssue",
    "Triggers",
    "discover",
    "load_definition",
    "load_paths",
    "parse_definition",
    "route",
]
