"""The design a blueprint yields: OpenAPI 3.1, DDL for SQLite and PostgreSQL, ERD, DESIGN.md.

``design(bp)`` is pure and returns a ``Design`` holding every resolved decision as typed data;
``write_design`` is the only function that writes files. A blueprint with ``service.contract`` is
designed in contract mode (the contract's operations bound to behaviours); ``openapi_diff`` compares
two OpenAPI documents structurally and ``wire_openapi`` rebuilds the document a design's operations
describe.
"""

from backend_agent.design.build import design
from backend_agent.design.conformance import openapi_diff, wire_openapi
from backend_agent.design.erd import DOT_INSTALL_HINT, dot_available, render_svg
from backend_agent.design.model import (
    DIALECTS,
    AuthDesign,
    AuthRule,
    BindingDesign,
    CheckDesign,
    ColumnDesign,
    ComputedDesign,
    ConditionDesign,
    ContractDesign,
    Decision,
    Design,
    EntityDesign,
    FieldDesign,
    FilterDesign,
    ForeignKeyDesign,
    IndexDesign,
    OperationDesign,
    ParameterDesign,
    PathKey,
    RelationDesign,
    ServiceDesign,
    TableDesign,
    ViewDesign,
    ViewField,
    WireBody,
    WireDesign,
)
from backend_agent.design.writer import DDL_FILES, OPENAPI_FILE, openapi_yaml, write_design

__all__ = [
    "DDL_FILES",
    "DIALECTS",
    "DOT_INSTALL_HINT",
    "OPENAPI_FILE",
    "AuthDesign",
    "AuthRule",
    "BindingDesign",
    "CheckDesign",
    "ColumnDesign",
    "ComputedDesign",
    "ConditionDesign",
    "ContractDesign",
    "Decision",
    "Design",
    "EntityDesign",
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
    "design",
    "dot_available",
    "openapi_diff",
    "openapi_yaml",
    "render_svg",
    "wire_openapi",
    "write_design",
]
