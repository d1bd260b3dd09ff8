"""write_design: the only place the design touches the disk."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from backend_agent._atomic import write_tree_atomic
from backend_agent.design import erd
from backend_agent.design.model import Design
from backend_agent.errors import GenerationError

OPENAPI_FILE = "openapi.yaml"
DDL_FILES = {"sqlite": "schema.sqlite.sql", "postgresql": "schema.postgresql.sql"}


class _NoAliasDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True


def openapi_yaml(design: Design) -> str:
    return yaml.dump(design.openapi, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True, width=120)


def write_design(design: Design, out_dir: Path, *, render_svg: bool = True) -> list[Path]:
    """Write openapi.yaml, schema.sqlite.sql, schema.postgresql.sql, erd.mmd, erd.dot, DESIGN.md,
    design.json (the resolved model) and, when Graphviz is installed and ``render_svg``, erd.svg.
    Returns the written paths."""
    files: dict[str, str | bytes] = {
        OPENAPI_FILE: openapi_yaml(design),
        "erd.mmd": design.erd_mermaid,
        "erd.dot": design.erd_dot,
        "DESIGN.md": design.design_md,
        "design.json": json.dumps(design.resolved(), indent=2, default=str) + "\n",
    }
    for dialect, name in DDL_FILES.items():
        files[name] = design.ddl[dialect]
    if render_svg and erd.dot_available():
        files["erd.svg"] = erd.render_svg(design.erd_dot)
    try:
        return write_tree_atomic(Path(out_dir), files)
    except OSError as exc:
        raise GenerationError(f"cannot write the design to {out_dir}: {exc.strerror or exc}",
                              hint="choose a writable folder with -o") from None


__all__ = ["DDL_FILES", "OPENAPI_FILE", "openapi_yaml", "write_design"]
