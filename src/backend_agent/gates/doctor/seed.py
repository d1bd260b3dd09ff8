"""Fill a migrated throwaway database with realistic volumes, straight through SQLAlchemy Core.

Tables, types, keys and check constraints come from the migrated schema (so from the project's
models and migrations); enums, bounds and lengths are also taken from the OpenAPI document's
properties of the same name. Rows are skewed the way production data is: a share of every
table belongs to the doctor's own signed-in user ("hot" rows), and children pick their parents
with a strong bias towards the first hot ones, so one project has hundreds of tasks and list
pages fill up. The random generator is seeded, so a second run (after ``--fix``) gets the same data.
"""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Column, Engine, MetaData, Table, func, inspect, select, text
from sqlalchemy import types as sqltypes

HOT_SHARE = 0.2
_CHUNK = 2000


@dataclass
class ColumnHints:
    """What is known about the values a column accepts."""

    choices: list[Any] | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    examples: list[str] | None = None  # OpenAPI example values of a string property


@dataclass
class SeedResult:
    """Rows per table, the ids of the rows the doctor's user owns, and what could not be seeded."""

    rows: dict[str, int] = field(default_factory=dict)
    hot_ids: dict[str, list[Any]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    user_table: str | None = None
    seconds: float = 0.0


def openapi_hints(doc: dict[str, Any]) -> dict[str, ColumnHints]:
    """Property name -> hints, from every schema in ``components.schemas`` and every parameter."""
    found: dict[str, ColumnHints] = {}

    def visit(name: str, schema: Any) -> None:
        if not isinstance(schema, dict):
            return
        for option in schema.get("anyOf", []) + schema.get("oneOf", []):
            visit(name, option)
        hints = found.setdefault(name, ColumnHints())
        if schema.get("enum"):
            hints.choices = list(schema["enum"])
        for key, attr in (("minimum", "minimum"), ("maximum", "maximum"), ("maxLength", "max_length")):
            if isinstance(schema.get(key), int | float):
                setattr(hints, attr, schema[key])
        examples = ([schema["example"]] if "example" in schema else []) + list(schema.get("examples") or [])
        strings = [e for e in examples if isinstance(e, str) and e]
        if strings and schema.get("type") == "string":
            hints.examples = strings

    for schema in ((doc.get("components") or {}).get("schemas") or {}).values():
        for name, prop in ((schema or {}).get("properties") or {}).items():
            visit(name, prop)
    return found


_IN = re.compile(r"\b(\w+)\s+IN\s*\(([^)]*)\)", re.IGNORECASE)
_ANY = re.compile(r"\(?(\w+)\s*=\s*ANY\s*\(\s*ARRAY\[([^\]]*)\]", re.IGNORECASE)
_BETWEEN = re.compile(r"\b(\w+)\s+BETWEEN\s+(-?[\d.]+)\s+AND\s+(-?[\d.]+)", re.IGNORECASE)
_LENGTH = re.compile(r"(?:char_)?length\(\(?(\w+)\)?(?:::text)?\)\s*<=\s*(\d+)", re.IGNORECASE)
_COMPARE = re.compile(r"\(?\b(\w+)\s*(>=|>|<=|<)\s*\(?(-?[\d.]+)")


def check_hints(checks: list[str]) -> dict[str, ColumnHints]:
    """Column -> hints parsed from CHECK constraint texts (SQLite and PostgreSQL spellings)."""
    found: dict[str, ColumnHints] = {}
    for sqltext in checks:
        for column, values in _IN.findall(sqltext) + _ANY.findall(sqltext):
            found.setdefault(column, ColumnHints()).choices = re.findall(r"'((?:[^']|'')*)'", values)
        for column, low, high in _BETWEEN.findall(sqltext):
            hints = found.setdefault(column, ColumnHints())
            hints.minimum, hints.maximum = float(low), float(high)
        for column, limit in _LENGTH.findall(sqltext):
            found.setdefault(column, ColumnHints()).max_length = int(limit)
        for column, operator, value in _COMPARE.findall(sqltext):
            if column.lower() in ("length", "char_length"):
                continue
            hints = found.setdefault(column, ColumnHints())
            bound = float(value) + (1 if operator == ">" else -1 if operator == "<" else 0)
            if operator.startswith(">"):
                hints.minimum = bound
            else:
                hints.maximum = bound
    return found


def _merge(*sources: ColumnHints | None) -> ColumnHints:
    merged = ColumnHints()
    for hints in sources:
        if hints is None:
            continue
        merged.choices = merged.choices or hints.choices
        merged.examples = merged.examples or hints.examples
        merged.minimum = merged.minimum if merged.minimum is not None else hints.minimum
        merged.maximum = merged.maximum if merged.maximum is not None else hints.maximum
        lengths = [n for n in (merged.max_length, hints.max_length) if n is not None]
        merged.max_length = min(lengths) if lengths else None
    return merged


class _Generator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.base_time = datetime(2025, 1, 1, tzinfo=UTC)

    def value(self, table: Table, column: Column[Any], index: int, hints: ColumnHints) -> Any:
        kind = column.type
        if hints.choices:
            return hints.choices[index % len(hints.choices)]
        if isinstance(kind, sqltypes.Enum) and kind.enums:
            return kind.enums[index % len(kind.enums)]
        if isinstance(kind, sqltypes.Boolean):
            return index % 2 == 0
        if isinstance(kind, sqltypes.Integer):
            low = int(hints.minimum) if hints.minimum is not None else 0
            high = int(hints.maximum) if hints.maximum is not None else low + 1000
            return self.rng.randint(low, max(low, high))
        if isinstance(kind, sqltypes.Numeric | sqltypes.Float):
            bottom = hints.minimum if hints.minimum is not None else 0.0
            top = hints.maximum if hints.maximum is not None else bottom + 1000.0
            return round(self.rng.uniform(bottom, top), 2)
        if isinstance(kind, sqltypes.DateTime):
            moment = self.base_time + timedelta(seconds=index * 37)
            return moment if getattr(kind, "timezone", False) else moment.replace(tzinfo=None)
        if isinstance(kind, sqltypes.Date):
            return date(2025, 1, 1) + timedelta(days=index % 3650)
        if isinstance(kind, sqltypes.Uuid):
            return uuid.UUID(int=self.rng.getrandbits(128))
        if isinstance(kind, sqltypes.JSON):
            return {}
        if isinstance(kind, sqltypes.LargeBinary):
            return b""
        if isinstance(kind, sqltypes.String):
            return self._text(table, column, index, hints)
        return None if column.nullable else self._text(table, column, index, hints)

    def _text(self, table: Table, column: Column[Any], index: int, hints: ColumnHints) -> str:
        limit = min(n for n in (hints.max_length, getattr(column.type, "length", None), 64) if n)
        name = column.name.lower()
        if "email" in name:
            value = f"u{index}.{table.name[:8]}@example.com"
        elif "hash" in name or "password" in name:
            value = "$argon2id$v=19$m=65536,t=3,p=4$" + f"{self.rng.getrandbits(128):032x}"
        elif hints.examples:  # the API's own example, made unique by the row number
            value = f"{hints.examples[index % len(hints.examples)]} {index}"
        else:
            value = f"{column.name[:10]} {index} {self.rng.choice(_WORDS)} {self.rng.choice(_WORDS)}"
        if len(value) > limit:
            value = f"{index}{column.name}"[:limit]
        return value


_WORDS = ("alpha", "delta", "orbit", "maple", "quartz", "river", "ember", "lumen", "cobalt", "saffron")


def _pick(rng: random.Random, hot: list[Any], every: list[Any], want_hot: bool) -> Any:
    """A parent id: hot rows biased hard towards the first ones, else uniform over all rows."""
    if want_hot and hot:
        return hot[int(len(hot) * rng.random() ** 4)]
    return every[rng.randrange(len(every))]


def seed_database(
    engine: Engine,
    *,
    rows_per_table: int,
    doc: dict[str, Any],
    user_identity: tuple[str, ...] = (),
    random_seed: int = 1234,
) -> SeedResult:
    """Insert ``rows_per_table`` rows into every table (parents first) and return what was done.

    ``user_identity`` holds the signed-in user's username/email; the table and row holding one of
    them become the owner of every hot row.
    """
    rng = random.Random(random_seed)  # nosec B311 - reproducible test data, not secrets
    generator = _Generator(rng)
    metadata = MetaData()
    metadata.reflect(bind=engine)
    inspector = inspect(engine)
    api_hints = openapi_hints(doc)
    result = SeedResult()
    ids: dict[str, list[Any]] = {}
    hot: dict[str, list[Any]] = {}
    doctor_user = _find_user(engine, metadata, user_identity)
    if doctor_user is not None:
        result.user_table = doctor_user[0]
        hot[doctor_user[0]] = [doctor_user[1]]

    for table in metadata.sorted_tables:
        if table.name == "alembic_version":
            continue
        try:
            checks = [c.get("sqltext", "") for c in inspector.get_check_constraints(table.name)]
        except NotImplementedError:
            checks = []
        per_column = check_hints([str(c) for c in checks])
        try:
            made = _seed_table(engine, table, generator, rng, rows_per_table, ids, hot, api_hints, per_column)
        except Exception as exc:  # a table the generator cannot satisfy is reported, the rest still seeded
            result.failures[table.name] = " ".join(str(exc).split())[:300]
            made = 0
        result.rows[table.name] = made
        with engine.connect() as conn:
            ids[table.name] = _id_list(conn, table)
        result.hot_ids[table.name] = hot.get(table.name, [])[:50]
    _after_seeding(engine, metadata)
    return result


def _find_user(engine: Engine, metadata: MetaData, identity: tuple[str, ...]) -> tuple[str, Any] | None:
    if not identity:
        return None
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            pk = list(table.primary_key.columns)
            if len(pk) != 1:
                continue
            for column in table.columns:
                if isinstance(column.type, sqltypes.String):
                    row = conn.execute(select(pk[0]).where(column.in_(list(identity))).limit(1)).first()
                    if row is not None:
                        return table.name, row[0]
    return None


def _id_list(conn: Any, table: Table) -> list[Any]:
    pk = list(table.primary_key.columns)
    if len(pk) != 1:
        return []
    return [row[0] for row in conn.execute(select(pk[0]).order_by(pk[0]))]


def _seed_table(
    engine: Engine,
    table: Table,
    generator: _Generator,
    rng: random.Random,
    count: int,
    ids: dict[str, list[Any]],
    hot: dict[str, list[Any]],
    api_hints: dict[str, ColumnHints],
    check: dict[str, ColumnHints],
) -> int:
    pk = list(table.primary_key.columns)
    integer_key = len(pk) == 1 and isinstance(pk[0].type, sqltypes.Integer) and not pk[0].foreign_keys
    with engine.connect() as conn:
        start = (conn.execute(select(func.max(pk[0]))).scalar() or 0) + 1 if integer_key else 1
    foreign = {
        col.name: next(iter(col.foreign_keys)).column.table.name for col in table.columns if col.foreign_keys
    }
    if any(not ids.get(parent) and table.c[name].nullable is False for name, parent in foreign.items()):
        raise ValueError("a parent table has no rows")
    composite_fk = len(pk) > 1 and all(col.foreign_keys for col in pk)
    seen: set[tuple[Any, ...]] = set()
    rows: list[dict[str, Any]] = []
    table_hot: list[Any] = []
    attempts = 0
    while len(rows) < count and attempts < count * 3:
        attempts += 1
        index = start + len(rows)
        want_hot = rng.random() < HOT_SHARE
        row: dict[str, Any] = {}
        for column in table.columns:
            if integer_key and column is pk[0]:
                row[column.name] = index
            elif column.name in foreign:
                parent = foreign[column.name]
                if not ids.get(parent):
                    row[column.name] = None
                    continue
                row[column.name] = _pick(rng, hot.get(parent, []), ids[parent], want_hot)
            else:
                hints = _merge(check.get(column.name), api_hints.get(column.name))
                row[column.name] = generator.value(table, column, index, hints)
        if composite_fk:
            key = tuple(row[col.name] for col in pk)
            if key in seen:
                continue
            seen.add(key)
        rows.append(row)
        if want_hot and integer_key and table.name not in hot:
            table_hot.append(index)
    with engine.begin() as conn:
        for offset in range(0, len(rows), _CHUNK):
            conn.execute(table.insert(), rows[offset : offset + _CHUNK])
    if table.name not in hot:  # the users table keeps the doctor's own user as its only hot row
        hot[table.name] = table_hot
    return len(rows)


def _after_seeding(engine: Engine, metadata: MetaData) -> None:
    """Move PostgreSQL identity sequences past the explicit ids, and refresh planner statistics."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in metadata.sorted_tables:
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and isinstance(pk[0].type, sqltypes.Integer) and not pk[0].foreign_keys:
                    sequence = conn.execute(
                        text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk[0].name}
                    ).scalar()
                    if sequence:
                        conn.execute(
                            text(
                                f'SELECT setval(:s, (SELECT coalesce(max("{pk[0].name}"), 1) FROM "{table.name}"))'  # nosec B608 - reflected identifiers
                            ),
                            {"s": sequence},
                        )
        conn.execute(text("ANALYZE"))


__all__ = ["ColumnHints", "SeedResult", "check_hints", "openapi_hints", "seed_database"]
