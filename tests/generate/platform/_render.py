"""Render the ``app/core`` templates of the generated service into a folder, as the generator does."""

from __future__ import annotations

import json
import pprint
from pathlib import Path
from typing import Any

import jinja2

from backend_agent.blueprint import load_blueprint
from backend_agent.design import design

REPO_ROOT = Path(__file__).resolve().parents[3]
CORE_TEMPLATES = REPO_ROOT / "src/backend_agent/generate/templates/service/app/core"
CONDUIT = REPO_ROOT / "examples/conduit.blueprint.yaml"


def conduit_design() -> dict[str, Any]:
    """design.json of the conduit example, as the generator reads it (JSON round trip)."""
    data = design(load_blueprint(CONDUIT)).resolved()
    return json.loads(json.dumps(data, default=str))


def render_core(out_dir: Path, design_json: dict[str, Any]) -> Path:
    """Write ``app/__init__.py`` and the rendered ``app/core`` under ``out_dir``; returns ``out_dir``."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(CORE_TEMPLATES), undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False,
    )
    env.filters["pyrepr"] = lambda value: pprint.pformat(value, width=100, sort_dicts=False)
    env.filters["tojson"] = json.dumps
    context = {"design": design_json, "service": design_json["service"], "auth": design_json["auth"],
               "openapi": {}, "project": design_json["service"]["name"],
               # the platform designs take no HTML form bodies, so app/core/forms.py renders empty
               "form_bodies": False}
    core = out_dir / "app" / "core"
    core.mkdir(parents=True, exist_ok=True)
    (out_dir / "app" / "__init__.py").write_text("")
    for template in sorted(CORE_TEMPLATES.iterdir()):
        if template.name == "__pycache__" or not template.is_file():
            continue
        if template.name.endswith(".j2"):
            text = env.get_template(template.name).render(**context)
            (core / template.name.removesuffix(".j2")).write_text(text)
        else:
            (core / template.name).write_text(template.read_text())
    return out_dir
