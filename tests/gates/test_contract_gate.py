"""contract gate: schemathesis against the live clean project passes; a 500 on an integer id fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.gates import Target
from backend_agent.gates.contract import ContractGate, parse_junit, schemathesis_config, summary_counts
from backend_agent.gates.contract import _redacted as redacted
from tests.gates.projects import build, replace, target

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites errors="0" failures="2" tests="3">
  <testsuite name="schemathesis" errors="0" failures="2" tests="3">
    <testcase name="GET /api/projects" time="0.4" />
    <testcase name="GET /api/tasks/{task_id}" time="0.3">
      <failure type="failure" message="ST101, ST103">1. Test Case ID: abc

- ST101 Server error

- ST103 Undocumented status code

    Received: 500
    Documented: 200, 401, 404, 422

Reproduce with:

    curl -X GET -H 'Authorization: [Filtered]' http://127.0.0.1:1234/api/tasks/0</failure>
    </testcase>
    <testcase name="POST /api/tags" time="0.2">
      <error type="error" message="Schema error">Unresolvable reference</error>
    </testcase>
  </testsuite>
</testsuites>
"""


def test_junit_failures_become_findings_per_operation_and_check() -> None:
    findings = parse_junit(JUNIT)
    assert [(f.rule, f.operation) for f in findings] == [
        ("contract:ST101", "GET /api/tasks/{task_id}"),
        ("contract:ST103", "GET /api/tasks/{task_id}"),
        ("contract:error", "POST /api/tags"),
    ]
    server_error, undocumented, error = findings
    assert server_error.severity == "high" and server_error.message.startswith("ST101 Server error")
    assert "Received: 500" in undocumented.message
    assert "curl -X GET" in undocumented.message and "document this status" in (undocumented.hint or "")
    assert "Unresolvable reference" in error.message


def test_summary_counts_read_the_console_summary() -> None:
    output = "API Operations:\n  Selected: 26/26\n  Tested: 26\n  1082 generated, 1082 passed, 44 skipped\n  ⚠️ Rate limited: 1 operation"
    assert summary_counts(output) == {
        "cases_generated": 1082,
        "operations_tested": 26,
        "warnings": ["Rate limited: 1 operation"],
    }


def test_credentials_never_reach_the_evidence() -> None:
    cmd = ["st", "run", "x", "-H", "Authorization: Bearer secret-token", "--no-color"]
    assert redacted(cmd) == ["st", "run", "x", "-H", "Authorization: [redacted]", "--no-color"]


def test_not_applicable_without_an_app(tmp_path: Path) -> None:
    assert "no application" in (ContractGate().applicable(Target(root=tmp_path)) or "")


@pytest.mark.slow
def test_clean_project_conforms(tmp_path: Path) -> None:
    result = ContractGate().run(target(build(tmp_path), fast=True, contract={"max_examples": 5}))
    assert result.status == "pass", [f.message for f in result.findings]
    assert result.metrics["operations_tested"] >= 20
    assert result.evidence["test_user"].startswith("contract")
    assert "[redacted]" in " ".join(result.evidence["command"])


@pytest.mark.slow
def test_integer_path_parameter_500_fails_and_is_named(tmp_path: Path) -> None:
    result = ContractGate().run(
        target(build(tmp_path, "server-error"), fast=True, contract={"max_examples": 5})
    )
    assert result.status == "fail"
    rules = {(f.rule, f.operation) for f in result.findings}
    assert ("contract:ST101", "GET /api/tasks/{task_id}") in rules
    assert all(f.operation == "GET /api/tasks/{task_id}" for f in result.findings), rules


@pytest.mark.slow
def test_open_endpoint_is_caught_by_the_auth_check(tmp_path: Path) -> None:
    result = ContractGate().run(
        target(build(tmp_path, "open-endpoint"), fast=True, contract={"max_examples": 5})
    )
    assert result.status == "fail"
    found = {(f.rule, f.operation, f.severity) for f in result.findings}
    assert ("contract:ST401", "GET /api/tags", "critical") in found, found


@pytest.mark.slow
def test_a_service_that_cannot_start_fails_with_its_log(tmp_path: Path) -> None:
    project = build(tmp_path)
    (project / "app" / "main.py").write_text("raise RuntimeError('misconfigured settings')\n")
    result = ContractGate().run(target(project, fast=True))
    assert result.status == "fail"
    assert result.findings[0].rule == "contract:start"
    assert "misconfigured settings" in result.evidence["service_log"]


@pytest.mark.slow
@pytest.mark.services
def test_clean_project_conforms_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    t = target(build(tmp_path), fast=True, contract={"max_examples": 5})
    result = ContractGate().run(t.model_copy(update={"database_url": postgres_url}))
    assert result.status == "pass", [f.message for f in result.findings]
    assert result.evidence["database"] == "postgresql"


