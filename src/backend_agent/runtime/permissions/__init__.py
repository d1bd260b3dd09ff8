"""The permission engine: modes, Claude Code / OpenCode rules, settings files and shell-command analysis."""

from backend_agent.runtime.permissions._types import Action, Decision, PermissionMode, SubDecision
from backend_agent.runtime.permissions.engine import READ_ONLY_TOOLS, PermissionEngine
from backend_agent.runtime.permissions.rules import PatternMap, Rule, RuleSet
from backend_agent.runtime.permissions.settings import load_permission_settings
from backend_agent.runtime.permissions.shell import ShellAnalysis, SimpleCommand, analyze

__all__ = [
    "READ_ONLY_TOOLS",
    "Action",
    "Decision",
    "PatternMap",
    "PermissionEngine",
    "PermissionMode",
    "Rule",
    "RuleSet",
    "ShellAnalysis",
    "SimpleCommand",
    "SubDecision",
    "analyze",
    "load_permission_settings",
]
