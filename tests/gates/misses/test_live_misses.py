"""Point 4 misses that need the running service: boundary values, LIKE injection with values the
service itself returned, and probes that survive a connection reset. SQLite throwaway databases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from backend_agent.gates._apiclient import sign_up
from backend_agent.gates._boundaries import boundary_values, probe_boundaries
from backend_agent.gates._database import throwaway_database
from backend_agent.gates._service import RunningService, start_service
from tests.gates.misses.defects import build
from tests.gates.projects import target

pytestmark = pytest.mark.slow


@contextmanager
def _service(project: Path) -> Iterator[tuple[RunningService, httpx.Client, dict[str, str]]]:
    with (
        throwaway_database(None, prefix="ba_miss") as db,
        start_service(target(project), database_url=db.url) as service,
        httpx.Client(base_url=service.base_url, timeout=15.0, trust_env=False) as client,
    ):
        user = sign_up(client, service.openapi, name="edge")
        yield service, client, user.headers


def test_boundary_values_cover_bounds_beyond_and_overflows() -> None:
    assert boundary_values({"type": "integer", "minimum": 1, "maximum": 100}) == [0, -1, 1, 2, 100, 99, 101]
    unbounded = boundary_values({"type": "integer"})
    assert 2**63 in unbounded and -(2**63) - 1 in unbounded
    assert boundary_values({"type": "string", "maxLength": 3})[-2:] == ["xxx", "xxxx"]
    assert boundary_values({"enum": ["a", "b"]}) == ["a", "b", "not-a-member"]


def test_clean_service_holds_at_every_boundary(tmp_path: Path) -> None:
    with _service(build(tmp_path)) as (service, client, headers):
        outcome = probe_boundaries(client, service.openapi, headers=headers)
    assert outcome.requests > 50
    assert outcome.findings == [], outcome.broken


def test_unbounded_integer_path_parameter_overflowing_into_a_500_is_caught(tmp_path: Path) -> None:
    with _service(build(tmp_path, "int-overflow")) as (service, client, headers):
        outcome = probe_boundaries(client, service.openapi, headers=headers)
    assert [f.operation for f in outcome.findings] == ["GET /api/tasks/{task_id}"]
    assert "task_id" in outcome.findings[0].message and "500" in outcome.findings[0].message
    assert str(2**63) in outcome.findings[0].message


def test_a_dropped_connection_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    with _service(build(tmp_path, "reset-after-500")) as (service, client, headers):
        outcome = probe_boundaries(client, service.openapi, headers=headers)
        assert service.alive()
    assert [f.operation for f in outcome.findings] == ["GET /api/tags/{tag_id}"]
    assert "connection dropped" in outcome.findings[0].message


def test_like_injection_is_confirmed_with_a_value_the_service_returned(tmp_path: Path) -> None:
    from backend_agent.gates.probes import SecurityProbesGate

    options = {"security-probes": {"sqlmap_operations": ["GET /api/tags"], "rate_limit_burst": 40}}
    result = SecurityProbesGate().run(target(build(tmp_path, "like-sqli"), **options))
    injections = [f for f in result.findings if f.rule == "probe:sql-injection"]
    assert [f.operation for f in injections] == ["GET /api/tags"], result.summary
    assert "q (GET)" in injections[0].message
    assert result.evidence["sqlmap"] == [{"operation": "GET /api/tags", "vulnerable": True, "timed_out": False}]


def test_probes_survive_a_connection_reset_and_report_it_once_per_operation(tmp_path: Path) -> None:
    from backend_agent.gates.probes import SecurityProbesGate

    options = {"security-probes": {"sqlmap": False, "rate_limit_burst": 40}}
    result = SecurityProbesGate().run(target(build(tmp_path, "reset-after-500"), **options))
    assert result.status in ("pass", "fail") and "service could not be started" not in result.summary
    dropped = [f for f in result.findings if f.rule == "probe:connection-dropped"]
    assert [f.operation for f in dropped] == ["GET /api/tags/{tag_id}"]
    assert set(result.evidence["connections_dropped"]) == {"GET /api/tags/{tag_id}"}
    # The probes went on after the reset: headers and rate limiting were still checked.
    assert "headers_checked" in result.evidence and "rate_limit" in result.evidence


@pytest.mark.parametrize(("defect", "expected"), [(None, []), ("ddl-at-start", ["column users.nickname was added"])])
def test_schema_changes_made_at_start_up_are_found(tmp_path: Path, defect: str | None, expected: list[str]) -> None:
    from backend_agent.gates.startup_schema import startup_schema_changes

    findings, evidence = startup_schema_changes(target(build(tmp_path, defect)))
    assert evidence["changes_at_startup"] == expected
    assert [f.rule for f in findings] == (["migrations:ddl-at-startup"] if expected else [])


def test_migrations_gate_reports_ddl_made_at_start_up(tmp_path: Path) -> None:
    from backend_agent.gates.migrations import MigrationsGate

    result = MigrationsGate().run(target(build(tmp_path, "ddl-at-start")))
    [finding] = [f for f in result.findings if f.rule == "migrations:ddl-at-startup"]
    assert "column users.nickname was added" in finding.message and finding.severity == "high"
    assert result.status == "fail" and "ddl-at-startup" in result.summary
