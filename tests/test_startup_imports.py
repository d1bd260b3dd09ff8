"""Commands that run no model import no model stack, gates or service frameworks (start-up < 300 ms,
measured in bench/bench_startup.py; this test pins the cause, which timing on a shared machine cannot)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("pydantic_ai", "backend_agent.gates", "fastapi", "sqlalchemy", "numpy", "httpx")


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["agents", "list", "--json"],
        ["sessions", "list"],
        ["tools", "list"],
        ["permissions", "check", "--tool", "Bash", "--input", json.dumps({"command": "git status"})],
        ["permissions", "check", "--tool", "Read", "--input", json.dumps({"file_path": "README.md"})],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_offline_commands_keep_heavy_imports_out(argv: list[str], tmp_path: Path) -> None:
    code = (
        "import contextlib, io, sys\n"
        "from backend_agent.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    main({argv!r})\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"
