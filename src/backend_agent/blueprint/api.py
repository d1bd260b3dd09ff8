"""Spec models of an entity's API: operations, filters, envelopes and actions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field as PydField
from pydantic import field_validator, model_validator

from backend_agent.blueprint.entity import JSON_KEY, Condition, Field, Spec

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
OperationName = Literal["list", "get", "create", "update", "delete"]
OPERATION_NAMES: tuple[OperationName, ...] = ("list", "get", "create", "update", "delete")
RATE_LIMIT = r"^\d+/(second|minute|hour|day)$"
PATH = r"^(/[A-Za-z0-9_.{}-]+)+$"
HANDLER = r"^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*$"
OPERATION_ID = r"^[A-Za-z_][A-Za-z0-9_]*$"
Outcome = Literal["invalid", "unauthorized", "forbidden", "not_found", "conflict", "rate_limited"]
OUTCOMES: tuple[Outcome, ...] = ("invalid", "unauthorized", "forbidden", "not_found", "conflict", "rate_limited")


class WireShape(Spec):
    """What any operation may set about its exact wire shape (blueprint-first mode)."""

    status: int | None = PydField(default=None, ge=200, le=299, description="Success status (default by kind).")
    operation_id: str | None = PydField(default=None, pattern=OPERATION_ID, description="OpenAPI operationId.")
    tag: str | None = PydField(default=None, min_length=1, description="OpenAPI tag.")
    statuses: dict[Outcome, int] = PydField(default_factory=dict, description=(
        "Status per outcome, e.g. {invalid: 400, conflict: 422}; default service.errors.statuses."))


class Existing(Spec):
    """Find-or-create or upsert: what a create does when a row with the same natural key already exists."""

    match: list[str] = PydField(min_length=1, description=(
        "The fields forming the natural key (a unique field, or the fields of a unique_together)."))
    then: Literal["return", "update"] = PydField(default="return", description=(
        "return: answer the existing row as it is (find-or-create); update: write the request into it (upsert)."))
    status: int = PydField(default=200, ge=200, le=299, description="Status when the row existed (created: 201).")

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = {"match": [value]}
        if isinstance(value, dict) and isinstance(value.get("match"), str):
            value = {**value, "match": [value["match"]]}
        return value


class CallerRule(Spec):
    """A path, query or body value that must be the signed-in user, e.g. {user_id} of /users/{user_id}/orders."""

    in_: Literal["path", "query", "body"] = PydField(alias="in", description="Where the value is sent.")
    name: str = PydField(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$", description=(
        "The parameter or body property, as clients spell it."))
    user_field: str = PydField(default="id", description="The field of the user entity it must equal.")
    status: Literal[401, 403, 404] = PydField(default=403, description=(
        "The answer when it is someone else: 401, 403, or 404 to not reveal that the row exists."))


def _upper_method(value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get("method"), str):
        return {**value, "method": value["method"].upper()}
    return value


class Operation(WireShape):
    """Overrides of one standard operation (list, get, create, update, delete)."""

    path: str | None = PydField(default=None, pattern=PATH, description="Custom path (under the service base path).")
    method: HttpMethod | None = PydField(default=None, description="Custom HTTP method.")
    summary: str | None = None
    public: bool | None = PydField(default=None, description="No token needed (default: reads follow visibility).")
    roles: list[str] | None = PydField(default=None, description="Only these roles may call it.")
    owner_only: bool | None = PydField(default=None, description="Only the owner or an admin (default on update/delete).")
    view: str | None = PydField(default=None, description="View returned (default: the entity's default view).")
    envelope: str | None = PydField(default=None, pattern=JSON_KEY,
                                    description="Override the envelope key of this operation.")
    rate_limit: str | None = PydField(default=None, pattern=RATE_LIMIT, description="e.g. 10/minute")
    cache_ttl: int | None = PydField(default=None, ge=0, description="Seconds a read may be cached.")
    idempotent: bool | None = PydField(default=None, description="POST honours an Idempotency-Key header.")
    paginate: bool | None = PydField(default=None, description="list: paginate (default true).")
    values_of: str | None = PydField(default=None, description="list: return only this field's values.")
    fields: list[str] | None = PydField(default=None, description=(
        "create/update: the only fields (and relations) the request accepts."))
    open: bool = PydField(default=False, description="create/update: accept (and ignore) unknown request keys.")
    bare: bool = PydField(default=False, description="list: answer a bare JSON array, no envelope object.")
    existing: Existing | None = PydField(default=None, description=(
        "create: find-or-create ({match: [name]}) or upsert ({match: [sku], then: update}) by a natural key."))
    caller: CallerRule | None = PydField(default=None, description=(
        "A path, query or body value that must be the signed-in user, e.g. {in: path, name: user_id}."))
    template: str | None = PydField(default=None, pattern=r"^[A-Za-z0-9_./-]+\.(html|txt)(\.j2)?$", description=(
        "get or list: answer text/html (a .html template, autoescaped) or text/plain (.txt) rendered from "
        "templates/<file> beside the blueprint, which sees the row as `row` (a list: `rows`, and `page.total`)."))

    @model_validator(mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return _upper_method(value)


class Envelope(Spec):
    """Wrapping keys: {item: {...}}, {list: [...], count: n}."""

    item: str | None = PydField(default=None, pattern=JSON_KEY)
    list: str | None = PydField(default=None, pattern=JSON_KEY)
    count: str | None = PydField(default=None, pattern=JSON_KEY, description="Key of the total count beside the list.")


class Filter(Spec):
    """A query parameter filtering a list: by a field, a related entity's key, or membership."""

    param: str = PydField(pattern=r"^[a-zA-Z][a-zA-Z0-9_]*$")
    field: str | None = PydField(default=None, description="A field of this entity.")
    relation: str | None = PydField(default=None, description="A relation of this entity.")
    key: str | None = PydField(default=None, description="The target field matched (default: its lookup).")
    op: Literal["eq", "ne", "lt", "lte", "gt", "gte", "contains", "in"] = "eq"
    match: Literal["any", "all"] | None = PydField(default=None, description=(
        "The parameter may repeat (?tag=a&tag=b): rows matching any of the values, or (to-many relations) all "
        "of them."))


