"""Where a checked project's processes run: in a network namespace that reaches only check's database.

Every project process (its tests, its migrations, the started service) gets:

* an environment in which every usual database variable names check's throwaway database:
  ``DATABASE_URL`` (and its common aliases) in the scheme the project's driver expects,
  ``POSTGRES_*``, ``PG*``, ``DB_*``, the database variables of ``.env.example``, while the caller's
  own database variables are dropped, ``HOME`` and ``TMPDIR`` point into check's work folder (no
  ``~/.pgpass``, no ``~/.pg_service.conf``), and a fresh ``SECRET_KEY``;
* with bubblewrap (``bwrap``): its own network namespace whose loopback leads only to that
  database (through a Unix socket relay, see ``_relay``), the project folder mounted read-only so a
  SQLite file the project names itself cannot be written, and the project's ``.env`` replaced by a
  copy whose database variables name check's database.

Without bubblewrap the environment is still overridden, the run says it is not isolated, and the
gates' before/after verification (``_verify``) still stops anything that reached another database.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from backend_agent.gates._database import ThrowawayDatabase
from backend_agent.gates._relay import SCRIPT as RELAY_SCRIPT
from backend_agent.gates._relay import Relay, tcp_to_unix, unix_to_tcp

# Inherited variables that could lead a project process to some other database.
_DB_NAME = re.compile(
    r"^(PG[A-Z]*|POSTGRES\w*|DB_\w*|DATABASE\w*|SQLALCHEMY\w*|SQLITE\w*|MYSQL\w*|MARIADB\w*|MONGO\w*)$"
    r"|\w*(_DATABASE_URL|_DATABASE_URI|_DB_URL|_DB_URI|_DSN|_DB_PATH|_DB_NAME|_DB_FILE)$",
)
_DB_HINT = re.compile(r"DATABASE|POSTGRES|SQLITE|(^|_)DB(_|$)|(^|_)PG|_DSN$")
ENV_EXAMPLES = (".env.example", ".env.sample", ".env.template", ".env.dist", "env.example", ".env.test")


def dotenv_values(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines of a dotenv file (``export``, quotes and comments understood)."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return values
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        key, value = key.strip(), value.strip()
        if not re.fullmatch(r"[A-Za-z_]\w*", key):
            continue
        if value[:1] in ("'", '"') and value[-1:] == value[:1] and len(value) >= 2:
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].strip()
        values[key] = value
    return values


def example_variables(root: Path) -> dict[str, str]:
    """Variables the project documents in ``.env.example`` and its siblings (project folder, then parent)."""
    values: dict[str, str] = {}
    for folder in (root.parent, root):
        for name in ENV_EXAMPLES:
            values.update(dotenv_values(folder / name))
    return values


def _dependency_text(root: Path) -> str:
    parts = []
    for name in ("pyproject.toml", "poetry.lock", "uv.lock", "pdm.lock", "setup.cfg", "setup.py", "Pipfile"):
        path = root / name
        if path.is_file():
            parts.append(path.read_text(encoding="utf-8", errors="replace")[:400_000])
    parts += [p.read_text(encoding="utf-8", errors="replace") for p in sorted(root.glob("requirements*.txt"))]
    parts += [p.read_text(encoding="utf-8", errors="replace") for p in sorted(root.glob("requirements/*.txt"))]
    return "\n".join(parts).lower()


def url_scheme(root: Path) -> str:
    """The PostgreSQL URL scheme the project's driver expects.

    A scheme written in ``.env.example`` wins (``postgres://`` for pydantic v1 DSNs and asyncpg,
    ``postgresql+asyncpg://``, ...); else the driver among the dependencies decides.
    """
    for key, value in example_variables(root).items():
        match = re.match(r"^(postgres(?:ql)?(?:\+\w+)?)://", value)
        if match and _DB_HINT.search(key.upper()):
            return match.group(1)
    deps = _dependency_text(root)
    if re.search(r"\basyncpg\b", deps):
        return "postgresql+asyncpg"
    if re.search(r"\bpsycopg2(-binary)?\b", deps):
        return "postgresql+psycopg2"
    if re.search(r"\bpsycopg\b", deps):
        return "postgresql+psycopg"
    return "postgresql"


def wants_postgres(root: Path) -> bool:
    """True when the project needs PostgreSQL (its variables or drivers say so and SQLite is not its default)."""
    examples = example_variables(root)
    names = [*examples, *dotenv_values(root / ".env"), *dotenv_values(root.parent / ".env"), *variables_read(root)]
    if any(name.upper().startswith(("POSTGRES_", "PG")) for name in names):
        return True
    if any(re.match(r"^postgres", v) for k, v in examples.items() if _DB_HINT.search(k.upper())):
        return True
    deps = _dependency_text(root)
    if not re.search(r"\b(asyncpg|psycopg2?|psycopg2-binary|databases\[postgresql\])\b", deps):
        return False
    sources = "\n".join(_settings_sources(root))
    return "sqlite" not in sources.lower() and bool(re.search(r"POSTGRES|postgres", sources))


def _settings_sources(root: Path) -> Iterator[str]:
    """Text of the files likely to define the project's settings (bounded, for detection only)."""
    from backend_agent.gates._project import walk_files

    for count, path in enumerate(p for p in walk_files(root, skip_tests=True) if p.suffix == ".py"):
        if count > 400:
            return
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if re.search(r"BaseSettings|os\.environ|getenv|env\(", text):
            yield text


_ENV_READ = re.compile(
    r"""(?:environ(?:\.get)?\s*[\[(]|getenv\s*\(|env\s*\(|Field\([^)]*env\s*=)\s*["']([A-Za-z_]\w*)["']"""
)
_SETTINGS_FIELD = re.compile(r"^\s{4}([A-Za-z_]\w*)\s*:\s*[^=\n]+", re.MULTILINE)


_ALIAS = re.compile(r"""\b(?:validation_alias|alias|env)\s*=\s*["']([A-Za-z_]\w*)["']""")


def variables_read(root: Path) -> list[str]:
    """Database-like variables the project reads: os.environ, getenv, settings fields and their
    aliases in its code, and the keys of its ``.env`` files; sorted."""
    names: set[str] = set()
    for text in _settings_sources(root):
        names.update(m.group(1).upper() for m in _ENV_READ.finditer(text))
        names.update(m.group(1).upper() for m in _ALIAS.finditer(text))
        if "BaseSettings" in text:
            for match in _SETTINGS_FIELD.finditer(text):
                line = text[match.start() : text.find("\n", match.end()) if "\n" in text[match.end():] else len(text)]
                if not _ALIAS.search(line):  # an aliased field is read under its alias only
                    names.add(match.group(1).upper())
    for folder in (root, root.parent):
        names.update(key.upper() for key in dotenv_values(folder / ".env"))
    return sorted(name for name in names if _DB_HINT.search(name))


def database_env(
    db: ThrowawayDatabase, root: Path, *, host: str, port: int | None, names: list[str] | tuple[str, ...] = ()
) -> dict[str, str]:
    """Every usual database variable, naming ``db`` as the project sees it from ``host:port``.

    ``names`` are the project's own variables (``database_variables`` in its configuration): a
    name ending in ``_PATH``/``_FILE``/``_DIR`` gets the SQLite file, any other the URL.
    """
    env = _database_env(db, root, host=host, port=port)
    url = env["DATABASE_URL"]
    for name in names:
        if db.dialect == "sqlite" and name.upper().endswith(("_PATH", "_FILE")):
            env[name] = str(db.sqlite_path)
        else:
            env[name] = url
    return env


def _database_env(db: ThrowawayDatabase, root: Path, *, host: str, port: int | None) -> dict[str, str]:
    examples = example_variables(root)
    env: dict[str, str] = {}
    if db.dialect == "sqlite":
        url = db.url if db.sqlite_path is None else f"sqlite:///{db.sqlite_path}"
        for name in ("DATABASE_URL", "DATABASE_URI", "DB_URL", "SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_DATABASE_URL"):
            env[name] = url
        path = str(db.sqlite_path or ":memory:")
        for name in ("SQLITE_PATH", "SQLITE_FILE", "DB_PATH", "DB_FILE", "DATABASE_PATH", "DATABASE_FILE"):
            env[name] = path
        for key, value in examples.items():
            upper = key.upper()
            if not _DB_HINT.search(upper):
                continue
            if value.startswith("sqlite") or upper.endswith(("_URL", "_URI", "_DSN")):
                env[key] = url
            elif re.search(r"\.(db|sqlite3?)$", value) or upper.endswith(("_PATH", "_FILE")):
                env[key] = path
        return env
    assert db.name is not None
    user, password, name = db.user or "postgres", db.password or "check", db.name
    scheme = url_scheme(root)
    url = f"{scheme}://{user}:{password}@{host}:{port}/{name}"
    for alias in ("DATABASE_URL", "DATABASE_URI", "DB_URL", "DB_CONNECTION", "DB_DSN", "POSTGRES_URL", "POSTGRES_DSN",
                  "SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_DATABASE_URL"):
        env[alias] = url
    parts = {"SERVER": host, "HOST": host, "PORT": str(port), "USER": user, "PASSWORD": password, "DB": name,
             "NAME": name, "DATABASE": name}
    for prefix in ("POSTGRES_", "DB_", "DATABASE_"):
        for key, value in parts.items():
            env.setdefault(prefix + key, value)
    env.update({"PGHOST": host, "PGPORT": str(port), "PGUSER": user, "PGPASSWORD": password, "PGDATABASE": name})
    for key, value in examples.items():
        upper = key.upper()
        if key in env or not _DB_HINT.search(upper):
            continue
        if re.match(r"^\w+(\+\w+)?://", value):
            scheme_here = value.split("://", 1)[0]
            env[key] = f"{scheme_here}://{user}:{password}@{host}:{port}/{name}"
        elif upper.endswith(("_HOST", "_SERVER")):
            env[key] = host
        elif upper.endswith("_PORT"):
            env[key] = str(port)
        elif upper.endswith(("_USER", "_USERNAME")):
            env[key] = user
        elif upper.endswith(("_PASSWORD", "_PASS")):
            env[key] = password
        elif upper.endswith(("_DB", "_NAME", "_DATABASE")):
            env[key] = name
    return env


def bubblewrap() -> str | None:
    """Path of ``bwrap`` when it can create a network namespace here, else None."""
    path = shutil.which("bwrap")
    if path is None:
        return None
    return path if _bwrap_works(path) else None


_BWRAP_OK: dict[str, bool] = {}


def _bwrap_works(path: str) -> bool:
    if path not in _BWRAP_OK:
        import subprocess

        probe = subprocess.run(
            [path, "--dev-bind", "/", "/", "--unshare-net", "true"], capture_output=True, timeout=30, check=False
        )
        _BWRAP_OK[path] = probe.returncode == 0
    return _BWRAP_OK[path]


@dataclass
class Sandbox:
    """The place and environment of a project's processes for one gate."""

    root: Path
    db: ThrowawayDatabase
    workdir: Path
    env: dict[str, str]  # complete environment (not to be merged with the caller's)
    bwrap: str | None
    db_port: int | None  # port of the database as the project sees it
    db_socket: Path | None = None
    env_files: dict[Path, Path] = field(default_factory=dict)  # project .env -> check's replacement
    exposed: dict[int, Path] = field(default_factory=dict)  # service port -> socket
    _relays: list[Relay] = field(default_factory=list)

    @property
    def isolated(self) -> bool:
        return self.bwrap is not None

    def describe(self) -> str:
        isolation = (
            "in a network namespace that reaches only that database"
            if self.isolated
            else "WITHOUT network isolation (install bubblewrap to keep other databases unreachable)"
        )
        return f"{self.db.where}; project processes ran {isolation}"

    def expose(self, port: int) -> None:
        """Make a service listening on ``port`` inside the namespace reachable on the host's ``127.0.0.1:port``."""
        if not self.isolated or port in self.exposed:
            return
        sock = self.workdir / f"service-{port}.sock"
        self.exposed[port] = sock
        self._relays.append(tcp_to_unix(port, sock))

    def service_socket(self, port: int) -> Path:
        """A socket file for a service that can listen on one; the host's ``127.0.0.1:port`` leads to it."""
        self.expose(port)
        return self.exposed[port]

    def wrap(self, command: list[str], *, expose: int | None = None) -> list[str]:
        """``command`` as run inside the namespace (unchanged without bubblewrap)."""
        if self.bwrap is None:
            return command
        args = [self.bwrap, "--dev-bind", "/", "/", "--unshare-net", "--die-with-parent",
                "--ro-bind", str(self.root), str(self.root)]
        for original, replacement in self.env_files.items():
            args += ["--ro-bind", str(replacement), str(original)]
        args += ["--chdir", str(self.root), sys.executable, "-I", str(RELAY_SCRIPT)]
        if self.db_socket is not None and self.db_port is not None:
            args += ["--db", f"{self.db_port}={self.db_socket}"]
        if expose is not None:
            self.expose(expose)
            args += ["--expose", f"{self.exposed[expose]}={expose}"]
        return [*args, "--", *command]

    def close(self) -> None:
        for relay in self._relays:
            relay.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _inherited_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not _DB_NAME.match(k.upper()) and k not in ("VIRTUAL_ENV",)}


