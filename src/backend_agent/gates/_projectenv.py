"""The checked project's Python environment, found or built, never silently replaced by ours.

In order:

1. ``python`` in the project's configuration;
2. the project's own virtualenv: ``.venv``, ``venv``, ``env``, ``.env`` (a folder), Poetry's
   cache (``~/.cache/pypoetry/virtualenvs/<name>-*``), ``$VIRTUAL_ENV`` when it lives in the project;
3. the interpreter running backend-agent when it already satisfies every declared dependency
   (the project's own ``requires-python`` included);
4. a virtualenv check builds under its cache folder (``<cache>/envs/<key>``), keyed by the lock
   file or requirement files and the Python version, from ``poetry.lock``, ``pdm.lock``, ``uv.lock``,
   ``requirements*.txt`` (and ``requirements/*.txt``), or ``pyproject`` dependencies with every
   extra; plus pytest-cov when the project uses pytest and uvicorn when it is an ASGI app without a
   server. The needed Python comes from ``requires-python`` (or Poetry's ``python``): when no
   installed interpreter matches, EnvironmentUnavailable says which one to install.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend_agent.errors import GateError
from backend_agent.gates.base import note

INSTALL_TIMEOUT_S = 900.0


class EnvironmentUnavailable(GateError):
    """Check could not find or build the project's environment (the gate could not run)."""


@dataclass(frozen=True)
class ProjectEnvironment:
    python: str
    origin: str  # for people: "the project's .venv", "backend-agent's interpreter (has every dependency)", ...
    extra_paths: tuple[str, ...] = ()  # PYTHONPATH entries a built environment needs to import the project


def _pyproject(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError:
        return {}


def _venv_python(folder: Path) -> str | None:
    candidate = folder / "bin" / "python"
    return str(candidate) if candidate.is_file() and os.access(candidate, os.X_OK) else None


def own_virtualenv(root: Path) -> tuple[str, str] | None:
    """The project's own virtualenv interpreter and where it was found, if any."""
    for name in (".venv", "venv", "env", ".env"):
        if (root / name).is_dir() and (python := _venv_python(root / name)):
            return python, f"the project's {name}"
    active = os.environ.get("VIRTUAL_ENV")
    if active and Path(active).resolve().is_relative_to(root.resolve()) and (python := _venv_python(Path(active))):
        return python, "the active virtualenv ($VIRTUAL_ENV)"
    name = _pyproject(root).get("tool", {}).get("poetry", {}).get("name")
    if isinstance(name, str):
        cache = Path(os.environ.get("POETRY_CACHE_DIR", Path.home() / ".cache" / "pypoetry")) / "virtualenvs"
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower())
        for folder in sorted(cache.glob(f"{slug}-*")):
            if python := _venv_python(folder):
                return python, f"Poetry's virtualenv {folder.name}"
    return None


# --- what the project declares ---------------------------------------------------------------


def requires_python(root: Path) -> str | None:
    """The project's Python constraint as a PEP 440 specifier, if it declares one."""
    data = _pyproject(root)
    spec = data.get("project", {}).get("requires-python")
    if isinstance(spec, str):
        return spec
    poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {}).get("python")
    if isinstance(poetry, str):
        return _poetry_spec(poetry)
    return None


def _poetry_spec(spec: str) -> str:
    """Poetry's ``^3.9`` / ``~3.10`` / ``>=3.8,<4`` as a PEP 440 specifier."""
    parts = []
    for part in re.split(r"\s*,\s*|\s+", spec.strip()):
        if part.startswith("^"):
            version = part[1:].split(".")
            upper = f"{int(version[0]) + 1}" if version[0] != "0" else f"0.{int(version[1]) + 1}"
            parts += [f">={part[1:]}", f"<{upper}"]
        elif part.startswith("~") and not part.startswith("~="):
            version = part[1:].split(".")
            parts += [f">={part[1:]}", f"<{version[0]}.{int(version[1] if len(version) > 1 else 0) + 1}"]
        elif part and part != "*":
            parts.append(part if re.match(r"[<>=!~]", part) else f"=={part}")
    return ",".join(parts)


