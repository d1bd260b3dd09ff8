"""Blueprint -> tables: columns per dialect, keys, checks and indexes (each with its reason)."""

from __future__ import annotations

from backend_agent.blueprint import Blueprint, Entity, Field, FieldKind, RelationKind, ResolvedRelation
from backend_agent.design._types import default_sql, python_type, sql_types, string_length
from backend_agent.design.model import (
    CheckDesign,
    ColumnDesign,
    ForeignKeyDesign,
    IndexDesign,
    TableDesign,
)
from backend_agent.design.naming import identifier, plural, snake

_ON_DELETE = {"cascade": "CASCADE", "set_null": "SET NULL", "restrict": "RESTRICT"}
_NOW = {"sqlite": "CURRENT_TIMESTAMP", "postgresql": "CURRENT_TIMESTAMP"}


def table_name(name: str, entity: Entity) -> str:
    return entity.table or entity.plural or plural(snake(name))


def singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("ses") or word.endswith("xes"):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


# A random (version 4) UUID as SQL, so rows inserted without an id get one in either dialect.
UUID_DEFAULTS = {
    "postgresql": "gen_random_uuid()",
    "sqlite": "(lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) "
              "|| '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' "
              "|| hex(randomblob(6))))",
}


def id_types(id_type: str) -> dict[str, str]:
    if id_type == "uuid":
        return {"sqlite": "CHAR(36)", "postgresql": "UUID"}
    return {"sqlite": "INTEGER", "postgresql": "BIGINT"}


def _py_id(entity: Entity) -> str:
    return "UUID" if entity.options.id_type == "uuid" else "int"


def secret_column(name: str) -> str:
    return f"{name}_hash"


def fk_column(name: str, rel_column: str | None) -> str:
    return rel_column or f"{name}_id"


def join_columns(entity_name: str, side: ResolvedRelation) -> tuple[str, str]:
    """(column pointing at the declaring entity, column pointing at the target) of a join table."""
    own = f"{snake(entity_name)}_id"
    other = f"{snake(side.target)}_id" if side.target != entity_name else f"{singular(side.name)}_id"
    if other == own:
        other = f"{side.name}_id"
    return own, other


def join_table_name(bp: Blueprint, entity_name: str, rel_name: str) -> str:
    rel = bp.entities[entity_name].relations[rel_name]
    return rel.through or identifier(table_name(entity_name, bp.entities[entity_name]), rel_name)


def _field_checks(table: str, col: str, field: Field) -> list[CheckDesign]:
    kind = field.parsed.kind
    checks: list[CheckDesign] = []
    q = f'"{col}"'
    if kind is FieldKind.ENUM:
        values = ", ".join("'" + v.replace("'", "''") + "'" for v in field.values or [])
        expr = f"{q} IN ({values})"
        checks.append(CheckDesign(identifier("ck", table, col, "enum"), {"sqlite": expr, "postgresql": expr},
                                  f"{col} is an enum; a CHECK keeps new values a one-line migration"))
    if field.min is not None:
        expr = f"{q} >= {field.min}"
        checks.append(CheckDesign(identifier("ck", table, col, "min"), {"sqlite": expr, "postgresql": expr},
                                  f"{col} min {field.min}"))
    if field.max is not None:
        expr = f"{q} <= {field.max}"
        checks.append(CheckDesign(identifier("ck", table, col, "max"), {"sqlite": expr, "postgresql": expr},
                                  f"{col} max {field.max}"))
    if field.encrypted:
        return checks  # a ciphertext's length is not the value's: the service checks the value it encrypts
    if field.min_length is not None and field.min_length > 0 and not field.secret:
        sql = {"sqlite": f"length({q}) >= {field.min_length}", "postgresql": f"char_length({q}) >= {field.min_length}"}
        checks.append(CheckDesign(identifier("ck", table, col, "min_length"), sql, f"{col} min_length"))
    if kind is FieldKind.DECIMAL and field.parsed.precision is not None:
        # PostgreSQL refuses a value beyond NUMERIC(p,s); SQLite stores any number (and renders one near
        # the double's limit as JSON no client can read), so it gets an explicit CHECK.
        bound = 10 ** (field.parsed.precision - (field.parsed.scale or 0))
        checks.append(CheckDesign(identifier("ck", table, col, "precision"), {"sqlite": f"abs({q}) < {bound}"},
                                  f"{col} fits {field.parsed} (SQLite ignores NUMERIC precision)"))
    length = string_length(field)
    if length is not None and kind is not FieldKind.ENUM and not field.secret:
        # PostgreSQL enforces VARCHAR(n); SQLite does not, so it gets an explicit CHECK.
        checks.append(CheckDesign(identifier("ck", table, col, "max_length"), {"sqlite": f"length({q}) <= {length}"},
                                  f"{col} max_length (SQLite ignores VARCHAR lengths)"))
    elif kind is FieldKind.TEXT and field.max_length is not None:
        sql = {"sqlite": f"length({q}) <= {field.max_length}", "postgresql": f"char_length({q}) <= {field.max_length}"}
        checks.append(CheckDesign(identifier("ck", table, col, "max_length"), sql, f"{col} max_length"))
    return checks


