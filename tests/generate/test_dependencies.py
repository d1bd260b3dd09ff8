"""A generated project declares every package it imports, and this interpreter can run it as it is."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from backend_agent.generate import GenerationResult
from tests.generate.conftest import EXAMPLES


def _declared(project: Path) -> list[Requirement]:
    data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(line) for line in data["dependencies"]]


def _module_level_imports(tree: ast.Module) -> set[str]:
    """Imports that run when the module loads (optional ones inside functions are the reader's choice)."""
    modules: set[str] = set()
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
        elif isinstance(node, ast.If | ast.Try):
            pending += [child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt)]
    return modules


def _third_party_imports(project: Path) -> set[str]:
    modules: set[str] = set()
    for path in (project / "app").rglob("*.py"):
        modules |= _module_level_imports(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in modules if m != "app" and m not in sys.stdlib_module_names}


def _normal(name: str) -> str:
    return name.lower().replace("_", "-")


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_imported_package_is_declared(generated: dict[str, GenerationResult], name: str) -> None:
    project = generated[name].out_dir
    declared = {_normal(r.name) for r in _declared(project)}
    providers = metadata.packages_distributions()
    undeclared = {
        module: providers.get(module, ["?"])
        for module in _third_party_imports(project)
        if not declared & {_normal(d) for d in providers.get(module, [module])}
    }
    assert not undeclared, f"{name} imports packages its pyproject.toml does not declare: {undeclared}"


def test_this_interpreter_has_every_pinned_dependency(generated: dict[str, GenerationResult]) -> None:
    # check runs a generated service in backend-agent's interpreter when that has every pin; a drifting
    # transitive version would make it build a separate environment for every generated project.
    drift = {}
    for requirement in _declared(generated["conduit"].out_dir):
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed == "missing" or not requirement.specifier.contains(installed, prereleases=True):
            drift[requirement.name] = f"{installed}, generated projects pin {requirement.specifier}"
    assert not drift, f"pin these in backend-agent's pyproject.toml (service extra): {drift}"
