"""Contract examples needing constructs the generator does not emit yet are refused, by operation, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.errors import GenerationError
from backend_agent.generate import generate_service
from tests.generate.contract.conftest import REPO_ROOT


@pytest.mark.parametrize(("name", "expected"), [
    ("wiki", "readPage (GET /wiki/{slug}): 200 answers text/html"),
    ("recipes", "computed average_stars is an aggregate (avg)"),
    ("cards", "lookupCard (POST /rpc/cards.lookup): request selects its row"),
    ("invitations", "acceptInvitation (POST /v1/invitations/{code}/accept): behaviour 'transition'"),
])
def test_unserved_contract_constructs_are_refused_by_operation(tmp_path: Path, name: str, expected: str) -> None:
    out = tmp_path / "service"
    with pytest.raises(GenerationError) as caught:
        generate_service(REPO_ROOT / "examples" / name / f"{name}.blueprint.yaml", out)
    assert expected in str(caught.value)
    assert "generator does not emit yet" in str(caught.value)
    assert not out.exists()
