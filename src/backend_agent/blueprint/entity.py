"""Spec models of an entity: fields, relations, computed fields, views and indexes."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic import Field as PydField
from pydantic_core import PydanticCustomError

from backend_agent.blueprint.types import TYPE_NAMES, FieldType, TypeSpellingError, parse_type

SNAKE = r"^[a-z][a-z0-9_]*$"
PASCAL = r"^[A-Z][A-Za-z0-9]*$"
JSON_KEY = r"^[A-Za-z_$][A-Za-z0-9_.$-]*$"  # a key of a JSON body: never empty (D9)


class Spec(BaseModel):
    """Base of every blueprint model: unknown keys are errors."""

    # strict: `max_length: "255"` is an error, not silently the number 255 (D9).
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False, strict=True)


def _shorthand(value: Any, key: str) -> Any:
    """Let ``key: word`` stand for ``key: {<key>: word}`` (e.g. ``title: string``)."""
    return {key: value} if isinstance(value, str) else value


class Derive(Spec):
    """A value computed from another field when the row is written (e.g. a slug from the title)."""

    from_: str = PydField(alias="from", description="The source field.")
    transform: Literal["slug", "lower", "upper"] = PydField(default="slug", description="How the value is derived.")
    unique: bool = PydField(default=True, description="Append -2, -3 ... (slug) until the value is unique.")
    on_update: bool = PydField(default=False, description="Recompute when the source field changes.")


class Item(Spec):
    """Constraints on each item of a `list` field (the same keys as a field of the item type)."""

    min: int | float | None = PydField(default=None, description="Smallest allowed number.")
    max: int | float | None = PydField(default=None, description="Largest allowed number.")
    min_length: int | None = PydField(default=None, description="Shortest allowed text.")
    max_length: int | None = PydField(default=None, description="Longest allowed text (string: default 255).")
    pattern: str | None = PydField(default=None, description="A regular expression each text must match.")
    values: list[str] | None = PydField(default=None, description="Allowed values of enum items.")


class Field(Spec):
    """A stored attribute of an entity."""

    type: str = PydField(description=f"One of {', '.join(TYPE_NAMES)}; decimal takes (precision,scale).")
    required: bool = PydField(default=False, description="NOT NULL and mandatory on create.")
    unique: bool = PydField(default=False, description="A unique constraint on this column.")
    index: bool = PydField(default=False, description="An index on this column (give a reason in `index_reason`).")
    index_reason: str | None = None
    min: int | float | None = PydField(default=None, description="Smallest allowed number.")
    max: int | float | None = PydField(default=None, description="Largest allowed number.")
    min_length: int | None = PydField(default=None, description="Shortest allowed text.")
    max_length: int | None = PydField(default=None, description="Longest allowed text (string: default 255).")
    pattern: str | None = PydField(default=None, description="A regular expression the text must match.")
    default: Any = PydField(default=None, description="Value used when none is given.")
    values: list[str] | None = PydField(default=None, description="Allowed values of an enum.")
    read_only: bool = PydField(default=False, description="Returned, never accepted from clients.")
    write_only: bool = PydField(default=False, description="Accepted, never returned.")
    secret: bool = PydField(default=False, description="Stored hashed (column <name>_hash); never returned.")
    derive: Derive | None = None
    of: str | None = PydField(default=None, description=(
        "list: the item type (string, text, int, bigint, float, bool, date, uuid, email, url or enum)."))
    min_items: int | None = PydField(default=None, ge=0, description="list: fewest items.")
    max_items: int | None = PydField(default=None, ge=1, description="list: most items.")
    item: Item | None = PydField(default=None, description="list: constraints on each item, e.g. {max_length: 20}.")
    generate: Literal["token", "uuid", "now"] | None = PydField(default=None, description=(
        "Set by the service on create, never by clients: a URL-safe random token, a uuid, or the time."))
    encrypted: bool = PydField(default=False, description=(
        "Stored encrypted (AES-GCM, key from the environment); returned only by views that name it."))
    description: str = ""
    example: Any = None

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return _shorthand(value, "type")

    @field_validator("type")
    @classmethod
    def _check_type(cls, value: str) -> str:
        return Field.check_type_name(value)

    @staticmethod
    def check_type_name(value: str) -> str:
        """The canonical spelling of a type name, or a located-error-ready PydanticCustomError."""
        try:
            return str(parse_type(value))
        except TypeSpellingError as exc:
            raise PydanticCustomError(
                "unknown_type",
                str(exc),
                {"expected": "one of " + ", ".join(TYPE_NAMES), "hint": exc.suggestion or ""},
            ) from None

    @property
    def parsed(self) -> FieldType:
        return parse_type(self.type)

    def item_field(self) -> Field:
        """A `list` field's items as a field of their own type (constraints included), for checks and schemas."""
        rules = self.item.model_dump(exclude_unset=True) if self.item is not None else {}
        of = self.of if self.of is not None and _spells_type(self.of) else "string"
        return Field.model_validate({"type": of, "required": True, **rules})

    @property
    def has_default(self) -> bool:
        return "default" in self.model_fields_set


