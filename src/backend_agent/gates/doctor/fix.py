"""``--fix``: write the indexes the doctor proved useful as a new Alembic revision of the project."""

from __future__ import annotations

import configparser
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from backend_agent._atomic import write_atomic
from backend_agent.errors import GateError
from backend_agent.gates._proc import run_process
from backend_agent.gates._project import project_python
from backend_agent.gates.doctor.model import IndexFix, RevisionWritten

TEMPLATES = Path(__file__).with_name("templates")


class FixError(GateError):
    """The revision could not be written (no Alembic, unreadable heads)."""


def versions_dir(root: Path) -> Path:
    """The folder new revisions go into, from alembic.ini's version_locations or script_location."""
    ini = root / "alembic.ini"
    if not ini.is_file():
        raise FixError(
            f"{root} has no alembic.ini, so there is no migration history to add the index to",
            hint="apply the CREATE INDEX statements in the report through your own migration tool",
        )
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ini, encoding="utf-8")
    section = parser["alembic"] if parser.has_section("alembic") else {}
    here = str(root)
    locations = section.get("version_locations")
    if locations:
        first = re.split(r"[\s,;:]+", locations.strip())[0]
        return Path(first.replace("%(here)s", here)).resolve()
    script = section.get("script_location", "alembic").replace("%(here)s", here)
    folder = Path(script)
    return ((folder if folder.is_absolute() else root / folder) / "versions").resolve()


def current_heads(root: Path) -> list[str]:
    """``alembic heads`` run with the project's interpreter (no database is needed for it)."""
    result = run_process([project_python(root), "-m", "alembic", "heads"], cwd=root, timeout_s=60)
    if not result.ok:
        raise FixError(
            f"`alembic heads` failed in {root}: {result.tail(400)}",
            hint="run `alembic heads` by hand and fix the migration history first",
        )
    return re.findall(r"^([0-9A-Za-z_]+)(?:\s|$)", result.stdout, re.MULTILINE)


def write_revision(root: Path, indexes: list[IndexFix]) -> RevisionWritten:
    """Write one revision creating ``indexes`` on top of the current head(s); returns where."""
    heads = current_heads(root)
    folder = versions_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    revision = secrets.token_hex(6)
    unique = {index.name: index for index in indexes}
    down: str | None = heads[0] if len(heads) == 1 else None
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )  # nosec B701 - renders Python source, not HTML
    text = env.get_template("index_revision.py.j2").render(
        message="Add indexes found by backend-agent doctor",
        revision=revision,
        down_revision_text=", ".join(heads) or "<base>",
        down_revision_repr=repr(down) if len(heads) <= 1 else repr(tuple(heads)),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        evidence="; ".join(
            f"{i.create_sql}: {i.before_ms:.2f} ms -> {i.after_ms:.2f} ms" for i in unique.values()
        ),
        indexes=list(unique.values()),
    )
    path = folder / f"{revision}_doctor_add_indexes.py"
    write_atomic(path, text)
    return RevisionWritten(
        path=str(path.relative_to(root) if path.is_relative_to(root) else path),
        revision=revision,
        down_revision=", ".join(heads) or None,
        indexes=list(unique),
    )


__all__ = ["FixError", "current_heads", "versions_dir", "write_revision"]
