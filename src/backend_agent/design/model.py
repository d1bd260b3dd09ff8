"""The resolved design: every naming, typing and routing decision, made once, as typed data.

The service generator reads only this (plus the Blueprint for text such as descriptions), so
nothing here is left for a template to decide.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from dataclasses import field as dc_field
from typing import Any, Literal

from backend_agent.errors import Problem

Dialect = Literal["sqlite", "postgresql"]
DIALECTS: tuple[Dialect, ...] = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Decision:
    """A choice the design made and why (listed in DESIGN.md)."""

    topic: str
    choice: str
    reason: str


# -- storage -----------------------------------------------------------------------------------------


@dataclass
class ColumnDesign:
    name: str
    sql_type: dict[str, str]  # dialect -> SQL type
    python_type: str  # int, str, bool, float, Decimal, date, datetime, time, UUID, bytes, Any
    nullable: bool
    source: Literal["id", "field", "secret", "fk", "timestamp", "soft_delete", "join"]
    field: str | None = None  # the blueprint field or relation it stores
    primary_key: bool = False
    autoincrement: bool = False
    default_sql: dict[str, str] = dc_field(default_factory=dict)  # dialect -> SQL default expression
    max_length: int | None = None
    comment: str = ""


@dataclass
class ForeignKeyDesign:
    name: str
    column: str
    ref_table: str
    ref_column: str
    on_delete: Literal["CASCADE", "SET NULL", "RESTRICT"]
    relation: str | None = None


@dataclass
class IndexDesign:
    name: str
    columns: list[str]
    unique: bool
    reason: str
    where: str | None = None  # predicate of a partial index, e.g. live rows only under soft delete


@dataclass
class CheckDesign:
    name: str
    sql: dict[str, str]  # dialect -> boolean expression
    reason: str


@dataclass
class TableDesign:
    name: str
    entity: str | None  # None for join tables
    kind: Literal["entity", "join"]
    columns: list[ColumnDesign]
    primary_key: list[str]
    foreign_keys: list[ForeignKeyDesign] = dc_field(default_factory=list)
    indexes: list[IndexDesign] = dc_field(default_factory=list)
    checks: list[CheckDesign] = dc_field(default_factory=list)
    relation: str | None = None  # join tables: "Entity.relation" they store

    def column(self, name: str) -> ColumnDesign:
        return next(col for col in self.columns if col.name == name)


# -- entity semantics --------------------------------------------------------------------------------


@dataclass
class FieldDesign:
    name: str
    json_name: str
    type: str  # blueprint spelling, e.g. decimal(12,2)
    kind: str  # FieldKind value
    column: str  # column storing it (password -> password_hash)
    python_type: str
    required: bool
    nullable: bool
    unique: bool
    read_only: bool
    write_only: bool
    secret: bool
    in_create: bool  # accepted on create
    in_update: bool  # accepted on update
    json_schema: dict[str, Any]  # schema of the value as clients see it
    default: Any = None
    has_default: bool = False
    derive_from: str | None = None
    derive_transform: str | None = None
    derive_unique: bool = False
    derive_on_update: bool = False
    example: Any = None
    builtin: bool = False  # id and timestamps
    generate: str | None = None  # token (URL-safe random), uuid or now: set by the service on create
    encrypted: bool = False  # AES-GCM at rest (key: service.encryption_key_env); shown only by views naming it
    of: str | None = None  # kind "list": the item type; json_schema holds items, minItems, maxItems (JSON column)


@dataclass
class RelationDesign:
    name: str
    json_name: str
    kind: str  # many_to_one, one_to_many, one_to_one, many_to_many
    target: str
    target_table: str
    declared: bool
    fk_column: str | None = None  # many_to_one / owning one_to_one: column on this entity's table
    remote_fk_column: str | None = None  # one_to_many / inverse one_to_one: column on the target table
    join_table: str | None = None  # many_to_many
    join_self_column: str | None = None  # join column pointing at this entity
    join_target_column: str | None = None  # join column pointing at the target
    on_delete: str | None = None
    required: bool = False
    response_as: str = "id"  # id, object, view, values, none
    response_fields: list[str] = dc_field(default_factory=list)
    response_view: str | None = None
    response_field: str | None = None
    request_as: str = "none"  # id, values, none
    request_json_name: str | None = None  # key in request bodies (e.g. authorId, tagList)
    request_field: str | None = None
    create_missing: bool = False
    loading: str = ""  # how the generator loads it without N+1 (selectinload / batched query)


@dataclass
class ComputedDesign:
    name: str
    json_name: str
    kind: Literal["count", "membership", "avg", "sum", "min", "max"]
    relation: str
    table: str  # table counted / probed
    key_column: str  # column holding this entity's id in that table
    user_column: str | None  # membership: column holding the user id
    strategy: str  # human description
    sql: str  # one query per page of rows: :ids (and :user_id)
    field: str | None = None  # avg/sum/min/max: the aggregated field of the related rows
    conditions: list[ConditionDesign] = dc_field(default_factory=list)  # only related rows matching these
    json_schema: dict[str, Any] = dc_field(default_factory=dict)  # the value as clients see it


@dataclass
class ViewField:
    name: str
    json_name: str
    source: Literal["field", "relation", "computed", "token"]
    json_schema: dict[str, Any]
    required: bool = True
    relation_as: str | None = None  # relations: id, object, view or values, as shown in this view


@dataclass
class ViewDesign:
    name: str
    schema_name: str
    fields: list[ViewField]
    envelope: str | None = None
    path: str | None = None  # full path incl. base path
    lookup: str | None = None


@dataclass
class ConditionDesign:
    field: str
    column: str
    op: str
    value: Any = None
    other_column: str | None = None
    message: str | None = None
    param: str | None = None  # query actions: the value is this query parameter (skipped when absent)
    op_param: str | None = None  # query actions: the operator is this query parameter's value


@dataclass(frozen=True)
class PathKey:
    """A path parameter and the row it addresses: ``{slug}`` -> Article.slug."""

    param: str
    entity: str
    field: str


@dataclass
class EntityDesign:
    name: str
    table: str
    plural: str
    tag: str
    lookup: str  # field in item paths ("id" by default)
    lookup_param: str  # path parameter name
    id_type: str  # int or uuid
    timestamps: bool
    soft_delete: bool
    owner: str | None
    owner_column: str | None
    visibility: str  # public, authenticated, owner
    fields: list[FieldDesign]
    relations: list[RelationDesign]
    computed: list[ComputedDesign]
    views: dict[str, ViewDesign]
    default_view: str
    create_schema: str
    update_schema: str
    collection_path: str | None  # full path incl. base path; None when the entity has no resource
    item_path: str | None
    parent: str | None = None  # many_to_one relation nested under
    envelope_item: str | None = None
    envelope_list: str | None = None
    envelope_count: str | None = None
    path_keys: list[PathKey] = dc_field(default_factory=list)  # keys of item_path, outermost first
    hooks: dict[str, str] = dc_field(default_factory=dict)  # after_create/after_update/after_delete -> module:fn
    visible_if: list[ConditionDesign] = dc_field(default_factory=list)  # else only owner/admins may read a row

    def field(self, name: str) -> FieldDesign:
        return next(f for f in self.fields if f.name == name)

    def relation(self, name: str) -> RelationDesign:
        return next(r for r in self.relations if r.name == name)


# -- operations --------------------------------------------------------------------------------------


@dataclass
class ParameterDesign:
    name: str
    location: Literal["path", "query", "header"]
    json_schema: dict[str, Any]
    required: bool
    description: str
    maps_to: str | None = None  # path: Entity.field; query: field, relation.key or pagination role
    style: str | None = None  # OpenAPI serialisation style (None: the default for its location)
    explode: bool | None = None
    values: list[str] | None = None  # an enum parameter's values (spelled as declared)
    case_insensitive: bool = False  # an enum matched in any letter case, passed on as declared


@dataclass
class FilterDesign:
    param: str
    op: str
    field: str | None = None
    relation: str | None = None
    key: str | None = None  # target field compared
    strategy: str = ""  # how the generator turns it into SQL
    match: str | None = None  # repeated parameter: rows matching "any" value, or "all" of them (to-many)


@dataclass
class AuthRule:
    """Who may call an operation.

    ``owner_only`` on an item operation: the row's owner (or ``admin_bypass``) only; on a
    collection (list, feed, query): the rows are narrowed to the caller's own, admins see all.
    """

    public: bool
    roles: list[str]
    owner_only: bool
    admin_bypass: str | None  # role that passes owner checks
    optional: bool = False  # public, but a token (when sent) is read, e.g. for per-viewer flags

    def describe(self) -> str:
        if self.public:
            return "public"
        parts = ["roles " + "/".join(self.roles)] if self.roles else ["authenticated"]
        if self.owner_only:
            parts.append("owner" + (f" or {self.admin_bypass}" if self.admin_bypass else ""))
        return ", ".join(parts)


@dataclass
class ExistingDesign:
    """Find-or-create (``then: return``) or upsert (``then: update``) of a create, by a natural key."""

    match: list[str]  # fields / to-one relations forming the key (unique together)
    columns: list[str]  # their columns, same order
    then: Literal["return", "update"]
    status: int  # the success status when the row existed (the created one is status_code)
    constraint: str = ""  # "unique" field or the unique_together/index the key relies on (ON CONFLICT target)


@dataclass
class CallerDesign:
    """A path, query or body value that must be the signed-in user (else ``status``/``outcome``)."""

    location: Literal["path", "query", "body"]
    name: str  # parameter name, or body property as clients spell it
    user_field: str  # the user entity field compared with (id, username, ...)
    user_column: str
    status: int  # 401, 403 or 404
    outcome: str  # unauthorized, forbidden or not_found: the wire response answered


@dataclass
class OperationDesign:
    operation_id: str
    name: str  # list, get, create, update, delete, view, toggle_add, toggle_remove, feed, query, transition,
    # custom, register, login, me, update_me, refresh, logout, verify_email, request_password_reset, reset_password
    kind: str
    entity: str
    method: str
    path: str  # full path incl. base path
    tag: str
    summary: str
    auth: AuthRule
    status_code: int
    parameters: list[ParameterDesign] = dc_field(default_factory=list)
    request_schema: str | None = None
    request_envelope: str | None = None
    response_schema: str | None = None  # item schema (a view's schema_name)
    response_envelope: str | None = None
    response_list: bool = False
    list_key: str | None = None  # key of the items in a list response
    count_key: str | None = None  # key of the total beside the items
    paginated: bool = False
    values_of: str | None = None
    view: str | None = None
    idempotent: bool = False
    rate_limit: str | None = None
    cache_ttl: int = 0
    filters: list[FilterDesign] = dc_field(default_factory=list)
    sort: list[str] = dc_field(default_factory=list)
    default_sort: str | None = None
    search: list[str] = dc_field(default_factory=list)
    error_statuses: list[int] = dc_field(default_factory=list)
    relation: str | None = None  # toggle
    scope_relation: str | None = None  # feed
    scope_through: str | None = None  # feed
    conditions: list[ConditionDesign] = dc_field(default_factory=list)  # query where / transition guards
    transition_field: str | None = None
    transition_from: list[str] = dc_field(default_factory=list)
    transition_to: str | None = None
    set_now: str | None = None
    handler: str | None = None  # module:function of a guard or a custom operation
    token: str | None = None  # auth: in_object, beside, none
    message: str | None = None
    reply: dict[str, Any] | None = None  # auth: the exact reply object, key -> $user/$token/.../literal
    outcomes: dict[str, int] = dc_field(default_factory=dict)  # outcome -> status (invalid, conflict, ...)
    writable: list[str] | None = None  # create/update/register/update_me: only these fields are accepted
    open_body: bool = False  # the request object accepts (and ignores) unknown keys
    bare: bool = False  # list: a bare JSON array, no envelope object
    template: str | None = None  # blueprint mode, get: text/html or text/plain rendered from templates/<file>
    wire: WireDesign | None = None  # the exact request and responses (see docs/design-json.md)
    binding: BindingDesign | None = None  # contract mode: which contract operation this serves
    existing: ExistingDesign | None = None  # create: find-or-create / upsert by a natural key
    caller: CallerDesign | None = None  # a path/query/body value that must be the signed-in user


@dataclass
class WireBody:
    """One request or response body exactly as it travels; schemas carry x-source / x-target."""

    content_type: str | None  # None: no body
    schema: dict[str, Any] | None
    required: bool = True
    status: int | None = None  # responses only
    outcome: str | None = None  # success, invalid, unauthorized, forbidden, not_found, conflict, rate_limited, other
    declared: bool = True  # False: an outcome the contract does not list (the design picked the status)
    description: str = ""


@dataclass
class WireDesign:
    request: WireBody | None
    responses: list[WireBody]

    def response(self, outcome: str) -> WireBody | None:
        return next((r for r in self.responses if r.outcome == outcome), None)


@dataclass
class BindingDesign:
    key: str  # operationId or "METHOD /path" in the contract
    behaviour: str  # Article.get, Article.favorite.add, auth.login, custom
    origin: str  # key path of the binding in the blueprint


# -- the whole -----------------------------------------------------------------------------------------


# What the service accepts as an idempotency key: 1 to 255 characters, not only blanks.
IDEMPOTENCY_KEY_SCHEMA: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"\S"}


@dataclass
class ServiceDesign:
    name: str
    title: str
    version: str
    description: str
    base_path: str
    naming: str
    error_style: str
    error_key: str
    pagination: str
    default_limit: int
    max_limit: int
    cors_origins: list[str]
    rate_limit: str | None
    cache_ttl: int
    idempotency_header: str
    idempotency_ttl_hours: int
    next_cursor_key: str  # key of the next-page cursor in cursor-paginated lists
    error_codes: dict[int, str]  # HTTP status -> `code` of envelope-style error bodies
    error_shape: dict[str, Any] | None = None  # errors.shape template ($message, $messages, ...), else None
    error_statuses: dict[str, int] = dc_field(default_factory=dict)  # service-wide outcome -> status choices
    encryption_key_env: str = ""  # environment variable holding the AES key of encrypted fields
    max_body_bytes: int = 1024 * 1024  # the largest request body served (body_limit.py)


@dataclass
class AuthDesign:
    user_entity: str
    identity: list[str]
    password_field: str
    password_column: str
    scheme: str
    algorithm: str
    access_ttl_minutes: int
    refresh: bool
    refresh_ttl_days: int
    roles: list[str]
    default_role: str
    admin_role: str
    role_field: str | None
    password_min_length: int
    password_max_length: int
    password_require_letter: bool
    password_require_digit: bool
    password_require_symbol: bool
    security_scheme: str  # name in components.securitySchemes
    logout: bool = False  # POST logout revokes the access token (and its refresh token)
    refresh_rotation: bool = False  # each refresh rotates the token; reusing a spent one revokes the family
    email_verification: bool = False  # register mails a token; verify_email consumes it
    password_reset: bool = False  # request_password_reset mails a one-time token; reset_password consumes it
    require_verified_email: bool = False  # login answers 403 until the address is verified
    email_field: str | None = None  # the user field mailed by these flows


@dataclass
class ContractDesign:
    source: str  # as written in the blueprint
    openapi: str
    title: str
    version: str
    base_path: str
    security_schemes: dict[str, Any]
    unbound: list[str] = dc_field(default_factory=list)


@dataclass
class Design:
    """Everything `design` decided, plus the rendered documents."""

    service: ServiceDesign
    auth: AuthDesign | None
    entities: dict[str, EntityDesign]
    tables: list[TableDesign]  # in creation order
    operations: list[OperationDesign]  # in route registration order (static paths first)
    decisions: list[Decision]
    schemas: dict[str, dict[str, Any]]  # OpenAPI component schemas
    openapi: dict[str, Any] = dc_field(default_factory=dict)
    ddl: dict[str, str] = dc_field(default_factory=dict)
    erd_mermaid: str = ""
    erd_dot: str = ""
    design_md: str = ""
    mode: Literal["blueprint", "contract"] = "blueprint"
    contract: ContractDesign | None = None
    templates: dict[str, str] = dc_field(default_factory=dict)  # text/html, text/plain bodies: file -> Jinja2 text
    cautions: list[Problem] = dc_field(default_factory=list)  # warnings: where the service may refuse what the contract allows

    def table(self, name: str) -> TableDesign:
        return next(t for t in self.tables if t.name == name)

    def operation(self, operation_id: str) -> OperationDesign:
        return next(op for op in self.operations if op.operation_id == operation_id)

    def resolved(self) -> dict[str, Any]:
        """The resolved model as plain JSON-able data (without the rendered documents)."""
        data = asdict(self)
        for key in ("openapi", "ddl", "erd_mermaid", "erd_dot", "design_md", "schemas"):
            data.pop(key)
        return {"mode": data.pop("mode"), "contract": data.pop("contract"), **data}


__all__ = [
    "DIALECTS",
    "IDEMPOTENCY_KEY_SCHEMA",
    "AuthDesign",
    "AuthRule",
    "BindingDesign",
    "CallerDesign",
    "CheckDesign",
    "ColumnDesign",
    "ComputedDesign",
    "ConditionDesign",
    "ContractDesign",
    "Decision",
    "Design",
    "Dialect",
    "EntityDesign",
    "ExistingDesign",
    "FieldDesign",
    "FilterDesign",
    "ForeignKeyDesign",
    "IndexDesign",
    "OperationDesign",
    "ParameterDesign",
    "PathKey",
    "RelationDesign",
    "ServiceDesign",
    "TableDesign",
    "ViewDesign",
    "ViewField",
    "WireBody",
    "WireDesign",
]
