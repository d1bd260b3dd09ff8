"""`backend-agent new`: the generated projects import, pass their own tests, and regenerate safely."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from backend_agent.errors import BlueprintError, GenerationError
from backend_agent.generate import MANIFEST, GenerationResult, generate_service
from tests.generate.conftest import EXAMPLES, REPO_ROOT, run_project_tests


@pytest.mark.parametrize("name", EXAMPLES)
def test_generated_project_layout(generated: dict[str, GenerationResult], name: str) -> None:
    project = generated[name].out_dir
    for rel in ("app/main.py", "app/models/tables.py", "app/repositories/documents.py", "app/schemas/requests.py",
                "migrations/versions/0001_initial.py", "alembic.ini", "pyproject.toml", "Makefile", "README.md",
                "tests/conftest.py", "design/openapi.yaml", "design/design.json", MANIFEST):
        assert (project / rel).is_file(), rel
    manifest = json.loads((project / MANIFEST).read_text())["files"]
    assert "app/main.py" in manifest
    assert not any(rel.startswith("app/custom/") for rel in manifest)  # user-owned, never hashed


@pytest.mark.parametrize("name", EXAMPLES)
def test_generated_tests_pass_on_sqlite(generated: dict[str, GenerationResult], name: str) -> None:
    result = run_project_tests(generated[name].out_dir)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("name", EXAMPLES)
def test_generated_tests_pass_on_postgresql(generated: dict[str, GenerationResult], name: str,
                                            postgres_database: str) -> None:
    result = run_project_tests(generated[name].out_dir, {"TEST_DATABASE_URL": postgres_database})
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_stubs_are_listed_and_answer_501(generated: dict[str, GenerationResult], tmp_path: Path) -> None:
    assert generated["conduit"].stubs == []
    # the example ships its custom module (examples/orders_rules.py); a copy of the blueprint alone does not
    assert generated["orders"].stubs == []
    shipped = (generated["orders"].out_dir / "app/custom/orders_rules.py").read_text()
    assert shipped == (REPO_ROOT / "examples/orders_rules.py").read_text()
    blueprint = tmp_path / "orders.blueprint.yaml"
    shutil.copy(REPO_ROOT / "examples/orders.blueprint.yaml", blueprint)
    alone = generate_service(blueprint, tmp_path / "orders")
    assert "app/custom/orders_rules.py:quote_shipping" in alone.stubs
    text = (alone.out_dir / "app/custom/orders_rules.py").read_text()
    assert "raise ApiError(" in text and "501" in text and "is not implemented yet" in text
    assert "def quote_shipping(" in text


def test_new_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(GenerationError, match="not empty"):
        generate_service(REPO_ROOT / "examples/conduit.blueprint.yaml", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_failed_generation_leaves_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.blueprint.yaml"
    bad.write_text("service: {name: x}\nentities: {A: {fields: {n: {type: nosuchtype}}}}\n")
    out = tmp_path / "out"
    with pytest.raises(BlueprintError):
        generate_service(bad, out)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.blueprint.yaml"]


def test_update_keeps_user_edits_and_custom_code_and_migrates(tmp_path: Path) -> None:
    blueprint = tmp_path / "c.blueprint.yaml"
    shutil.copy(REPO_ROOT / "examples/conduit.blueprint.yaml", blueprint)
    out = tmp_path / "svc"
    generate_service(blueprint, out)
    edited = out / "app/api/article.py"
    edited.write_text(edited.read_text() + "\n# my change\n")
    custom = out / "app/custom/__init__.py"
    custom.write_text('"""mine"""\n')

    data = yaml.safe_load(blueprint.read_text())
    data["entities"]["Article"]["fields"]["subtitle"] = {"type": "string", "max_length": 100}
    blueprint.write_text(yaml.safe_dump(data, sort_keys=False))
    result = generate_service(blueprint, out, update=True)

    assert result.kept_user_edits == ["app/api/article.py"]
    assert edited.read_text().endswith("# my change\n")
    assert (out / "app/api/article.py.new").is_file()
    assert custom.read_text() == '"""mine"""\n'
    assert result.migration is not None and result.migration.startswith("0002_")
    migration = (out / "migrations/versions" / result.migration).read_text()
    assert "add_column" in migration and "subtitle" in migration and "drop_column" in migration
    assert "subtitle" in (out / "app/schemas/requests.py").read_text()

    again = generate_service(blueprint, out, update=True)
    assert again.migration is None and again.written == []


def test_update_migration_keeps_data(tmp_path: Path) -> None:
    blueprint = tmp_path / "c.blueprint.yaml"
    shutil.copy(REPO_ROOT / "examples/conduit.blueprint.yaml", blueprint)
    out = tmp_path / "svc"
    generate_service(blueprint, out)
    env = {"APP_ENV": "test", "DATABASE_URL": f"sqlite:///{out / 'db.sqlite3'}", "PATH": "/usr/bin:/bin"}

    def alembic(*args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "alembic", *args], cwd=out, env=env, capture_output=True,
                              text=True, check=False, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]

    alembic("upgrade", "head")
    import sqlite3

    with sqlite3.connect(out / "db.sqlite3") as db:
        db.execute("INSERT INTO tags (name) VALUES ('kept')")
    data = yaml.safe_load(blueprint.read_text())
    data["entities"]["Tag"]["fields"]["color"] = {"type": "string", "max_length": 7}
    blueprint.write_text(yaml.safe_dump(data, sort_keys=False))
    generate_service(blueprint, out, update=True)
    alembic("upgrade", "head")
    with sqlite3.connect(out / "db.sqlite3") as db:
        assert db.execute("SELECT name, color FROM tags").fetchall() == [("kept", None)]
    alembic("downgrade", "base")
    with sqlite3.connect(out / "db.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables <= {"alembic_version", "sqlite_sequence"}


def test_cli_new_reports_stubs(tmp_path: Path) -> None:
    out = tmp_path / "svc"
    blueprint = tmp_path / "orders.blueprint.yaml"  # without the example's shipped custom module beside it
    shutil.copy(REPO_ROOT / "examples/orders.blueprint.yaml", blueprint)
    done = subprocess.run([sys.executable, "-m", "backend_agent", "new", str(blueprint),
                           "-o", str(out), "--json"], capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert "app/custom/orders_rules.py:provider_confirms" in report["stubs"]
    again = subprocess.run([sys.executable, "-m", "backend_agent", "new", str(REPO_ROOT / "examples/orders.blueprint.yaml"),
                            "-o", str(out)], capture_output=True, text=True, check=False, timeout=120)
    assert again.returncode != 0 and "not empty" in again.stderr and "Traceback" not in again.stderr


@pytest.mark.slow
@pytest.mark.parametrize("name", EXAMPLES)
def test_generated_code_is_ruff_mypy_and_bandit_clean(generated: dict[str, GenerationResult], name: str) -> None:
    """The generator's own code (app/core belongs to the platform part and is checked by its tests)."""
    project = generated[name].out_dir
    bin_dir = Path(sys.executable).parent
    checks = [
        [str(bin_dir / "ruff"), "check", "--no-cache", "--exclude", "app/core", "."],
        [str(bin_dir / "mypy"), "--ignore-missing-imports", "--no-incremental", "--cache-dir", "/dev/null", "app"],
        [str(bin_dir / "bandit"), "-q", "-r", "app", "-x", "app/core"],
    ]
    for command in checks:
        done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False, timeout=300)
        assert done.returncode == 0, f"{command[0]}: {done.stdout[-3000:]}{done.stderr[-1000:]}"