PARAM_OPERATORS: tuple[str, ...] = ("eq", "ne", "lt", "lte", "gt", "gte")


class QueryParam(Spec):
    """A typed query parameter of a query or custom action (``?threshold=5&op=gte``)."""

    type: str = PydField(description="A scalar type: string, int, decimal, bool, date, datetime, enum, ...")
    required: bool = PydField(default=False, description="The request must send it.")
    default: Any = PydField(default=None, description="Value used when the request does not send it.")
    values: list[str] | None = PydField(default=None, description="enum: the allowed values.")
    case_insensitive: bool = PydField(default=False, description=(
        "enum: accept any letter case (?op=GTE); the handler and the conditions see the declared spelling."))
    min: int | float | None = PydField(default=None, description="Smallest allowed number.")
    max: int | float | None = PydField(default=None, description="Largest allowed number.")
    min_length: int | None = PydField(default=None, description="Shortest allowed text.")
    max_length: int | None = PydField(default=None, description="Longest allowed text.")
    pattern: str | None = PydField(default=None, description="A regular expression the text must match.")
    description: str = ""

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return {"type": value} if isinstance(value, str) else value

    @field_validator("type")
    @classmethod
    def _check_type(cls, value: str) -> str:
        return Field.check_type_name(value)

    def as_field(self) -> Field:
        """The parameter as a field of its type, for the type, default and bound checks fields get."""
        data = self.model_dump(exclude_unset=True, exclude={"case_insensitive"})
        data["type"] = self.type
        return Field.model_validate(data)

    @property
    def has_default(self) -> bool:
        return "default" in self.model_fields_set


class EntityApi(Spec):
    """The REST resource of an entity."""

    path: str | None = PydField(default=None, pattern=PATH, description="Collection path (default /<plural>).")
    tag: str | None = None
    parent: str | None = PydField(default=None, description="A many_to_one relation to nest under (its item path).")
    param: str | None = PydField(default=None, pattern=r"^[a-zA-Z][a-zA-Z0-9_]*$", description=(
        "Name of the item path parameter (default: the lookup field's name)."))
    operations: dict[OperationName, Operation] = PydField(
        default_factory=lambda: {name: Operation() for name in OPERATION_NAMES},
        description="Which standard operations exist; a list of names or a map of overrides.",
    )
    envelope: Envelope = PydField(default_factory=lambda: Envelope())
    filters: list[Filter] = PydField(default_factory=list)
    sort: list[str] = PydField(default_factory=list, description="Fields clients may sort by.")
    default_sort: str | None = PydField(default=None, description="e.g. -created_at")
    search: list[str] = PydField(default_factory=list, description="Text fields searched by ?q=.")
    visibility: Literal["public", "authenticated", "owner"] = PydField(
        default="public", description="Who may read: anyone, any signed-in user, or only the owner (and admins)."
    )
    visible_if: list[Condition] = PydField(
        default_factory=list,
        description="Rows matching all conditions are readable as `visibility` says; other rows only by "
        "their owner and admins (e.g. published articles vs drafts).",
    )

    @model_validator(mode="before")
    @classmethod
    def _ops_list(cls, value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("operations"), list):
            ops = value["operations"]
            if all(isinstance(op, str) for op in ops):
                return {**value, "operations": {op: {} for op in ops}}
        if isinstance(value, dict) and isinstance(value.get("operations"), dict):
            ops = {k: ({} if v is None else v) for k, v in value["operations"].items()}
            return {**value, "operations": ops}
        return value


