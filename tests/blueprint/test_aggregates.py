"""Aggregates (avg, sum, min, max) of the related rows: the built-in id, avg/sum of a timestamp, or a field of
the wrong type is a located problem (file, line, field, expected, fix), never a crash or a silent default;
min/max of created_at/updated_at (the first, the latest) is meaningful and designs."""

from __future__ import annotations

import pytest

from backend_agent.blueprint import parse_blueprint
from backend_agent.design import design
from backend_agent.errors import BlueprintError

BASE = """\
service: {name: recipes}
entities:
  Recipe:
    fields:
      title: {type: string, required: true}
    relations:
      ratings: {kind: one_to_many, target: Rating, via: recipe}
    computed:
      score: {kind: KIND, relation: ratings, field: FIELD}
  Rating:
    fields:
      stars: {type: int, required: true, min: 1, max: 5}
      note: {type: string}
      tasted_on: {type: date}
      fresh: {type: bool}
    relations:
      recipe: {kind: many_to_one, target: Recipe, required: true}
"""


def _text(kind: str, field: str) -> str:
    return BASE.replace("KIND", kind).replace("FIELD", field)


@pytest.mark.parametrize(("kind", "field", "words", "hint"), [
    ("avg", "id", "avg of the built-in 'id' of Rating (an identifier) is meaningless", "aggregate one of stars"),
    ("sum", "created_at", "sum of the built-in 'created_at' of Rating (a timestamp)", "aggregate one of stars"),
    ("avg", "updated_at", "avg of the built-in 'updated_at'", "aggregate one of stars"),
    ("max", "id", "max of the built-in 'id'", "aggregate one of stars, tasted_on"),
    ("min", "id", "min of the built-in 'id'", "aggregate one of stars, tasted_on"),
    ("avg", "note", "avg of 'note' (string) is meaningless", "aggregate a numeric field"),
    ("sum", "tasted_on", "sum of 'tasted_on' (date) is meaningless", "aggregate a numeric field"),
    ("avg", "fresh", "avg of 'fresh' (bool) is meaningless", "aggregate a numeric field"),
    ("max", "note", "max of 'note' (string) is meaningless", "aggregate a numeric field"),
])
def test_a_bad_aggregate_field_is_located(kind: str, field: str, words: str, hint: str) -> None:
    text = _text(kind, field)
    with pytest.raises(BlueprintError) as info:
        parse_blueprint(text, source="recipes.blueprint.yaml")
    problems = info.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    problem = problems[0]
    assert words in problem.message and problem.expected and hint in (problem.hint or "")
    assert problem.location is not None and problem.location.file == "recipes.blueprint.yaml"
    line = f"      score: {{kind: {kind}, relation: ratings, field: {field}}}"
    assert problem.location.line == text.splitlines().index(line) + 1
    assert "entities.Recipe.computed.score.field" in str(problem)


@pytest.mark.parametrize(("kind", "field"), [("avg", "stars"), ("sum", "stars"), ("max", "tasted_on"),
                                             ("min", "stars"), ("min", "created_at"), ("max", "updated_at")])
def test_a_declared_field_of_the_right_type_designs(kind: str, field: str) -> None:
    result = design(parse_blueprint(_text(kind, field), source="recipes.blueprint.yaml"))
    recipe = result.resolved()["entities"]["Recipe"]
    score = next(c for c in recipe["computed"] if c["name"] == "score")
    assert score["kind"] == kind and score["field"] == field


def test_an_entity_without_numeric_fields_is_told_to_declare_one() -> None:
    text = _text("avg", "id").replace("      stars: {type: int, required: true, min: 1, max: 5}\n", "")
    with pytest.raises(BlueprintError) as info:
        parse_blueprint(text, source="recipes.blueprint.yaml")
    assert [p.hint for p in info.value.problems] == ["declare the value as a field of Rating, e.g. score: int"]
