"""The bypass corpus (tests/permissions/corpus.jsonl): commands from public reports against coding agents.

Each row names a rule profile, a mode, the command, the decision the engine must reach and where
the case comes from (an issue or pull request against Claude Code, Gemini CLI, Codex, OpenCode
setups and other agents, or issue 11 of this project). Rows go both ways: what must be allowed,
and what must not be.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from backend_agent.runtime.permissions import PermissionEngine, RuleSet

CORPUS_FILE = Path(__file__).with_name("corpus.jsonl")
PROFILES: dict[str, dict[str, list[str]]] = {
    "base": {
        "allow": ["Bash(git status:*)", "Bash(git log:*)", "Bash(git diff:*)", "Bash(ls:*)", "Bash(cat:*)",
                  "Bash(echo:*)", "Bash(grep:*)", "Bash(wc:*)", "Bash(head:*)", "Bash(npm run test)",
                  "Bash(pytest:*)", "Bash(find:*)", "Bash(python3:*)", "Bash(tee:*)"],
        "deny": ["Bash(rm:*)", "Bash(curl:*)", "Bash(git push:*)"],
        "ask": ["Bash(docker:*)"],
    },
    "flags": {
        "allow": ["Bash(rm:*)", "Bash(git push:*)", "Bash(chmod:*)"],
        "deny": ["Bash(rm -rf:*)", "Bash(git push --force:*)", "Bash(chmod -R 777:*)"],
    },
    "bypass": {"deny": ["Bash(rm:*)", "Bash(curl:*)"]},
    "prefix": {
        "allow": [f"Bash({p}:*)" for p in ("watch", "find", "awk", "sed", "rg", "xargs", "env", "nice", "timeout",
                                           "git", "cat", "echo", "grep", "ls")],
    },
    "files": {
        "allow": [f"Bash({p}:*)" for p in ("cat", "grep", "sed", "echo", "head", "rg", "awk", "cp", "mv", "tee",
                                           "python3", "base64", "touch", "truncate", "dd")],
        "deny": ["Read(./secrets/**)", "Read(.env)", "Edit(src/**)"],
    },
    "assign": {
        "allow": ["Bash(npm test)", "Bash(npm run build:*)", "Bash(pytest:*)", "Bash(git commit:*)", "Bash(cat:*)"],
    },
    "none": {},
}  # fmt: skip


def load_corpus() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS_FILE.read_text().splitlines() if line.strip()]


CORPUS = load_corpus()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("bypass-corpus")
    for name in ("secrets/api.key", "src/app.py", "src/settings.py", "docs/readme.md", "README.md", ".env"):
        (ws / name).parent.mkdir(parents=True, exist_ok=True)
        (ws / name).write_text("x\n")
    return ws


def engine_for(row: dict[str, Any], workspace: Path) -> PermissionEngine:
    profile = PROFILES[row["profile"]]
    rules = RuleSet.from_lists(source="settings:corpus", **profile)
    return PermissionEngine(
        rules=rules, mode=row["mode"], workspace=workspace, home=workspace.parent / "home"
    )


def test_corpus_is_big_sourced_and_goes_both_ways() -> None:
    assert len(CORPUS) >= 150
    keys = [(row["profile"], row["mode"], row["command"]) for row in CORPUS]
    assert len(set(keys)) == len(keys), "duplicate rows"
    assert all(row["source"] for row in CORPUS)
    by_class: dict[str, set[str]] = {}
    for row in CORPUS:
        by_class.setdefault(row["class"], set()).add("allow" if row["expect"] == "allow" else "not")
    both = [c for c, seen in by_class.items() if seen == {"allow", "not"}]
    assert len(both) >= 8, by_class


@pytest.mark.parametrize(
    "row", CORPUS, ids=[f"{r['profile']}-{r['mode'][:6]}-{r['command'][:40]}" for r in CORPUS]
)
def test_corpus_row(row: dict[str, Any], workspace: Path) -> None:
    command = row["command"].replace("{ws}", str(workspace))
    decision = engine_for(row, workspace).decide("Bash", {"command": command})
    assert decision.action == row["expect"], f"{command!r} ({row['source']}): {decision.reason}"