def _spells_type(text: str) -> bool:
    try:
        parse_type(text)
    except TypeSpellingError:
        return False
    return True


class RelationKind(StrEnum):
    MANY_TO_ONE = "many_to_one"
    ONE_TO_MANY = "one_to_many"
    ONE_TO_ONE = "one_to_one"
    MANY_TO_MANY = "many_to_many"


class RelationResponse(Spec):
    """How a relation appears in responses."""

    as_: Literal["id", "object", "view", "values", "none"] = PydField(default=
        "id", alias="as", description="id(s), embedded object, a named view of the target, a list of one field."
    )
    fields: list[str] | None = PydField(default=None, description="Target fields embedded when as=object.")
    view: str | None = PydField(default=None, description="Target view embedded when as=view.")
    field: str | None = PydField(default=None, description="Target field listed when as=values.")

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return _shorthand(value, "as")


class RelationRequest(Spec):
    """How a relation is accepted in create/update requests."""

    as_: Literal["id", "values", "none"] = PydField(default=
        "id", alias="as", description="id(s) of the target, values of one target field, or not accepted."
    )
    field: str | None = PydField(default=None, description="Target field matched when as=values (e.g. name).")
    create_missing: bool = PydField(default=False, description="Create targets whose value does not exist yet.")

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return _shorthand(value, "as")


class Relation(Spec):
    """A link from this entity to another (or to itself)."""

    kind: RelationKind = PydField(strict=False)  # the YAML text names the enum member
    target: str = PydField(description="Name of the target entity.")
    required: bool = PydField(default=False, description="many_to_one/one_to_one: the link must be set.")
    on_delete: Literal["cascade", "set_null", "restrict"] | None = PydField(default=
        None, description="What deleting the target does (default: restrict, or set_null when optional)."
    )
    via: str | None = PydField(default=None, description="one_to_many: the many_to_one relation on the target.")
    inverse: str | None = PydField(default=None, description="Name of the reverse relation added to the target.")
    through: str | None = PydField(default=None, description="many_to_many: join table name.")
    column: str | None = PydField(default=None, description="many_to_one/one_to_one: FK column (default <name>_id).")
    response: RelationResponse | None = None
    request: RelationRequest | None = None
    description: str = ""


class Condition(Spec):
    """A condition on a field: compared with a value or with another field of the same row."""

    field: str
    op: Literal["eq", "ne", "lt", "lte", "gt", "gte"] = "eq"
    value: Any = None
    other_field: str | None = PydField(default=None, description="Compare with this field instead of a value.")
    param: str | None = PydField(default=None, description=(
        "query actions: compare with this query parameter (the condition is skipped when it is absent)."))
    op_param: str | None = PydField(default=None, description=(
        "query actions: an enum query parameter whose value (eq, lt, gte, ...) is the operator."))
    message: str | None = PydField(default=None, description="Error message when a guard fails.")


class Computed(Spec):
    """A value derived at read time from a to-many relation, without N+1 queries."""

    kind: Literal["count", "membership", "avg", "sum", "min", "max"] = PydField(description=(
        "count of related rows, the current user in it, or an aggregate of a field of the related rows."))
    relation: str = PydField(description="A one_to_many or many_to_many relation (or inverse) of this entity.")
    field: str | None = PydField(default=None, description="avg/sum/min/max: the field of the related rows.")
    where: list[Condition] = PydField(default_factory=list, description=(
        "Only related rows matching these conditions (e.g. [{field: stars, op: gte, value: 4}])."))
    description: str = ""


class View(Spec):
    """A named representation of an entity: its own fields, envelope and optional read path."""

    fields: list[str] = PydField(min_length=1, description="Fields, relations, computed fields (and `token`).")
    envelope: str | None = PydField(default=None, pattern=JSON_KEY, description="Wrap the object as {envelope: {...}}.")
    path: str | None = PydField(
        default=None, pattern=r"^(/[A-Za-z0-9_.{}-]+)+$", description="Serve GET at this path (with {lookup})."
    )
    lookup: str | None = PydField(default=None, description="Field in the path (default: the entity lookup).")
    public: bool = PydField(default=True, description="The GET at `path` needs no token.")
    summary: str | None = None
    schema_name: str | None = PydField(default=None, pattern=PASCAL, description="OpenAPI schema name.")


class Index(Spec):
    """An explicit index."""

    fields: list[str] = PydField(min_length=1)
    unique: bool = False
    name: str | None = PydField(default=None, pattern=SNAKE)
    reason: str | None = None


class EntityOptions(Spec):
    timestamps: bool = PydField(default=True, description="created_at and updated_at columns.")
    soft_delete: bool = PydField(default=False, description="deleted_at column; deletes only mark rows.")
    id_type: Literal["int", "uuid"] = PydField(default="int", description="Primary key type.")


__all__ = [
    "JSON_KEY",
    "PASCAL",
    "SNAKE",
    "Computed",
    "Condition",
    "Derive",
    "EntityOptions",
    "Field",
    "Index",
    "Item",
    "Relation",
    "RelationKind",
    "RelationRequest",
    "RelationResponse",
    "Spec",
    "View",
]
