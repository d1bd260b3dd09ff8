"""backend-agent: designs, builds and proves backend services.

Importing this package has no side effects: it reads no files and prints nothing.
"""

from backend_agent.errors import BackendAgentError

__version__ = "0.1.0"

__all__ = ["BackendAgentError", "__version__"]
