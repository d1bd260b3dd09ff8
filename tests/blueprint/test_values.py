"""Literal values in blueprints (defaults, condition values) must fit their field's type."""

from __future__ import annotations

import pytest

from backend_agent.blueprint import parse_blueprint
from backend_agent.errors import BlueprintError, Problem

BASE = """\
service:
  name: shop
entities:
  Product:
    fields:
      title: {type: string, required: true}
      price: {type: "decimal(10,2)", min: 0}
      stock: {type: int, min: 0, default: 0}
      released: {type: date}
      status: {type: enum, values: [draft, live, retired], required: true, default: draft, read_only: true}
    actions:
      publish: {kind: transition, field: status, from: [draft], to: live}
      retire: {kind: transition, field: status, from: [draft, live], to: retired}
"""


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(BlueprintError) as info:
        parse_blueprint(text, source="shop.blueprint.yaml")
    return info.value.problems


def only(text: str) -> Problem:
    found = problems_of(text)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def test_base_is_valid() -> None:
    parse_blueprint(BASE, source="shop.blueprint.yaml")


@pytest.mark.parametrize(("spec", "message", "expected"), [
    ("released: {type: date, default: yesterday}", "default 'yesterday' is not a date", "ISO date"),
    ("released: {type: date, default: 2024-01-31T10:00:00}", "is a timestamp, not a date", "ISO date"),
    ("released: {type: datetime, default: now}", "default 'now' is not a datetime", "ISO timestamp"),
    ("released: {type: time, default: noon}", "default 'noon' is not a time", "ISO time"),
    ("released: {type: uuid, default: abc}", "default 'abc' is not a uuid", "a UUID"),
    ("released: {type: int, default: 1.5}", "default 1.5 is not a whole number", "a valid int value"),
    ("released: {type: \"decimal(6,2)\", default: \"1,5\"}", "default '1,5' is not a number", "quoted"),
])
def test_bad_defaults_are_located_and_explained(spec: str, message: str, expected: str) -> None:
    problem = only(BASE.replace("released: {type: date}", spec))
    assert message in problem.message
    assert problem.location is not None
    assert problem.location.key_path == "entities.Product.fields.released.default"
    assert (problem.location.line, problem.location.column) == (9, spec.index("default: ") + 16)
    assert expected in (problem.expected or "")
    assert problem.hint


@pytest.mark.parametrize("spec", [
    "released: {type: date, default: 2024-01-31}",
    "released: {type: date, default: \"2024-01-31\"}",
    "released: {type: datetime, default: 2024-01-31T10:00:00Z}",
    "released: {type: time, default: \"09:30\"}",
    "released: {type: uuid, default: 3fa85f64-5717-4562-b3fc-2c963f66afa6}",
    "released: {type: \"decimal(6,2)\", default: \"9.99\"}",
    "released: {type: \"decimal(6,2)\", default: 10}",
])
def test_good_defaults_pass(spec: str) -> None:
    parse_blueprint(BASE.replace("released: {type: date}", spec), source="shop.blueprint.yaml")


def test_a_temporal_default_hints_at_timestamps_and_set_now() -> None:
    problem = only(BASE.replace("released: {type: date}", "released: {type: datetime, default: now}"))
    assert "set_now" in (problem.hint or "") and "timestamps" in (problem.hint or "")


def test_condition_values_must_fit_the_field() -> None:
    text = BASE + """\
      cheap: {kind: query, where: [{field: price, op: lt, value: cheap}]}
      recent: {kind: query, where: [{field: released, op: gte, value: last week}]}
      drafts: {kind: query, where: [{field: status, op: eq, value: drafts}]}
      big: {kind: query, where: [{field: stock, op: gt, value: 1000000}]}
"""
    found = problems_of(text)
    by_path = {p.location.key_path: p for p in found if p.location}
    assert set(by_path) == {
        "entities.Product.actions.cheap.where[0].value",
        "entities.Product.actions.recent.where[0].value",
        "entities.Product.actions.drafts.where[0].value",
    }  # a value outside min/max is a fine thing to compare with
    assert "'cheap' is not a number" in by_path["entities.Product.actions.cheap.where[0].value"].message
    assert "'last week' is not a date" in by_path["entities.Product.actions.recent.where[0].value"].message
    drafts = by_path["entities.Product.actions.drafts.where[0].value"]
    assert drafts.expected == "one of draft, live, retired"
    assert drafts.location is not None and drafts.location.line == 16
    assert "other_field" in (drafts.hint or "")


def test_guard_values_are_checked_too() -> None:
    text = BASE.replace("to: live}", "to: live, guards: [{field: stock, op: gt, value: none, message: no stock}]}")
    problem = only(text)
    assert problem.location is not None
    assert problem.location.key_path == "entities.Product.actions.publish.guards[0].value"
    assert "'none' is not a number" in problem.message


def test_a_client_writable_transition_field_is_an_error_reported_once() -> None:
    text = BASE.replace("default: draft, read_only: true}", "}")
    problem = only(text)
    assert problem.location is not None
    assert problem.location.key_path == "entities.Product.actions.publish.field"
    assert "clients can also write it" in problem.message and "guards" in problem.message
    assert problem.hint == "add read_only: true and default: draft to Product.fields.status"


def test_writable_transition_field_with_a_default_only_asks_for_read_only() -> None:
    problem = only(BASE.replace("default: draft, read_only: true}", "default: draft}"))
    assert problem.hint == "add read_only: true to Product.fields.status"


@pytest.mark.parametrize(("spec", "message"), [
    ("released: {type: int, example: many}", "example 'many' is not a number"),
    ("released: {type: int, min: 1, example: 0}", "example 0 is outside min/max"),
    ("released: {type: string, pattern: \"^[A-Z]+$\", example: abc}", "example 'abc' does not match the pattern"),
    ("released: {type: string, min_length: 5, example: abc}", "example 'abc' is shorter than min_length"),
    ("released: {type: date, example: soon}", "example 'soon' is not a date"),
])
def test_examples_must_be_valid_values(spec: str, message: str) -> None:
    problem = only(BASE.replace("released: {type: date}", spec))
    assert message in problem.message
    assert problem.location is not None
    assert problem.location.key_path == "entities.Product.fields.released.example"
    assert "OpenAPI" in (problem.hint or "")


def test_defaults_obey_length_and_pattern() -> None:
    problem = only(BASE.replace("released: {type: date}", "released: {type: string, pattern: \"^#\", default: red}"))
    assert problem.message == "default 'red' does not match the pattern ^#"


def test_explain_shows_dates_as_written() -> None:
    from backend_agent.blueprint import explain

    text = BASE.replace("released: {type: date}", "released: {type: date, default: 2024-01-31}") + (
        "      new: {kind: query, where: [{field: released, op: gte, value: 2024-06-01}]}\n")
    summary = explain(parse_blueprint(text, source="shop.blueprint.yaml"))
    assert "released: date, default '2024-01-31'" in summary
    assert "query where released gte '2024-06-01'" in summary
    assert "datetime.date" not in summary
