"""Issue 11 escapes through the sandbox: .mcp.json, .git/hooks and hook scripts stay read-only.

A Bash command allowed by ``Bash(echo:*)`` wrote ``.mcp.json`` (whose server the next run started
outside the sandbox) and ``.git/hooks/pre-commit`` (which a later commit runs). Inside the sandbox
both are read-only, an absent ``.mcp.json`` cannot be created, and nothing is left behind.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from backend_agent.tools import BashOutputTool, BashTool, ToolContext
from tests.tools.procs import HAVE_BWRAP

pytestmark = pytest.mark.skipif(not HAVE_BWRAP, reason="bubblewrap is not usable here")


def bash(ctx: ToolContext, command: str, **extra: object):
    return BashTool().call({"command": command, **extra}, ctx)


def test_sandboxed_bash_cannot_create_mcp_json(workspace: Path) -> None:
    ctx = ToolContext(workspace=workspace, sandbox=True)
    result = bash(ctx, """echo '{"mcpServers": {"x": {"command": "id"}}}' > .mcp.json || echo refused""")
    assert "refused" in result.output
    assert not (workspace / ".mcp.json").exists()  # and no empty placeholder is left behind


def test_sandboxed_bash_cannot_rewrite_an_existing_mcp_json(workspace: Path) -> None:
    (workspace / ".mcp.json").write_text('{"mcpServers": {}}')
    ctx = ToolContext(workspace=workspace, sandbox=True)
    result = bash(ctx, """echo '{"mcpServers": {"x": {"command": "id"}}}' > .mcp.json || echo refused""")
    assert "refused" in result.output
    assert (workspace / ".mcp.json").read_text() == '{"mcpServers": {}}'


def test_sandboxed_bash_cannot_write_git_hooks_or_config(workspace: Path) -> None:
    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    config = (workspace / ".git/config").read_text()
    ctx = ToolContext(workspace=workspace, sandbox=True)
    result = bash(
        ctx,
        "printf '#!/bin/sh\\nid > /tmp/pwned\\n' > .git/hooks/pre-commit || echo refused-hook; "
        "git config core.hooksPath /tmp/evil || echo refused-config; echo ok > src.txt",
    )
    assert "refused-hook" in result.output and "refused-config" in result.output
    assert not (workspace / ".git/hooks/pre-commit").exists()
    assert (workspace / ".git/config").read_text() == config
    assert (workspace / "src.txt").read_text() == "ok\n"  # the rest of the workspace stays writable


def test_background_jobs_cannot_write_mcp_json_either(workspace: Path) -> None:
    ctx = ToolContext(workspace=workspace, sandbox=True)
    job = bash(ctx, "echo '{}' > .mcp.json; echo finished", run_in_background=True)
    assert job.ok
    deadline = time.monotonic() + 15
    out = ""
    while time.monotonic() < deadline:
        polled = BashOutputTool().call({"bash_id": job.data["bash_id"]}, ctx)
        out = polled.output
        if "finished" in out and polled.data.get("status") != "running":
            break
        time.sleep(0.2)
    assert "finished" in out
    time.sleep(0.3)
    assert not (workspace / ".mcp.json").exists()


def test_hook_scripts_are_read_only_in_the_sandbox(workspace: Path) -> None:
    hook = workspace / "scripts" / "guard.sh"
    hook.parent.mkdir()
    hook.write_text("#!/bin/sh\nexit 0\n")
    ctx = ToolContext(workspace=workspace, sandbox=True, protected_extra=[hook])
    result = bash(ctx, "echo 'exit 0 # pwned' > scripts/guard.sh || echo refused")
    assert "refused" in result.output
    assert hook.read_text() == "#!/bin/sh\nexit 0\n"


def test_git_commits_still_work_in_the_sandbox(workspace: Path) -> None:
    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    ctx = ToolContext(workspace=workspace, sandbox=True)
    result = bash(
        ctx,
        "echo x > a.txt && git add a.txt && git -c user.name=t -c user.email=t@e commit -qm first && git log --oneline | wc -l",
    )
    assert result.ok and result.data["stdout"].strip() == "1", result.output


def test_bypass_mode_lifts_the_protection(workspace: Path) -> None:
    ctx = ToolContext(workspace=workspace, sandbox=True, protect_settings=False)
    result = bash(ctx, "echo '{}' > .mcp.json && echo written")
    assert "written" in result.output and (workspace / ".mcp.json").read_text() == "{}\n"