def _generated_default(field: Field) -> dict[str, str]:
    """SQL defaults of generated values (tokens are made by the service: a database has no good source)."""
    if field.generate == "uuid":
        return dict(UUID_DEFAULTS)
    if field.generate == "now":
        return {"sqlite": "CURRENT_TIMESTAMP", "postgresql": "CURRENT_TIMESTAMP"}
    return {}


def _entity_table(bp: Blueprint, name: str) -> TableDesign:
    entity = bp.entities[name]
    table = table_name(name, entity)
    pk = ColumnDesign(
        "id", id_types(entity.options.id_type), "int" if entity.options.id_type == "int" else "UUID", False, "id",
        primary_key=True, autoincrement=entity.options.id_type == "int",
        default_sql=UUID_DEFAULTS if entity.options.id_type == "uuid" else {},
        comment="surrogate primary key",
    )
    columns = [pk]
    checks: list[CheckDesign] = []
    indexes: list[IndexDesign] = []
    fks: list[ForeignKeyDesign] = []
    field_columns: dict[str, str] = {}
    for fname, field in entity.fields.items():
        col = secret_column(fname) if field.secret else fname
        field_columns[fname] = col
        length = 255 if field.secret else string_length(field)
        ftypes = {"sqlite": "VARCHAR(255)", "postgresql": "VARCHAR(255)"} if field.secret else sql_types(field.parsed, length)
        comment = "hashed (argon2), never returned" if field.secret else field.description
        if field.encrypted:  # nonce + AES-GCM ciphertext, base64: longer than the value and opaque to SQL
            ftypes, length, comment = {"sqlite": "TEXT", "postgresql": "TEXT"}, None, "encrypted (AES-GCM)"
        columns.append(ColumnDesign(
            col, ftypes, "str" if field.secret or field.encrypted else python_type(field.parsed.kind),
            not field.required, "secret" if field.secret else "field", field=fname,
            default_sql=_generated_default(field) or default_sql(field), max_length=length, comment=comment,
        ))
        checks.extend(_field_checks(table, col, field))
        if field.unique:
            indexes.append(IndexDesign(identifier("uq", table, col), [col], True, f"{fname} is unique"))
        elif field.index:
            indexes.append(IndexDesign(identifier("ix", table, col), [col], False,
                                       field.index_reason or f"{fname} is declared indexed"))
    for rname, rel in entity.relations.items():
        if rel.kind not in (RelationKind.MANY_TO_ONE, RelationKind.ONE_TO_ONE):
            continue
        target = bp.entities[rel.target]
        col = fk_column(rname, rel.column)
        field_columns[rname] = col
        on_delete = rel.on_delete or ("restrict" if rel.required else "set_null")
        columns.append(ColumnDesign(
            col, id_types(target.options.id_type), "int" if target.options.id_type == "int" else "UUID",
            not rel.required, "fk", field=rname, comment=f"{rel.kind} {rel.target}",
        ))
        fks.append(ForeignKeyDesign(identifier("fk", table, col), col, table_name(rel.target, target), "id",
                                    _ON_DELETE[on_delete], relation=rname))  # type: ignore[arg-type]
        if rel.kind is RelationKind.ONE_TO_ONE:
            indexes.append(IndexDesign(identifier("uq", table, col), [col], True,
                                       f"one_to_one {rname}: at most one {name} per {rel.target}; also indexes the FK"))
    if entity.options.timestamps:
        for col in ("created_at", "updated_at"):
            columns.append(ColumnDesign(col, {"sqlite": "DATETIME", "postgresql": "TIMESTAMP WITH TIME ZONE"},
                                        "datetime", False, "timestamp", default_sql=dict(_NOW)))
            field_columns[col] = col
    if entity.options.soft_delete:
        columns.append(ColumnDesign("deleted_at", {"sqlite": "DATETIME", "postgresql": "TIMESTAMP WITH TIME ZONE"},
                                    "datetime", True, "soft_delete", comment="set instead of deleting"))
        field_columns["deleted_at"] = "deleted_at"
        indexes.append(IndexDesign(identifier("ix", table, "deleted_at"), ["deleted_at"], False,
                                   "soft delete: every read filters deleted_at IS NULL"))
    field_columns["id"] = "id"
    for idx in entity.indexes:
        cols = [field_columns[f] for f in idx.fields]
        prefix = "uq" if idx.unique else "ix"
        indexes.append(IndexDesign(idx.name or identifier(prefix, table, *cols), cols, idx.unique,
                                   idx.reason or "declared in the blueprint"))
    for group in entity.unique_together:
        cols = [field_columns[f] for f in group]
        indexes.append(IndexDesign(identifier("uq", table, *cols), cols, True, "unique together: " + ", ".join(group)))
    if entity.options.soft_delete:
        _live_rows_only(indexes)
    _query_indexes(entity, table, field_columns, indexes)
    for fk in fks:
        # A partial index skips soft-deleted rows, which ON DELETE checks must still find.
        if not any(ix.columns[0] == fk.column and ix.where is None for ix in indexes):
            indexes.append(IndexDesign(identifier("ix", table, fk.column), [fk.column], False,
                                       f"foreign key to {fk.ref_table}: joins, filters and ON DELETE checks"))
    return TableDesign(table, name, "entity", columns, ["id"], fks, _dedupe(indexes), checks)


