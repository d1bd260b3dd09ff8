"""`backend-agent agents list|show|validate|route` end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend_agent.cli.main import main


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("COLUMNS", "200")
    root = tmp_path / "proj"
    agents = root / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "backend.md").write_text("---\nname: backend\ndescription: Our own backend agent\ntools: Read, Bash\nmodel: haiku\n---\nCustom.\n")
    (agents / "broken.md").write_text("---\nname: broken\n")
    monkeypatch.chdir(root)
    return root


def _json(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 0) -> dict:
    assert main(argv) == code
    return json.loads(capsys.readouterr().out)


def test_list_json_marks_shadowed_and_failures(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, ["agents", "list", "--json"])
    rows = {(row["name"], row["shadowed"]): row for row in data["agents"]}
    mine = rows[("backend", False)]
    assert mine["format"] == "claude-code" and mine["tools"] == ["Read", "Bash"] and mine["model"] == "haiku"
    assert mine["scope"] == "project"
    builtin = rows[("backend", True)]
    assert builtin["scope"] == "builtin"
    assert builtin["shadowed_by"] == str(project / ".claude" / "agents" / "backend.md")
    assert ("api-designer", False) in rows
    (failure,) = data["failures"]
    assert failure["path"].endswith("broken.md") and failure["line"] == 1


def test_list_table(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agents", "list"]) == 0
    captured = capsys.readouterr()
    assert "shadowed by .claude/agents/backend.md" in captured.out
    assert "builtin:data-engineer.md" in captured.out
    assert "broken.md:1: front matter opened with '---' is never closed" in captured.err


def test_show_json_and_text(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, ["agents", "show", "data-engineer", "--json"])
    assert data["name"] == "data-engineer"
    assert data["rendered_system_prompt"].strip()
    assert "data engineer" in data["rendered_system_prompt"]
    assert main(["agents", "show", "backend"]) == 0
    out = capsys.readouterr().out
    assert "Our own backend agent" in out and "Custom." in out and "builtin:backend.md" in out


def test_show_unknown_agent_is_a_clear_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agents", "show", "nobody"]) == 1
    err = capsys.readouterr().err
    assert "DefinitionError" in err and "no agent named 'nobody'" in err and "Traceback" not in err


def test_validate_verdicts_and_exit_code(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    agents = project / ".claude" / "agents"
    assert main(["agents", "validate", str(agents / "backend.md")]) == 0
    assert "1 ok, 0 failed" in capsys.readouterr().out
    data = _json(capsys, ["agents", "validate", str(agents), str(tmp_path / "missing.md"), "--json"], code=1)
    verdicts = {Path(f["path"]).name: f for f in data["files"]}
    assert data["ok"] is False
    assert verdicts["backend.md"]["ok"] is True
    assert verdicts["broken.md"]["ok"] is False and verdicts["broken.md"]["errors"][0]["line"] == 1
    assert verdicts["missing.md"]["errors"][0]["message"].startswith("does not exist; check the path")


def test_validate_strict_fails_on_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "w.md"
    path.write_text("---\nname: w\ndescription: d\nflavour: mint\n---\nb\n")
    assert main(["agents", "validate", str(path)]) == 0
    assert main(["agents", "validate", "--strict", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:4: unknown Claude Code key 'flavour'" in out


def test_route_json_with_files(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, ["agents", "route", "add a Postgres migration for the orders table", "--files", "app/models/order.py", "db/x.sql", "--json"])
    assert data["files"] == ["app/models/order.py", "db/x.sql"]
    top = data["matches"][0]
    assert top["agent"] == "data-engineer"
    assert "file extension .sql (db/x.sql)" in top["reasons"]
    assert main(["agents", "route", "add a Postgres migration for the orders table"]) == 0
    assert "data-engineer" in capsys.readouterr().out


def test_bad_usage_exits_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agents", "route", "  "]) == 2
    assert "the task is empty" in capsys.readouterr().err
    assert main(["agents", "list", "--cwd", "/nonexistent/folder"]) == 2


def test_console_script_subprocess(project: Path) -> None:
    exe = Path(sys.executable).with_name("backend-agent")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "backend_agent"]
    proc = subprocess.run(
        [*command, "agents", "list", "--json"], cwd=project, env=dict(os.environ), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    names = {row["name"] for row in json.loads(proc.stdout)["agents"]}
    assert {"backend", "platform-engineer"} <= names


def test_show_a_file_path(tmp_path: Path, capsys: pytest.CaptureFixture[str], seeds_dir: Path) -> None:
    seed = sorted(seeds_dir.glob("003_*"))[0]
    data = _json(capsys, ["agents", "show", str(seed), "--json", "--no-builtin", "--cwd", str(tmp_path)])
    assert data["format"] == "opencode"
    assert data["triggers"]["extensions"] == [".js", ".ts", ".py", ".java", ".go", ".cs"]
    assert data["system_prompt"].startswith("# Backend Development Agent")


def test_list_keeps_heavy_imports_out(project: Path) -> None:
    code = (
        "import contextlib, io, sys\n"
        "from backend_agent.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['agents', 'list', '--json']) == 0\n"
        "print(sorted(m for m in ('rank_bm25', 'numpy', 'pydantic_ai') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_show_renders_the_prompt_the_runtime_sends(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, ["agents", "show", "backend", "--json"])
    prompt = data["rendered_system_prompt"]
    assert prompt.startswith("Custom.")  # the project's definition body, not the shadowed built-in
    assert f"Workspace (working directory): {project}" in prompt
    tools_line = next(line for line in prompt.splitlines() if line.startswith("- Tools available:"))
    assert "Read" in tools_line and "Bash" in tools_line and "Write" not in tools_line
    (shadowed,) = data["shadows"]
    assert shadowed.endswith("builtin/backend.md")


def test_route_treats_an_existing_folder_as_a_folder(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "charts" / "helm").mkdir(parents=True)
    agents = project / ".claude" / "agents"
    (agents / "charts.md").write_text(
        "---\nname: charts\ndescription: Packages things\ntriggers:\n  directories: [helm/]\n---\nb\n"
    )
    data = _json(capsys, ["agents", "route", "fix it", "--files", "charts/helm", "--json", "--no-builtin"])
    assert data["files"] == ["charts/helm/"]
    assert data["matches"][0]["agent"] == "charts"
    assert data["matches"][0]["reasons"] == ["directory pattern helm/ (charts/helm/)"]


def test_validate_subprocess_bad_files_next_to_good_ones(tmp_path: Path) -> None:
    folder = tmp_path / "agents"
    folder.mkdir()
    (folder / "good.md").write_text("---\nname: good\ndescription: Works\n---\nDo it.\n")
    (folder / "list.md").write_text("---\n- a\n- b\n---\nb\n")
    (folder / "unclosed.md").write_text("---\nname: u\n")
    (folder / "typo.md").write_text("---\nname: typo\ndescription: d\nmaxturns: 3\n---\nb\n")
    exe = Path(sys.executable).with_name("backend-agent")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "backend_agent"]
    proc = subprocess.run(
        [*command, "agents", "validate", str(folder)],
        capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "300"},
    )
    assert proc.returncode == 1
    out = proc.stdout
    assert "Traceback" not in out + proc.stderr
    assert f"ok {folder / 'good.md'}  good (claude-code)" in out
    assert f"{folder / 'list.md'}:2: front matter is not valid YAML" in out and "(hint: write one 'key: value'" in out
    assert f"{folder / 'unclosed.md'}:1: front matter opened with '---' is never closed" in out
    assert f"{folder / 'typo.md'}:4: unknown Claude Code key 'maxturns'" in out and "did you mean 'maxTurns'?" in out
    assert "2 ok, 2 failed" in out


def test_validate_reads_opencode_json_agent_maps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "opencode.json"
    config.write_text('{\n  // comment\n  "agent": {"ok": {"description": "d", "mode": "boss"}, "bad": 1,},\n}\n')
    data = _json(capsys, ["agents", "validate", str(config), "--json"], code=1)
    verdicts = {f["path"].rsplit("#", 1)[1]: f for f in data["files"]}
    assert verdicts["agent.ok"]["ok"] is True and verdicts["agent.ok"]["format"] == "opencode"
    assert "unknown mode 'boss'" in verdicts["agent.ok"]["warnings"][0]["message"]
    assert verdicts["agent.bad"]["errors"][0]["message"].startswith("agent 'bad' must be an object")
    # The folder form finds the config too; a config without agents fails; broken JSON is located.
    folder_data = _json(capsys, ["agents", "validate", str(tmp_path), "--json"], code=1)
    assert len(folder_data["files"]) == 2
    config.write_text('{"theme": "dark"}')
    data = _json(capsys, ["agents", "validate", str(config), "--json"], code=1)
    assert "defines no agents" in data["files"][0]["errors"][0]["message"]
    config.write_text('{\n  "agent": {\n    "x": {"description": "d"}\n    "y": {}\n  }\n}\n')
    data = _json(capsys, ["agents", "validate", str(config), "--json"], code=1)
    (error,) = data["files"][0]["errors"]
    assert error["line"] == 4 and "is not valid JSON" in error["message"] and "hint:" in error["message"]


def test_show_a_missing_file_path_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agents", "show", "./agents/missing.md"]) == 2
    err = capsys.readouterr().err
    assert "./agents/missing.md is neither an agent name nor an existing file" in err and "Traceback" not in err
    assert main(["agents", "show", "review/security"]) == 1  # a possible OpenCode name: list the known ones
    assert "known agents: " in capsys.readouterr().err
