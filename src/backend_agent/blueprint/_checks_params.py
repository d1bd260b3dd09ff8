"""Checks of query parameters (query and custom actions), conditions that read them, and list filters."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from backend_agent.blueprint._issues import Issue, Path, unknown
from backend_agent.blueprint.api import PARAM_OPERATORS, Filter, QueryParam
from backend_agent.blueprint.entity import Condition
from backend_agent.blueprint.types import NUMERIC_KINDS, TEXT_KINDS, FieldKind, did_you_mean

if TYPE_CHECKING:
    from backend_agent.blueprint._checks import _Checker
    from backend_agent.blueprint.schema import Auth, AuthOperation

# Types a query string value can carry (no objects, lists, bytes or secrets).
PARAM_KINDS = frozenset({FieldKind.STRING, FieldKind.TEXT, FieldKind.INT, FieldKind.BIGINT, FieldKind.DECIMAL,
                         FieldKind.FLOAT, FieldKind.BOOL, FieldKind.DATE, FieldKind.DATETIME, FieldKind.TIME,
                         FieldKind.UUID, FieldKind.EMAIL, FieldKind.URL, FieldKind.ENUM})
RESERVED_PARAMS = ("limit", "offset", "cursor", "sort", "q")


def check_params(ck: _Checker, ename: str, params: Mapping[str, QueryParam], path: Path,
                 taken: Mapping[str, str] | None = None) -> Iterator[Issue]:
    """Each parameter is a scalar field of its type; names clash with neither paging nor ``taken``."""
    for name, param in params.items():
        where = (*path, name)
        if not name.replace("_", "a").isalnum() or not name[:1].isalpha():
            yield Issue(where, f"parameter name '{name}' is not a plain word", "letters, digits and _ (e.g. min_stars)",
                        "rename it")
            continue
        if name in RESERVED_PARAMS:
            yield Issue(where, f"'{name}' is a paging, sort or search parameter of every list",
                        "another name", f"rename it, e.g. {name}_value")
        if taken and name in taken:
            yield Issue(where, f"'{name}' is already {taken[name]}", "a name used once", "rename one of them")
        kind = param.as_field().parsed.kind
        if kind not in PARAM_KINDS:
            yield Issue((*where, "type"), f"a query parameter cannot be {kind}",
                        "a scalar type (string, int, decimal, bool, date, datetime, enum, ...)",
                        "send it in a request body (`input`) instead")
            continue
        if param.case_insensitive and kind is not FieldKind.ENUM:
            yield Issue((*where, "case_insensitive"), f"case_insensitive applies to enums, not {kind}",
                        "type: enum", "remove case_insensitive")
        if param.case_insensitive and param.values:
            folded = [v.lower() for v in param.values]
            if len(set(folded)) != len(folded):
                yield Issue((*where, "values"), "values differ only by letter case, so a case-insensitive match "
                            "is ambiguous", "values distinct ignoring case", "drop case_insensitive or a value")
        if param.required and param.has_default:
            yield Issue((*where, "default"), "a required parameter never uses its default", "required or a default",
                        "remove one of them")
        ck.field(ename, param.as_field(), where)


def check_param_conditions(ck: _Checker, ename: str, conds: list[Condition], params: Mapping[str, QueryParam],
                           path: Path) -> Iterator[Issue]:
    """``param`` and ``op_param`` of a query action's conditions name fitting parameters."""
    for index, cond in enumerate(conds):
        where = (*path, index)
        if cond.param is not None:
            if cond.value is not None or cond.other_field is not None:
                yield Issue((*where, "param"), "a condition compares with one of `value`, `other_field` or `param`",
                            "exactly one of them", "remove the others")
            param = params.get(cond.param)
            if param is None:
                yield unknown((*where, "param"), "parameter of this query", cond.param, list(params))
            else:
                fld = ck.bp.entities[ename].fields.get(cond.field)
                if fld is not None and not _fits(fld.parsed.kind, param.as_field().parsed.kind):
                    yield Issue((*where, "param"), f"parameter '{cond.param}' is {param.type} but "
                                f"{cond.field} is {fld.type}", f"a parameter of type {fld.type}",
                                f"declare {cond.param} as type: {fld.type}")
        if cond.op_param is not None:
            param = params.get(cond.op_param)
            if param is None:
                yield unknown((*where, "op_param"), "parameter of this query", cond.op_param, list(params))
            else:
                bad = [v for v in (param.values or []) if v.lower() not in PARAM_OPERATORS]
                if param.as_field().parsed.kind is not FieldKind.ENUM or bad or not param.values:
                    yield Issue((*where, "op_param"), f"parameter '{cond.op_param}' must be an enum of operators"
                                + (f"; {', '.join(bad)} is not one" if bad else ""),
                                "type: enum, values from " + ", ".join(PARAM_OPERATORS),
                                f"declare {cond.op_param}: {{type: enum, values: [eq, gte, lte], default: eq}}")
                elif not param.required and not param.has_default:
                    yield Issue((*where, "op_param"), f"parameter '{cond.op_param}' may be absent and then "
                                "the condition has no operator", "required: true or a default",
                                f"add default: {cond.op}")
    used = {c.param for c in conds} | {c.op_param for c in conds}
    for name in params:
        if name not in used:
            yield Issue((*path[:-1], "params", name), f"parameter '{name}' is read by no condition",
                        "a condition with param or op_param naming it", f"add {{field: ..., param: {name}}} to where")


