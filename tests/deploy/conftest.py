"""Designs of the example blueprints and their rendered deploy files, shared by the deploy tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from backend_agent.blueprint import load_blueprint
from backend_agent.design import design
from backend_agent.generate.deploy import render_deploy

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO_ROOT / "examples").glob("*.blueprint.yaml"))
EXAMPLE_IDS = [p.name.removesuffix(".blueprint.yaml") for p in EXAMPLES]


def design_of(blueprint: Path) -> dict[str, Any]:
    """The design dict exactly as design.json holds it."""
    resolved = design(load_blueprint(blueprint)).resolved()
    return json.loads(json.dumps(resolved, default=str))


def write_files(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(params=EXAMPLES, ids=EXAMPLE_IDS)
def example_design(request: pytest.FixtureRequest) -> dict[str, Any]:
    return design_of(request.param)


@pytest.fixture
def deploy_project(tmp_path: Path, example_design: dict[str, Any]) -> Path:
    """A folder holding only the deploy files rendered for one example."""
    return write_files(tmp_path / example_design["service"]["name"], render_deploy(example_design))
