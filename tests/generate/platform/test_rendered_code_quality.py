"""The rendered app/core is code a person can own: ruff, mypy --strict and bandit clean, in every variant."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.generate.platform._render import conduit_design, render_core
from tests.generate.platform.conftest import envelope_design

BIN = Path(sys.executable).parent


def _variants() -> dict[str, dict[str, Any]]:
    message_style = copy.deepcopy(conduit_design())
    message_style["service"].update(error_style="message", error_key="message", validation_status=400)
    message_style["auth"] = None
    return {"field_list": conduit_design(), "envelope_logout_refresh": envelope_design(),
            "message_no_auth": message_style}


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
@pytest.mark.parametrize("variant", list(_variants()))
def test_rendered_core_passes_ruff_mypy_and_bandit(variant: str, tmp_path: Path) -> None:
    project = render_core(tmp_path, _variants()[variant])
    ruff = _run(str(BIN / "ruff"), "check", "--isolated", "--no-cache", "--target-version", "py311",
                "--select", "E,F,W,I,B,UP,SIM,RUF,S,N", "--ignore", "E501,B008,RUF012,S101", "app", cwd=project)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = _run(str(BIN / "mypy"), "--strict", "--no-incremental", "--cache-dir", str(tmp_path / ".mypy"),
                "--python-version", "3.11", "--ignore-missing-imports", "app", cwd=project)
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    bandit = _run(str(BIN / "bandit"), "-q", "-r", "app", cwd=project)
    assert bandit.returncode == 0, bandit.stdout + bandit.stderr


def test_rendered_error_shapes_follow_the_design(tmp_path: Path) -> None:
    for name, design_json in _variants().items():
        project = render_core(tmp_path / name, design_json)
        code = ("from app.core.errors import error_body; import json;"
                "print(json.dumps(error_body(422, 'title: too long', 'title')))")
        result = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True,
                                env={"PYTHONPATH": str(project), "APP_ENV": "development"}, timeout=60)
        assert result.returncode == 0, result.stderr
        expected = {
            "field_list": '{"errors": {"title": ["title: too long"]}}',
            "envelope_logout_refresh": '{"error": {"code": "validation_error", "message": "title: too long", '
                                       '"details": [{"field": "title", "message": "title: too long"}]}}',
            "message_no_auth": '{"message": "title: too long"}',
        }[name]
        assert result.stdout.strip() == expected
