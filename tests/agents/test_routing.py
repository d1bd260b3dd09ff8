"""Deterministic routing with BM25 and trigger hits."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.agents import BUILTIN_DIR, Roster, discover, load_definition, parse_definition, route


@pytest.fixture(scope="module")
def builtins() -> Roster:
    roster = Roster()
    for path in sorted(BUILTIN_DIR.glob("*.md")):
        roster.add(load_definition(path))
    return roster


@pytest.mark.parametrize(
    ("task", "files", "expected"),
    [
        ("add a Postgres migration for the orders table", ["app/models/order.py"], "data-engineer"),
        ("write a Helm chart and a Dockerfile for the API", [], "platform-engineer"),
        ("GET /products is slow under load, p95 is 3 seconds", [], "performance-engineer"),
        ("check that users cannot read other users' orders (BOLA) and that JWTs are verified", [], "security-reviewer"),
        ("design the REST API contract for articles with pagination", [], "api-designer"),
        ("build an orders service with customers and payments", [], "backend"),
        ("fix this", ["deploy/terraform/main.tf"], "platform-engineer"),
    ],
)
def test_builtin_routing(builtins: Roster, task: str, files: list[str], expected: str) -> None:
    matches = route(task, builtins, files=files)
    assert matches[0].agent == expected, matches[:3]


def test_reasons_name_terms_examples_and_triggers(builtins: Roster) -> None:
    (top, *_rest) = route("add a Postgres migration for the orders table", builtins, files=["app/models/order.py"])
    reasons = "\n".join(top.reasons)
    assert "description terms: migration, orders, postgres, table" in reasons
    assert "matching example: 'Add a Postgres migration" in reasons
    assert "trigger keyword 'migration' in the task" in reasons
    assert "trigger keyword 'migrations'" not in reasons  # same stem counted once
    assert "file extension .py (app/models/order.py)" in reasons
    assert "directory pattern models/ (app/models/order.py)" in reasons


def test_routing_is_deterministic_and_sorted(builtins: Roster) -> None:
    first = route("optimize the database queries behind the API", builtins)
    again = route("optimize the database queries behind the API", list(reversed(list(builtins.agents.values()))))
    assert first == again
    scores = [(-m.score, m.agent) for m in first]
    assert scores == sorted(scores)


def test_file_triggers_from_a_seed_style_body() -> None:
    body = (
        "# Go agent\n\nWrites Go services.\n\n## Auto-Activation Triggers\n### File Extensions\n- `.go`\n"
        "### Directory Patterns\n- `/cmd/`, `**/internal/**`\n"
    )
    go = parse_definition(body, source="go.md")
    other = parse_definition("---\nname: other\ndescription: Python things\n---\nb\n", source="o.md")
    matches = route("refactor", [go, other], files=["cmd/server/main.go", "x/internal/y/z.go"])
    assert [m.agent for m in matches] == ["go"]
    assert matches[0].reasons == [
        "file extension .go (cmd/server/main.go)",
        "directory pattern /cmd/ (cmd/server/main.go)",
        "file extension .go (x/internal/y/z.go)",
        "directory pattern **/internal/** (x/internal/y/z.go)",
    ]


def test_disabled_agents_and_empty_roster(tmp_path: Path) -> None:
    off = parse_definition("---\ndescription: database work\ndisable: true\n---\nb\n", source="off.md", name_hint="off")
    assert route("database work", [off]) == []
    assert route("anything", Roster()) == []
    assert route("", discover(cwd=tmp_path, home=tmp_path)) == []


def test_single_agent_roster_still_scores_matching_terms() -> None:
    only = parse_definition("---\nname: solo\ndescription: Kafka consumers\n---\nb\n", source="s.md")
    (match,) = route("tune the kafka consumers", [only])
    assert match.score > 0 and "kafka" in match.reasons[0]


def test_folder_paths_match_directory_triggers() -> None:
    body = "# Api\n\nServes things.\n\n## Triggers\n- Directories: `/api/`, `/handlers/`\n- File types: `.py`\n"
    api = parse_definition(body, source="api.md")
    (match,) = route("fix it", [api], files=["api/"])
    assert match.reasons == ["directory pattern /api/ (api/)"]
    (match,) = route("fix it", [api], files=["srv/handlers/"])
    assert match.reasons == ["directory pattern /handlers/ (srv/handlers/)"]
    # Without the trailing slash the last part is a file name, not a folder.
    assert route("fix it", [api], files=["srv/handlers"]) == []


def test_single_characters_and_filler_words_are_not_terms(builtins: Roster) -> None:
    (top, *_rest) = route("the orders list is slow under load; find the N+1 queries", builtins)
    assert top.agent == "performance-engineer"
    terms = next(reason for reason in top.reasons if reason.startswith("description terms: "))
    assert terms.removeprefix("description terms: ").split(", ") == ["load", "orders", "queries", "slow"]
    assert "trigger keyword 'n+1' in the task" in top.reasons
