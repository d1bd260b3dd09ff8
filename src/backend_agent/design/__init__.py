"""The design a blueprint yields: OpenAPI 3.1, DDL for SQLite and PostgreSQL, ERD, DESIGN.md.

``design(bp)`` is pure and returns a ``Design`` holding every resolved decision as typed data;
``write_design`` is the only function that writes files.
"""

from backend_agent.design.build import design
from backend_agent.design.erd import DOT_INSTALL_HINT, dot_available, render_svg
from backend_agent.design.model import (
    DIALECTS,
    AuthDesign,
    AuthRule,
    CheckDesign,
    ColumnDesign,
    ComputedDesign,
    ConditionDesign,
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
)
from backend_agent.design.writer import DDL_FILES, OPENAPI_FILE, openapi_yaml, write_design

__all__ = [
    "DDL_FILES",
    "DIALECTS",
    "DOT_INSTALL_HINT",
    "OPENAPI_FILE",
    "AuthDesign",
    "AuthRule",
    "CheckDesign",
    "ColumnDesign",
    "ComputedDesign",
    "ConditionDesign",
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
    "design",
    "dot_available",
    "openapi_yaml",
    "render_svg",
    "write_design",
]
