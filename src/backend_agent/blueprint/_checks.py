"""Cross-reference and consistency checks of a schema-valid blueprint."""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

from backend_agent.blueprint._checks_api import check_api, check_auth, check_wire
from backend_agent.blueprint._checks_params import check_no_params, check_param_conditions
from backend_agent.blueprint._checks_semantics import check_semantics, list_field_issues
from backend_agent.blueprint._issues import Issue, Path, unknown
from backend_agent.blueprint._relations import ResolvedRelation, resolve_relations
from backend_agent.blueprint.api import Condition, QueryParam
from backend_agent.blueprint.entity import PASCAL, SNAKE, Field, RelationKind
from backend_agent.blueprint.schema import Blueprint, Entity
from backend_agent.blueprint.types import NUMERIC_KINDS, TEXT_KINDS, FieldKind

RESERVED = ("id", "created_at", "updated_at", "deleted_at")
VARCHAR_LIMIT = 10_485_760  # PostgreSQL's largest VARCHAR(n)
# Names the generated Python models cannot carry: keywords, pydantic and SQLAlchemy attributes.
PYTHON_RESERVED = frozenset(keyword.kwlist) | {
    "copy", "dict", "json", "schema", "schema_json", "validate", "construct", "register", "parse_obj",
    "parse_raw", "parse_file", "from_orm", "update_forward_refs", "metadata", "registry",
}


def _builtin_columns(entity: Entity) -> list[str]:
    cols = ["id"]
    if entity.options.timestamps:
        cols += ["created_at", "updated_at"]
    if entity.options.soft_delete:
        cols.append("deleted_at")
    return cols