class _ActionBase(WireShape):
    path: str | None = PydField(
        default=None, pattern=PATH, description="Path under the base path (default: <item path>/<action name>)."
    )
    method: HttpMethod | None = None
    summary: str | None = None
    public: bool | None = None
    roles: list[str] | None = None
    view: str | None = PydField(default=None, description="View returned.")
    rate_limit: str | None = PydField(default=None, pattern=RATE_LIMIT)
    caller: CallerRule | None = PydField(default=None, description=(
        "A path, query or body value that must be the signed-in user, e.g. {in: path, name: user_id}."))

    @model_validator(mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return _upper_method(value)


class ToggleAction(_ActionBase):
    """Add/remove the current user to a many_to_many relation (POST adds, DELETE removes; idempotent)."""

    kind: Literal["toggle"]
    relation: str
    remove_method: HttpMethod = "DELETE"


class FeedScope(Spec):
    relation: str = PydField(description="many_to_one relation of this entity to the user entity (e.g. author).")
    through: str = PydField(description="Relation of the user entity giving the allowed users (e.g. following).")


class FeedAction(_ActionBase):
    """A collection scoped to the current user (e.g. articles by authors I follow)."""

    kind: Literal["feed"]
    scope: FeedScope


class QueryAction(_ActionBase):
    """A named filtered collection (e.g. low stock: quantity <= reorder_level)."""

    kind: Literal["query"]
    where: list[Condition] = PydField(min_length=1)
    params: dict[str, QueryParam] = PydField(default_factory=dict, description=(
        "Typed query parameters the conditions read (`param: name` for a value, `op_param: name` for the operator)."))


class TransitionAction(_ActionBase):
    """Move an enum field from some states to another, if the guards hold."""

    kind: Literal["transition"]
    field: str
    from_: list[str] = PydField(alias="from", min_length=1)
    to: str
    guards: list[Condition] = PydField(default_factory=list)
    guard: str | None = PydField(default=None, pattern=HANDLER, description="module:function returning an error or None.")
    owner_only: bool | None = None
    set_now: str | None = PydField(default=None, description="A datetime field set to now on the transition.")


class CustomAction(_ActionBase):
    """An operation whose body is a Python function in a user-owned module."""

    kind: Literal["custom"]
    handler: str = PydField(pattern=HANDLER, description="package.module:function")
    target: Literal["item", "collection"] = "item"
    input: dict[str, Field] = PydField(default_factory=dict, description="Request body fields.")
    params: dict[str, QueryParam] = PydField(default_factory=dict, description=(
        "Typed query parameters, passed to the handler as `params` (e.g. {since: date, limit: {type: int}})."))
    idempotent: bool | None = None
    status: int | None = PydField(default=None, ge=200, le=299, description="Success status (default 200).")


Action = Annotated[
    ToggleAction | FeedAction | QueryAction | TransitionAction | CustomAction,
    PydField(discriminator="kind"),
]

__all__ = [
    "HANDLER",
    "OPERATION_ID",
    "OPERATION_NAMES",
    "OUTCOMES",
    "PARAM_OPERATORS",
    "PATH",
    "RATE_LIMIT",
    "Action",
    "CallerRule",
    "Condition",
    "CustomAction",
    "EntityApi",
    "Envelope",
    "Existing",
    "FeedAction",
    "FeedScope",
    "Filter",
    "HttpMethod",
    "Operation",
    "OperationName",
    "Outcome",
    "QueryAction",
    "QueryParam",
    "ToggleAction",
    "TransitionAction",
    "WireShape",
]
