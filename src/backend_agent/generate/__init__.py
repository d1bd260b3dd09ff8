"""The generate part: a blueprint's design becomes a complete FastAPI project.

``generate_service(blueprint, out_dir, update=False)`` designs, renders every template in memory and
writes the project atomically (recorded hashes make ``--update`` keep user edits);
``render_project`` is the pure rendering step.
"""

from backend_agent.generate.deploy import render_deploy
from backend_agent.generate.helm_template import HelmTemplateError, render_chart_manifest
from backend_agent.generate.project import MANIFEST, GenerationResult, generate_service, render_project

__all__ = [
    "MANIFEST",
    "GenerationResult",
    "HelmTemplateError",
    "generate_service",
    "render_chart_manifest",
    "render_deploy",
    "render_project",
]
