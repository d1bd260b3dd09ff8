"""Designs of the example blueprints and their rendered deploy files, shared by the deploy tests."""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend_agent.blueprint import load_blueprint
from backend_agent.design import design
from backend_agent.generate.deploy import render_deploy

REPO_ROOT = Path(__file__).resolve().parents[2]
# Blueprint-mode examples at the top level, contract-first ones in their own folders.
EXAMPLES = sorted([*(REPO_ROOT / "examples").glob("*.blueprint.yaml"), *(REPO_ROOT / "examples").glob("*/*.blueprint.yaml")])
EXAMPLE_IDS = [p.name.removesuffix(".blueprint.yaml") for p in EXAMPLES]
# The slow policy tests scan the three blueprint-mode examples: the deploy files of the others differ
# only in names and values, which the fast render tests cover for every example.
POLICY_EXAMPLES = sorted((REPO_ROOT / "examples").glob("*.blueprint.yaml"))
POLICY_IDS = [p.name.removesuffix(".blueprint.yaml") for p in POLICY_EXAMPLES]


@functools.cache
def _design_json(blueprint: Path) -> str:
    return json.dumps(design(load_blueprint(blueprint)).resolved(), default=str)


def design_of(blueprint: Path) -> dict[str, Any]:
    """The design dict exactly as design.json holds it (a fresh copy each call)."""
    return dict(json.loads(_design_json(blueprint)))


def write_files(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(params=EXAMPLES, ids=EXAMPLE_IDS)
def example_design(request: pytest.FixtureRequest) -> dict[str, Any]:
    return design_of(request.param)


@pytest.fixture(params=POLICY_EXAMPLES, ids=POLICY_IDS)
def deploy_project(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A folder holding only the deploy files rendered for one blueprint-mode example."""
    design = design_of(request.param)
    return write_files(tmp_path / design["service"]["name"], render_deploy(design))


@pytest.fixture(scope="module")
def scratch_dir() -> Iterator[Path]:
    """A private temp folder for long-running tests (pytest's own base temp may be pruned by a
    concurrent pytest run on the same machine while servers still run from it)."""
    path = Path(tempfile.mkdtemp(prefix="ba-deploy-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
