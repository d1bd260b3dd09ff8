"""The static-security gate: bandit plus the shipped semgrep rules, on planted defects and the clean project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend_agent.gates import load_target, run_gates
from backend_agent.gates import security as security_module
from backend_agent.gates._proc import run_process
from backend_agent.gates.security import RULES_DIR, bandit_findings, semgrep_findings
from tests.gates._defects import append, clean_copy, ensure_tool, patch, write

# Each line tagged "# expect: <rule>" must be reported by that rule; lines tagged "# ok" must not be.
SAMPLE = '''
import hashlib, os, pickle, subprocess
import jwt, requests, yaml
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import text

SECRET_KEY = "s3cr3t-very-long-value"  # expect: hard-coded-secret
api_key: str = "abcd1234efgh5678"  # expect: hard-coded-secret
password = "changeme"  # ok
app = FastAPI(debug=True)  # expect: debug-mode-enabled
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)  # expect: permissive-cors-with-credentials
app.add_middleware(CORSMiddleware, allow_origins=["https://a.example"], allow_credentials=True)  # ok


def queries(db, name):
    db.execute(f"SELECT * FROM users WHERE name = '{name}'")  # expect: sql-built-from-strings
    db.execute(text("SELECT * FROM users WHERE name = '%s'" % name))  # expect: sql-built-from-strings
    db.execute(text("SELECT * FROM users WHERE name = " + name))  # expect: sql-built-from-strings
    db.execute(text("SELECT * FROM t WHERE a = {}".format(name)))  # expect: sql-built-from-strings
    db.execute(text("SELECT * FROM users WHERE name = :n"), {"n": name})  # ok


def loaders(data):
    pickle.loads(data)  # expect: unsafe-deserialization
    yaml.load(data)  # expect: unsafe-deserialization
    yaml.safe_load(data)  # ok
    subprocess.run(f"ls {data}", shell=True)  # expect: shell-command-injection
    os.system("ls " + data)  # expect: shell-command-injection
    subprocess.run(["ls", data], check=True)  # ok
    requests.get("https://x", verify=False, timeout=5)  # expect: tls-verification-disabled
    jwt.decode(data, options={"verify_signature": False})  # expect: jwt-decode-without-verification
    jwt.decode(data, "k", algorithms=["HS256"])  # ok


def register(body, User, hasher, users, db):
    a = User(email=body.email, password=body.password)  # expect: plaintext-password-storage
    b = User(email=body.email, hashed_password=hasher.hash(body.password))  # ok
    users.create(db, username=body.username, password_hash=body.password)  # expect: plaintext-password-storage
    users.login(db, username=body.username, password=body.password)  # ok
    a.password_hash = body.password  # expect: plaintext-password-storage
    digest = hashlib.md5(body.password.encode()).hexdigest()  # expect: weak-password-hash
    etag = hashlib.sha256(body.email.encode()).hexdigest()  # ok
    return a, b, digest, etag


def raw_sql(db, body, hasher, Base, engine):
    db.execute(text("INSERT INTO users (name, password) VALUES (:n, :p)"), {"n": body.name, "p": body.password})  # expect: plaintext-password-in-raw-sql
    db.execute(text("INSERT INTO users (name, password) VALUES (:n, :p)"), {"n": body.name, "p": hasher.hash(body.password)})  # ok
    Base.metadata.create_all(engine)  # expect: ddl-outside-migrations
    db.execute(text("ALTER TABLE users ADD COLUMN nick TEXT"))  # expect: ddl-outside-migrations
    db.execute(text("SELECT 1"))  # ok
'''


@pytest.fixture(scope="module")
def semgrep() -> str:
    return ensure_tool("semgrep")


@pytest.mark.slow
def test_every_shipped_rule_fires_on_its_sample_and_not_on_safe_code(tmp_path: Path, semgrep: str) -> None:
    sample = write(tmp_path, "svc/sample.py", SAMPLE)
    result = run_process(
        [semgrep, "scan", "--config", str(RULES_DIR), "--disable-version-check", "--metrics=off", "--json",
         "--quiet", "--project-root", ".", "svc"],
        cwd=tmp_path, timeout_s=180,
    )
    findings = semgrep_findings(json.loads(result.stdout), tmp_path)
    got = {(f.line, f.rule.split(":", 1)[1]) for f in findings}
    expected = set()
    safe = set()
    for number, line in enumerate(sample.read_text().splitlines(), start=1):
        if "# expect: " in line:
            expected.add((number, line.split("# expect: ")[1].strip()))
        elif line.rstrip().endswith("# ok"):
            safe.add(number)
    assert expected <= got, f"missed: {sorted(expected - got)}"
    assert not {line for line, _ in got} & safe, f"false positives on safe lines: {sorted(got)}"
    rule_ids = {rule for _, rule in expected}
    shipped = {p.stem for p in RULES_DIR.glob("*.yml")}
    assert len(rule_ids) == 12 and shipped == {"sql", "injection", "crypto", "config", "storage"}
    assert all(f.hint for f in findings), "every rule carries a fix"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("defect", "rule"),
    [
        ("hard-coded secret", "semgrep:hard-coded-secret"),
        ("sql f-string", "semgrep:sql-built-from-strings"),
        ("plaintext password", "semgrep:plaintext-password-storage"),
    ],
)
def test_planted_defect_fails_and_is_named(tmp_path: Path, semgrep: str, defect: str, rule: str) -> None:
    project = clean_copy(tmp_path)
    if defect == "hard-coded secret":
        patch(project, "app/core/config.py", "secret_key: str | None = Field(default=None, min_length=32)",
              'secret_key: str | None = "b7d1f0c2a9e84e5f9c3a6d2b1e0f4a7c-prod"')
        where = "app/core/config.py"
    elif defect == "sql f-string":
        append(project, "app/repositories/users.py", '''
            def search(session: Session, *, term: str) -> list[User]:
                from sqlalchemy import text

                rows = session.execute(text(f"SELECT id FROM users WHERE username LIKE '%{term}%'"))
                return [session.get(User, row.id) for row in rows]
        ''')
        where = "app/repositories/users.py"
    else:
        patch(project, "app/api/routes/auth.py", "password_hash=hash_password(body.password)",
              "password_hash=body.password")
        where = "app/api/routes/auth.py"
    result = run_gates(load_target(project), gates=["static-security"]).gates[0]
    assert result.status == "fail", result.summary
    hits = [f for f in result.findings if f.rule == rule]
    assert hits and hits[0].file == where and hits[0].hint
    assert rule in result.summary


@pytest.mark.slow
def test_clean_project_passes(tmp_path: Path, semgrep: str) -> None:
    project = clean_copy(tmp_path)
    result = run_gates(load_target(project), gates=["static-security"]).gates[0]
    assert result.status == "pass", [f"{f.rule} {f.file}:{f.line}" for f in result.findings]
    assert {"bandit", "semgrep"} <= result.metrics["by_tool"].keys()


def test_without_semgrep_bandit_still_runs_and_the_skip_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(security_module, "isolated_tool", lambda name: None)
    real_find = security_module.find_tool
    monkeypatch.setattr(security_module, "find_tool", lambda name: None if name == "semgrep" else real_find(name))
    write(tmp_path, "app/__init__.py", "")
    write(tmp_path, "app/run.py", "import subprocess\n\n\ndef go(cmd):\n    return subprocess.call(cmd, shell=True)\n")
    result = run_gates(load_target(tmp_path), gates=["static-security"]).gates[0]
    assert result.status == "fail"
    assert any(f.rule == "bandit:B602" and f.file == "app/run.py" and f.line == 5 for f in result.findings)
    assert "semgrep: not installed" in result.summary and "--install-tools" in result.summary
    write(tmp_path, "backend-agent.toml", '[static-security]\nignore = ["B602", "B404"]\n')
    ignored = run_gates(load_target(tmp_path), gates=["static-security"]).gates[0]
    assert ignored.status == "pass" and not any(f.rule == "bandit:B602" for f in ignored.findings)


def test_bandit_and_semgrep_json_are_mapped(tmp_path: Path) -> None:
    bandit = {"results": [{"test_id": "B608", "test_name": "hardcoded_sql_expressions", "issue_text": "SQL",
                           "issue_severity": "MEDIUM", "filename": str(tmp_path / "app/x.py"), "line_number": 7,
                           "more_info": "https://bandit.example/b608"}]}
    [b] = bandit_findings(bandit, tmp_path)
    assert (b.rule, b.severity, b.file, b.line) == ("bandit:B608", "medium", "app/x.py", 7)
    semgrep = {"results": [{"check_id": "tmp.rules.sql-built-from-strings", "path": "app/x.py", "start": {"line": 3},
                            "extra": {"message": "SQL  is\n built", "severity": "ERROR", "metadata": {"fix": "bind"}}}]}
    [s] = semgrep_findings(semgrep, tmp_path)
    assert (s.rule, s.severity, s.message, s.hint) == ("semgrep:sql-built-from-strings", "high", "SQL is built", "bind")


def test_files_semgrep_could_not_scan_are_named_in_the_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stand-in semgrep that scanned nothing and reported one error: the gate must not look clean.
    fake = write(tmp_path, "bin/semgrep", """
        #!/bin/sh
        echo '{"version": "0.0", "results": [], "errors": [{"type": "Syntax error", "path": "app/x.py"}]}'
    """)
    fake.chmod(0o755)
    monkeypatch.setattr(security_module, "isolated_tool", lambda name: str(fake))
    write(tmp_path, "project/app/__init__.py", "")
    write(tmp_path, "project/app/x.py", "VALUE = 1\n")
    result = run_gates(load_target(tmp_path / "project"), gates=["static-security"]).gates[0]
    assert "semgrep: 1 error(s), see evidence.semgrep_errors" in result.summary
    assert result.evidence["semgrep_errors"] == [{"type": "Syntax error", "path": "app/x.py"}]
