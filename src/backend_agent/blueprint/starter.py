"""A starter blueprint to begin from (`backend-agent blueprint new`)."""

from __future__ import annotations

import re
from importlib import resources

import jinja2

from backend_agent.errors import UsageError

_TEMPLATE = "starter.blueprint.yaml.j2"


def starter_blueprint(*, name: str, description: str = "A new backend service") -> str:
    """The text of a small, valid blueprint for a service called ``name``."""
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise UsageError(
            f"invalid service name {name!r}",
            hint="use lowercase letters, digits, '-' and '_', starting with a letter (e.g. shop-api)",
        )
    text = resources.files("backend_agent.blueprint").joinpath("templates", _TEMPLATE).read_text("utf-8")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    return env.from_string(text).render(name=name, description=description.replace(":", " -"))


__all__ = ["starter_blueprint"]