def _replacement_env_files(root: Path, workdir: Path, db_vars: Mapping[str, str]) -> dict[Path, Path]:
    """For each ``.env`` the project may read, a copy whose database variables name check's database."""
    files: dict[Path, Path] = {}
    for index, original in enumerate(p for p in (root / ".env", root.parent / ".env") if p.is_file()):
        lines = []
        for raw in original.read_text(encoding="utf-8", errors="replace").splitlines():
            key = raw.strip().removeprefix("export ").split("=", 1)[0].strip()
            if key in db_vars or (key and _DB_NAME.match(key.upper())):
                continue  # replaced below, or some other database's variable: dropped
            lines.append(raw)
        lines += [f"{key}={value}" for key, value in db_vars.items()]
        replacement = workdir / f"dotenv-{index}"
        replacement.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files[original] = replacement
    return files


@contextmanager
def project_sandbox(
    root: Path,
    db: ThrowawayDatabase,
    *,
    extra_env: Mapping[str, str] | None = None,
    database_variables: list[str] | tuple[str, ...] = (),
    isolate: bool = True,
    generated_secrets: list[str] | tuple[str, ...] = (),
) -> Iterator[Sandbox]:
    """The sandbox for one gate's project processes on ``db``; relays and work folder removed afterwards.

    ``generated_secrets``: variables the project needs a key in (e.g. an encryption key); each gets 32
    fresh random bytes as 64 hex characters, never a value from the project's files.
    """
    workdir = Path(tempfile.mkdtemp(prefix="ba-sandbox-"))
    with ExitStack() as stack:
        sandbox_holder: list[Sandbox] = []

        def cleanup() -> None:
            for made in sandbox_holder:
                made.close()
            shutil.rmtree(workdir, ignore_errors=True)

        stack.callback(cleanup)
        bwrap = bubblewrap() if isolate else None
        db_socket: Path | None = None
        if db.dialect == "postgresql":
            assert db.host is not None and db.port is not None
            if bwrap is not None and db.socket_path is not None:
                db_socket = db.socket_path  # check's own server: straight to its socket, one hop
                host, port = "127.0.0.1", db.port
            elif bwrap is not None:
                db_socket = workdir / "database.sock"
                relay = unix_to_tcp(db_socket, db.host, db.port)
                stack.callback(relay.close)
                host, port = "127.0.0.1", db.port
            else:
                host, port = db.host, db.port
        else:
            host, port = "127.0.0.1", None
        db_vars = database_env(db, root, host=host, port=port, names=database_variables)
        (workdir / "home").mkdir()
        (workdir / "tmp").mkdir()
        env = {
            **_inherited_env(),
            **{k: v for k, v in example_variables(root).items() if not _DB_NAME.match(k.upper())},
            "HOME": str(workdir / "home"),
            "TMPDIR": str(workdir / "tmp"),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "SECRET_KEY": secrets.token_urlsafe(48),
            **{name: secrets.token_hex(32) for name in generated_secrets},
            **{k: str(v) for k, v in (extra_env or {}).items()},
            **db_vars,
        }
        sandbox = Sandbox(
            root=root, db=db, workdir=workdir, env=env, bwrap=bwrap, db_port=port, db_socket=db_socket,
            env_files=_replacement_env_files(root, workdir, db_vars) if bwrap else {},
        )
        sandbox_holder.append(sandbox)
        yield sandbox


__all__ = [
    "Sandbox",
    "bubblewrap",
    "database_env",
    "dotenv_values",
    "example_variables",
    "project_sandbox",
    "url_scheme",
    "variables_read",
    "wants_postgres",
]
