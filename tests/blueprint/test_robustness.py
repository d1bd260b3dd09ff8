"""Mutated blueprints never crash: each either designs cleanly or raises a located BlueprintError."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from backend_agent.blueprint import parse_blueprint
from backend_agent.design import design
from backend_agent.errors import BlueprintError

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.blueprint.yaml"))
ODD_VALUES: list[Any] = [None, 0, -1, 3.5, True, "", "x", "Nope", [], ["x"], {}, {"kind": "toggle"}, "{id}"]


def _slots(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_slots(value, (*path, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out.extend(_slots(value, (*path, index)))
    return out


def _mutate(doc: Any, rng: random.Random) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(_slots(doc))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        action = rng.random()
        if action < 0.2 and isinstance(parent, dict):
            del parent[last]
        elif action < 0.35 and isinstance(parent, dict):
            parent[f"{last}x"] = parent.pop(last)
        else:
            parent[last] = rng.choice(ODD_VALUES)
    return doc


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_mutations_never_crash(path: Path) -> None:
    original = yaml.safe_load(path.read_text())
    rng = random.Random(f"seed-{path.name}")
    errors = 0
    for _ in range(60):
        text = yaml.safe_dump(_mutate(original, rng), sort_keys=False)
        try:
            bp = parse_blueprint(text, source="mutant.yaml")
        except BlueprintError as exc:
            errors += 1
            assert exc.problems
            for problem in exc.problems:
                assert problem.location is not None and problem.location.file == "mutant.yaml"
                assert problem.location.line is not None
            continue
        try:
            design(bp)
        except BlueprintError as exc:  # route clashes are found while designing
            assert all("declared twice" in p.message or "produced twice" in p.message for p in exc.problems)
    assert errors > 20  # most mutations must be caught
