"""Reading a checked project's settings: ``[tool.backend-agent]`` in pyproject.toml or backend-agent.toml.

Recognised keys (all optional)::

    app = "app.main:app"              # ASGI app path; auto-detected from app/main.py
    start = "uvicorn app.main:app --port {port}"   # or a list of arguments
    database_url = "postgresql+psycopg://..."      # server for throwaway databases
    coverage_threshold = 80           # percent, tests gate
    p95_ms = 100                      # load gate latency bound
    error_rate = 0.001                # load gate error-rate bound (fraction)
    gates = ["tests", "static-security"]           # which gates to run
    skip = ["load"]                   # gates to leave out
    database = "postgresql"           # throwaway database kind (default: what the project needs)
    database_variables = ["APP_DB"]   # the project's own database variables, pointed at check's database
    health_path = "/api/v1/health"    # readiness path; openapi_path likewise (one place for every gate)
    env = { FEATURE_X = "1" }         # extra environment of the project's processes
    auth = { login = "POST /api/users/login" }     # register/login operations for probes

    [tool.backend-agent.iac-policy]   # per-gate options: a table named after the gate
    skip_checks = ["CKV_K8S_43"]
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from backend_agent.errors import ConfigError, Location, Problem, UsageError
from backend_agent.gates._options import AUTH_DESCRIPTION, GATE_OPTIONS, AuthOptions
from backend_agent.gates.base import Target
from backend_agent.gates.registry import GATE_NAMES

CONFIG_FILE = "backend-agent.toml"


class ProjectConfig(BaseModel):
    """The validated top-level keys of a project's backend-agent configuration."""

    model_config = ConfigDict(extra="forbid")

    app: str | None = Field(None, description="ASGI application as 'module.path:attribute'.")
    start: str | list[str] | None = Field(None, description="Command that starts the service; '{port}' is substituted.")
    database_url: str | None = Field(None, description="Database server for throwaway databases.")
    coverage_threshold: float = Field(80.0, ge=0, le=100, description="Minimum line coverage in percent.")
    p95_ms: float = Field(100.0, gt=0, description="Maximum p95 latency per operation in milliseconds.")
    error_rate: float = Field(0.001, ge=0, le=1, description="Maximum error rate under load (fraction).")
    gates: list[str] | None = Field(None, description="Gates to run (default: all).")
    skip: list[str] = Field(default_factory=list, description="Gates to leave out.")
    database: Literal["postgresql", "sqlite"] | None = Field(
        None, description="Kind of throwaway database (default: PostgreSQL when the project needs it, else SQLite)."
    )
    database_variables: list[str] = Field(
        default_factory=list,
        description="The project's own variables that name its database; check points them at its throwaway one.",
    )
    generated_secrets: list[str] = Field(
        default_factory=list,
        description="Variables check fills with a fresh random key (32 bytes as 64 hex characters) per run, "
        "e.g. an encryption key the project refuses to start without.",
    )
    python: str | None = Field(None, description="Interpreter of the project's environment (default: found or built).")
    health_path: str | None = Field(None, description="Readiness path of the service, e.g. '/api/v1/health'.")
    openapi_path: str | None = Field(None, description="Path of the service's OpenAPI document.")
    env: dict[str, str | int | float | bool] | None = Field(None, description="Extra environment of the project's processes.")
    auth: AuthOptions | None = Field(None, description=AUTH_DESCRIPTION)

    @field_validator("app")
    @classmethod
    def _app_path(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", value):
            raise ValueError("must look like 'package.module:app'")
        return value

    @field_validator("gates", "skip")
    @classmethod
    def _known_gates(cls, value: list[str] | None) -> list[str] | None:
        for name in value or []:
            if name not in GATE_NAMES:
                raise ValueError(f"unknown gate {name!r}; valid gates: {', '.join(GATE_NAMES)}")
        return value


def _line_of(text: str, key: str) -> int | None:
    """1-based line of ``key`` in our section (pyproject) or file (backend-agent.toml), if found."""
    section = re.search(r"^\s*\[tool\.backend-agent\]", text, re.MULTILINE)
    start = section.start() if section else 0
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=|^\s*\[.*\b{re.escape(key)}\]", re.MULTILINE)
    match = pattern.search(text, start)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _read_raw(root: Path) -> tuple[dict[str, Any], Path | None, str, str]:
    """Return (raw table, file, file text, key prefix) of the project's configuration."""
    standalone = root / CONFIG_FILE
    if standalone.is_file():
        text = standalone.read_text(encoding="utf-8")
        return _parse(standalone, text), standalone, text, ""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        text = pyproject.read_text(encoding="utf-8")
        table = _parse(pyproject, text).get("tool", {}).get("backend-agent", {})
        if not isinstance(table, dict):
            raise ConfigError(
                f"{pyproject}: [tool.backend-agent] must be a table",
                hint="write it as a [tool.backend-agent] section with key = value lines",
            )
        return table, pyproject, text, "tool.backend-agent."
    return {}, None, "", ""


def _parse(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: invalid TOML: {exc}", hint="fix the TOML syntax (quotes around strings, one key per line)"
        ) from exc


def _validate(raw: dict[str, Any], path: Path | None, text: str, prefix: str) -> tuple[ProjectConfig, dict[str, Any]]:
    top = {key: value for key, value in raw.items() if key not in GATE_NAMES}
    per_gate = {key: value for key, value in raw.items() if key in GATE_NAMES}
    problems: list[Problem] = []
    for gate, value in per_gate.items():
        if not isinstance(value, dict):
            problems.append(
                Problem(
                    f"options of gate {gate!r} must be a table",
                    location=Location(str(path), _line_of(text, gate), key_path=prefix + gate),
                    expected=f"a [{prefix}{gate}] table",
                    hint=f"move the settings into a [{prefix}{gate}] section",
                )
            )
        else:
            problems += _gate_problems(gate, value, path, text, prefix)
    try:
        config = ProjectConfig.model_validate(top)
    except ValidationError as exc:
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"])
            first = str(error["loc"][0]) if error["loc"] else ""
            extra = error["type"] == "extra_forbidden"
            problems.append(
                Problem(
                    f"unknown key {key!r}" if extra else error["msg"],
                    location=Location(str(path), _line_of(text, first), key_path=prefix + key),
                    expected=(
                        "one of: " + ", ".join([*ProjectConfig.model_fields, *GATE_NAMES])
                        if extra
                        else _expected(first)
                    ),
                    hint="remove or rename the key" if extra else f"fix the value of {first!r}",
                )
            )
        config = ProjectConfig.model_validate({})
    if problems:
        raise ConfigError(
            f"invalid backend-agent configuration in {path}",
            problems=problems,
            hint="see `backend-agent check --help` and docs/check-report.md for the recognised keys",
        )
    return config, per_gate


def _gate_problems(gate: str, table: dict[str, Any], path: Path | None, text: str, prefix: str) -> list[Problem]:
    """Problems of one ``[<prefix><gate>]`` table, each located at its key's line."""
    model = GATE_OPTIONS[gate]
    try:
        model.model_validate(table)
    except ValidationError as exc:
        header = re.search(rf"^\s*\[\s*{re.escape(prefix + gate)}(\.[^\]]*)?\s*\]", text, re.MULTILINE)
        problems = []
        for error in exc.errors():
            parts = [str(part) for part in error["loc"] if not str(part).startswith("[")]  # drop "[key]"
            key = ".".join(parts)
            first = parts[0] if parts else ""
            line = None
            name = next((part for part in reversed(parts) if not part.isdigit()), first)
            if header is not None:
                match = re.compile(rf"^\s*[\"']?{re.escape(name)}[\"']?\s*=", re.MULTILINE).search(text, header.start())
                line = text.count("\n", 0, (match or header).start()) + 1
            field = model.model_fields.get(first)
            extra = error["type"] == "extra_forbidden"
            problems.append(
                Problem(
                    f"unknown option {key!r} of gate {gate!r}" if extra else f"{error['msg']} (got {error['input']!r})",
                    location=Location(str(path), line, key_path=f"{prefix}{gate}.{key}"),
                    expected=(
                        "one of: " + ", ".join(model.model_fields)
                        if extra
                        else (field.description if field else None)
                    ),
                    hint="remove or rename the option" if extra else f"fix the value of {first!r}",
                )
            )
        return problems
    return []


def _expected(key: str) -> str | None:
    field = ProjectConfig.model_fields.get(key)
    return field.description if field else None


_FASTAPI_ASSIGN = re.compile(r"^(\w+)\s*(?::[^=]+)?=\s*(?:fastapi\.)?FastAPI\(", re.MULTILINE)
_MODULE_APP = re.compile(r"^(app|application)\s*(?::[^=]+)?=\s*\w", re.MULTILINE)


def detect_app(root: Path) -> str | None:
    """Find a FastAPI application: ``app/main.py`` first, then ``main.py``, then ``<pkg>/main.py``."""
    candidates = [root / "app" / "main.py", root / "main.py"]
    candidates += sorted(p for p in root.glob("*/main.py") if p not in candidates and (p.parent / "__init__.py").exists())
    candidates += sorted(root.glob("src/*/main.py"))
    for path in candidates:
        if not path.is_file():
            continue
        source = path.read_text(encoding="utf-8", errors="replace")
        match = _FASTAPI_ASSIGN.search(source)
        if match is None and "FastAPI(" in source:
            # A factory (``app = create_app()``) whose body builds the FastAPI instance.
            match = _MODULE_APP.search(source)
        if match:
            rel = path.relative_to(root / "src" if path.is_relative_to(root / "src") else root)
            module = ".".join(rel.with_suffix("").parts)
            return f"{module}:{match.group(1)}"
    return None


def load_target(
    path: Path | str,
    *,
    app: str | None = None,
    database_url: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> Target:
    """Build the Target for ``path`` from its configuration, command-line values winning.

    Raises ConfigError for an unreadable or invalid configuration, UsageError for a bad override.
    """
    root = Path(path).resolve()
    if not root.is_dir():
        raise ConfigError(f"{root} is not a folder", hint="pass the project folder to check")
    raw, config_path, text, prefix = _read_raw(root)
    config, per_gate = _validate(raw, config_path, text, prefix)
    values = config.model_dump()
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = value
    try:
        config = ProjectConfig.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = str(error["loc"][0]) if error["loc"] else ""
        option = "--" + key.replace("_", "-")
        raise UsageError(
            f"invalid value for {option}: {error['msg']} (got {error.get('input')!r})",
            hint=f"fix {option}, the " + (_expected(key) or "value").rstrip(".").lower(),
        ) from exc
    start: list[str] | None = None
    if isinstance(config.start, str):
        start = shlex.split(config.start)
    elif config.start:
        start = list(config.start)
    from backend_agent.settings import Settings

    db_url = database_url or config.database_url or Settings().database_url
    options: dict[str, Any] = {
        "coverage_threshold": config.coverage_threshold,
        "p95_ms": config.p95_ms,
        "error_rate": config.error_rate,
        "gates": config.gates,
        "skip": config.skip,
        "config_file": str(config_path) if config_path else None,
        "database": config.database,
        "database_variables": config.database_variables,
        "generated_secrets": config.generated_secrets,
        "python": config.python,
        "health_path": config.health_path,
        "openapi_path": config.openapi_path,
        "env": config.env,
        "auth": config.auth.model_dump(by_alias=True, exclude_none=True) if config.auth else None,
        **per_gate,
    }
    return Target(
        root=root,
        app=app or config.app or detect_app(root),
        start_command=start,
        database_url=db_url,
        options=options,
    )


__all__ = ["CONFIG_FILE", "ProjectConfig", "detect_app", "load_target"]
