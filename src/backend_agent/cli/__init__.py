"""Command-line interface (public surface: ``app`` and ``main``)."""

from typing import Any

from backend_agent._entry import console_main as main


def __getattr__(name: str) -> Any:
    # Importing the whole CLI costs start-up time: `app` is built only when asked for.
    if name == "app":
        from backend_agent.cli.main import build_app

        return build_app()
    raise AttributeError(name)


__all__ = ["app", "main"]
