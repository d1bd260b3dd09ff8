"""Sample strings for generated tests and factories satisfy the pattern (and length limits) their field
declares, and unique samples differ for every ``n`` (plain, hypothesis-free checks over fixed patterns)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from backend_agent.generate.samples import json_sample, row_sample

NS = (1, 2, 7, 10, 99, 100, 12345, 12345678)
PATTERNS = [
    r"^[A-Za-z]+$", r"^[a-z]+$", r"^[A-Z]+$", r"^[A-Z][a-z]+$", r"^[a-z0-9-]+$", r"^[A-Za-z0-9_-]{3,32}$",
    r"^[A-Z][A-Z0-9_]{1,63}$", r"^[0-9]{16}$", r"^[+0-9 ()-]+$", r"^\+?[0-9 ]{6,20}$", r"^[0-9]{8,14}$",
    r"^[A-Z0-9-]+$", r"^[a-z]{2,}-[a-z]+$", r"^(draft|live)-[a-z]+$", r"^\w+@\w+\.com$", r"^[A-Z]{2}\d{4}$",
    r"^[a-z]{3}$", r"[a-z]",
]


def _values(expression: str) -> list[Any]:
    return [eval(expression, {"n": n}) for n in NS]  # the generator's own expression


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("limits", [{}, {"minLength": 3}, {"minLength": 5, "maxLength": 20}])
def test_unique_samples_match_the_pattern_and_differ(pattern: str, limits: dict[str, int]) -> None:
    if pattern in (r"^[a-z]{3}$", r"^[A-Z]{2}\d{4}$") and limits.get("minLength", 0) > 3:
        limits = {}  # the pattern's own length is below the limit: no string satisfies both
    schema = {"type": "string", "pattern": pattern, **limits}
    for expression in (json_sample(schema, {}, unique=True),
                       row_sample({"python_type": "str", "json_schema": schema, "secret": False, "unique": True})):
        values = _values(expression)
        for value in values:
            assert re.search(pattern, value), (pattern, expression, value)
            assert limits.get("minLength", 0) <= len(value) <= limits.get("maxLength", 64), (expression, value)
        assert len(set(values)) == len(values), (pattern, expression, values)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_plain_samples_match_the_pattern(pattern: str) -> None:
    schema = {"type": "string", "pattern": pattern}
    value = eval(json_sample(schema, {}), {})
    assert isinstance(value, str) and re.search(pattern, value)


def test_letter_only_patterns_spell_n_with_letters() -> None:
    values = _values(json_sample({"type": "string", "pattern": "^[A-Za-z]+$"}, {}, unique=True))
    assert values[:4] == ["b", "c", "h", "ba"]


def test_patterns_a_sample_cannot_be_read_from_fall_back_without_a_crash() -> None:
    for pattern in (r"^(?!admin)[a-z]+$", r"^(a)\1$", r"[", r"^[^0-9]+$"):
        expression = json_sample({"type": "string", "pattern": pattern}, {}, unique=True)
        assert isinstance(_values(expression)[0], str)
