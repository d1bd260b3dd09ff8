"""backend-agent: designs, builds and proves backend services.

Importing this package has no side effects: it reads no files and prints nothing. The top-level
convenience names are imported on first use so that ``import backend_agent`` stays cheap.
"""

from __future__ import annotations

from typing import Any

from backend_agent.errors import BackendAgentError

__version__ = "0.1.0"

_LAZY = {
    "load_definition": "backend_agent.agents",
    "discover": "backend_agent.agents",
    "load_blueprint": "backend_agent.blueprint",
    "design": "backend_agent.design",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'backend_agent' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)


__all__ = ["BackendAgentError", "__version__", "design", "discover", "load_blueprint", "load_definition"]