def _lock_pins(path: Path) -> list[str]:
    """``name==version ; markers`` for every package of a Poetry/PDM/uv lock file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return []
    pins = []
    for package in data.get("package", []):
        name, version = package.get("name"), package.get("version")
        if not name or not version or package.get("source", {}).get("virtual") or package.get("source", {}).get("editable"):
            continue
        marker = package.get("markers") if isinstance(package.get("markers"), str) else None
        pins.append(f"{name}=={version}" + (f" ; {marker}" if marker else ""))
    return pins


def _poetry_requirements(data: dict[str, Any]) -> list[str]:
    poetry = data.get("tool", {}).get("poetry", {})
    tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
    tables += [group.get("dependencies", {}) for group in poetry.get("group", {}).values() if isinstance(group, dict)]
    requirements = []
    for table in tables:
        for name, spec in table.items():
            if name == "python":
                continue
            extras = ""
            if isinstance(spec, dict):
                extras = f"[{','.join(spec.get('extras', []))}]" if spec.get("extras") else ""
                spec = spec.get("version", "*")
            requirements.append(f"{name}{extras}" + ("" if spec in ("*", "") else _poetry_spec(str(spec))))
    return requirements


def _requirement_files(root: Path) -> list[Path]:
    files = sorted(root.glob("requirements*.txt")) + sorted(root.glob("requirements/*.txt"))
    return [f for f in files if f.is_file()]


@dataclass(frozen=True)
class Declared:
    """What the project asks to be installed, and the files that say so (for the cache key)."""

    requirements: tuple[str, ...]  # pins or specifiers, pip syntax
    requirement_files: tuple[Path, ...]
    sources: tuple[Path, ...]


def declared(root: Path) -> Declared:
    data = _pyproject(root)
    locks = [root / name for name in ("poetry.lock", "pdm.lock", "uv.lock")]
    if _pyproject(root.parent).get("tool", {}).get("uv", {}).get("workspace"):
        locks.append(root.parent / "uv.lock")  # a uv workspace member: the lock file is the workspace's
    for path in locks:
        if path.is_file() and (pins := _lock_pins(path)):
            own = re.sub(r"[-_.]+", "-", str(data.get("project", {}).get("name") or data.get("tool", {}).get("poetry", {}).get("name") or "")).lower()
            pins = [p for p in pins if re.sub(r"[-_.]+", "-", p.split("==")[0]).lower() != own]
            return Declared(tuple(pins), (), (path,))
    files = _requirement_files(root)
    if files:
        return Declared((), tuple(files), tuple(files))
    project = data.get("project", {})
    requirements = [str(r) for r in project.get("dependencies", [])]
    for extra in project.get("optional-dependencies", {}).values():
        requirements += [str(r) for r in extra]
    for group in data.get("dependency-groups", {}).values():
        requirements += [str(r) for r in group if isinstance(r, str)]
    requirements += _poetry_requirements(data)
    pyproject = root / "pyproject.toml"
    return Declared(tuple(requirements), (), (pyproject,) if pyproject.is_file() and requirements else ())


def _satisfied_here(requirements: tuple[str, ...], files: tuple[Path, ...]) -> bool:
    """True when the running interpreter has every requirement (markers honoured)."""
    from importlib import metadata

    from packaging.requirements import InvalidRequirement, Requirement

    lines = list(requirements)
    for path in files:
        for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
            line = raw.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("-"):
                return False  # -r/-e/--index-url: leave it to pip
            lines.append(line)
    for line in lines:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            return False
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            return False
        if requirement.specifier and not requirement.specifier.contains(installed, prereleases=True):
            return False
    return True


# --- interpreters ----------------------------------------------------------------------------


def _version_of(python: str) -> str | None:
    try:
        out = subprocess.run([python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                             capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def interpreters() -> list[tuple[str, str]]:
    """(path, version) of the Python interpreters on this machine, ours first."""
    candidates = [sys.executable]
    for minor in range(20, 7, -1):
        if found := shutil.which(f"python3.{minor}"):
            candidates.append(found)
    candidates += sorted(glob.glob(str(Path.home() / ".pyenv" / "versions" / "*" / "bin" / "python3")), reverse=True)
    candidates += sorted(glob.glob("/usr/bin/python3.*[0-9]"), reverse=True)
    seen: set[str] = set()
    found_list = []
    for candidate in candidates:
        real = os.path.realpath(candidate)
        if real in seen:
            continue
        seen.add(real)
        if version := _version_of(candidate):
            found_list.append((candidate, version))
    return found_list


def matching_python(spec: str | None) -> tuple[str, str]:
    """An interpreter satisfying ``spec`` (ours when it does); EnvironmentUnavailable otherwise."""
    import platform

    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    ours = (sys.executable, platform.python_version())
    if not spec:
        return ours
    try:
        wanted = SpecifierSet(spec)
    except InvalidSpecifier:
        return ours
    if wanted.contains(ours[1], prereleases=True):
        return ours
    available = interpreters()
    for python, version in available:
        if wanted.contains(version, prereleases=True):
            return python, version
    from packaging.version import Version

    have = ", ".join(sorted({v for _, v in available}, key=Version))
    raise EnvironmentUnavailable(
        f"the project needs Python {spec}, and no installed interpreter matches (found {have})",
        hint="install a matching Python (e.g. `uv python install`, pyenv, or your package manager) or set "
        "python = \"/path/to/python\" in [tool.backend-agent]",
    )


# --- building ----------------------------------------------------------------------------------


def _cache_root() -> Path:
    from backend_agent.settings import Settings

    return Settings().cache_dir / "envs"


def _key(decl: Declared, python_version: str, extras: list[str]) -> str:
    digest = hashlib.sha256(python_version.encode())
    for source in decl.sources:
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    for item in (*decl.requirements, *extras):
        digest.update(item.encode())
    return digest.hexdigest()[:16]


def _measurement_extras(root: Path, decl: Declared) -> list[str]:
    """What check needs in the environment besides the project's own dependencies."""
    text = " ".join(decl.requirements).lower() + " ".join(
        f.read_text(encoding="utf-8", errors="replace").lower() for f in decl.requirement_files
    )
    extras = ["coverage"]
    if "pytest" in text or (root / "tests").is_dir():
        extras += ["pytest", "pytest-cov"]
    if ("fastapi" in text or "starlette" in text) and not re.search(r"\b(uvicorn|hypercorn|gunicorn)\b", text):
        extras.append("uvicorn")
    return extras


