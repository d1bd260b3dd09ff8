"""ERD (Mermaid, DOT, SVG), DESIGN.md and write_design."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

import backend_agent.design as design_pkg
from backend_agent.design import Design, render_svg, write_design
from tests.design.conftest import EXAMPLE_NAMES


def test_mermaid_erd(conduit: Design) -> None:
    text = conduit.erd_mermaid
    assert text.startswith("erDiagram\n")
    assert "    users {" in text and "        bigint id PK" in text
    assert '    users ||--o{ articles : "author_id"' in text
    assert '    users ||--o{ follows : "followed_user_id"' in text
    assert "varchar email UK" in text


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_erd_renders_to_svg_with_graphviz(designs: dict[str, Design], name: str) -> None:
    svg = render_svg(designs[name].erd_dot)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    for table in designs[name].tables:
        assert f">{table.name}<" in svg


def test_design_md_sections(conduit: Design) -> None:
    md = conduit.design_md
    for heading in ("## Endpoints", "## Auth matrix", "## Computed fields", "## Indexes", "## Decisions",
                    "```mermaid"):
        assert heading in md
    assert "| GET | `/api/articles/feed` | `articles_feed` | authenticated |" in md
    assert "| `articles_delete` | no | yes | yes | owner or admin |" in md
    assert "| Article.favorites_count | count | favorited_by | batched count" in md
    assert "foreign key to users: joins, filters and ON DELETE checks" in md


def test_write_design_writes_every_file(conduit: Design, tmp_path: Path) -> None:
    written = write_design(conduit, tmp_path / "out", render_svg=False)
    names = {p.name for p in written}
    assert names == {"openapi.yaml", "schema.sqlite.sql", "schema.postgresql.sql", "erd.mmd", "erd.dot", "DESIGN.md",
                     "design.json"}
    resolved = json.loads((tmp_path / "out" / "design.json").read_text())
    assert resolved["entities"]["Article"]["lookup"] == "slug" and "openapi" not in resolved
    doc = yaml.safe_load((tmp_path / "out" / "openapi.yaml").read_text())
    validate(doc)
    assert doc == conduit.openapi
    assert not list((tmp_path / "out").glob(".*.tmp"))
    if shutil.which("dot"):
        written = write_design(conduit, tmp_path / "out")
        assert (tmp_path / "out" / "erd.svg").read_text().lstrip().startswith("<?xml")


def test_exports_are_accurate() -> None:
    for name in design_pkg.__all__:
        assert hasattr(design_pkg, name), name


def test_write_design_into_a_file_path_is_a_clear_error(conduit: Design, tmp_path: Path) -> None:
    from backend_agent.errors import GenerationError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(GenerationError, match="cannot write the design"):
        write_design(conduit, blocker / "out", render_svg=False)
