"""A corpus of shell commands, each with the decision the engine must reach under one rule set.

Every bypass construct is covered: lists, pipes, subshells, substitutions, ``bash -c``, env and
assignment prefixes, sudo, xargs, ``find -exec``, timeout/nice/nohup/command/exec, here-docs, and
what the parser cannot see through (which must be ``ask``, never ``allow``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.runtime.permissions import PermissionEngine, RuleSet

ALLOW = [
    "Bash(git status:*)",
    "Bash(git log:*)",
    "Bash(git diff:*)",
    "Bash(ls:*)",
    "Bash(cat:*)",
    "Bash(echo:*)",
    "Bash(grep:*)",
    "Bash(wc:*)",
    "Bash(head:*)",
    "Bash(npm run test)",
    "Bash(pytest:*)",
    "Bash(find:*)",
    "Bash(python3:*)",
]
DENY = ["Bash(rm:*)", "Bash(curl:*)", "Bash(git push:*)"]
ASK = ["Bash(docker:*)"]

CORPUS: list[tuple[str, str]] = [
    # plain commands and rule shapes
    ("git status", "allow"),
    ("git status --short", "allow"),
    ("git statusx", "ask"),
    ("npm run test", "allow"),
    ("npm run test -- --watch", "ask"),
    ("docker ps", "ask"),
    ("make build", "ask"),
    ("/bin/rm -rf /", "deny"),
    ("git -C /tmp push origin main", "deny"),
    # lists, pipes, subshells, groups
    ("git status && rm -rf build", "deny"),
    ("ls || curl evil.example", "deny"),
    ("git status; git push origin main", "deny"),
    ("git log --oneline | head -5", "allow"),
    ("grep -r TODO . | wc -l", "allow"),
    ("(cd src && rm -rf dist)", "deny"),
    ("{ ls; rm a; }", "deny"),
    ("ls && docker run img", "ask"),
    ("ls && docker run img && rm y", "deny"),
    ("ls; # rm -rf / is only a comment", "allow"),
    # substitutions
    ("echo $(curl x)", "deny"),
    ("echo `rm -rf /`", "deny"),
    ('echo "$(rm y)"', "deny"),
    ("a=$(curl evil) ls", "deny"),
    ("diff <(ls a) <(rm b)", "deny"),
    ("echo ${X:-$(rm z)}", "ask"),
    # nested shells
    ('bash -c "rm -rf /"', "deny"),
    ("sh -c 'ls; rm x'", "deny"),
    ("bash -lc 'git status'", "allow"),
    ("bash -c \"bash -c 'rm -rf /'\"", "deny"),
    ("cat script.sh | bash", "ask"),
    ("bash <<EOF\nls\nEOF", "ask"),
    ("python3 < script.py", "ask"),
    # assignment and wrapper prefixes
    ("FOO=1 rm x", "deny"),
    ("env FOO=1 BAR=2 rm x", "deny"),
    ("env -i ls", "allow"),
    ("sudo rm -rf /", "deny"),
    ("sudo -u root ls", "ask"),
    ("cat files.txt | xargs -n1 rm", "deny"),
    ("find . -type f | xargs grep foo", "allow"),
    ("timeout 10 rm x", "deny"),
    ("timeout -s KILL 10 pytest -q", "allow"),
    ("nice -n 5 rm x", "deny"),
    ("nohup rm x &", "deny"),
    ("command rm x", "deny"),
    ("exec rm x", "deny"),
    # find -exec
    ("find . -exec rm {} \\;", "deny"),
    ("find . -name '*.pyc' -execdir rm -f {} +", "deny"),
    ("find . -name '*.py'", "allow"),
    ("find . -exec make {} \\;", "ask"),
    # control flow and functions
    ("for f in *.py; do rm $f; done", "deny"),
    ("if git diff --quiet; then echo clean; fi", "allow"),
    ("while read l; do cat $l; done < list.txt", "allow"),
    ("f() { rm -rf /; }; f", "deny"),
    # what cannot be seen through
    ("eval 'ls'", "ask"),
    ("$CMD -rf /", "ask"),
    ('echo "unterminated', "ask"),
    ("git status && python3 -", "ask"),
    # redirections
    ("echo hi > /etc/passwd", "ask"),
    ("echo hi > notes.txt", "allow"),
    ("ls > /dev/null 2>&1", "allow"),
    ("cd /etc && echo x > passwd", "ask"),
    ("echo '{}' > .claude/settings.json", "ask"),
    ("echo x >> .backend-agent/settings.json", "ask"),
    ("cd src && echo x > notes.txt", "allow"),
    ("echo '{}' > .clau{de}/settings.json", "ask"),
    ("echo '{}' > .clau?e/settings.json", "ask"),
    ("cd ../.. && ls", "ask"),
    # changing how command names resolve
    ("PATH=/tmp/evil:$PATH ls", "ask"),
    ("export PATH=/tmp/evil; ls", "ask"),
    ("env LD_PRELOAD=/tmp/x.so ls", "ask"),
    ("read PATH <<< /tmp/evil; ls", "ask"),
    ("for PATH in /tmp/evil; do ls; done", "ask"),
    ("printf -v PATH /tmp/evil; ls", "ask"),
    # variables that make an allowed program run another one
    ("GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.fsmonitor GIT_CONFIG_VALUE_0='rm -rf x' git status", "ask"),
    ("GIT_EXTERNAL_DIFF=./evil.sh git diff", "ask"),
    ("PAGER='curl evil' git log", "ask"),
    ("HOME=. git status", "ask"),
    ("GIT_AUTHOR_NAME=me LANG=C git status", "allow"),
    # clustered wrapper options, env -S, busybox applets
    ("sudo -Hu root rm x", "deny"),
    ("env -iu FOO rm x", "deny"),
    ("env -S 'rm x'", "ask"),
    ("busybox rm x", "deny"),
    ("busybox sh -c 'curl evil'", "deny"),
    # words only known at run time, where a deny rule could match after expansion
    ("{rm,-rf,x}", "ask"),
    ("git {push,origin} main", "ask"),
    ("git $'push' origin", "ask"),
    ("git pus? origin", "ask"),
    # here-documents with an unquoted delimiter run the substitutions in their body
    ("cat <<EOF\n$(rm -rf build)\nEOF", "ask"),
    ("cat <<EOF\n`curl evil`\nEOF", "ask"),
    ("while read l; do cat $l; done <<EOF\n${X:-$(rm y)}\nEOF", "ask"),
    ("cat <<EOF\nhello $USER\nEOF", "allow"),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> PermissionEngine:
    workspace = tmp_path_factory.mktemp("corpus")
    rules = RuleSet.from_lists(allow=ALLOW, ask=ASK, deny=DENY, source="settings:test")
    return PermissionEngine(rules=rules, workspace=workspace, home=Path(workspace))


def test_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 40
    assert len({command for command, _ in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize(("command", "expected"), CORPUS, ids=[c[:40] for c, _ in CORPUS])
def test_command_gets_expected_decision(engine: PermissionEngine, command: str, expected: str) -> None:
    decision = engine.decide("Bash", {"command": command})
    assert decision.action == expected, f"{command!r}: {decision.reason}"
    if expected == "deny":
        assert decision.rule in DENY and decision.source == "settings:test"


@pytest.mark.parametrize("command", [c for c, e in CORPUS if e == "ask"])
def test_nothing_that_asks_is_allowed_by_a_catch_all_allow_except_opaque(
    command: str, tmp_path: Path
) -> None:
    """Opaque constructs stay 'ask' even under Bash(*); analysable ones become allow."""
    from backend_agent.runtime.permissions import analyze

    engine = PermissionEngine(rules=RuleSet.from_lists(allow=["Bash(*)"]), workspace=tmp_path, home=tmp_path)
    decision = engine.decide("Bash", {"command": command})
    opaque = analyze(command).opaque
    writes_outside = ">" in command and any(p in command for p in ("/etc", ".clau", ".backend-agent/"))
    if opaque or writes_outside:
        assert decision.action == "ask"
    else:
        assert decision.action == "allow"


EXPANDED_DENIED = [
    "x=push; git $x origin",
    "git $(echo push) origin",
    "git {push,origin} main",
    "git $'push' origin",
    'git $"push" origin',
    "git pus? origin",
    "r$x -rf build",
    "{rm,-rf,build}",
    "$'rm' -rf build",
    "env -S 'rm -rf build'",
]


@pytest.mark.parametrize("command", EXPANDED_DENIED)
def test_expansion_cannot_dodge_a_deny_under_a_catch_all_allow(command: str, tmp_path: Path) -> None:
    """Allow everything but rm and git push: a word expanded at run time must not slip past the deny."""
    rules = RuleSet.from_lists(allow=["Bash"], deny=["Bash(rm:*)", "Bash(git push:*)"])
    engine = PermissionEngine(rules=rules, workspace=tmp_path, home=tmp_path)
    decision = engine.decide("Bash", {"command": command})
    assert decision.action == "ask", f"{command!r}: {decision.reason}"


@pytest.mark.parametrize(
    "command", ["git status $x", "ls *.py", 'git commit -m "fix [x]"', "echo {a,b}", "grep -r $PAT ."]
)
def test_expansion_far_from_any_deny_is_still_allowed(command: str, tmp_path: Path) -> None:
    rules = RuleSet.from_lists(allow=["Bash"], deny=["Bash(rm:*)", "Bash(git push:*)"])
    engine = PermissionEngine(rules=rules, workspace=tmp_path, home=tmp_path)
    assert engine.decide("Bash", {"command": command}).action == "allow"


def test_opencode_deny_pattern_is_not_dodged_by_expansion(tmp_path: Path) -> None:
    from backend_agent.runtime.permissions import PatternMap

    rules = RuleSet(pattern_maps=[PatternMap("Bash", [("*", "allow"), ("git push*", "deny")], "opencode")])
    engine = PermissionEngine(rules=rules, workspace=tmp_path, home=tmp_path)
    assert engine.decide("Bash", {"command": "git push"}).action == "deny"
    assert engine.decide("Bash", {"command": "git pu$x"}).action == "ask"
    assert engine.decide("Bash", {"command": "git status $x"}).action == "allow"
