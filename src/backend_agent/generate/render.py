"""Render the service templates: every file under ``templates/service`` becomes a project file.

``*.j2`` files are Jinja2 templates (the suffix is dropped); other files are copied verbatim. A
template path may hold ``__entity__`` (rendered once per entity with ``entity`` in the context).
"""

from __future__ import annotations

import json
import pprint
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import jinja2

from backend_agent.errors import GenerationError

TEMPLATE_ROOT = "service"
PER_ENTITY = "__entity__"


def pyrepr(value: Any) -> str:
    """A Python literal for ``value`` (the generated code's constants)."""
    return pprint.pformat(value, width=100, sort_dicts=False)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("backend_agent.generate", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["pyrepr"] = pyrepr
    env.filters["tojson"] = lambda value: json.dumps(value)
    env.filters["tuple_repr"] = lambda value: repr(tuple(value))
    return env


def _walk(node: Traversable, prefix: str = "") -> list[str]:
    paths: list[str] = []
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name == "__pycache__":
            continue
        rel = f"{prefix}{child.name}"
        if child.is_dir():
            paths.extend(_walk(child, rel + "/"))
        else:
            paths.append(rel)
    return paths


def template_paths() -> list[str]:
    root = resources.files("backend_agent.generate").joinpath("templates", TEMPLATE_ROOT)
    return _walk(root)


def render_templates(context: dict[str, Any], entities: list[dict[str, Any]]) -> dict[str, str]:
    """All project files as ``{relative path: text}``."""
    env = _environment()
    root = resources.files("backend_agent.generate").joinpath("templates", TEMPLATE_ROOT)
    files: dict[str, str] = {}
    for rel in template_paths():
        targets: list[tuple[str, dict[str, Any]]]
        if PER_ENTITY in rel:
            targets = [(rel.replace(PER_ENTITY, ent["module"]), {**context, "entity": ent}) for ent in entities]
        else:
            targets = [(rel, context)]
        for out_rel, ctx in targets:
            if rel.endswith(".j2"):
                try:
                    text = env.get_template(f"{TEMPLATE_ROOT}/{rel}").render(**ctx)
                except jinja2.TemplateError as exc:
                    raise GenerationError(f"template {rel} failed: {exc}",
                                          hint="this is a bug in backend-agent; please report it") from exc
                if text.strip():  # a template may render nothing (e.g. auth routes without auth)
                    files[out_rel[: -len(".j2")]] = text
            else:
                files[out_rel] = root.joinpath(*rel.split("/")).read_text(encoding="utf-8")
    return files


def render_one(template: str, context: dict[str, Any]) -> str:
    return _environment().get_template(template).render(**context)


__all__ = ["pyrepr", "render_one", "render_templates", "template_paths"]
