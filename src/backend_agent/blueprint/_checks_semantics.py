"""Checks of the declarative semantics: list-of-scalar fields, find-or-create / upsert, caller rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from backend_agent.blueprint._issues import Issue, Path, unknown
from backend_agent.blueprint.api import CallerRule, Existing
from backend_agent.blueprint.entity import Field, RelationKind
from backend_agent.blueprint.types import LIST_ITEM_KINDS, TypeSpellingError, did_you_mean, parse_type

if TYPE_CHECKING:
    from backend_agent.blueprint._checks import _Checker
    from backend_agent.blueprint.schema import Blueprint

_ITEM_KEYS = ("min", "max", "min_length", "max_length", "pattern", "values")
_NOT_ON_LISTS = ("unique", "index", "secret", "encrypted")
_LIST_KEYS = ("of", "min_items", "max_items", "item")
_ITEM_NAMES = ", ".join(kind.value for kind in LIST_ITEM_KINDS)


def list_field_issues(ck: _Checker, ename: str, field: Field, path: Path) -> Iterator[Issue]:
    """A `list` field: its item type, counts and item constraints (checked as a field of the item type)."""
    if field.parsed.kind.value != "list":
        for key in _LIST_KEYS:
            if getattr(field, key) is not None:
                yield Issue((*path, key), f"`{key}` only applies to list fields, not {field.type}", "type: list",
                            f"remove `{key}` or change the type to list")
        return
    if field.of is None:
        yield Issue((*path, "type"), "a list field needs `of`, the type of its items", f"one of {_ITEM_NAMES}",
                    "add of: string")
        return
    try:
        kind = parse_type(field.of).kind
    except TypeSpellingError as exc:
        yield Issue((*path, "of"), f"unknown item type '{field.of}'", f"one of {_ITEM_NAMES}",
                    exc.suggestion or f"use one of {_ITEM_NAMES}")
        return
    if kind not in LIST_ITEM_KINDS:
        close = did_you_mean(field.of, [k.value for k in LIST_ITEM_KINDS])
        yield Issue((*path, "of"), f"a list cannot hold {kind} items", f"one of {_ITEM_NAMES}",
                    f"did you mean '{close}'?" if close else "use type: json for nested values")
        return
    for key in _ITEM_KEYS:
        if getattr(field, key) is not None:
            yield Issue((*path, key), f"`{key}` of a list field constrains its items", f"item: {{{key}: ...}}",
                        f"move it under item: item: {{{key}: {getattr(field, key)!r}}}")
    for key in _NOT_ON_LISTS:
        if getattr(field, key):
            yield Issue((*path, key), f"a list field cannot be {key}", "a field of a scalar type",
                        f"remove {key}, or store the values as rows of their own entity")
    for key in ("derive", "generate"):
        if getattr(field, key) is not None:
            yield Issue((*path, key), f"a list field cannot be {key}d", "values sent by clients",
                        f"remove {key}")
    if field.min_items is not None and field.max_items is not None and field.min_items > field.max_items:
        yield Issue((*path, "min_items"), f"min_items {field.min_items} exceeds max_items {field.max_items}",
                    "min_items <= max_items", "swap the values")
    if kind.value == "enum" and not (field.item is not None and field.item.values):
        yield Issue((*path, "of"), "a list of enum values needs the values", "item: {values: [...]}",
                    "add item: {values: [red, green]}")
        return
    ck.field(ename, field.item_field(), (*path, "item"))  # the item's constraints, reported under `item`
    for what in ("default", "example"):
        value = getattr(field, what)
        if value is None or (what == "default" and not field.has_default):
            continue
        problem = list_value_problem(field, value, what)
        if problem:
            yield Issue((*path, what), problem, f"a list of {field.of} values", f"fix the {what}")


def list_value_problem(field: Field, value: object, what: str) -> str | None:
    """Why ``value`` is not a value of the list field (None when it is)."""
    from backend_agent.blueprint._checks import value_problem

    if not isinstance(value, list):
        return f"{what} {value!r} is not a list"
    if field.max_items is not None and len(value) > field.max_items:
        return f"{what} has {len(value)} items, more than max_items {field.max_items}"
    if field.min_items is not None and len(value) < field.min_items:
        return f"{what} has {len(value)} items, fewer than min_items {field.min_items}"
    item = field.item_field()
    for index, one in enumerate(value):
        problem = value_problem(item, one, what=f"{what} item {index}")
        if problem:
            return problem
    return None


def existing_issues(bp: Blueprint, ename: str, existing: Existing, path: Path) -> Iterator[Issue]:
    """Find-or-create / upsert: the natural key must name writable fields that are unique together."""
    entity = bp.entities[ename]
    to_one = {name for name, rel in entity.relations.items()
              if rel.kind in (RelationKind.MANY_TO_ONE, RelationKind.ONE_TO_ONE)}
    known = [*entity.fields, *sorted(to_one)]
    good = True
    for index, name in enumerate(existing.match):
        where = (*path, "match", index)
        if name not in entity.fields and name not in to_one:
            yield unknown(where, f"field or to-one relation of {ename}", name, known)
            good = False
            continue
        fld = entity.fields.get(name)
        if fld is not None and (fld.read_only or fld.generate or fld.secret or fld.encrypted or fld.derive):
            yield Issue(where, f"'{name}' is not sent by clients, so it cannot find the existing row",
                        "a field the create request sets", f"match on another field than {name}")
            good = False
        elif fld is not None and fld.parsed.kind.value == "list":
            yield Issue(where, f"'{name}' is a list; a natural key is made of scalar fields", "a scalar field",
                        "match on another field")
            good = False
        elif name in to_one and name != entity.owner and name != entity.api.parent:
            rel = entity.relations[name]
            if rel.request is not None and rel.request.as_ == "none":
                yield Issue(where, f"'{name}' is not sent by clients, so it cannot find the existing row",
                            "a relation the create request sets", f"match on another field than {name}")
                good = False
    if len(set(existing.match)) != len(existing.match):
        yield Issue((*path, "match"), "the natural key names a field twice", "distinct names", "remove the repeat")
        good = False
    if good and not _unique_set(bp, ename, set(existing.match)):
        spelled = ", ".join(existing.match)
        fix = (f"add unique: true to {ename}.fields.{existing.match[0]}" if len(existing.match) == 1
               else f"add unique_together: [[{spelled}]] to {ename}")
        yield Issue((*path, "match"), f"{spelled} is not unique in {ename}, so several rows could match",
                    "a unique field, or the fields of a unique_together or unique index", fix)


def _unique_set(bp: Blueprint, ename: str, names: set[str]) -> bool:
    entity = bp.entities[ename]
    if len(names) == 1:
        name = next(iter(names))
        fld = entity.fields.get(name)
        if fld is not None and fld.unique:
            return True
        rel = entity.relations.get(name)
        if rel is not None and rel.kind is RelationKind.ONE_TO_ONE:
            return True
    sets = [set(group) for group in entity.unique_together]
    sets += [set(ix.fields) for ix in entity.indexes if ix.unique]
    return names in sets


def caller_issues(bp: Blueprint, rule: CallerRule, public: bool | None, path: Path) -> Iterator[Issue]:
    """A caller rule needs auth and a field of the user entity to compare with."""
    auth = bp.auth
    if auth is None:
        yield Issue(path, "a caller rule compares a value with the signed-in user, but there is no `auth`",
                    "auth.user_entity", "add an auth section")
        return
    if public:
        yield Issue(path, "a caller rule needs a signed-in user, but the operation is public", "public: false",
                    "remove public: true")
    user = bp.entities.get(auth.user_entity)
    if user is None:
        return
    if rule.user_field != "id":
        fld = user.fields.get(rule.user_field)
        if fld is None:
            yield unknown((*path, "user_field"), f"field of {auth.user_entity}", rule.user_field,
                          ["id", *user.fields])
        elif not fld.unique or fld.secret or fld.encrypted:
            yield Issue((*path, "user_field"), f"{auth.user_entity}.{rule.user_field} does not identify one user",
                        "id or a unique field stored in clear", "use user_field: id")


def _list_uses(ck: _Checker, ename: str) -> Iterator[Issue]:
    """A list field is one JSON value: it cannot be filtered, sorted, searched or compared like a column."""
    entity = ck.bp.entities[ename]
    lists = {name for name, fld in entity.fields.items() if fld.parsed.kind.value == "list"}
    if not lists:
        return
    api: Path = ("entities", ename, "api")
    uses: list[tuple[Path, str]] = [((*api, "filters", i, "field"), f.field or "") for i, f in enumerate(entity.api.filters)]
    uses += [((*api, "sort", i), name) for i, name in enumerate(entity.api.sort)]
    uses += [((*api, "search", i), name) for i, name in enumerate(entity.api.search)]
    uses += [((*api, "default_sort"), (entity.api.default_sort or "").lstrip("-+"))]
    uses += [((*api, "visible_if", i, "field"), c.field) for i, c in enumerate(entity.api.visible_if)]
    uses += [((*api, "operations", name, "values_of"), op.values_of or "") for name, op in entity.api.operations.items()]
    for aname, action in entity.actions.items():
        for key in ("where", "guards"):
            uses += [(("entities", ename, "actions", aname, key, i, "field"), c.field)
                     for i, c in enumerate(getattr(action, key, None) or [])]
    for path, name in uses:
        if name in lists:
            yield Issue(path, f"'{name}' is a list (one JSON value), so it cannot be filtered, sorted, searched "
                        "or compared", "a scalar field", "use another field, or keep the values as rows of their "
                        "own entity (a many_to_many) to filter by them")


def check_semantics(ck: _Checker) -> Iterator[Issue]:
    """Find-or-create / upsert and caller rules of every standard operation and action; where lists may appear."""
    for ename, entity in ck.bp.entities.items():
        yield from _list_uses(ck, ename)
        for op_name, op in entity.api.operations.items():
            path: Path = ("entities", ename, "api", "operations", op_name)
            if op.existing is not None:
                if op_name != "create":
                    yield Issue((*path, "existing"), f"`existing` applies to create, not {op_name}", "create",
                                "move it to the create operation")
                else:
                    yield from existing_issues(ck.bp, ename, op.existing, (*path, "existing"))
            if op.caller is not None:
                yield from caller_issues(ck.bp, op.caller, op.public, (*path, "caller"))
        for aname, action in entity.actions.items():
            if action.caller is not None:
                yield from caller_issues(ck.bp, action.caller, action.public,
                                         ("entities", ename, "actions", aname, "caller"))


__all__ = ["caller_issues", "check_semantics", "existing_issues", "list_field_issues", "list_value_problem"]
