"""Issue 11 escapes at the permission engine: protected paths for the file tools, and the fast
tokenizer agreeing with the full parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.runtime.permissions import PermissionEngine, RuleSet, analyze
from backend_agent.runtime.permissions._fastlex import split_plain


def engine(ws: Path, mode: str, **rules: list[str]) -> PermissionEngine:
    return PermissionEngine(mode=mode, rules=RuleSet.from_lists(**rules), workspace=ws, home=ws / "home")


@pytest.mark.parametrize("target", [".mcp.json", ".git/hooks/pre-commit", ".git/config", ".gitmodules",
                                    ".claude/settings.local.json", ".opencode/agent/x.md"])  # fmt: skip
@pytest.mark.parametrize("mode", ["default", "acceptEdits", "dontAsk"])
def test_file_tools_never_write_protected_paths_without_approval(
    tmp_path: Path, target: str, mode: str
) -> None:
    e = engine(tmp_path, mode, allow=["Edit", "Write", "Bash(echo:*)", "Bash(cp:*)"])
    for tool in ("Write", "Edit"):
        decision = e.decide(tool, {"file_path": target, "content": "{}"})
        assert decision.action == ("deny" if mode == "dontAsk" else "ask"), (tool, target, decision.reason)
    shell = e.decide("Bash", {"command": f"echo '{{}}' > {target}"})
    assert shell.action != "allow", shell.reason
    copy = e.decide("Bash", {"command": f"cp evil.json {target}"})
    assert copy.action != "allow", copy.reason


def test_bypass_mode_may_still_write_protected_paths(tmp_path: Path) -> None:
    e = engine(tmp_path, "bypassPermissions")
    assert e.decide("Write", {"file_path": ".mcp.json", "content": "{}"}).action == "allow"


def test_hook_scripts_are_protected_like_settings(tmp_path: Path) -> None:
    e = engine(tmp_path, "acceptEdits", allow=["Edit", "Bash(echo:*)"])
    e.extra_protected = [(tmp_path / "scripts" / "guard.sh").resolve()]
    assert e.decide("Edit", {"file_path": "scripts/guard.sh"}).action == "ask"
    assert e.decide("Bash", {"command": "echo 'exit 0' > scripts/guard.sh"}).action == "ask"
    assert e.decide("Edit", {"file_path": "scripts/other.sh"}).action == "allow"


PLAIN = [
    "ls -la",
    "git status --short && git diff | head -5",
    "cut -d' ' -f1,7 access.log | sort | uniq -c > counts.txt 2>/dev/null",
    'grep -E "GET|POST" log; echo done',
    "A=1 B='x y' npm test",
    "echo A=b",
    "cat < in.txt 2>&1 || true",
    "awk '{print $2}' f | sed 's/x/y/'",
]


@pytest.mark.parametrize("command", PLAIN)
def test_fast_tokenizer_matches_the_full_parser(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import backend_agent.runtime.permissions.shell as shell

    assert split_plain(command) is not None, "expected the fast path"
    fast = [(c.words, c.writes, c.reads, c.opaque) for c in analyze(command).commands]
    monkeypatch.setattr(shell, "split_plain", lambda _source: None)
    full = [(c.words, c.writes, c.reads, c.opaque) for c in analyze(command).commands]
    assert fast == full


@pytest.mark.parametrize(
    "command",
    [
        "echo $HOME",
        "ls *.py",
        "x &",
        "if true; then ls; fi",
        "echo `id`",
        "cat <<EOF\nx\nEOF",
        "a | | b",
        'echo "$(id)"',
        "{ ls; }",
        "ls ~",
        "echo hi # c",
        "echo 'unterminated",
        "time ls",
        "a\\ b",
    ],
)
def test_anything_beyond_plain_words_goes_to_the_full_parser(command: str) -> None:
    assert split_plain(command) is None
