"""Command-line interface (public surface: ``app`` and ``main``)."""

from backend_agent.cli.main import app, console_main as main

__all__ = ["app", "main"]
