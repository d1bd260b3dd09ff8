"""The root of the blueprint language: service, auth, entities."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field as PydField
from pydantic import PrivateAttr, model_validator

from backend_agent.blueprint.api import (
    HANDLER,
    OPERATION_ID,
    PATH,
    RATE_LIMIT,
    Action,
    CallerRule,
    EntityApi,
    Existing,
    HttpMethod,
    Outcome,
)
from backend_agent.blueprint.entity import (
    JSON_KEY,
    SNAKE,
    Computed,
    EntityOptions,
    Field,
    Index,
    Relation,
    Spec,
    View,
)


class ErrorStyle(Spec):
    """Shape of error bodies."""

    style: Literal["envelope", "field_list"] = PydField(default=
        "envelope",
        description='envelope: {"error": {"code", "message", "details"}}; '
        'field_list: {"errors": {"<field>": ["msg"]}}',
    )
    key: str | None = PydField(default=None, pattern=JSON_KEY, description="Top-level key (default: error / errors).")
    shape: dict[str, Any] | None = PydField(default=None, description=(
        "The exact error body, with $message, $messages, $code, $status, $details or $fields as values, e.g. "
        "{message: $message} or {errors: {body: $messages}}; replaces style and key."))
    statuses: dict[Outcome, int] = PydField(default_factory=dict, description=(
        "Status per outcome for every operation, e.g. {invalid: 400}; default invalid 422, conflict 409."))


class Pagination(Spec):
    style: Literal["cursor", "offset"] = PydField(default="cursor", description="cursor, or limit/offset with a total.")
    default_limit: int = PydField(default=20, ge=1, le=1000)
    max_limit: int = PydField(default=100, ge=1, le=10000)


class Service(Spec):
    """The service as a whole and its API conventions."""

    name: str = PydField(pattern=r"^[a-z][a-z0-9_-]*$", description="Lowercase service name.")
    version: str = "0.1.0"
    description: str = ""
    contract: str | None = PydField(default=None, min_length=1, description=(
        "An OpenAPI 3.0/3.1 file (relative to the blueprint) the service serves exactly; its operations are "
        "bound to behaviours in `bindings`."))
    base_path: str = PydField(default="", pattern=r"^(/[a-z0-9_-]+)*$", description=(
        "e.g. /api or /api/v1 (contract mode: default the path of the contract's first server URL)"))
    naming: Literal["snake_case", "camelCase"] = PydField(default="snake_case", description="JSON key style.")
    errors: ErrorStyle = PydField(default_factory=lambda: ErrorStyle())
    pagination: Pagination = PydField(default_factory=lambda: Pagination())
    cors_origins: list[str] = PydField(default_factory=list)
    rate_limit: str | None = PydField(default=None, pattern=RATE_LIMIT, description="Global limit per client.")
    cache_ttl: int = PydField(default=0, ge=0, description="Default seconds reads may be cached.")
    idempotency_header: str = "Idempotency-Key"
    idempotency_ttl_hours: int = PydField(default=24, ge=1)


class PasswordPolicy(Spec):
    min_length: int = PydField(default=8, ge=1)
    max_length: int = PydField(default=128, ge=1)
    require_letter: bool = False
    require_digit: bool = False
    require_symbol: bool = False


class Tokens(Spec):
    scheme: str = PydField(default="Bearer", pattern=r"^[A-Za-z][A-Za-z0-9-]*$", description="Authorization word.")
    access_ttl_minutes: int = PydField(default=30, ge=1)
    refresh: bool = PydField(default=False, description=(
        "Issue refresh tokens too; each use rotates it, and reusing a spent one revokes the whole family."))
    refresh_ttl_days: int = PydField(default=14, ge=1)
    algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    security_scheme: str = PydField(default="tokenAuth", pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$", description=(
        "The OpenAPI name of the token's security scheme (e.g. Token for the RealWorld spec)."))


class AuthOperation(Spec):
    """One of the auth operations: path, method, envelopes and what it returns."""

    enabled: bool = True
    path: str | None = PydField(default=None, pattern=PATH)
    method: HttpMethod | None = None
    request_envelope: str | None = PydField(default=None, pattern=JSON_KEY)
    response_envelope: str | None = PydField(default=None, pattern=JSON_KEY)
    view: str | None = PydField(default=None, description="View of the user entity returned.")
    token: Literal["in_object", "beside", "none"] | None = PydField(default=
        None, description="Token inside the user object, beside it, or not returned."
    )
    message: str | None = PydField(default=None, description="A message returned beside the result.")
    rate_limit: str | None = PydField(default=None, pattern=RATE_LIMIT)
    status: int | None = PydField(default=None, ge=200, le=299, description="Success status.")
    operation_id: str | None = PydField(default=None, pattern=OPERATION_ID, description="OpenAPI operationId.")
    tag: str | None = PydField(default=None, min_length=1, description="OpenAPI tag (default auth).")
    fields: list[str] | None = PydField(default=None, description=(
        "register/update_me: the only fields the request accepts."))
    statuses: dict[Outcome, int] = PydField(default_factory=dict, description="Status per outcome.")
    reply: dict[str, str | int | float | bool] | None = PydField(default=None, description=(
        "register/login/me/update_me: the exact reply object, key -> $user (the view), $token, "
        "$refresh_token, $expires_in (seconds), $token_type, or a literal, e.g. "
        "{message: Welcome, user: $user, token: $token, expiresIn: $expires_in}."))


class AuthOperations(Spec):
    """The auth operations; `register` is stored as `register_` (BaseModel has a `register`)."""

    register_: AuthOperation = PydField(default_factory=AuthOperation, alias="register")
    login: AuthOperation = PydField(default_factory=lambda: AuthOperation())
    me: AuthOperation = PydField(default_factory=lambda: AuthOperation())
    update_me: AuthOperation = PydField(default_factory=lambda: AuthOperation())
    refresh: AuthOperation = PydField(default_factory=lambda: AuthOperation())
    # The flows a real product needs; off unless enabled.
    logout: AuthOperation = PydField(default_factory=lambda: AuthOperation(enabled=False), description=(
        "Revoke the caller's token (and its refresh token)."))
    verify_email: AuthOperation = PydField(default_factory=lambda: AuthOperation(enabled=False), description=(
        "Confirm the address with the token mailed on register."))
    request_password_reset: AuthOperation = PydField(
        default_factory=lambda: AuthOperation(enabled=False), description="Mail a one-time reset token.")
    reset_password: AuthOperation = PydField(default_factory=lambda: AuthOperation(enabled=False), description=(
        "Set a new password with the mailed token; every session of the user ends."))


AUTH_OPERATIONS: dict[str, str] = {
    "register": "register_",
    "login": "login",
    "me": "me",
    "update_me": "update_me",
    "refresh": "refresh",
    "logout": "logout",
    "verify_email": "verify_email",
    "request_password_reset": "request_password_reset",
    "reset_password": "reset_password",
}


def auth_operation(ops: AuthOperations, name: str) -> AuthOperation:
    """The auth operation called ``name`` (register, login, me, update_me, refresh)."""
    op: AuthOperation = getattr(ops, AUTH_OPERATIONS[name])
    return op


class Auth(Spec):
    """Who users are, how they sign in, and roles."""

    user_entity: str
    identity: list[str] = PydField(min_length=1, description="Fields a user signs in with (e.g. [email]).")
    password_field: str = "password"
    password_policy: PasswordPolicy = PydField(default_factory=lambda: PasswordPolicy())
    tokens: Tokens = PydField(default_factory=lambda: Tokens())
    roles: list[str] = PydField(default_factory=lambda: ["user", "admin"], min_length=1)
    default_role: str = "user"
    admin_role: str = "admin"
    role_field: str | None = PydField(default=None, description="Enum field of the user entity holding the role.")
    operations: AuthOperations = PydField(default_factory=lambda: AuthOperations())
    require_verified_email: bool = PydField(default=False, description=(
        "login refuses (403) until verify_email succeeded; needs operations.verify_email."))
    email_field: str | None = PydField(default=None, description=(
        "Field mailed for verification and resets (default: the first email-typed identity field)."))


class Hooks(Spec):
    """Functions in app/custom/ called after a row is written, in the same transaction (e.g. edit history)."""

    after_create: str | None = PydField(default=None, pattern=HANDLER, description="module:function(ctx, row)")
    after_update: str | None = PydField(default=None, pattern=HANDLER, description="module:function(ctx, row)")
    after_delete: str | None = PydField(default=None, pattern=HANDLER, description="module:function(ctx, row)")


class Entity(Spec):
    """A domain entity: a table, a resource and its representations."""

    description: str = ""
    table: str | None = PydField(default=None, pattern=SNAKE)
    plural: str | None = PydField(default=None, pattern=SNAKE)
    fields: dict[str, Field] = PydField(min_length=1)
    relations: dict[str, Relation] = PydField(default_factory=dict)
    computed: dict[str, Computed] = PydField(default_factory=dict)
    views: dict[str, View] = PydField(default_factory=dict)
    indexes: list[Index] = PydField(default_factory=list)
    unique_together: list[list[str]] = PydField(default_factory=list)
    options: EntityOptions = PydField(default_factory=lambda: EntityOptions())
    lookup: str | None = PydField(default=None, description="Field used in item paths instead of id.")
    wire_names: dict[str, str] = PydField(default_factory=dict, description=(
        "Field, relation or computed name (id and timestamps included) -> its JSON key, e.g. {id: userId}."))
    owner: str | None = PydField(default=None, description="many_to_one relation to the user entity owning a row.")
    api: EntityApi = PydField(default_factory=lambda: EntityApi())
    actions: dict[str, Action] = PydField(default_factory=dict)
    hooks: Hooks = PydField(default_factory=lambda: Hooks())


BEHAVIOUR = (r"^(auth\.(register|login|me|update_me|refresh|logout|verify_email|request_password_reset|"
             r"reset_password)|custom|"
             r"[A-Z][A-Za-z0-9]*\.[a-z][a-z0-9_]*(\.(add|remove))?)$")


class Binding(Spec):
    """The behaviour serving one contract operation (contract mode).

    ``operation`` names a standard operation or action of an entity (``Article.get``,
    ``Article.favorite.add``), an auth operation (``auth.login``) or ``custom`` (with ``handler``)."""

    operation: str = PydField(pattern=BEHAVIOUR, description="Entity.list/get/create/update/delete, "
                              "Entity.<action>[.add|.remove], auth.<operation> or custom.")
    handler: str | None = PydField(default=None, pattern=HANDLER, description="custom: package.module:function.")
    entity: str | None = PydField(default=None, description="custom: the entity the handler works on.")
    view: str | None = PydField(default=None, description="View whose relation shapes the response (default: "
                                "the operation's).")
    fields: dict[str, str] = PydField(default_factory=dict, description=(
        "Contract property name -> field, relation or computed name, where the names differ."))
    select: dict[str, str] = PydField(default_factory=dict, description=(
        "Path or query parameter -> the field it selects rows by, where the names differ."))
    statuses: dict[Outcome, int] = PydField(default_factory=dict, description=(
        "Status of an outcome where the contract's own choice is not the wanted one."))
    values_of: str | None = PydField(default=None, description="A list of scalars: the field listed.")
    existing: Existing | None = PydField(default=None, description=(
        "Entity.create: find-or-create or upsert by a natural key ({match: [name]}, then: return | update); the "
        "contract's 201 answers a created row, its other 2xx an existing one."))
    caller: CallerRule | None = PydField(default=None, description=(
        "A path, query or body value of the contract operation that must be the signed-in user."))
    template: str | None = PydField(default=None, pattern=r"^[A-Za-z0-9_./-]+\.(html|txt)(\.j2)?$", description=(
        "text/html or text/plain responses: a Jinja2 template in app/templates/ rendering the row (`row`) or "
        "rows (`rows`), autoescaped for HTML."))

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return {"operation": value} if isinstance(value, str) else value


class Blueprint(Spec):
    """A backend described once: service conventions, auth and entities."""

    service: Service
    auth: Auth | None = None
    entities: dict[str, Entity] = PydField(min_length=1)
    bindings: dict[str, Binding] = PydField(default_factory=dict, description=(
        "Contract mode: operationId (or 'METHOD /path') of each contract operation -> its behaviour."))
    _base_dir: Path | None = PrivateAttr(default=None)

    @property
    def base_dir(self) -> Path:
        """The folder relative paths (the contract) are resolved from: the blueprint's, else the current one."""
        return self._base_dir or Path.cwd()

    def with_base_dir(self, folder: Path) -> Blueprint:
        self._base_dir = folder
        return self


__all__ = [
    "AUTH_OPERATIONS",
    "Auth",
    "AuthOperation",
    "AuthOperations",
    "Binding",
    "Blueprint",
    "Entity",
    "ErrorStyle",
    "Hooks",
    "Outcome",
    "Pagination",
    "PasswordPolicy",
    "Service",
    "Tokens",
    "auth_operation",
]
