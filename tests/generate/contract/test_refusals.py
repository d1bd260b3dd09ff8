"""Contracts needing constructs the generator does not emit yet are refused, by operation, and nothing is written.

Every shipped contract example is served now, so the refused contract is an example changed in one place.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from backend_agent.errors import GenerationError
from backend_agent.generate import generate_service
from tests.generate.contract.conftest import REPO_ROOT

JSON_BODY = """      operationId: addRecipe
      requestBody:
        required: true
        content:
          application/json:"""


@pytest.mark.parametrize(("name", "old", "new", "expected"), [
    ("recipes", JSON_BODY, JSON_BODY.replace("application/json", "application/xml"),
     "addRecipe (POST /api/recipes): request body application/xml"),
    # a form is served when its fields are flat; this one wraps them in a "recipe" object
    ("recipes", JSON_BODY, JSON_BODY.replace("application/json", "application/x-www-form-urlencoded"),
     "addRecipe (POST /api/recipes): form body with property 'recipe' of type object (form fields are flat"),
])
def test_unserved_contract_constructs_are_refused_by_operation(tmp_path: Path, name: str, old: str, new: str,
                                                               expected: str) -> None:
    example = tmp_path / name
    shutil.copytree(REPO_ROOT / "examples" / name, example)
    contract = example / "openapi.yaml"
    text = contract.read_text()
    assert text.count(old) == 1
    contract.write_text(text.replace(old, new))
    out = tmp_path / "service"
    with pytest.raises(GenerationError) as caught:
        generate_service(example / f"{name}.blueprint.yaml", out)
    assert expected in str(caught.value)
    assert "generator does not emit yet" in str(caught.value)
    assert not out.exists()