def _live_rows_only(indexes: list[IndexDesign]) -> None:
    """Under soft delete, uniqueness holds among live rows: a deleted row's value can be used again."""
    for ix in indexes:
        if ix.unique:
            ix.where = '"deleted_at" IS NULL'
            ix.reason = ix.reason.replace("; also indexes the FK", "") + "; among live rows only (WHERE deleted_at IS NULL), so a soft-deleted row frees its value"


def _query_indexes(entity: Entity, table: str, cols: dict[str, str], indexes: list[IndexDesign]) -> None:
    """Indexes the API's own queries need: filters on fields and the default sort order."""
    wanted: list[tuple[str, str]] = []
    for flt in entity.api.filters:
        if flt.field and flt.field in cols:
            wanted.append((cols[flt.field], f"list filter ?{flt.param}="))
    if entity.api.default_sort:
        key = entity.api.default_sort.lstrip("+-")
        if key in cols and key != "id":
            wanted.append((cols[key], f"default sort order ({entity.api.default_sort}) of lists"))
    for col, reason in wanted:
        if not any(ix.columns[0] == col for ix in indexes):
            indexes.append(IndexDesign(identifier("ix", table, col), [col], False, reason))


def _dedupe(indexes: list[IndexDesign]) -> list[IndexDesign]:
    seen: dict[tuple[tuple[str, ...], bool], IndexDesign] = {}
    for ix in indexes:
        seen.setdefault((tuple(ix.columns), ix.unique), ix)
    return list(seen.values())


def _join_table(bp: Blueprint, name: str, rname: str) -> TableDesign:
    entity = bp.entities[name]
    rel = entity.relations[rname]
    target = bp.entities[rel.target]
    table = join_table_name(bp, name, rname)
    side = ResolvedRelation(name, rname, rel.kind, rel.target, name, rname, True)
    own, other = join_columns(name, side)
    columns = [
        ColumnDesign(own, id_types(entity.options.id_type), _py_id(entity), False, "join", comment=f"the {name}"),
        ColumnDesign(other, id_types(target.options.id_type), _py_id(target), False, "join",
                     comment=f"the {rel.target}"),
        ColumnDesign("created_at", {"sqlite": "DATETIME", "postgresql": "TIMESTAMP WITH TIME ZONE"}, "datetime",
                     False, "timestamp", default_sql=dict(_NOW), comment="when the link was made"),
    ]
    fks = [
        ForeignKeyDesign(identifier("fk", table, own), own, table_name(name, entity), "id", "CASCADE", rname),
        ForeignKeyDesign(identifier("fk", table, other), other, table_name(rel.target, target), "id", "CASCADE",
                         rel.inverse),
    ]
    indexes = [IndexDesign(identifier("ix", table, other), [other], False,
                           f"foreign key to {fks[1].ref_table}: reverse lookups ({rel.inverse or 'counts, membership'}) "
                           "— the primary key only covers the first column")]
    return TableDesign(table, None, "join", columns, [own, other], fks, indexes, [], relation=f"{name}.{rname}")


def build_tables(bp: Blueprint) -> list[TableDesign]:
    """All tables, ordered so referenced tables come first where the graph allows."""
    tables = [_entity_table(bp, name) for name in bp.entities]
    for name, entity in bp.entities.items():
        for rname, rel in entity.relations.items():
            if rel.kind is RelationKind.MANY_TO_MANY:
                tables.append(_join_table(bp, name, rname))
    return _ordered(tables)


def _ordered(tables: list[TableDesign]) -> list[TableDesign]:
    by_name = {t.name: t for t in tables}
    done: list[TableDesign] = []
    placed: set[str] = set()
    visiting: set[str] = set()

    def visit(t: TableDesign) -> None:
        if t.name in placed or t.name in visiting:
            return
        visiting.add(t.name)
        for fk in t.foreign_keys:
            if fk.ref_table != t.name and fk.ref_table in by_name:
                visit(by_name[fk.ref_table])
        visiting.discard(t.name)
        placed.add(t.name)
        done.append(t)

    for t in tables:
        visit(t)
    return done


__all__ = [
    "build_tables",
    "fk_column",
    "id_types",
    "join_columns",
    "join_table_name",
    "secret_column",
    "singular",
    "table_name",
]
