"""The doctor's fixture: a copy of the clean project with a planted N+1 and missing indexes.

build(tmp_path, n_plus_one=True, missing_index=True)
  n_plus_one     Task.tags loads lazily, so listing a project's tasks runs one query per task
  missing_index  tasks.project_id and tasks.owner_id lose their indexes (model and migration),
                 so listing a project's tasks scans the whole table
"""

from __future__ import annotations

from pathlib import Path

from tests.gates.projects import build as build_clean
from tests.gates.projects import replace

MIGRATION = "alembic/versions/0001_initial_schema.py"


def build(tmp_path: Path, *, n_plus_one: bool = True, missing_index: bool = True) -> Path:
    project = build_clean(tmp_path)
    if n_plus_one:
        replace(
            project,
            "app/models.py",
            'relationship(secondary=task_tags, lazy="selectin", order_by="Tag.id")',
            'relationship(secondary=task_tags, lazy="select", order_by="Tag.id")  # defect: N+1',
        )
    if missing_index:
        for column, parent, following in (
            ("project_id", "projects", "owner_id"),
            ("owner_id", "users", "title"),
        ):
            declared = f'    {column}: Mapped[int] = mapped_column(Int64, ForeignKey("{parent}.id", ondelete="CASCADE")'
            replace(
                project,
                "app/models.py",
                f"{declared}, index=True)\n    {following}",
                f"{declared})\n    {following}",
            )
            replace(
                project,
                MIGRATION,
                f"    op.create_index(op.f('ix_tasks_{column}'), 'tasks', ['{column}'], unique=False)\n",
                "",
            )
    return project
