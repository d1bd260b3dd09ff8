"""The real `backend-agent` commands: exit codes, output, and never a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.design.conftest import EXAMPLES_DIR

CONDUIT = EXAMPLES_DIR / "conduit.blueprint.yaml"


def run(*args: str, path: str = "/usr/local/bin:/usr/bin:/bin") -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("backend-agent")
    prefix = [str(script)] if script.exists() else [sys.executable, "-c", "from backend_agent.cli import main; main()"]
    cmd = [*prefix, *args]
    env = {"COLUMNS": "200", "PATH": path}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    file = tmp_path / "bad.blueprint.yaml"
    file.write_text("service:\n  name: shop\nentities:\n  Item:\n    fields:\n      title: strng\n"
                    "    relations:\n      maker: {kind: many_to_one, target: Maker}\n")
    return file


def test_validate_ok() -> None:
    proc = run("blueprint", "validate", str(CONDUIT))
    assert proc.returncode == 0
    assert "valid" in proc.stdout and "19 operations" in proc.stdout


def test_validate_invalid_lists_located_problems(bad_file: Path) -> None:
    proc = run("blueprint", "validate", str(bad_file))
    assert proc.returncode == 1
    assert "BlueprintError" in proc.stderr
    assert f"{bad_file}:6:14 (entities.Item.fields.title.type): unknown type 'strng'" in proc.stderr
    assert "did you mean 'string'?" in proc.stderr


def test_validate_json(bad_file: Path) -> None:
    proc = run("blueprint", "validate", "--json", str(bad_file))
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert data["valid"] is False
    assert data["problems"][0]["line"] == 6 and data["problems"][0]["hint"] == "did you mean 'string'?"
    ok = run("blueprint", "validate", "--json", str(CONDUIT))
    assert ok.returncode == 0 and json.loads(ok.stdout)["valid"] is True


def test_cross_reference_problems_exit_1(tmp_path: Path) -> None:
    file = tmp_path / "x.blueprint.yaml"
    file.write_text("service:\n  name: shop\nentities:\n  Item:\n    fields:\n      title: string\n"
                    "    relations:\n      maker: {kind: many_to_one, target: Maker}\n")
    proc = run("blueprint", "validate", str(file))
    assert proc.returncode == 1 and "unknown entity 'Maker'; expected one of Item" in proc.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("blueprint", "validate", str(tmp_path / "missing.yaml")).returncode == 2
    assert run("blueprint", "validate").returncode == 2
    assert run("design", str(CONDUIT)).returncode == 2  # -o is required


def test_explain() -> None:
    proc = run("blueprint", "explain", str(CONDUIT))
    assert proc.returncode == 0
    assert "Entity Article" in proc.stdout and "GET    /api/articles/feed" in proc.stdout
    data = json.loads(run("blueprint", "explain", "--json", str(CONDUIT)).stdout)
    assert data["blueprint"]["service"]["name"] == "conduit" and len(data["operations"]) == 19


def test_schema(tmp_path: Path) -> None:
    proc = run("blueprint", "schema")
    assert proc.returncode == 0 and json.loads(proc.stdout)["$schema"].endswith("2020-12/schema")
    out = tmp_path / "blueprint.schema.json"
    assert run("blueprint", "schema", "-o", str(out)).returncode == 0
    assert json.loads(out.read_text())["$defs"]["Entity"]


def test_design_writes_files(tmp_path: Path) -> None:
    proc = run("design", str(CONDUIT), "-o", str(tmp_path / "d"), "--json")
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    names = {Path(p).name for p in data["files"]}
    assert {"openapi.yaml", "schema.sqlite.sql", "schema.postgresql.sql", "erd.mmd", "DESIGN.md"} <= names
    assert ("erd.svg" in names) == (shutil.which("dot") is not None)


def test_design_of_invalid_blueprint_exits_1(bad_file: Path, tmp_path: Path) -> None:
    proc = run("design", str(bad_file), "-o", str(tmp_path / "d"))
    assert proc.returncode == 1 and "unknown type 'strng'" in proc.stderr
    assert not (tmp_path / "d").exists()


def test_design_without_graphviz_skips_svg_with_a_hint(tmp_path: Path) -> None:
    proc = run("design", str(CONDUIT), "-o", str(tmp_path / "d"), path=str(tmp_path))
    assert proc.returncode == 0
    assert "erd.svg skipped" in proc.stderr and "apt-get install graphviz" in proc.stderr
    assert not (tmp_path / "d" / "erd.svg").exists() and (tmp_path / "d" / "erd.mmd").exists()


def test_new_writes_a_valid_starter_and_refuses_to_overwrite(tmp_path: Path) -> None:
    file = tmp_path / "shop-api.blueprint.yaml"
    assert run("blueprint", "new", str(file)).returncode == 0
    assert "name: shop-api" in file.read_text()
    assert run("blueprint", "validate", str(file)).returncode == 0
    again = run("blueprint", "new", str(file))
    assert again.returncode == 2 and "already exists" in again.stderr
    assert run("blueprint", "new", str(tmp_path / "x.yaml"), "--name", "B@d").returncode == 2


def test_route_clash_found_by_design_is_located_in_the_file(tmp_path: Path) -> None:
    file = tmp_path / "clash.blueprint.yaml"
    file.write_text("service: {name: clash}\nentities:\n  Post:\n    fields: {title: {type: string, required: true}}\n"
                    "    actions:\n      top: {kind: query, path: \"/posts/{id}\", where: [{field: title, value: x}]}\n")
    for command in (["blueprint", "validate"], ["blueprint", "explain"], ["design", "-o", str(tmp_path / "out")]):
        proc = run(*command, str(file))
        assert proc.returncode == 1, command
        assert f"{file}:6:12 (entities.Post.actions.top): GET /posts/{{id}} is declared twice" in proc.stderr
        assert "hint: give the operation another `path` or `method`" in proc.stderr
    proc = run("blueprint", "validate", "--json", str(file))
    (problem,) = json.loads(proc.stdout)["problems"]
    assert (problem["file"], problem["line"], problem["column"]) == (str(file), 6, 12)


def test_unquoted_braces_in_a_flow_mapping_get_a_quoting_hint(tmp_path: Path) -> None:
    file = tmp_path / "braces.blueprint.yaml"
    file.write_text("service: {name: b}\nentities:\n  Post:\n    fields: {title: string}\n"
                    "    api: {operations: {get: {path: /posts/{id}}}}\n")
    proc = run("blueprint", "validate", str(file))
    assert proc.returncode == 1
    assert f"{file}:5:" in proc.stderr and "YAML syntax error" in proc.stderr
    assert 'quote values that contain braces, e.g. {path: "/posts/{id}"}' in proc.stderr


def test_from_openapi_drafts_a_blueprint_that_validates(tmp_path: Path) -> None:
    spec = EXAMPLES_DIR / "monitors" / "openapi.yaml"
    out = tmp_path / "drafts" / "monitors.blueprint.yaml"
    out.parent.mkdir()
    proc = run("blueprint", "from-openapi", str(spec), "-o", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["operations"], report["bound"]) == (7, 6)
    assert "# guess:" in out.read_text()
    assert run("blueprint", "validate", str(out)).returncode == 0
    again = run("blueprint", "from-openapi", str(spec), "-o", str(out))
    assert again.returncode == 2 and "already exists" in again.stderr


def test_from_openapi_of_a_broken_contract_is_located(tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text("openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n"
                    "        '200': {$ref: '#/components/responses/Nope'}\n")
    proc = run("blueprint", "from-openapi", str(spec), "-o", str(tmp_path / "x.blueprint.yaml"))
    assert proc.returncode == 1
    assert "unresolvable $ref '#/components/responses/Nope'" in proc.stderr
    assert not (tmp_path / "x.blueprint.yaml").exists()


def test_a_bound_the_contract_does_not_state_is_a_located_caution(tmp_path: Path) -> None:
    project = tmp_path / "cart"
    shutil.copytree(EXAMPLES_DIR / "cart", project)
    contract = project / "openapi.yaml"
    text = contract.read_text(encoding="utf-8")
    assert "sku: {type: string, maxLength: 64}" in text
    contract.write_text(text.replace("sku: {type: string, maxLength: 64}", "sku: {type: string}"), encoding="utf-8")
    blueprint = project / "cart.blueprint.yaml"
    proc = run("blueprint", "validate", str(blueprint))
    assert proc.returncode == 0, proc.stderr  # still valid: the service works, it refuses an edge
    assert "caution" in proc.stderr and "sku has no maxLength in the contract" in proc.stderr
    assert f"{blueprint}:" in proc.stderr and "add maxLength: 64 to the contract's property" in proc.stderr
    data = json.loads(run("blueprint", "validate", "--json", str(blueprint)).stdout)
    assert [c["severity"] for c in data["cautions"]] == ["warning"] and data["cautions"][0]["line"]
    run("design", str(blueprint), "-o", str(tmp_path / "design"), "--no-svg")
    assert "## Cautions" in (tmp_path / "design" / "DESIGN.md").read_text(encoding="utf-8")
    # the shipped contract states the bound: nothing to say
    assert "caution" not in run("blueprint", "validate", str(EXAMPLES_DIR / "cart" / "cart.blueprint.yaml")).stderr
