"""Entity semantics: fields, relations, computed fields and views, resolved against the tables."""

from __future__ import annotations

from typing import Any

from backend_agent.blueprint import Blueprint, Condition, Entity, RelationKind, ResolvedRelation
from backend_agent.design._types import canonical_value, json_schema, nullable, python_type, ref
from backend_agent.design.model import (
    ComputedDesign,
    ConditionDesign,
    EntityDesign,
    FieldDesign,
    PathKey,
    RelationDesign,
    ViewDesign,
    ViewField,
)
from backend_agent.design.naming import json_key, pascal, plural, snake
from backend_agent.design.tables import (
    fk_column,
    join_columns,
    join_table_name,
    secret_column,
    singular,
    table_name,
)

_SINGLE = (RelationKind.MANY_TO_ONE, RelationKind.ONE_TO_ONE)


def id_schema(entity: Entity) -> dict[str, Any]:
    if entity.options.id_type == "uuid":
        return {"type": "string", "format": "uuid", "examples": ["3fa85f64-5717-4562-b3fc-2c963f66afa6"]}
    return {"type": "integer", "format": "int64", "examples": [1]}


def _fields(bp: Blueprint, name: str, style: str) -> list[FieldDesign]:
    entity = bp.entities[name]
    out = [FieldDesign("id", "id", entity.options.id_type, entity.options.id_type, "id",
                       "UUID" if entity.options.id_type == "uuid" else "int", True, False, True, True, False, False,
                       False, False, id_schema(entity), builtin=True)]
    for fname, f in entity.fields.items():
        derived = f.derive is not None or f.generate is not None
        writable = not f.read_only and not derived
        out.append(FieldDesign(
            fname, json_key(fname, style), f.type, f.parsed.kind.value,
            secret_column(fname) if f.secret else fname, python_type(f.parsed.kind), f.required,
            not f.required, f.unique, f.read_only or derived, f.write_only or f.secret, f.secret,
            in_create=writable, in_update=writable, json_schema=json_schema(f),
            default=canonical_value(f, f.default),
            has_default=f.has_default, derive_from=f.derive.from_ if f.derive else None,
            derive_transform=f.derive.transform if f.derive else None,
            derive_unique=bool(f.derive and f.derive.unique), derive_on_update=bool(f.derive and f.derive.on_update),
            example=f.example, generate=f.generate, encrypted=f.encrypted,
            of=str(f.item_field().parsed) if f.parsed.kind.value == "list" else None,
        ))
    if entity.options.timestamps:
        for col in ("created_at", "updated_at"):
            out.append(FieldDesign(col, json_key(col, style), "datetime", "datetime", col, "datetime", True, False,
                                   False, True, False, False, False, False,
                                   {"type": "string", "format": "date-time", "examples": ["2024-01-31T12:00:00Z"]},
                                   builtin=True))
    return out


def _relation(bp: Blueprint, ename: str, side: ResolvedRelation, style: str, owner: str | None,
              parent: str | None) -> RelationDesign:
    target = bp.entities[side.target]
    rd = RelationDesign(side.name, json_key(side.name, style), side.kind.value, side.target,
                        table_name(side.target, target), side.declared)
    declared = bp.entities[side.owner_entity].relations.get(side.owner_name)
    if side.kind in _SINGLE and side.is_owner and declared is not None:
        rd.fk_column = fk_column(side.name, declared.column)
        rd.required = declared.required
        rd.on_delete = declared.on_delete or ("restrict" if declared.required else "set_null")
    elif side.kind in (RelationKind.ONE_TO_MANY, RelationKind.ONE_TO_ONE) and declared is not None:
        rd.remote_fk_column = fk_column(side.owner_name, declared.column)
    elif side.kind is RelationKind.MANY_TO_MANY:
        rd.join_table = join_table_name(bp, side.owner_entity, side.owner_name)
        own, other = join_columns(side.owner_entity, bp_side(bp, side))
        rd.join_self_column, rd.join_target_column = (own, other) if side.is_owner else (other, own)
    spec = bp.entities[ename].relations.get(side.name) if side.declared else None
    single = side.kind in _SINGLE and side.is_owner
    resp = spec.response if spec else None
    rd.response_as = resp.as_ if resp else ("id" if single else "none")
    if resp:
        rd.response_fields = list(resp.fields or [])
        rd.response_view = resp.view
        rd.response_field = resp.field
    req = spec.request if spec else None
    default_req = "id" if single and side.name not in (owner, parent) else "none"
    rd.request_as = req.as_ if req else default_req
    if req:
        rd.request_field = req.field
        rd.create_missing = req.create_missing
    if rd.response_as == "id":
        rd.json_name = json_key(f"{side.name}_id" if not side.to_many else f"{singular(side.name)}_ids", style)
    if rd.request_as == "id":
        rd.request_json_name = json_key(f"{side.name}_id" if not side.to_many else f"{singular(side.name)}_ids", style)
    elif rd.request_as == "values":
        rd.request_json_name = json_key(side.name, style)
    rd.loading = _loading(rd)
    return rd