def check_no_params(conds: list[Condition], path: Path) -> Iterator[Issue]:
    """Guards, visible_if and computed conditions have no query string to read."""
    for index, cond in enumerate(conds):
        for key in ("param", "op_param"):
            if getattr(cond, key) is not None:
                yield Issue((*path, index, key), f"`{key}` reads a query parameter, which only a query action's "
                            "`where` has", "value: <literal> or other_field", f"remove `{key}`")


def check_filter_match(ck: _Checker, ename: str, flt: Filter, path: Path) -> Iterator[Issue]:
    """``match: all`` needs a to-many relation: one value per row cannot equal several at once."""
    if flt.match is None:
        return
    if flt.op not in ("eq",):
        yield Issue((*path, "op"), f"a filter with match compares each value with eq, not {flt.op}", "op: eq",
                    "remove op")
    if flt.match == "all":
        side = ck.rels.get(ename, {}).get(flt.relation or "")
        if flt.field is not None or (side is not None and not side.to_many):
            yield Issue((*path, "match"), "match: all needs a to-many relation (a row has one "
                        f"{flt.field or flt.relation}, which cannot equal several values at once)",
                        "relation: <one_to_many or many_to_many>", "use match: any, or filter on a to-many relation")


REPLY_VALUES = ("$user", "$token", "$refresh_token", "$expires_in", "$token_type")
_REPLY_OPERATIONS = ("register", "login", "me", "update_me")


def check_reply(auth: Auth, name: str, op: AuthOperation, path: Path) -> Iterator[Issue]:
    """An auth reply template: known $ values, the user view at most once, nothing it replaces set too."""
    if name not in _REPLY_OPERATIONS:
        yield Issue(path, f"`reply` applies to {', '.join(_REPLY_OPERATIONS)}, not {name}",
                    "one of " + ", ".join(_REPLY_OPERATIONS), "remove it")
        return
    if not op.reply:
        yield Issue(path, "an empty reply", "at least one key, e.g. {user: $user}", "remove reply or add keys")
    for key, value in (op.reply or {}).items():
        if isinstance(value, str) and value.startswith("$") and value not in REPLY_VALUES:
            close = did_you_mean(value, list(REPLY_VALUES))
            yield Issue((*path, key), f"unknown reply value '{value}'", "one of " + ", ".join(REPLY_VALUES),
                        f"did you mean '{close}'?" if close else "use a $ value or a literal")
        if value == "$refresh_token" and not auth.tokens.refresh:
            yield Issue((*path, key), "$refresh_token needs refresh tokens", "auth.tokens.refresh: true",
                        "enable refresh tokens or remove the key")
    if list((op.reply or {}).values()).count("$user") > 1:
        yield Issue(path, "the user view appears twice", "$user at most once", "keep one")
    for key in ("response_envelope", "message"):
        if getattr(op, key) is not None:
            yield Issue((*path[:-1], key), f"`{key}` and `reply` both shape the reply", "one of them",
                        f"move it into reply (e.g. {{user: $user, message: ...}}) and remove `{key}`")
    if op.token == "beside":
        yield Issue((*path[:-1], "token"), "token: beside and `reply` both place the token", "reply's $token",
                    "remove token: beside and put token: $token in reply")


def _fits(field_kind: FieldKind, param_kind: FieldKind) -> bool:
    if field_kind == param_kind:
        return True
    if field_kind in NUMERIC_KINDS and param_kind in NUMERIC_KINDS:
        return True
    return field_kind in TEXT_KINDS | {FieldKind.ENUM} and param_kind in TEXT_KINDS | {FieldKind.ENUM}


__all__ = ["PARAM_KINDS", "REPLY_VALUES", "check_filter_match", "check_no_params", "check_param_conditions", "check_params", "check_reply"]
