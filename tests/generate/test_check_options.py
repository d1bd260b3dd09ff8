"""The check options a generated pyproject.toml carries because of its design."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from backend_agent.blueprint import load_blueprint
from backend_agent.design import design
from backend_agent.gates._options import ContractOptions, SecurityProbesOptions
from backend_agent.generate import generate_service
from backend_agent.generate.check_options import (
    MIN_FUZZ_CASES,
    contract_accept_statuses,
    contract_disabled_checks,
    contract_max_examples,
    shared_operations,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _resolved(blueprint: Path) -> dict:
    return json.loads(json.dumps(design(load_blueprint(blueprint)).resolved(), default=str))


def test_conflicts_answered_with_422_are_accepted_for_the_operations_that_can_conflict() -> None:
    accept = contract_accept_statuses(_resolved(EXAMPLES / "conduit.blueprint.yaml"))
    assert accept == {"auth_register": [422], "auth_update_me": [422]}


def test_not_found_answered_with_400_is_accepted_and_default_statuses_are_not_repeated() -> None:
    accept = contract_accept_statuses(_resolved(EXAMPLES / "cards" / "cards.blueprint.yaml"))
    assert accept == {"blockCard": [400], "issueCard": [400], "lookupCard": [400]}  # the contract's choices
    # an idempotent create answers 422 when a key comes back with another body (one key, many bodies)
    assert contract_accept_statuses(_resolved(EXAMPLES / "inventory.blueprint.yaml"))["stock_movements_create"] == [422]


def test_a_body_naming_rows_by_key_may_name_none_and_a_plain_body_may_not() -> None:
    accept = contract_accept_statuses(_resolved(EXAMPLES / "orders.blueprint.yaml"))
    assert accept["line_items_create"] == [422]  # {"item": "TSHIRT-M-BLUE"}: no such catalog item
    assert "line_items_list" not in accept and "customers_update" not in accept


def test_the_generated_pyproject_gives_the_contract_gate_valid_accept_statuses(tmp_path: Path) -> None:
    project = generate_service(EXAMPLES / "conduit.blueprint.yaml", tmp_path / "conduit").out_dir
    config = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    contract = config["tool"]["backend-agent"]["contract"]
    options = ContractOptions.model_validate(contract)
    assert options.accept_statuses == {"auth_register": [422], "auth_update_me": [422]}
    assert options.max_examples == contract_max_examples(_resolved(EXAMPLES / "conduit.blueprint.yaml"))
    assert options.disable_checks == ["ensure_resource_availability"]


def test_only_a_key_that_moves_on_update_switches_off_the_lost_resource_check() -> None:
    """conduit's slug is derived from the title on every update: a row created under one slug moves."""
    assert contract_disabled_checks(_resolved(EXAMPLES / "conduit.blueprint.yaml")) == ["ensure_resource_availability"]
    for fixed in ("orders.blueprint.yaml", "inventory.blueprint.yaml", "forum/forum.blueprint.yaml"):
        assert contract_disabled_checks(_resolved(EXAMPLES / fixed)) == [], fixed


def test_a_small_service_is_fuzzed_with_as_many_examples_as_a_large_one() -> None:
    small = _resolved(EXAMPLES / "catalog" / "catalog.blueprint.yaml")
    large = _resolved(EXAMPLES / "inventory.blueprint.yaml")
    for resolved in (small, large):
        assert contract_max_examples(resolved) * len(resolved["operations"]) >= 2 * MIN_FUZZ_CASES
    assert contract_max_examples(small) > contract_max_examples(large) >= 25  # never below the gate's default


def test_rows_no_one_owns_are_declared_shared_to_the_bola_probe(tmp_path: Path) -> None:
    assert shared_operations(_resolved(EXAMPLES / "catalog" / "catalog.blueprint.yaml")) == [
        "PATCH /catalog/v2/products/{sku}"]  # any API key holder edits the catalogue
    assert shared_operations(_resolved(EXAMPLES / "orders.blueprint.yaml")) == []  # every order has an owner
    project = generate_service(EXAMPLES / "catalog" / "catalog.blueprint.yaml", tmp_path / "catalog").out_dir
    config = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    probes = SecurityProbesOptions.model_validate(config["tool"]["backend-agent"]["security-probes"])
    assert probes.shared == ["PATCH /catalog/v2/products/{sku}"]


def test_sign_up_and_sign_in_are_named_for_the_gates(tmp_path: Path) -> None:
    # the forum's contract calls them POST /api/members and POST /api/sessions, names no gate would guess
    project = generate_service(EXAMPLES / "forum" / "forum.blueprint.yaml", tmp_path / "forum").out_dir
    auth = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["backend-agent"]["auth"]
    assert auth == {"register": "POST /api/members", "login": "POST /api/sessions"}
    catalog = generate_service(EXAMPLES / "catalog" / "catalog.blueprint.yaml", tmp_path / "catalog").out_dir
    auth = tomllib.loads((catalog / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["backend-agent"]["auth"]
    assert set(auth) == {"token_command"}  # no sign-up: the gates mint tokens with app/cli.py


def test_creates_under_rows_everyone_reads_are_shared_and_under_owned_rows_are_not() -> None:
    # any member may reply to another member's thread; nobody may add a line item to another's order
    assert shared_operations(_resolved(EXAMPLES / "forum" / "forum.blueprint.yaml")) == [
        "POST /api/threads/{threadId}/replies"]
    assert shared_operations(_resolved(EXAMPLES / "conduit.blueprint.yaml")) == [
        "POST /api/articles/{slug}/comments", "DELETE /api/profiles/{username}/follow"]
    assert shared_operations(_resolved(EXAMPLES / "orders.blueprint.yaml")) == []
