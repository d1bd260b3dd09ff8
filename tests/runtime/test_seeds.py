"""Each seed definition runs a scripted turn with exactly the tools it grants."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.backend_tools import BACKEND_TOOL_NAMES
from tests.runtime.conftest import write_script

BUILTINS = [
    "Read", "Write", "Edit", "Bash", "BashOutput", "KillShell", "Grep", "Glob",
    "NotebookEdit", "TodoWrite", "WebFetch", "WebSearch",
]  # fmt: skip
SIX = ["Read", "Write", "Edit", "Bash", "Grep", "Glob"]
INHERITED = [*BUILTINS, *BACKEND_TOOL_NAMES]  # `tools` omitted: the built-ins and the backend tools
# seed prefix → (tools the model must be offered, a tool call the run does not offer). Seeds that omit
# `tools` inherit everything, so their refused call is ExitPlanMode, offered only in plan mode.
SEEDS = {
    "000": (SIX, "Task"),
    "001": ([*INHERITED, "Agent", "Task", "Skill"], "ExitPlanMode"),
    "002": ([*INHERITED, "Agent", "Task", "Skill"], "ExitPlanMode"),
    "003": (SIX, "Agent"),
    "004": ([*INHERITED, "Agent", "Task", "Skill"], "ExitPlanMode"),
}


@pytest.mark.parametrize("prefix", sorted(SEEDS))
def test_seed_runs_with_exactly_its_tools(prefix: str, seeds_dir: Path, workspace: Path, run_agent) -> None:
    seed = next(seeds_dir.glob(f"{prefix}_*"))
    expected_tools, forbidden = SEEDS[prefix]
    (workspace / "notes.md").write_text("# notes\n")
    write_script(workspace, [
        {"tool_calls": [{"tool": "Read", "input": {"file_path": "notes.md"}},
                        {"tool": forbidden, "input": {"prompt": "x", "subagent_type": "backend", "url": "http://x"}}]},
        {"expect": [{"tool": "Read", "ok": True, "contains": "# notes"},
                    {"tool": forbidden, "ok": False, "contains": forbidden}],
         "text": "seed turn done"},
    ])  # fmt: skip
    result, events = run_agent(workspace, agent=str(seed), permission_mode="acceptEdits")
    assert result.status == "success", result.error
    started = events.of("system")[0]
    assert started.tools == expected_tools
    assert result.result == "seed turn done"


def test_missing_skills_of_seed_001_are_warned(seeds_dir: Path, workspace: Path, run_agent) -> None:
    seed = next(seeds_dir.glob("001_*"))
    write_script(workspace, [{"text": "ok"}])
    result, _ = run_agent(workspace, agent=str(seed))
    assert result.status == "success"
    assert any("nestjs-backend" in w and "docker" in w for w in result.warnings)


def test_disallowed_tools_are_not_offered(workspace: Path, run_agent) -> None:
    folder = workspace / ".claude" / "agents"
    folder.mkdir(parents=True)
    (folder / "no-shell.md").write_text(
        "---\nname: no-shell\ndescription: d\ndisallowedTools: Bash, Write\n---\nBody.\n"
    )
    write_script(workspace, [
        {"tool_calls": [{"tool": "Bash", "input": {"command": "touch x"}}]},
        {"expect": {"tool": "Bash", "ok": False, "contains": "Unknown tool"}, "text": "ok"},
    ])  # fmt: skip
    result, events = run_agent(workspace, agent="no-shell", permission_mode="bypassPermissions")
    assert result.status == "success", result.error
    tools = events.of("system")[0].tools
    assert "Bash" not in tools and "Write" not in tools and "Read" in tools
    assert not (workspace / "x").exists()


def test_unconfigured_mcp_modules_of_seed_002_are_warned(seeds_dir: Path, workspace: Path, run_agent) -> None:
    seed = next(seeds_dir.glob("002_*"))
    write_script(workspace, [{"text": "ok"}])
    result, _ = run_agent(workspace, agent=str(seed))
    assert result.status == "success", result.error
    (warning,) = [w for w in result.warnings if "MCP modules" in w]
    for name in ("supabase", "stripe", "sequential", "fetch"):
        assert name in warning
