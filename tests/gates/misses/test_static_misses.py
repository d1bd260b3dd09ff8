"""Point 4 misses the static-security gate must catch, one planted defect at a time, and the clean
fixture without any finding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend_agent.gates import GateResult
from backend_agent.gates._depaudit import audit_findings, find_pins
from backend_agent.gates._toolenv import install_isolated
from backend_agent.gates.security import StaticSecurityGate
from tests.gates._defects import ensure_tool
from tests.gates.misses.defects import build
from tests.gates.projects import target

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def _tools() -> None:
    ensure_tool("semgrep")
    for name in ("detect-secrets", "pip-audit"):
        status = install_isolated(name)
        if not status.path:
            pytest.skip(f"{name} could not be installed: {status.detail[-300:]}")


def _run(project: Path) -> GateResult:
    return StaticSecurityGate().run(target(project))


def _rules(result: GateResult) -> set[str]:
    return {f.rule for f in result.findings}


def test_clean_fixture_has_no_finding(tmp_path: Path) -> None:
    result = _run(build(tmp_path))
    assert result.status == "pass", result.summary
    assert result.findings == []
    # Offline, the dependency audit says it could not run; that is not a failure.
    audit = result.evidence["dependency_audit"]
    assert audit["source"] == "pyproject.toml" and audit["pins"] == 8
    if audit["could_not_run"]:
        assert "pip-audit could not run" in result.summary


@pytest.mark.parametrize(
    ("defect", "rule", "file"),
    [
        ("raw-sql-password", "semgrep:plaintext-password-in-raw-sql", "app/api/routes/auth.py"),
        ("ddl-at-start", "semgrep:ddl-outside-migrations", "app/main.py"),
        ("cors-settings", "rule:cors-wildcard-from-settings", "app/main.py"),
    ],
)
def test_planted_source_defect_is_caught(tmp_path: Path, defect: str, rule: str, file: str) -> None:
    result = _run(build(tmp_path, defect))
    assert result.status == "fail"
    assert _rules(result) == {rule}, [f.message for f in result.findings]
    finding = result.findings[0]
    assert finding.file == file and finding.line and finding.hint


def test_secret_in_a_kubernetes_manifest_is_caught(tmp_path: Path) -> None:
    result = _run(build(tmp_path, "k8s-secret"))
    assert result.status == "fail"
    assert {f.file for f in result.findings} == {"deploy/k8s/secret.yaml"}
    assert sorted(f.line for f in result.findings) == [8, 9]  # one finding per line, not per detector
    assert all(f.rule.startswith("secrets:") and f.severity == "high" for f in result.findings)


def test_contract_examples_and_field_names_are_not_secrets_but_a_config_password_is(tmp_path: Path) -> None:
    project = build(tmp_path)
    contract = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}, "components": {"schemas": {
        "Login": {"type": "object", "properties": {"password": {"type": "string", "writeOnly": True}},
                  "example": {"password": "correct-horse-battery-staple"}}}}}
    (project / "openapi.json").write_text(json.dumps(contract, indent=2))
    (project / "design.json").write_text(json.dumps({"password_field": "password", "password_column": "hash"}, indent=1))
    assert _run(project).status == "pass"

    (project / "config.json").write_text(json.dumps({"db_password": "correct-horse-battery-staple"}, indent=1))
    result = _run(project)
    assert result.status == "fail"
    assert [(f.file, f.rule) for f in result.findings] == [("config.json", "secrets:secret-keyword")]


def test_cors_rule_names_the_settings_default(tmp_path: Path) -> None:
    result = _run(build(tmp_path, "cors-settings"))
    assert "app/core/config.py" in result.findings[0].message and "cors_origins" in result.findings[0].message


def test_pins_come_from_the_lock_file_first(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["fastapi==0.1"]\n')
    (tmp_path / "uv.lock").write_text(
        'version = 1\n[[package]]\nname = "jinja2"\nversion = "2.10"\n'
        '[[package]]\nname = "x"\nversion = "0.1"\nsource = { editable = "." }\n'
    )
    assert find_pins(tmp_path) == ("uv.lock", [("jinja2", "2.10")])
    (tmp_path / "uv.lock").unlink()
    (tmp_path / "requirements.txt").write_text("jinja2==2.10  # pinned\nrequests>=2\n-e .\n")
    assert find_pins(tmp_path) == ("requirements.txt", [("jinja2", "2.10")])


def test_pip_audit_report_becomes_findings() -> None:
    report = json.loads(
        '{"dependencies": [{"name": "jinja2", "version": "2.10", "vulns": [{"id": "PYSEC-2019-217",'
        ' "fix_versions": ["2.10.1"], "aliases": ["CVE-2019-10906", "GHSA-462w-v97r-4m45"],'
        ' "description": "sandbox escape via str.format_map"}]},'
        ' {"name": "fastapi", "skip_reason": "Dependency not found on PyPI"}], "fixes": []}'
    )
    findings, audited, skipped = audit_findings(report, "uv.lock")
    assert (audited, skipped) == (1, 1)
    assert [f.rule for f in findings] == ["pip-audit:PYSEC-2019-217"]
    assert "CVE-2019-10906" in findings[0].message and "2.10.1" in (findings[0].hint or "")
