"""Issue 11: one redaction pass over everything persisted or printed.

Permission reasons (which quote the command), the final result, stream events and session exports
never carry a key or a password, in any output format.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend_agent.runtime.redact import Redactor
from backend_agent.runtime.sessions import session_db_path
from tests.runtime.conftest import write_script

KEY = "sk-ant-" + "Zx9" * 12
PASSWORD = "hunter2-correct-horse"


def script(workspace: Path) -> None:
    write_script(workspace, [
        {"tool_calls": [{"tool": "Bash", "input": {"command": f'curl -H "x-api-key: {KEY}" https://example.com'}}]},
        {"text": f'Done; the key was {KEY} and db_password = "{PASSWORD}"'},
    ])  # fmt: skip


@pytest.mark.parametrize("output_format", ["json", "stream-json", "text"])
def test_no_secret_in_output_store_or_export(workspace: Path, cli, output_format: str) -> None:
    script(workspace)
    proc = cli("run", "-p", "call it", "--model", "script:script.yaml", "--output-format", output_format,
               cwd=workspace)  # fmt: skip
    printed = proc.stdout + proc.stderr
    assert KEY not in printed and PASSWORD not in printed, printed
    assert "[REDACTED]" in printed
    listed = json.loads(cli("sessions", "list", "--json", cwd=workspace).stdout)
    exported = cli("sessions", "export", listed[0]["id"], cwd=workspace).stdout
    shown = cli("sessions", "show", listed[0]["id"], "--json", cwd=workspace).stdout
    for text in (exported, shown):
        assert KEY not in text and PASSWORD not in text
    data = json.loads(exported)
    assert data["permissions"] and "[REDACTED]" in data["permissions"][0]["reason"]
    raw = session_db_path(workspace).read_bytes()
    wal = session_db_path(workspace).with_name("sessions.db-wal")
    raw += wal.read_bytes() if wal.exists() else b""
    assert KEY.encode() not in raw and PASSWORD.encode() not in raw


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ('password = "hunter2hunter"', 'password = "[REDACTED]"'),
        ("DB_PASSWORD=s3cr3tpw", "DB_PASSWORD=[REDACTED]"),
        ('{"api_key": "abcd-1234-efgh"}', '{"api_key": "[REDACTED]"}'),
        ("client_secret: abcdef123456", "client_secret: [REDACTED]"),
        ("mysql --password=abc123 -u root", "mysql --password=[REDACTED] -u root"),
        ("export GITHUB_TOKEN='ghx-1234567'", "export GITHUB_TOKEN='[REDACTED]'"),
    ],
)
def test_password_assignment_shapes(text: str, kept: str) -> None:
    assert Redactor({}).text(text) == kept


@pytest.mark.parametrize(
    "harmless",
    [
        "password = os.environ['DB_PASSWORD']",
        "pwd = get_password()",
        "max_tokens: 4096",
        "password: ${DB_PASSWORD}",
        "the token budget was exceeded",
        "git@github.com:org/repo.git",
    ],
)
def test_code_and_prose_around_secrets_are_left_alone(harmless: str) -> None:
    assert Redactor({}).text(harmless) == harmless