def _build(root: Path, decl: Declared, python: str, version: str) -> ProjectEnvironment:
    extras = _measurement_extras(root, decl)
    folder = _cache_root() / f"{root.name}-{_key(decl, version, extras)}"
    env_python = folder / "bin" / "python"
    marker = folder / ".complete"
    origin = f"check's cached virtualenv {folder} (Python {version}, from {', '.join(s.name for s in decl.sources)})"
    extra_paths = tuple(str(p) for p in (root, root / "src") if p.is_dir())
    if marker.is_file() and env_python.is_file():
        return ProjectEnvironment(str(env_python), origin, extra_paths)
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    note(f"building the project's environment with Python {version} in {folder} (once; cached by its lock file)")
    steps = [[python, "-m", "venv", str(folder)]]
    pip = [str(env_python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    if decl.requirements:
        steps.append([*pip, *decl.requirements])
    for path in decl.requirement_files:
        steps.append([*pip, "-r", str(path)])
    steps.append([*pip, *extras])
    for command in steps:
        try:
            result = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S,
                                    check=False)
        except subprocess.TimeoutExpired as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise EnvironmentUnavailable(
                f"installing the project's dependencies took longer than {INSTALL_TIMEOUT_S:.0f} s",
                hint="create the project's .venv yourself (check uses it as it is)",
            ) from exc
        if result.returncode != 0:
            shutil.rmtree(folder, ignore_errors=True)
            last = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise EnvironmentUnavailable(
                f"could not install the project's dependencies with Python {version}: {' / '.join(last)[:400]}",
                hint="create the project's .venv yourself (check uses it as it is), or fix the failing requirement",
            )
    marker.write_text("ok\n", encoding="utf-8")
    return ProjectEnvironment(str(env_python), origin, extra_paths)


_LOCK = threading.Lock()
_RESOLVED: dict[tuple[str, str | None], ProjectEnvironment | EnvironmentUnavailable] = {}


def project_environment(root: Path, configured: str | None = None) -> ProjectEnvironment:
    """The environment the project's processes run in (found, or built once and cached).

    The outcome, a failure included, is remembered for the life of the process so parallel gates
    wait for one build and report the same cause.
    """
    key = (str(root.resolve()), configured)
    with _LOCK:
        if key not in _RESOLVED:
            try:
                _RESOLVED[key] = _resolve(root, configured)
            except EnvironmentUnavailable as exc:
                _RESOLVED[key] = exc
        outcome = _RESOLVED[key]
    if isinstance(outcome, EnvironmentUnavailable):
        raise outcome
    return outcome


def forget_environments() -> None:
    """Drop the remembered outcomes (a new check run looks again)."""
    with _LOCK:
        _RESOLVED.clear()


def _resolve(root: Path, configured: str | None) -> ProjectEnvironment:
    if configured:
        if not (Path(configured).is_file() or shutil.which(configured)):
            raise EnvironmentUnavailable(
                f"the configured python {configured!r} does not exist", hint="fix python in [tool.backend-agent]"
            )
        return ProjectEnvironment(configured, "the configured python")
    found = own_virtualenv(root)
    if found is not None:
        return ProjectEnvironment(found[0], found[1])
    decl = declared(root)
    spec = requires_python(root)
    python, version = matching_python(spec)
    if not decl.sources:
        return ProjectEnvironment(python, "backend-agent's interpreter (the project declares no dependencies)"
                                  if python == sys.executable else f"Python {version} at {python}")
    if python == sys.executable and _satisfied_here(decl.requirements, decl.requirement_files):
        return ProjectEnvironment(python, "backend-agent's interpreter (it has every declared dependency)")
    if any(source.suffix == ".lock" for source in decl.sources):
        # Pinned versions install best on the oldest Python the project allows (wheels of their time).
        python, version = oldest_matching(spec) or (python, version)
    return _build(root, decl, python, version)


def oldest_matching(spec: str | None) -> tuple[str, str] | None:
    """The oldest installed interpreter (3.9 or newer) satisfying ``spec``."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import Version

    try:
        wanted = SpecifierSet(spec or "")
    except InvalidSpecifier:
        return None
    fits = [(p, v) for p, v in interpreters() if Version(v) >= Version("3.9") and wanted.contains(v, prereleases=True)]
    return min(fits, key=lambda item: Version(item[1])) if fits else None


__all__ = [
    "EnvironmentUnavailable",
    "ProjectEnvironment",
    "declared",
    "forget_environments",
    "interpreters",
    "matching_python",
    "own_virtualenv",
    "project_environment",
    "requires_python",
]