def test_stateful_failures_are_named_by_the_operation_they_hit() -> None:
    xml = """<testsuites><testsuite><testcase name="Stateful tests">
      <failure type="failure" message="ST101">- ST101 Server error

    curl -X GET -H 'Authorization: [Filtered]' http://127.0.0.1:9/api/tasks/17</failure>
    </testcase></testsuite></testsuites>"""
    doc = {"paths": {"/api/tasks/{task_id}": {"get": {}}, "/api/tasks": {"get": {}}}}
    [finding] = parse_junit(xml, doc)
    assert finding.operation == "GET /api/tasks/{task_id}"
    assert parse_junit(xml)[0].operation == "Stateful tests"


def test_accepted_statuses_extend_schemathesis_defaults_service_wide_or_per_operation() -> None:
    assert schemathesis_config(None) is None and schemathesis_config([]) is None
    wide = schemathesis_config([422, 400])
    assert wide is not None and wide.startswith("[checks.positive_data_acceptance]\n")
    assert '"404", "409", "429", "5xx", "400", "422"]' in wide
    per_operation = schemathesis_config({"users-register": [422], "bad id\n": [400]})
    assert per_operation is not None
    assert 'include-operation-id = "users-register"' in per_operation
    assert "bad id" not in per_operation  # a malformed operationId never reaches the TOML


@pytest.mark.slow
def test_business_rule_refusal_fails_unless_the_project_accepts_its_status(tmp_path: Path) -> None:
    """A schema-valid create refused by a business rule with 422 is schemathesis ST202 (positive data
    rejected) until the project names 422 as a refusal status of that operation."""
    project = build(tmp_path)
    replace(
        project, "app/api/routes/tags.py",
        "    if repo.name_taken(session, owner_id=user.id, name=body.name):\n",
        "    if body.name:  # business rule: the tag quota is used up\n"
        "        raise HTTPException(status_code=422, detail=\"tag quota reached\")\n"
        "    if repo.name_taken(session, owner_id=user.id, name=body.name):\n",
    )  # fmt: skip
    options = {"max_examples": 5, "phases": ["examples", "coverage"], "boundaries": False}
    refused = ContractGate().run(target(project, fast=True, contract=options))
    assert ("contract:ST202", "POST /api/tags") in {(f.rule, f.operation) for f in refused.findings}, [
        (f.rule, f.operation) for f in refused.findings
    ]
    # checks switched off for another operation leave this one's checks on (the config file enables them)
    elsewhere = {**options, "disable_checks_for": {"tags-list_tags": ["negative_data_rejection"]}}
    still_refused = ContractGate().run(target(project, fast=True, contract=elsewhere))
    assert ("contract:ST202", "POST /api/tags") in {(f.rule, f.operation) for f in still_refused.findings}
    assert "--checks" not in still_refused.evidence["command"]
    accepted = ContractGate().run(
        target(project, fast=True, contract={**options, "accept_statuses": {"tags-create_tag": [422]}})
    )
    assert "POST /api/tags" not in {f.operation for f in accepted.findings}, [f.message for f in accepted.findings]
    assert accepted.status == "pass", [f.message for f in accepted.findings]
    assert 'include-operation-id = "tags-create_tag"' in accepted.evidence["schemathesis_config"]


def test_nul_bytes_are_left_out_of_generated_strings_when_the_project_says_so() -> None:
    from types import SimpleNamespace

    from backend_agent.gates._options import ContractOptions
    from backend_agent.gates.contract import st_command

    assert ContractOptions.model_validate({"allow_x00": False}).allow_x00 is False
    service = SimpleNamespace(openapi_url="http://127.0.0.1:1/openapi.json", base_url="http://127.0.0.1:1")
    common = {"examples": 5, "junit": Path("j.xml"), "headers": {}, "max_time_s": None}
    default = st_command("st", service, **common)
    assert "--generation-allow-x00" not in default
    off = st_command("st", service, allow_x00=False, **common)
    assert off[off.index("--generation-allow-x00") + 1] == "false"
    # checks a project switches off (disable_checks) are left out the same way
    assert "--exclude-checks" not in default
    excluded = st_command("st", service, excluded_checks=("ensure_resource_availability",), **common)
    assert excluded[excluded.index("--exclude-checks") + 1] == "ensure_resource_availability"


@pytest.mark.slow
def test_lists_are_fuzzed_with_rows_in_them(tmp_path: Path) -> None:
    """A list whose rows break the schema passes while it is empty: the gate creates rows through the
    API before the fuzzer starts, so the failing answer already holds the seeded rows (their marker)."""
    options = {"max_examples": 5, "phases": ["coverage"], "boundaries": False}
    result = ContractGate().run(target(build(tmp_path, "list-shape"), fast=True, contract=options))
    assert result.status == "fail"
    [violation] = [f for f in result.findings if (f.rule, f.operation) == ("contract:ST108", "GET /api/tags")]
    seeded = result.evidence["seeded"]
    assert seeded["rows"] >= 2 and not seeded["refused"], seeded
    assert seeded["markers"][0] in violation.message


@pytest.mark.slow
def test_seeding_can_be_switched_off(tmp_path: Path) -> None:
    options = {"max_examples": 5, "phases": ["examples"], "boundaries": False, "seed_rows": 0}
    result = ContractGate().run(target(build(tmp_path), fast=True, contract=options))
    assert result.evidence["seeded"] == {"rows": 0, "markers": [], "refused": []}