class _Checker:
    def __init__(self, bp: Blueprint) -> None:
        self.bp = bp
        self.rels = resolve_relations(bp)
        self.issues: list[Issue] = []
        self.user = bp.auth.user_entity if bp.auth and bp.auth.user_entity in bp.entities else None

    def add(self, issue: Issue) -> None:
        self.issues.append(issue)

    def entity_names(self) -> list[str]:
        return list(self.bp.entities)

    def readable(self, ename: str) -> list[str]:
        entity = self.bp.entities[ename]
        return [*_builtin_columns(entity), *entity.fields, *self.rels[ename], *entity.computed]

    def field_or_builtin(self, ename: str, name: str, path: Path, *, what: str = "field") -> Field | None:
        entity = self.bp.entities.get(ename)
        if entity is None:  # an unknown relation target, reported where the relation is declared
            return None
        if name in entity.fields:
            return entity.fields[name]
        if name not in _builtin_columns(entity):
            self.add(unknown(path, f"{what} of {ename}", name, [*_builtin_columns(entity), *entity.fields]))
        return None

    # -- names ---------------------------------------------------------------------------------------

    def names(self) -> None:
        for ename, entity in self.bp.entities.items():
            base: Path = ("entities", ename)
            if not re.match(PASCAL, ename):
                self.add(Issue(base, f"entity name '{ename}' is not PascalCase", "e.g. Article, StockMovement",
                               "rename the entity"))
            seen: dict[str, str] = {}
            for group in ("fields", "relations", "computed"):
                for name in getattr(entity, group):
                    path = (*base, group, name)
                    if not re.match(SNAKE, name):
                        self.add(Issue(path, f"name '{name}' is not snake_case", "e.g. created_by, tag_list",
                                       "use lowercase letters, digits and underscores"))
                    if name in RESERVED:
                        self.add(Issue(path, f"'{name}' is reserved (it is added automatically)",
                                       "a name other than " + ", ".join(RESERVED), "remove it or rename it"))
                    if name in PYTHON_RESERVED or name.startswith("model_"):
                        self.add(Issue(path, f"'{name}' cannot be used as a name in the generated Python models",
                                       "a name that is not a Python keyword, model_*, metadata or a pydantic "
                                       "method", f"rename it, e.g. '{name}_value'"))
                    if name in seen:
                        self.add(Issue(path, f"duplicate name '{name}' (already used in {seen[name]})",
                                       "unique names across fields, relations and computed", "rename one"))
                    seen[name] = group
            for rname, side in self.rels[ename].items():
                if not side.declared and rname in seen:
                    owner = ("entities", side.owner_entity, "relations", side.owner_name, "inverse")
                    self.add(Issue(owner, f"inverse '{rname}' clashes with {ename}.{rname}",
                                   f"a name not used in {ename}", "rename the inverse"))

    # -- fields --------------------------------------------------------------------------------------

    def fields(self) -> None:
        for ename, entity in self.bp.entities.items():
            for fname, field in entity.fields.items():
                self.field(ename, field, ("entities", ename, "fields", fname))

    def semantics(self, ename: str, field: Field, path: Path) -> None:
        """Generated values and encryption at rest."""
        kind = field.parsed.kind
        wanted = {"token": (FieldKind.STRING, FieldKind.TEXT), "uuid": (FieldKind.UUID,),
                  "now": (FieldKind.DATETIME, FieldKind.DATE)}
        if field.generate is not None and kind not in wanted[field.generate]:
            self.add(Issue((*path, "generate"), f"generate: {field.generate} makes a {wanted[field.generate][0]}, "
                           f"not a {kind}", " or ".join(k.value for k in wanted[field.generate]),
                           f"change the type to {wanted[field.generate][0]}"))
        if field.generate is not None and (field.derive is not None or field.has_default):
            self.add(Issue((*path, "generate"), "a generated field has no default or derive", "one of them",
                           "remove default / derive"))
        if field.generate == "token" and field.max_length is not None and field.max_length < 22:
            self.add(Issue((*path, "max_length"), "a generated token needs at least 22 characters",
                           "max_length >= 22", "raise max_length (tokens are 43 characters by default)"))
        if field.encrypted:
            for key in ("unique", "index", "secret"):
                if getattr(field, key):
                    self.add(Issue((*path, key), f"an encrypted field cannot be {key} (the database only sees "
                                   "ciphertext)", "encrypted: true alone", f"remove {key} or encrypted"))
            if field.derive is not None or field.generate is not None:
                self.add(Issue((*path, "encrypted"), "encrypted fields are written by clients",
                               "no derive / generate", "remove one of them"))

    def field(self, ename: str, field: Field, path: Path) -> None:
        self.issues.extend(list_field_issues(self, ename, field, path))
        if field.parsed.kind is FieldKind.LIST:
            if field.read_only and field.write_only:
                self.add(Issue((*path, "write_only"), "a field cannot be read_only and write_only", "one of them",
                               "remove one"))
            return  # item constraints are checked as a field of the item type
        self.semantics(ename, field, path)
        kind = field.parsed.kind
        if kind is FieldKind.ENUM:
            if not field.values:
                self.add(Issue((*path, "type"), "an enum needs `values`", "a non-empty list of values",
                               "add values: [draft, published]"))
            elif len(set(field.values)) != len(field.values):
                self.add(Issue((*path, "values"), "enum values repeat", "distinct values", "remove the duplicate"))
        elif field.values is not None:
            self.add(Issue((*path, "values"), f"`values` only applies to enum fields, not {kind}",
                           "type: enum", "remove `values` or change the type to enum"))
        for key in ("min", "max"):
            if getattr(field, key) is not None and kind not in NUMERIC_KINDS:
                self.add(Issue((*path, key), f"`{key}` only applies to numbers, not {kind}",
                               "int, bigint, decimal or float", f"use {key}_length for text"))
        if field.min is not None and field.max is not None and field.min > field.max:
            self.add(Issue((*path, "min"), f"min {field.min} is greater than max {field.max}",
                           "min <= max", "swap the values"))
        for key in ("min_length", "max_length", "pattern"):
            if getattr(field, key) is not None and kind not in TEXT_KINDS:
                self.add(Issue((*path, key), f"`{key}` only applies to text, not {kind}",
                               "string, text, email or url", f"remove `{key}`"))
        for key in ("min_length", "max_length"):
            value = getattr(field, key)
            if value is not None and value < (1 if key == "max_length" else 0):
                self.add(Issue((*path, key), f"{key} {value} is not allowed", "a positive length",
                               "use a length of at least 1"))
        if (field.max_length is not None and field.max_length > VARCHAR_LIMIT
                and kind in (FieldKind.STRING, FieldKind.EMAIL, FieldKind.URL)):
            self.add(Issue((*path, "max_length"), f"max_length {field.max_length} is more than a VARCHAR holds "
                           f"in PostgreSQL ({VARCHAR_LIMIT})", f"at most {VARCHAR_LIMIT}",
                           "use type: text for long text"))
        if field.min_length is not None and field.max_length is not None and field.min_length > field.max_length:
            self.add(Issue((*path, "min_length"), f"min_length {field.min_length} exceeds max_length "
                           f"{field.max_length}", "min_length <= max_length", "swap the values"))
        if field.pattern is not None:
            try:
                re.compile(field.pattern)
            except re.error as exc:
                self.add(Issue((*path, "pattern"), f"pattern does not compile: {exc}", "a Python regular expression",
                               "escape special characters such as ( [ {"))
        if field.read_only and field.write_only:
            self.add(Issue((*path, "write_only"), "a field cannot be read_only and write_only", "one of them",
                           "keep write_only for inputs such as passwords"))
        if field.read_only and field.required and not field.has_default and field.derive is None:
            self.add(Issue((*path, "read_only"), "a required read_only field has no way to get a value",
                           "a default or a derive rule", "add default: ..., drop required, or derive it"))
        if field.secret and kind is not FieldKind.STRING:
            self.add(Issue((*path, "secret"), f"only string fields can be secret, not {kind}", "type: string",
                           "change the type to string"))
        if field.has_default and field.default is not None:
            problem = value_problem(field, field.default)
            if problem:
                hint = "fix the default"
                if field.parsed.kind in (FieldKind.DATE, FieldKind.DATETIME):
                    hint = ("a default is a fixed value; for the time of writing use options.timestamps "
                            "or a transition's set_now")
                self.add(Issue((*path, "default"), problem, expected_value(field), hint))
        if field.example is not None:
            problem = value_problem(field, field.example, what="example")
            if problem:
                self.add(Issue((*path, "example"), problem, expected_value(field),
                               "fix the example: it is shown in the OpenAPI document and must be valid"))
        if field.derive is not None:
            entity = self.bp.entities[ename]
            source = field.derive.from_
            if source not in entity.fields:
                self.add(unknown((*path, "derive", "from"), f"field of {ename}", source, list(entity.fields)))
            if kind not in TEXT_KINDS:
                self.add(Issue((*path, "derive"), f"only text fields can be derived, not {kind}", "type: string",
                               "change the type to string"))

    # -- relations -----------------------------------------------------------------------------------

    def relations(self) -> None:
        for ename, entity in self.bp.entities.items():
            for rname, rel in entity.relations.items():
                path: Path = ("entities", ename, "relations", rname)
                if rel.target not in self.bp.entities:
                    self.add(unknown((*path, "target"), "entity", rel.target, self.entity_names()))
                    continue
                target = self.bp.entities[rel.target]
                single = rel.kind in (RelationKind.MANY_TO_ONE, RelationKind.ONE_TO_ONE)
                if rel.kind is RelationKind.ONE_TO_MANY:
                    self.one_to_many(ename, rel.target, rel.via, path)
                    if rel.inverse:
                        self.add(Issue((*path, "inverse"), "one_to_many takes `via`, not `inverse`",
                                       "via: <many_to_one on the target>", "replace inverse with via"))
                elif rel.via:
                    self.add(Issue((*path, "via"), f"`via` only applies to one_to_many, not {rel.kind}",
                                   "no via", "remove `via` (use `inverse` to name the reverse side)"))
                clash = target.relations.get(rel.inverse) if rel.inverse else None
                if clash is not None and not (clash.kind is RelationKind.ONE_TO_MANY and clash.target == ename
                                              and clash.via == rname):
                    self.add(Issue((*path, "inverse"), f"inverse '{rel.inverse}' clashes with the relation "
                                   f"{rel.target}.{rel.inverse}", f"a name not used in {rel.target}",
                                   "rename the inverse (or make that relation a one_to_many `via` this one)"))
                if rel.through and rel.kind is not RelationKind.MANY_TO_MANY:
                    self.add(Issue((*path, "through"), "`through` only applies to many_to_many", "no through",
                                   "remove `through`"))
                if rel.column and not single:
                    self.add(Issue((*path, "column"), "`column` only applies to many_to_one/one_to_one",
                                   "no column", "remove `column`"))
                if rel.on_delete == "set_null" and rel.required:
                    self.add(Issue((*path, "on_delete"), "on_delete set_null on a required relation",
                                   "cascade or restrict", "make the relation optional or pick cascade/restrict"))
                if rel.required and not single:
                    self.add(Issue((*path, "required"), f"`required` does not apply to {rel.kind}",
                                   "many_to_one or one_to_one", "remove `required`"))
                resp = rel.response
                if resp is not None:
                    if resp.as_ == "view":
                        if not resp.view:
                            self.add(Issue((*path, "response"), "as: view needs `view`", "view: <a view of target>",
                                           f"add view: one of {', '.join(target.views) or '(none)'}"))
                        elif resp.view not in target.views:
                            self.add(unknown((*path, "response", "view"), f"view of {rel.target}", resp.view,
                                              list(target.views)))
                    if resp.as_ == "values":
                        if not resp.field:
                            self.add(Issue((*path, "response"), "as: values needs `field`", "field: <target field>",
                                           "add field: name"))
                        else:
                            self.field_or_builtin(rel.target, resp.field, (*path, "response", "field"))
                    for index, fname in enumerate(resp.fields or []):
                        self.field_or_builtin(rel.target, fname, (*path, "response", "fields", index))
                req = rel.request
                if req is not None:
                    if req.as_ == "values":
                        if not req.field:
                            self.add(Issue((*path, "request"), "as: values needs `field`", "field: <target field>",
                                           "add field: name"))
                        else:
                            fld = self.field_or_builtin(rel.target, req.field, (*path, "request", "field"))
                            if fld is not None and not fld.unique:
                                self.add(Issue((*path, "request", "field"),
                                               f"{rel.target}.{req.field} is not unique, so it cannot identify a row",
                                               "a unique field", f"add unique: true to {rel.target}.{req.field}"))
                    if req.create_missing and req.as_ != "values":
                        self.add(Issue((*path, "request", "create_missing"), "create_missing needs as: values",
                                       "request: {as: values, field: ...}", "accept values of a unique field"))

    def one_to_many(self, ename: str, tname: str, via: str | None, path: Path) -> None:
        target = self.bp.entities[tname]
        backs = [n for n, r in target.relations.items() if r.kind is RelationKind.MANY_TO_ONE and r.target == ename]
        if not via:
            self.add(Issue((*path, "via"), "one_to_many needs `via`", f"the many_to_one of {tname} to {ename}",
                           f"add via: {backs[0]}" if backs else f"declare a many_to_one on {tname} first"))
        elif via not in backs:
            self.add(unknown((*path, "via"), f"many_to_one of {tname} pointing to {ename}", via, backs))

    # -- computed, views, indexes ---------------------------------------------------------------------

    def computed(self) -> None:
        for ename, entity in self.bp.entities.items():
            for cname, comp in entity.computed.items():
                path: Path = ("entities", ename, "computed", cname)
                side = self.rels[ename].get(comp.relation)
                if side is None:
                    self.add(unknown((*path, "relation"), f"relation of {ename}", comp.relation,
                                      list(self.rels[ename])))
                    continue
                if not side.to_many:
                    self.add(Issue((*path, "relation"), f"'{comp.relation}' is {side.kind}; computed fields need "
                                   "a to-many relation", "one_to_many or many_to_many", "count a collection"))
                self.aggregate(side, comp, path)
                if comp.kind == "membership":
                    if self.user is None:
                        if self.bp.auth is not None:
                            continue
                        self.add(Issue((*path, "kind"), "membership needs an `auth` section",
                                       "auth.user_entity", "add auth: {user_entity: User, identity: [email]}"))
                    elif side.target != self.user:
                        self.add(Issue((*path, "relation"), f"membership checks the current user, but "
                                       f"'{comp.relation}' leads to {side.target}", f"a relation to {self.user}",
                                       "use a relation whose target is the user entity"))

    def aggregate(self, side: ResolvedRelation, comp: Any, path: Path) -> None:
        """avg/sum/min/max of a field of the related rows, and `where` conditions on them."""
        needs_field = comp.kind in ("avg", "sum", "min", "max")
        if needs_field and comp.field is None:
            self.add(Issue((*path, "field"), f"{comp.kind} needs the field it aggregates", "field: <name>",
                           f"add the field of {side.target} to aggregate"))
        if not needs_field and comp.field is not None:
            self.add(Issue((*path, "field"), f"`field` applies to avg, sum, min and max, not {comp.kind}",
                           "no field", "remove it"))
        if (comp.field is not None or comp.where) and side.kind is RelationKind.MANY_TO_MANY:
            self.add(Issue((*path, "relation"), "aggregates and conditions are supported over one_to_many "
                           "relations", "a one_to_many relation", "aggregate the rows that hold the value"))
            return
        if side.target not in self.bp.entities:
            return
        if comp.field is not None:
            target = self.bp.entities[side.target]
            by_sum = comp.kind in ("avg", "sum")
            if (comp.field not in target.fields and comp.field in _builtin_columns(target)
                    and (comp.field == "id" or by_sum)):  # min/max of a timestamp is meaningful: the first, last
                kinds = {*NUMERIC_KINDS, *(() if by_sum else (FieldKind.DATE, FieldKind.DATETIME))}
                numbers = [n for n, f in target.fields.items() if f.parsed.kind in kinds]
                what = "an identifier" if comp.field == "id" else "a timestamp"
                self.add(Issue((*path, "field"), f"{comp.kind} of the built-in '{comp.field}' of {side.target} "
                               f"({what}) is meaningless",
                               f"a declared {'numeric' if by_sum else 'numeric or date'} field "
                               f"of {side.target}" + (f": {', '.join(numbers)}" if numbers else ""),
                               f"aggregate one of {', '.join(numbers)}" if numbers else
                               f"declare the value as a field of {side.target}, e.g. score: int"))
                self.issues.extend(self.conditions(side.target, comp.where, (*path, "where")))
                return
            fld = self.field_or_builtin(side.target, comp.field, (*path, "field"))
            numeric = fld is not None and fld.parsed.kind in NUMERIC_KINDS
            ordered = numeric or (fld is not None and fld.parsed.kind in (FieldKind.DATE, FieldKind.DATETIME))
            if fld is not None and not (numeric if comp.kind in ("avg", "sum") else ordered):
                self.add(Issue((*path, "field"), f"{comp.kind} of '{comp.field}' ({fld.type}) is meaningless",
                               "a number" + ("" if comp.kind in ("avg", "sum") else " or a date"),
                               "aggregate a numeric field"))
        self.issues.extend(self.conditions(side.target, comp.where, (*path, "where")))

    def views(self) -> None:
        for ename, entity in self.bp.entities.items():
            known = self.readable(ename) + (["token"] if ename == self.user else [])
            for vname, view in entity.views.items():
                path: Path = ("entities", ename, "views", vname)
                for index, fname in enumerate(view.fields):
                    if fname not in known:
                        self.add(unknown((*path, "fields", index), f"field of {ename}", fname, known))
                    elif fname in entity.fields and (entity.fields[fname].secret or entity.fields[fname].write_only):
                        self.add(Issue((*path, "fields", index), f"'{fname}' is secret/write_only and is never "
                                       "returned", "a readable field", f"remove {fname} from the view"))
                if view.lookup is not None:
                    self.lookup_field(ename, view.lookup, (*path, "lookup"))
                if view.path is not None:
                    key = view.lookup or entity.lookup or "id"
                    if f"{{{key}}}" not in view.path:
                        self.add(Issue((*path, "path"), f"path '{view.path}' lacks the {{{key}}} placeholder",
                                       f"a path containing {{{key}}}", f"e.g. /{vname}s/{{{key}}}"))

    def lookup_field(self, ename: str, name: str, path: Path) -> None:
        fld = self.field_or_builtin(ename, name, path)
        if fld is not None and not (fld.unique and fld.required):
            self.add(Issue(path, f"lookup key '{name}' is not unique and required, so it cannot identify a row",
                           "a unique, required field", f"add unique: true and required: true to {ename}.{name}"))

    def indexes(self) -> None:
        for ename, entity in self.bp.entities.items():
            columns = _builtin_columns(entity) + list(entity.fields) + [
                n for n, r in entity.relations.items() if r.kind in (RelationKind.MANY_TO_ONE, RelationKind.ONE_TO_ONE)
            ]
            for i, index in enumerate(entity.indexes):
                for j, fname in enumerate(index.fields):
                    if fname not in columns:
                        self.add(unknown(("entities", ename, "indexes", i, "fields", j), f"column of {ename}",
                                          fname, columns))
            for i, group in enumerate(entity.unique_together):
                if len(group) < 2:
                    self.add(Issue(("entities", ename, "unique_together", i), "unique_together needs 2+ fields",
                                   "a list of two or more fields", "use unique: true for a single field"))
                for j, fname in enumerate(group):
                    if fname not in columns:
                        self.add(unknown(("entities", ename, "unique_together", i, j), f"column of {ename}",
                                          fname, columns))
            if entity.lookup is not None:
                self.lookup_field(ename, entity.lookup, ("entities", ename, "lookup"))
            if entity.owner is not None:
                self.owner(ename, entity.owner, ("entities", ename, "owner"))

    def owner(self, ename: str, name: str, path: Path) -> None:
        side = self.rels[ename].get(name)
        many_to_ones = [n for n, r in self.rels[ename].items() if r.kind is RelationKind.MANY_TO_ONE]
        if side is None or side.kind is not RelationKind.MANY_TO_ONE:
            what = "a field" if name in self.bp.entities[ename].fields else ("unknown" if side is None else side.kind)
            self.add(Issue(path, f"owner '{name}' is not a many_to_one relation ({what})",
                           f"one of {', '.join(many_to_ones) or '(no many_to_one relations)'}",
                           "declare a many_to_one relation to the user entity and name it here"))
        elif self.user is None:
            if self.bp.auth is None:  # else the bad auth.user_entity is reported already
                self.add(Issue(path, "ownership needs an `auth` section", "auth.user_entity",
                               "add auth: {user_entity: User, identity: [email]}"))
        elif side.target != self.user:
            self.add(Issue(path, f"owner '{name}' points to {side.target}, not the user entity {self.user}",
                           f"a relation to {self.user}", "point the owner relation at the user entity"))

    def service(self) -> None:
        pag = self.bp.service.pagination
        if pag.default_limit > pag.max_limit:
            self.add(Issue(("service", "pagination", "default_limit"),
                           f"default_limit {pag.default_limit} exceeds max_limit {pag.max_limit}",
                           "default_limit <= max_limit", "raise max_limit or lower default_limit"))

    def run(self) -> list[Issue]:
        self.service()
        self.names()
        self.fields()
        self.relations()
        self.computed()
        self.views()
        self.indexes()
        self.issues.extend(check_auth(self))
        self.issues.extend(check_api(self))
        self.issues.extend(check_wire(self))
        self.issues.extend(check_semantics(self))
        return self.issues

    # -- helpers for the API checks -------------------------------------------------------------------

    def relation(self, ename: str, name: str, path: Path) -> ResolvedRelation | None:
        side = self.rels[ename].get(name)
        if side is None:
            self.add(unknown(path, f"relation of {ename}", name, list(self.rels[ename])))
        return side

    def conditions(self, ename: str, conditions: list[Condition], path: Path,
                   params: Mapping[str, QueryParam] | None = None) -> Iterator[Issue]:
        if params is None:
            yield from check_no_params(conditions, path)
        else:
            yield from check_param_conditions(self, ename, conditions, params, path)
        for index, cond in enumerate(conditions):
            fld = self.field_or_builtin(ename, cond.field, (*path, index, "field"))
            if fld is not None and cond.other_field is None and cond.value is not None:
                problem = value_problem(fld, cond.value, what="value", bounds=False)
                if problem:
                    yield Issue((*path, index, "value"), problem, expected_value(fld),
                                f"compare {cond.field} with a literal of its type, or use other_field")
            if cond.other_field is not None:
                self.field_or_builtin(ename, cond.other_field, (*path, index, "other_field"))
            elif cond.value is None and cond.param is None:
                yield Issue((*path, index), "a condition needs `value` or `other_field`", "value: <literal>",
                            "add value: 0")


