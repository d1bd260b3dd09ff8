"""Command-line interface (public surface: ``app`` and ``main``)."""

from backend_agent._entry import console_main as main
from backend_agent.cli.main import app

__all__ = ["app", "main"]
