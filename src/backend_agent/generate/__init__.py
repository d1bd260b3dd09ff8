"""The generate part: a blueprint's design becomes a complete FastAPI project.

``generate_service(blueprint, out_dir, update=False)`` designs, renders every template in memory and
writes the project atomically (recorded hashes make ``--update`` keep user edits);
``render_project`` is the pure rendering step.
"""

from backend_agent.generate.deploy import render_deploy
from backend_agent.generate.project import MANIFEST, GenerationResult, generate_service, render_project

__all__ = ["MANIFEST", "GenerationResult", "generate_service", "render_deploy", "render_project"]