def bp_side(bp: Blueprint, side: ResolvedRelation) -> ResolvedRelation:
    """The declaring side of a relation (the one that owns its storage)."""
    rel = bp.entities[side.owner_entity].relations[side.owner_name]
    return ResolvedRelation(side.owner_entity, side.owner_name, rel.kind, rel.target, side.owner_entity,
                            side.owner_name, True)


def _loading(rd: RelationDesign) -> str:
    if rd.response_as == "none":
        return "not loaded for responses"
    if rd.kind in ("many_to_one", "one_to_one") and rd.response_as == "id":
        return "read from the foreign key column; no query"
    return "selectinload: one extra IN (...) query per page of rows, never one per row"


def _computed(bp: Blueprint, ename: str, rels: dict[str, RelationDesign], style: str) -> list[ComputedDesign]:
    out = []
    for cname, comp in bp.entities[ename].computed.items():
        rd = rels[comp.relation]
        if rd.kind == "many_to_many":
            table, key, user = rd.join_table or "", rd.join_self_column or "", rd.join_target_column
        else:
            table, key, user = rd.target_table, rd.remote_fk_column or "", "id"
        # Soft-deleted rows of the counted table do not count.
        soft = rd.kind != "many_to_many" and bp.entities[rd.target].options.soft_delete
        live = ' AND "deleted_at" IS NULL' if soft else ""
        conditions = _conditions(bp, rd.target, comp.where)
        where = "".join(f" AND {_condition_sql(c)}" for c in conditions)
        schema: dict[str, Any] = {"type": "integer", "minimum": 0} if comp.kind == "count" else {"type": "boolean"}
        if comp.kind in ("avg", "sum", "min", "max") and comp.field:
            target_field = bp.entities[rd.target].fields.get(comp.field)
            column = comp.field
            func = comp.kind.upper()
            value = f'COALESCE(SUM("{column}"), 0)' if comp.kind == "sum" else f'{func}("{column}")'
            sql = (f'SELECT "{key}", {value} FROM "{table}" WHERE "{key}" IN (:ids){live}{where} '
                   f'GROUP BY "{key}"')
            strategy = (f"batched {comp.kind} of {rd.target}.{comp.field}: one GROUP BY query per page of {ename} "
                        "rows" + ("; null when there are no rows" if comp.kind != "sum" else ""))
            shown = json_schema(target_field) if target_field is not None else {"type": "number"}
            if target_field is None and comp.field in ("created_at", "updated_at"):  # builtin timestamps
                shown = {"type": "string", "format": "date-time"}
            shown = {k: v for k, v in shown.items() if k in ("type", "format", "pattern")}
            if comp.kind == "avg":
                shown = {"type": "number", "format": "double"}
            schema = shown if comp.kind == "sum" else nullable(shown)
            out.append(ComputedDesign(cname, json_key(cname, style), comp.kind, comp.relation, table, key, None,
                                      strategy, sql, field=comp.field, conditions=conditions, json_schema=schema))
            continue
        if comp.kind == "count":
            sql = f'SELECT "{key}", COUNT(*) FROM "{table}" WHERE "{key}" IN (:ids){live}{where} GROUP BY "{key}"'
            strategy = f"batched count: one GROUP BY query on {table} per page of {ename} rows"
            user = None
        else:
            sql = f'SELECT "{key}" FROM "{table}" WHERE "{user}" = :user_id AND "{key}" IN (:ids){live}'
            strategy = (f"batched membership: one query on {table} per page for the signed-in user; "
                        "false for anonymous callers without a query")
        out.append(ComputedDesign(cname, json_key(cname, style), comp.kind, comp.relation, table, key, user,
                                  strategy, sql, conditions=conditions, json_schema=schema))
    return out


