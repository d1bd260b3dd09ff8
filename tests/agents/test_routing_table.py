"""Routing of realistic tasks over the built-in agents and the five seed definitions.

The table is what a user of ``--agent auto`` would expect: an implementation task goes to an agent
that can edit files, the user's own agents compete on equal footing with the built-ins (a seed
whose examples or stack match the task wins), and generic words alone route nowhere (the runtime
then uses the lead agent).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backend_agent.agents import BUILTIN_DIR, Roster, load_definition, parse_definition, route
from backend_agent.agents.routing import can_edit, changes_files

TABLE: list[tuple[str, str | None]] = [
    ("add JWT auth to my FastAPI app", "backend"),
    ("implement a user registration endpoint with email verification", "backend-developer"),
    ("review this PR for security issues", "security-reviewer"),
    ("audit our API for broken object level authorization", "security-reviewer"),
    ("the API endpoints are responding slowly", "backend-developer"),
    ("write a Dockerfile and Kubernetes manifests for the service", "platform-engineer"),
    ("create a migration that adds an index on orders.created_at", "data-engineer"),
    ("design a REST API for managing inventory with real-time updates", "backend-specialist"),
    ("fix the bug in the login handler", None),
    ("set up a message queue with RabbitMQ for order events", "backend-developer"),
    ("build a Node.js microservice for payments", "backend-developer"),
    ("write a Helm chart for the API", "platform-engineer"),
    ("add a Terraform module for a managed PostgreSQL database", "platform-engineer"),
    ("the orders list endpoint runs 200 queries per request, find the N+1", "performance-engineer"),
    ("p95 latency of GET /products is 3 seconds under load", "performance-engineer"),
    ("check whether passwords are hashed with argon2 or bcrypt", "security-reviewer"),
    ("are there SQL injection risks in the search endpoint", "security-reviewer"),
    ("design the OpenAPI contract for a bookstore with pagination and filtering", "api-designer"),
    ("version the public API and document breaking changes", "api-designer"),
    ("normalize the customers schema and add foreign keys", "data-engineer"),
    ("write an Alembic migration to split the address column", "data-engineer"),
    ("add a cache in front of the product catalog", "performance-engineer"),
    ("set up GitHub Actions CI that builds and pushes the Docker image", "platform-engineer"),
    ("add a HorizontalPodAutoscaler and resource limits to the deployment", "platform-engineer"),
    ("implement refresh token rotation", "backend-developer"),
    ("review the CORS configuration and security headers", "security-reviewer"),
    ("explain the database schema and its indexes", "data-engineer"),
    ("profile the checkout endpoint and tell me where time goes", "performance-engineer"),
    ("add a webhook endpoint that verifies Stripe signatures", "api-designer"),
    ("implement idempotency keys for payment creation", "backend-agent"),
    ("please help with the backend code", None),
    ("fix this", None),
]


@pytest.fixture(scope="module")
def roster(seeds_dir: Path) -> Roster:
    roster = Roster()
    for path in sorted(BUILTIN_DIR.glob("*.md")):
        roster.add(load_definition(path))
    for path in sorted(seeds_dir.iterdir()):
        roster.add(load_definition(path))
    return roster


def test_table_has_thirty_realistic_tasks() -> None:
    assert len(TABLE) >= 30


@pytest.mark.parametrize(("task", "expected"), TABLE)
def test_routing_table(roster: Roster, task: str, expected: str | None) -> None:
    matches = route(task, roster)
    if expected is None:
        assert matches == [], f"generic words routed somewhere: {matches[:2]}"
        return
    assert matches, f"nothing matched {task!r}"
    assert matches[0].agent == expected, [(m.agent, m.score, m.reasons) for m in matches[:3]]


@pytest.mark.parametrize("task", [task for task, _ in TABLE if changes_files(task)])
def test_implementation_tasks_never_reach_a_read_only_agent(roster: Roster, task: str) -> None:
    read_only = {name for name, agent in roster.agents.items() if not can_edit(agent)}
    assert "security-reviewer" in read_only
    assert not read_only & {match.agent for match in route(task, roster)}


def test_review_tasks_are_not_implementation_tasks() -> None:
    assert not changes_files("review this PR for security issues")
    assert not changes_files("explain the database schema and its indexes")
    assert changes_files("set up a message queue")
    assert changes_files("add JWT auth to my FastAPI app")


def test_user_agent_on_equal_footing_with_builtins(roster: Roster) -> None:
    # No trigger keywords, no examples: the description alone must beat built-ins' keyword lists.
    mine = parse_definition(
        "---\nname: payments\ndescription: Builds payment integrations with Stripe: checkout, webhooks"
        " with signature verification, refunds and idempotent charges.\n---\nYou build payments.\n",
        source="payments.md", name_hint="payments",
    )
    both = Roster()
    for agent in roster.agents.values():
        both.add(agent)
    both.add(mine)
    assert route("add a webhook endpoint that verifies Stripe signatures", both)[0].agent == "payments"


def test_permission_denied_edit_makes_an_agent_read_only() -> None:
    opencode = parse_definition(
        "---\ndescription: Reviews Kubernetes manifests\npermission:\n  edit: deny\n---\nReview only.\n",
        source=".opencode/agent/k8s-review.md", name_hint="k8s-review",
    )
    assert not can_edit(opencode)
    assert route("write Kubernetes manifests", [opencode]) == []
    assert route("review the Kubernetes manifests", [opencode])[0].agent == "k8s-review"
