"""Designs of the shipped examples, computed once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.blueprint import load_blueprint
from backend_agent.design import Design, design

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_NAMES = ["conduit", "inventory", "orders"]


@pytest.fixture(scope="session")
def designs() -> dict[str, Design]:
    return {name: design(load_blueprint(EXAMPLES_DIR / f"{name}.blueprint.yaml")) for name in EXAMPLE_NAMES}


@pytest.fixture(scope="session")
def conduit(designs: dict[str, Design]) -> Design:
    return designs["conduit"]
