"""The per-gate option tables (``[tool.backend-agent.<gate>]``): one strict model per gate.

A misspelt key or a value of the wrong type is reported when the configuration is read, with
file, line and key, instead of being ignored or crashing the gate halfway through its run.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _GateOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timeout_s: float | None = Field(None, gt=0, description="Time bound of the gate in seconds.")


class AuthOptions(BaseModel):
    """How the gates get a signed-in test user."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    # "register" is also an attribute of BaseModel (ABCMeta.register): the option keeps its name as an alias
    register_operation: str | None = Field(None, alias="register",
                                           description="The register operation, e.g. 'POST /api/users'.")
    login: str | None = Field(None, description="The login operation, e.g. 'POST /api/auth/login'.")
    scheme: str | None = Field(None, description="The token's scheme in Authorization, e.g. 'Token'.")
    token_command: list[str] | None = Field(
        None, min_length=1,
        description="A command printing an access token for '{email}' (run in the project with the service's "
        "environment; '{python}' is its interpreter), for APIs whose tokens are not minted over HTTP.",
    )


AUTH_DESCRIPTION = ("How the gates sign in a test user: its register and login operations, the token's scheme, "
                    "or a token_command")


class _ServiceOptions(_GateOptions):
    """Options of the gates that start the service."""

    env: dict[str, str | int | float | bool] | None = Field(None, description="Extra environment of the service.")
    health_path: str | None = Field(None, description="Readiness path, e.g. '/health'.")
    openapi_path: str | None = Field(None, description="Path of the OpenAPI document.")
    ready_timeout_s: float | None = Field(None, gt=0, description="Seconds to wait for readiness.")
    auth: AuthOptions | None = Field(None, description=AUTH_DESCRIPTION)


class TestsOptions(_GateOptions):
    __test__ = False  # not a pytest test class

    migrate: bool | None = Field(
        None, description="Run `alembic upgrade head` on the tests' database first (default: when the project has Alembic)."
    )


class StaticSecurityOptions(_GateOptions):
    ignore: list[str] = Field(default_factory=list, description="Bandit test ids or semgrep rule ids to ignore.")


class IacPolicyOptions(_GateOptions):
    skip_checks: list[str] = Field(default_factory=list, description="Extra checkov checks to leave out.")
    hadolint_ignore: list[str] = Field(default_factory=list, description="Hadolint rules to ignore.")


class MigrationsOptions(_GateOptions):
    lint_since: str | None = Field(None, description="Lint only the revisions newer than this one.")
    base_branch: str | None = Field(
        None, description="Lint only revisions not yet in this git branch (default: origin/main, main or master)."
    )
    startup_schema: bool = Field(
        True, description="Also start the application on a migrated database and report schema changes it makes."
    )


class ContractOptions(_ServiceOptions):
    max_examples: int | None = Field(None, ge=1, description="Examples per operation.")
    max_time_s: int | None = Field(None, gt=0, description="Time bound of schemathesis itself.")
    phases: list[Literal["examples", "coverage", "fuzzing", "stateful"]] | None = Field(
        None, min_length=1, description="Schemathesis phases to run."
    )
    boundaries: bool | None = Field(
        None, description="Send bounds and just-beyond values of every GET parameter (default: on)."
    )
    disable_checks: list[Annotated[str, Field(pattern=r"^[a-z_]+$")]] | None = Field(
        None,
        description="Schemathesis checks to switch off (their names, e.g. ensure_resource_availability), with "
        "the reason in a comment beside the option.",
    )
    disable_checks_for: dict[str, list[Annotated[str, Field(pattern=r"^[a-z_]+$")]]] | None = Field(
        None,
        description="The same for single operations: operationId -> schemathesis checks to switch off there.",
    )
    seed_rows: int | None = Field(
        None, ge=0, le=20,
        description="Rows created per collection through the API before fuzzing, so that lists are checked "
        "with rows in them (default: 2; 0: none).",
    )
    allow_x00: bool | None = Field(
        None,
        description="Generate strings holding NUL (default: on). Off for a service whose database cannot store "
        "NUL (PostgreSQL text) and refuses it with its validation status.",
    )
    accept_statuses: list[Annotated[int, Field(ge=400, le=499)]] | dict[
        str, list[Annotated[int, Field(ge=400, le=499)]]
    ] | None = Field(
        None,
        description="4xx statuses that answer a schema-valid request refused by a business rule (e.g. a "
        "uniqueness conflict answered with 422): a list for every operation, or a table of operationId -> list.",
    )


class SecurityProbesOptions(_ServiceOptions):
    sqlmap: bool | None = Field(None, description="Run sqlmap (default: on, off with --fast).")
    sqlmap_budget_s: float | None = Field(None, gt=0, description="Total seconds for sqlmap.")
    sqlmap_workers: int | None = Field(None, ge=1, description="Routes probed by sqlmap at once.")
    sqlmap_level: int | None = Field(None, ge=1, le=5, description="sqlmap --level (1-5).")
    sqlmap_risk: int | None = Field(None, ge=1, le=3, description="sqlmap --risk (1-3).")
    sqlmap_post: bool | None = Field(None, description="Also probe JSON bodies of POST operations (default: on).")
    sqlmap_operations: list[str] | None = Field(
        None, min_length=1, description="Only these operations for sqlmap, e.g. 'GET /api/items'."
    )
    shared: list[str] | None = Field(
        None, description="Operations on rows every signed-in user may use by design (a shared catalogue), "
        "which the BOLA probe leaves out, e.g. 'PATCH /api/products/{sku}'.")
    rate_limit_burst: int | None = Field(None, ge=1, description="Requests sent to provoke a 429.")
    rate_limit_window_s: float | None = Field(None, gt=0, description="Seconds the burst may take.")


class LoadOptions(_ServiceOptions):
    p95_ms: float | None = Field(None, gt=0, description="Maximum p95 latency in milliseconds.")
    error_rate: float | None = Field(None, ge=0, le=1, description="Maximum error rate (fraction).")
    duration_s: float | None = Field(None, gt=0, description="Total seconds of load.")
    connections: int | None = Field(None, ge=1, description="Concurrent connections.")
    tool: Literal["wrk", "locust"] | None = Field(None, description="Load tool (default: wrk, else locust).")
    operations: list[str] | None = Field(None, min_length=1, description="Operations to load, e.g. 'GET /api/items'.")


class PerformanceOptions(_ServiceOptions):
    rows_per_table: int | None = Field(None, ge=100, le=100_000, description="Rows seeded per table.")
    requests: int | None = Field(None, ge=5, description="Timed requests per read operation.")
    p95_ms: float | None = Field(None, gt=0, description="p95 budget per operation (low findings above it).")


GATE_OPTIONS: dict[str, type[_GateOptions]] = {
    "tests": TestsOptions,
    "static-security": StaticSecurityOptions,
    "iac-policy": IacPolicyOptions,
    "migrations": MigrationsOptions,
    "contract": ContractOptions,
    "security-probes": SecurityProbesOptions,
    "load": LoadOptions,
    "performance": PerformanceOptions,
}

__all__ = ["AUTH_DESCRIPTION", "GATE_OPTIONS", "AuthOptions"]
