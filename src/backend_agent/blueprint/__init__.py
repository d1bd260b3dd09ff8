"""The blueprint language: ``*.blueprint.yaml`` -> validated spec models.

Public surface: the spec models, ``load_blueprint``, ``parse_blueprint``, ``blueprint_json_schema``,
``explain``, ``resolve_relations`` (every relation including the sides named by ``inverse``) and
``locate_problems`` (places problems found after loading, by key path, in the file) and
``load_contract`` (an OpenAPI 3.0/3.1 contract with every ``$ref`` resolved) and ``from_openapi``
(a draft contract-first blueprint for a contract).
"""

from backend_agent.blueprint._relations import ResolvedRelation, resolve_relations
from backend_agent.blueprint.api import (
    Action,
    Condition,
    CustomAction,
    EntityApi,
    Envelope,
    FeedAction,
    FeedScope,
    Filter,
    Operation,
    QueryAction,
    QueryParam,
    ToggleAction,
    TransitionAction,
)
from backend_agent.blueprint.contract import (
    Contract,
    ContractBody,
    ContractOperation,
    ContractParameter,
    load_contract,
)
from backend_agent.blueprint.entity import (
    Computed,
    Derive,
    EntityOptions,
    Field,
    Index,
    Relation,
    RelationKind,
    RelationRequest,
    RelationResponse,
    View,
)
from backend_agent.blueprint.explain import explain
from backend_agent.blueprint.from_openapi import DraftReport, from_openapi
from backend_agent.blueprint.jsonschema import blueprint_json_schema
from backend_agent.blueprint.loader import load_blueprint, locate_problems, parse_blueprint
from backend_agent.blueprint.schema import (
    AUTH_OPERATIONS,
    Auth,
    AuthOperation,
    AuthOperations,
    Binding,
    Blueprint,
    Entity,
    ErrorStyle,
    Pagination,
    PasswordPolicy,
    Service,
    Tokens,
    auth_operation,
)
from backend_agent.blueprint.starter import starter_blueprint
from backend_agent.blueprint.types import TYPE_NAMES, FieldKind, FieldType, parse_type

__all__ = [
    "AUTH_OPERATIONS",
    "TYPE_NAMES",
    "Action",
    "Auth",
    "AuthOperation",
    "AuthOperations",
    "Binding",
    "Blueprint",
    "Computed",
    "Condition",
    "Contract",
    "ContractBody",
    "ContractOperation",
    "ContractParameter",
    "CustomAction",
    "Derive",
    "DraftReport",
    "Entity",
    "EntityApi",
    "EntityOptions",
    "Envelope",
    "ErrorStyle",
    "FeedAction",
    "FeedScope",
    "Field",
    "FieldKind",
    "FieldType",
    "Filter",
    "Index",
    "Operation",
    "Pagination",
    "PasswordPolicy",
    "QueryAction",
    "QueryParam",
    "Relation",
    "RelationKind",
    "RelationRequest",
    "RelationResponse",
    "ResolvedRelation",
    "Service",
    "ToggleAction",
    "Tokens",
    "TransitionAction",
    "View",
    "auth_operation",
    "blueprint_json_schema",
    "explain",
    "from_openapi",
    "load_blueprint",
    "load_contract",
    "locate_problems",
    "parse_blueprint",
    "parse_type",
    "resolve_relations",
    "starter_blueprint",
]
