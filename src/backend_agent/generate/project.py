"""``generate_service``: a blueprint becomes a FastAPI project folder, atomically, with recorded hashes.

Phases (reported through ``progress``): design, render, migrations, write. Every file is rendered in
memory first; a new project is written into a sibling temporary folder and renamed into place, so a
failure leaves nothing behind. ``--update`` rewrites generated files the user did not edit (their
hash still matches ``.backend-agent/generated.lock``), writes ``<file>.new`` beside the ones they
did, never touches ``app/custom/`` once it exists, and adds an Alembic revision for the schema change.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend_agent._atomic import write_atomic
from backend_agent.errors import GenerationError
from backend_agent.generate.context import build_context
from backend_agent.generate.migrations import initial_migration, update_migration
from backend_agent.generate.render import render_one, render_templates

# Hashes of the generated files, like a lock file (secret scanners skip *.lock: hashes look like keys).
MANIFEST = ".backend-agent/generated.lock"
DESIGN_DIR = "design"
USER_OWNED = ("app/custom/",)

Progress = Callable[[str], None]


@dataclass
class GenerationResult:
    out_dir: Path
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_user_edits: list[str] = field(default_factory=list)  # the new version went to <file>.new
    stubs: list[str] = field(default_factory=list)  # custom handlers answering 501 until written
    migration: str | None = None
    operations: int = 0


def _sha(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def render_project(design_files: dict[str, str | bytes], design: dict[str, Any],
                   openapi: dict[str, Any]) -> tuple[dict[str, str | bytes], list[str]]:
    """Every file of the project (without migrations) and the custom handlers created as stubs."""
    try:
        context, entities = build_context(design, openapi)
    except (KeyError, StopIteration, ValueError, TypeError) as exc:  # a design construct the generator lacks
        raise GenerationError(
            f"cannot generate {design['service']['name']}: design.json holds a construct this generator does not "
            f"handle ({type(exc).__name__}: {exc})",
            hint="please report it with the blueprint; `backend-agent design` output is still usable") from None
    files: dict[str, str | bytes] = dict(render_templates(context, entities))
    for module, items in context["custom_modules"].items():
        package = module.split(".")[:-1]
        for depth in range(1, len(package) + 1):
            files.setdefault(f"app/custom/{'/'.join(package[:depth])}/__init__.py", "")
        files[f"app/custom/{module.replace('.', '/')}.py"] = render_one("custom/module.py.j2", {**context, "module": module, "items": items})
    files["app/openapi.json"] = json.dumps(openapi, indent=1, ensure_ascii=False) + "\n"
    for name, content in design_files.items():
        files[f"{DESIGN_DIR}/{name}"] = content
    deploy = _deploy_files(design)
    files.update(deploy)
    stubs = [f"app/custom/{module.replace('.', '/')}.py:{item['func']}" for module, items in context["custom_modules"].items()
             for item in items]
    return files, stubs


def _ruff() -> str | None:
    beside = Path(sys.executable).with_name("ruff")
    return str(beside) if beside.exists() else shutil.which("ruff")


def format_python(files: dict[str, str | bytes]) -> dict[str, str | bytes]:
    """Generated Python formatted and import-sorted by ruff when it is installed (same code either way)."""
    ruff = _ruff()
    python = {rel: text for rel, text in files.items() if rel.endswith(".py") and isinstance(text, str)}
    if ruff is None or not python:
        return files
    with tempfile.TemporaryDirectory(prefix="backend-agent-format-") as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text(
            '[tool.ruff]\nline-length = 120\ntarget-version = "py311"\n[tool.ruff.lint]\nselect = ["I", "F401"]\n'
            '[tool.ruff.lint.isort]\nknown-first-party = ["app"]\n')
        for rel, text in python.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        for args in (["check", "--fix", "--quiet", "--exit-zero"], ["format", "--quiet"]):
            subprocess.run([ruff, *args, "--no-cache", "."], cwd=root, capture_output=True, check=False, timeout=120)
        formatted = dict(files)
        for rel in python:
            formatted[rel] = (root / rel).read_text(encoding="utf-8")
        return formatted


def _deploy_files(design: dict[str, Any]) -> dict[str, str]:
    try:
        from backend_agent.generate import deploy
    except ImportError:  # the deployment part is optional
        return {}
    render = getattr(deploy, "render_deploy", None)
    return dict(render(design)) if render else {}


def generate_service(blueprint: Path, out_dir: Path, *, update: bool = False,
                     progress: Progress | None = None) -> GenerationResult:
    from backend_agent.blueprint import load_blueprint, locate_problems
    from backend_agent.design import design as design_of
    from backend_agent.design.writer import openapi_yaml
    from backend_agent.errors import BlueprintError

    say = progress or (lambda _msg: None)
    out_dir = Path(out_dir)
    existing = out_dir.exists() and any(out_dir.iterdir())
    if existing and not update:
        raise GenerationError(f"{out_dir} is not empty",
                              hint="pass --update to regenerate a project made by `backend-agent new`, "
                                   "or choose an empty folder")
    if update and existing and not (out_dir / MANIFEST).exists():
        raise GenerationError(f"{out_dir} was not generated by backend-agent (no {MANIFEST})",
                              hint="choose the folder of a generated project, or an empty folder")

    say("design: reading the blueprint")
    bp = load_blueprint(blueprint)
    try:
        result = design_of(bp)
    except BlueprintError as exc:
        raise locate_problems(exc, blueprint) from None
    resolved = json.loads(json.dumps(result.resolved(), default=str))
    design_files: dict[str, str | bytes] = {
        "openapi.yaml": openapi_yaml(result),
        "design.json": json.dumps(resolved, indent=2) + "\n",
        "schema.sqlite.sql": result.ddl["sqlite"],
        "schema.postgresql.sql": result.ddl["postgresql"],
        "DESIGN.md": result.design_md,
    }
    openapi = json.loads(json.dumps(result.openapi, default=str))
    resolved["_ddl"] = dict(result.ddl)  # the migrations run the design's own DDL
    if resolved.get("mode") == "contract":  # CONTRACT hook: contract-first designs (contract_context.py)
        from backend_agent.generate.contract_context import prepare_contract_design

        resolved = prepare_contract_design(resolved, blueprint, openapi)
    else:  # blueprint mode: errors.shape and per-outcome statuses are served like a contract's
        from backend_agent.generate.contract_context import add_wire_error_tables, needs_wire_errors

        if needs_wire_errors(resolved):
            add_wire_error_tables(resolved)

    say(f"render: {len(result.operations)} operations, {len(result.tables)} tables")
    files, stubs = render_project(design_files, resolved, openapi)
    for name, text in (resolved.get("templates") or {}).items():  # text/html and text/plain bodies
        files[f"app/templates/{name}"] = text

    say("migrations")
    migration_name: str | None = None
    if update and existing:
        old_design_path = out_dir / DESIGN_DIR / "design.json"
        old = json.loads(old_design_path.read_text()) if old_design_path.exists() else None
        versions = sorted(p.name for p in (out_dir / "migrations" / "versions").glob("*.py"))
        revision = update_migration(old, resolved, versions)
        if revision is not None:
            migration_name, text = revision
            files[f"migrations/versions/{migration_name}"] = text
    else:
        migration_name, text = initial_migration(resolved)
        files[f"migrations/versions/{migration_name}"] = text

    say("format")
    files = format_python(files)
    files.update(shipped_custom_code(Path(blueprint).parent, stubs))  # the user's code, as written

    say("write")
    outcome = GenerationResult(out_dir=out_dir, stubs=stubs, migration=migration_name,
                               operations=len(result.operations))
    if update and existing:
        _write_update(out_dir, files, outcome)
    else:
        _write_new(out_dir, files, outcome)
    outcome.stubs = [stub for stub in stubs if _still_a_stub(out_dir, stub)]
    return outcome


def shipped_custom_code(folder: Path, stubs: list[str]) -> dict[str, str | bytes]:
    """Custom modules that already sit beside the blueprint replace their stubs in ``app/custom/``.

    For a handler or hook ``pkg.module:function``, a package folder ``pkg/`` (or a module
    ``pkg.py``) next to the blueprint is copied as it is (its ``*.py`` files), e.g. the audit hook of
    examples/secrets in ``secrets_rules/``.
    """
    out: dict[str, str | bytes] = {}
    tops = {stub.split(":", 1)[0].removeprefix("app/custom/").split("/", 1)[0].removesuffix(".py") for stub in stubs}
    for top in sorted(tops):
        package, module = folder / top, folder / f"{top}.py"
        if package.is_dir():
            for path in sorted(package.rglob("*.py")):
                out[f"app/custom/{top}/{path.relative_to(package).as_posix()}"] = path.read_text(encoding="utf-8")
        elif module.is_file():
            out[f"app/custom/{top}.py"] = module.read_text(encoding="utf-8")
    return out


def _still_a_stub(out_dir: Path, stub: str) -> bool:
    """A custom handler not written yet: missing from its module, or still the generated 501 stub."""
    rel, func = stub.split(":", 1)
    path = out_dir / rel
    if not path.exists():
        return True
    text = path.read_text(encoding="utf-8")
    if f"def {func}(" not in text:
        return True
    body = text.split(f"def {func}(", 1)[1].split("\ndef ", 1)[0]
    return "is not implemented yet" in body


def _is_user_owned(rel: str) -> bool:
    return rel.startswith(USER_OWNED)


def _write_new(out_dir: Path, files: dict[str, str | bytes], outcome: GenerationResult) -> None:
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        manifest: dict[str, str] = {}
        for rel, content in sorted(files.items()):
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
            if not _is_user_owned(rel):
                manifest[rel] = _sha(content)
            outcome.written.append(rel)
        (staging / MANIFEST).parent.mkdir(parents=True, exist_ok=True)
        (staging / MANIFEST).write_text(json.dumps({"files": manifest}, indent=1, sort_keys=True) + "\n")
        if out_dir.exists():
            out_dir.rmdir()  # empty (checked above)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_update(out_dir: Path, files: dict[str, str | bytes], outcome: GenerationResult) -> None:
    manifest_path = out_dir / MANIFEST
    recorded: dict[str, str] = json.loads(manifest_path.read_text()).get("files", {})
    manifest = dict(recorded)
    plan: list[tuple[Path, str | bytes]] = []
    for rel, content in sorted(files.items()):
        target = out_dir / rel
        if _is_user_owned(rel):
            if not target.exists():
                plan.append((target, content))
                outcome.written.append(rel)
            continue
        new_hash = _sha(content)
        if target.exists():
            current = _sha(target.read_bytes())
            if current == new_hash:
                manifest[rel] = new_hash
                outcome.unchanged.append(rel)
                continue
            if rel in recorded and current != recorded[rel]:
                plan.append((target.with_name(target.name + ".new"), content))
                outcome.kept_user_edits.append(rel)
                continue
        plan.append((target, content))
        manifest[rel] = new_hash
        outcome.written.append(rel)
    for target, content in plan:
        write_atomic(target, content)
    write_atomic(manifest_path, json.dumps({"files": manifest}, indent=1, sort_keys=True) + "\n")


__all__ = ["MANIFEST", "GenerationResult", "generate_service", "render_project"]