def _conditions(bp: Blueprint, ename: str, conds: list[Condition]) -> list[ConditionDesign]:
    entity = bp.entities[ename]
    out = []
    for cond in conds:
        fld = entity.fields.get(cond.field)
        value = canonical_value(fld, cond.value) if fld is not None else cond.value
        out.append(ConditionDesign(cond.field, cond.field, cond.op, value, cond.other_field, cond.message))
    return out


_SQL_OPS = {"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def _condition_sql(cond: ConditionDesign) -> str:
    """A condition as SQL with its literal inlined (values come from the blueprint, never from requests)."""
    op = _SQL_OPS[cond.op]
    if cond.other_column:
        return f'"{cond.column}" {op} "{cond.other_column}"'
    if cond.value is None:
        return f'"{cond.column}" IS {"NOT " if cond.op == "ne" else ""}NULL'
    if isinstance(cond.value, bool):
        literal = "TRUE" if cond.value else "FALSE"
    elif isinstance(cond.value, int | float):
        literal = repr(cond.value)
    else:
        literal = "'" + str(cond.value).replace("'", "''") + "'"
    return f'"{cond.column}" {op} {literal}'


def _view_field(bp: Blueprint, ed: EntityDesign, name: str, style: str, schema_names: dict[tuple[str, str], str],
                ) -> ViewField | None:
    for fd in ed.fields:
        if fd.name == name:
            schema = fd.json_schema if fd.required else nullable(fd.json_schema)
            return ViewField(name, fd.json_name, "field", schema)
    for comp in ed.computed:
        if comp.name == name:
            return ViewField(name, comp.json_name, "computed", dict(comp.json_schema))
    for rd in ed.relations:
        if rd.name == name:
            return _relation_field(bp, rd, style, schema_names)
    if name == "token":
        return ViewField("token", "token", "token", {"type": "string", "description": "JWT access token"})
    return None


def _relation_field(bp: Blueprint, rd: RelationDesign, style: str,
                    schema_names: dict[tuple[str, str], str]) -> ViewField:
    target = bp.entities[rd.target]
    many = rd.kind in ("one_to_many", "many_to_many")
    # A view may list a relation that is hidden by default (response: none, or a reverse side):
    # it is then shown as ids.
    shown = "id" if rd.response_as == "none" else rd.response_as
    if shown == "object" and not rd.response_fields:
        shown = "view"
    item: dict[str, Any]
    if shown == "id":
        item = id_schema(target)
    elif shown == "values":
        field = target.fields.get(rd.response_field or "")
        item = json_schema(field) if field else {"type": "string"}
    elif shown == "view":
        item = ref(schema_names[(rd.target, rd.response_view or "default")])
    else:
        props: dict[str, Any] = {"id": id_schema(target)}
        for fname in rd.response_fields:
            f = target.fields.get(fname)
            shown_schema = json_schema(f) if f else {"type": "string", "format": "date-time"}
            props[json_key(fname, style)] = shown_schema if f is None or f.required else nullable(shown_schema)
        item = {"type": "object", "properties": props, "required": list(props)}
    json_name = rd.json_name
    if shown == "id" and rd.response_as == "none":
        json_name = json_key(f"{singular(rd.name)}_ids" if many else f"{rd.name}_id", style)
    if many:
        return ViewField(rd.name, json_name, "relation", {"type": "array", "items": item}, relation_as=shown)
    schema = item if rd.required else nullable(item)
    return ViewField(rd.name, json_name, "relation", schema, relation_as=shown)


def _path_keys(bp: Blueprint, eds: dict[str, EntityDesign], ename: str, depth: int = 0) -> list[PathKey]:
    ed = eds[ename]
    own = PathKey(ed.lookup_param, ename, ed.lookup)
    parent = bp.entities[ename].api.parent
    if parent is None or depth > 8:
        return [own]
    return [*_path_keys(bp, eds, bp.entities[ename].relations[parent].target, depth + 1), own]


def default_view_fields(eds: EntityDesign) -> list[str]:
    """Every readable field, every relation shown in responses, every computed field."""
    fields = [f.name for f in eds.fields if not f.write_only and not f.encrypted]  # ciphers: only when named
    fields += [r.name for r in eds.relations if r.response_as != "none"]
    fields += [c.name for c in eds.computed]
    return fields


def _apply_wire_names(ed: EntityDesign, names: dict[str, str]) -> None:
    """``wire_names`` of the blueprint: the JSON key of any field, relation or computed value."""
    for fd in ed.fields:
        fd.json_name = names.get(fd.name, fd.json_name)
    for rd in ed.relations:
        if rd.name in names:
            if rd.request_json_name == rd.json_name:
                rd.request_json_name = names[rd.name]
            rd.json_name = names[rd.name]
    for comp in ed.computed:
        comp.json_name = names.get(comp.name, comp.json_name)


def build_entities(bp: Blueprint, rels: dict[str, dict[str, ResolvedRelation]], *, style: str,
                   paths: dict[str, tuple[str | None, str | None, str]]) -> dict[str, EntityDesign]:
    """EntityDesign for each entity; ``paths`` gives (collection, item, lookup param) per entity."""
    schema_names: dict[tuple[str, str], str] = {}
    for ename, entity in bp.entities.items():
        schema_names[(ename, "default")] = ename
        for vname, view in entity.views.items():
            if vname != "default":
                schema_names[(ename, vname)] = view.schema_name or f"{ename}{pascal(vname)}"
    out: dict[str, EntityDesign] = {}
    for ename, entity in bp.entities.items():
        tbl = table_name(ename, entity)
        relations = [_relation(bp, ename, side, style, entity.owner, entity.api.parent)
                     for side in rels[ename].values()]
        by_name = {r.name: r for r in relations}
        collection, item, param = paths[ename]
        ed = EntityDesign(
            name=ename, table=tbl, plural=entity.plural or plural(snake(ename)), tag=entity.api.tag or tbl,
            lookup=entity.lookup or "id", lookup_param=param, id_type=entity.options.id_type,
            timestamps=entity.options.timestamps, soft_delete=entity.options.soft_delete, owner=entity.owner,
            owner_column=by_name[entity.owner].fk_column if entity.owner else None,
            visibility=entity.api.visibility, fields=_fields(bp, ename, style), relations=relations,
            computed=_computed(bp, ename, by_name, style), views={}, default_view="default",
            create_schema=f"{ename}Create", update_schema=f"{ename}Update", collection_path=collection,
            item_path=item, parent=entity.api.parent, envelope_item=entity.api.envelope.item,
            envelope_list=entity.api.envelope.list, envelope_count=entity.api.envelope.count,
        )
        _apply_wire_names(ed, entity.wire_names)
        ed.hooks = {k: v for k, v in entity.hooks.model_dump().items() if v}
        out[ename] = ed
    for ename in out:
        out[ename].path_keys = _path_keys(bp, out, ename)
        out[ename].visible_if = [
            ConditionDesign(c.field, out[ename].field(c.field).column if c.field in bp.entities[ename].fields
                            else c.field, c.op, c.value, c.other_field, c.message)
            for c in bp.entities[ename].api.visible_if
        ]
    for ename, entity in bp.entities.items():
        ed = out[ename]
        views = dict(entity.views)
        names = [*views] if "default" in views else ["default", *views]
        for vname in names:
            spec = views.get(vname)
            wanted = spec.fields if spec else default_view_fields(ed)
            vfields = [vf for n in wanted if (vf := _view_field(bp, ed, n, style, schema_names)) is not None]
            ed.views[vname] = ViewDesign(
                vname, schema_names[(ename, vname)], vfields,
                envelope=(spec.envelope if spec else None) or ed.envelope_item,
                path=(bp.service.base_path + spec.path) if spec and spec.path else None,
                lookup=(spec.lookup or ed.lookup) if spec and spec.path else None,
            )
    return out


__all__ = ["build_entities", "id_schema"]
