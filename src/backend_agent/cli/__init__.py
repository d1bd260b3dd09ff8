"""Command-line interface (public surface: ``app`` and ``main``)."""

from backend_agent.cli.main import app
from backend_agent.cli.main import console_main as main

__all__ = ["app", "main"]