_DECIMAL_TEXT = re.compile(r"^-?\d+(\.\d+)?$")
_PARSED: dict[FieldKind, tuple[type, Callable[[str], object]]] = {
    FieldKind.DATE: (date, date.fromisoformat),
    FieldKind.DATETIME: (datetime, datetime.fromisoformat),
    FieldKind.TIME: (time, time.fromisoformat),
    FieldKind.UUID: (UUID, UUID),
}
_SPELLED = {
    FieldKind.DATE: "an ISO date such as 2024-01-31",
    FieldKind.DATETIME: "an ISO timestamp such as 2024-01-31T12:00:00Z",
    FieldKind.TIME: 'a quoted ISO time such as "09:30"',
    FieldKind.UUID: "a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6",
    FieldKind.DECIMAL: 'a number, quoted to keep it exact, e.g. "9.99"',
}


def _misses_pattern(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is None  # JSON Schema patterns are not anchored
    except re.error:
        return False  # reported on its own


def _parses(parse: Callable[[str], object], value: str) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True


def value_problem(field: Field, value: Any, *, what: str = "default", bounds: bool = True) -> str | None:
    """Why ``value`` is not a value of ``field`` (None when it is); ``bounds`` also applies min/max/length."""
    kind = field.parsed.kind
    if kind is FieldKind.BOOL:
        return None if isinstance(value, bool) else f"{what} {value!r} is not a boolean"
    if kind in NUMERIC_KINDS:
        number = value
        if kind is FieldKind.DECIMAL and isinstance(value, str) and _DECIMAL_TEXT.match(value):
            number = float(value)  # decimals may be quoted to keep them exact
        if isinstance(number, bool) or not isinstance(number, int | float):
            return f"{what} {value!r} is not a number"
        if kind in (FieldKind.INT, FieldKind.BIGINT) and not float(number).is_integer():
            return f"{what} {value!r} is not a whole number"
        if bounds and ((field.min is not None and number < field.min) or (field.max is not None and number > field.max)):
            return f"{what} {value!r} is outside min/max"
        return None
    if kind is FieldKind.ENUM:
        return None if value in (field.values or []) else f"{what} {value!r} is not one of the enum values"
    if kind in TEXT_KINDS:
        if not isinstance(value, str):
            return f"{what} {value!r} is not text"
        if bounds and field.max_length is not None and len(value) > field.max_length:
            return f"{what} {value!r} is longer than max_length"
        if bounds and field.min_length is not None and len(value) < field.min_length:
            return f"{what} {value!r} is shorter than min_length"
        if bounds and field.pattern is not None and _misses_pattern(field.pattern, value):
            return f"{what} {value!r} does not match the pattern {field.pattern}"
        return None
    if kind in _PARSED:
        native, parse = _PARSED[kind]
        if kind is FieldKind.DATE and isinstance(value, datetime):
            return f"{what} {value!r} is a timestamp, not a date"
        if isinstance(value, native) or (isinstance(value, str) and _parses(parse, value)):
            return None
        return f"{what} {value!r} is not a {kind}"
    return None


def expected_value(field: Field) -> str:
    """What a value of ``field`` looks like, for error messages."""
    kind = field.parsed.kind
    if kind is FieldKind.ENUM:
        return "one of " + ", ".join(field.values or [])
    return _SPELLED.get(kind, f"a valid {field.type} value")


def check_blueprint(bp: Blueprint) -> list[Issue]:
    """Every cross-reference problem of a schema-valid blueprint."""
    return _Checker(bp).run()


__all__ = ["Issue", "check_blueprint"]
