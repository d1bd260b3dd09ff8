"""YAML text -> Blueprint, with every problem located at file:line:column and key path."""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from backend_agent.blueprint._checks import check_blueprint
from backend_agent.blueprint.schema import Blueprint
from backend_agent.blueprint.types import did_you_mean
from backend_agent.errors import BlueprintError, Location, Problem

KeyPath = tuple[str | int, ...]


class _Positions:
    """Start marks (1-based line and column) of every node and key, by key path."""

    def __init__(self) -> None:
        self.values: dict[KeyPath, tuple[int, int]] = {}
        self.keys: dict[KeyPath, tuple[int, int]] = {}
        self.scalars: dict[KeyPath, str] = {}

    def locate(self, path: Sequence[str | int], *, prefer_key: bool = False) -> tuple[int | None, int | None]:
        """The mark of the deepest existing node along ``path``."""
        current = tuple(path)
        while True:
            table = (self.keys, self.values) if prefer_key else (self.values, self.keys)
            for marks in table:
                if current in marks:
                    return marks[current]
            if not current:
                return None, None
            current = current[:-1]


def _walk(node: yaml.Node, path: KeyPath, pos: _Positions, problems: list[tuple[KeyPath, str]]) -> None:
    pos.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.ScalarNode):
        pos.scalars[path] = str(node.value)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            child = (*path, key)
            if key in seen:
                problems.append((child, f"duplicate key '{key}' (first defined on line {pos.keys[child][0]})"))
                pos.keys.setdefault((*child, "#dup"), (key_node.start_mark.line + 1, key_node.start_mark.column + 1))
                continue
            seen.add(key)
            pos.keys[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk(value_node, child, pos, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), pos, problems)


def _key_path_text(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<root>"


def _unwrap(annotation: Any) -> list[Any]:
    """Members of a Union/Optional/Annotated annotation."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        members: list[Any] = []
        for arg in typing.get_args(annotation):
            members.extend(_unwrap(arg))
        return members
    return [annotation]


def _model_at(path: Sequence[str | int]) -> type[BaseModel] | None:
    """The spec model at a pydantic error location (used to suggest known keys)."""
    current: list[Any] = [Blueprint]
    for part in path:
        nxt: list[Any] = []
        for ann in current:
            for member in _unwrap(ann):
                origin = typing.get_origin(member)
                if isinstance(member, type) and issubclass(member, BaseModel):
                    for name, info in member.model_fields.items():
                        if part in (name, info.alias):
                            nxt.append(info.annotation)
                    kind = member.model_fields.get("kind")
                    if kind is not None and part in typing.get_args(kind.annotation):
                        nxt.append(member)  # discriminated union tag
                elif origin is dict:
                    nxt.append(typing.get_args(member)[1])
                elif origin is list:
                    nxt.append(typing.get_args(member)[0])
        current = nxt
    for ann in current:
        for member in _unwrap(ann):
            if isinstance(member, type) and issubclass(member, BaseModel):
                return member
    return None


def _known_keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


_EXPECTED = {
    "dict_type": "a mapping (name: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "list_type": "a list, e.g. [a, b]",
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "greater_than_equal": "a number >= {ge}",
    "greater_than": "a number > {gt}",
    "less_than_equal": "a number <= {le}",
    "less_than": "a number < {lt}",
    "too_short": "at least {min_length} item(s)",
    "too_long": "at most {max_length} item(s)",
}


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _problem_from_error(error: ErrorDetails, pos: _Positions, source: str) -> Problem:
    loc = [part for part in error["loc"] if not (isinstance(part, str) and part.startswith("function-"))]
    # Drop discriminated-union tags that are not keys in the document.
    path: list[str | int] = []
    for part in loc:
        candidate = (*path, part)
        if candidate not in pos.values and pos.scalars.get((*path, "kind")) == part:
            continue
        path.append(part)
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    message = error["msg"].removeprefix("Value error, ")
    expected: str | None = None
    hint: str | None = None
    if kind == "extra_forbidden":
        key = str(path[-1])
        model = _model_at(path[:-1])
        known = _known_keys(model) if model else []
        message = f"unknown key '{key}'"
        expected = "one of " + ", ".join(known) if known else None
        close = did_you_mean(key, known)
        hint = f"did you mean '{close}'?" if close else "remove the key"
    elif kind == "missing":
        message = f"missing required key '{path[-1]}'"
        hint = f"add '{path[-1]}:'"
    elif kind == "unknown_type":
        expected = ctx.get("expected")
        hint = ctx.get("hint") or None
    elif kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", "")) or None
        given = error.get("input")
        choices = [c.strip(" '") for c in str(ctx.get("expected", "")).replace(" or ", ",").split(",")]
        close = did_you_mean(str(given), choices) if isinstance(given, str) else None
        message = f"invalid value {given!r}"
        hint = f"did you mean '{close}'?" if close else "use one of the expected values"
    elif kind == "union_tag_invalid":
        expected = str(ctx.get("expected_tags", "")) or None
        given = str(ctx.get("tag", ""))
        choices = [c.strip(" '") for c in (expected or "").split(",")]
        close = did_you_mean(given, choices)
        message = f"unknown action kind '{given}'"
        hint = f"did you mean '{close}'?" if close else None
    elif kind == "string_pattern_mismatch":
        message = f"invalid value {_short(error.get('input'))}"
        expected = f"text matching {ctx.get('pattern')}"
        hint = "see docs/blueprint.md for the allowed spelling"
    elif kind == "union_tag_not_found":
        message = "missing key 'kind'"
        expected = "kind: toggle, feed, query, transition or custom"
        hint = "add kind: ... to say what the action does"
    elif kind in _EXPECTED:
        given = error.get("input")
        message = f"invalid value {_short(given)}"
        expected = _EXPECTED[kind].format(**ctx)
        if kind in ("dict_type", "model_type"):
            hint = "write it as a mapping, one `name: ...` per line"
        elif kind in ("int_type", "float_type", "bool_type") and isinstance(given, str):
            hint = f"write it without quotes, e.g. {given.strip(chr(34) + chr(39))}"
        elif kind == "string_type" and isinstance(given, bool | int | float):
            # YAML reads yes/no/on/off as booleans and 1.0 as a number.
            hint = "quote it to keep it text, e.g. \"yes\" or \"1.0\""
        else:
            hint = "see docs/blueprint.md"
    else:
        hint = "see docs/blueprint.md"
    line, column = pos.locate(path, prefer_key=kind == "extra_forbidden")
    location = Location(source, line, column, _key_path_text(path))
    return Problem(message=message, location=location, expected=expected, hint=hint)


def _fail(problems: list[Problem], source: str) -> BlueprintError:
    count = len(problems)
    noun = "problem" if count == 1 else "problems"
    return BlueprintError(f"{source}: {count} blueprint {noun}", problems=problems)


def parse_blueprint(text: str, *, source: str = "<blueprint>") -> Blueprint:
    """Parse and validate blueprint text; raise BlueprintError listing every located problem."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        hint = "check indentation and quoting around this position (values with ': ' need quotes)"
        if "'{'" in str(exc.problem):
            hint = 'inside {...} quote values that contain braces, e.g. {path: "/posts/{id}"}'
        problem = Problem(
            message=f"YAML syntax error: {exc.problem or exc}",
            location=Location(source, line, column),
            expected="valid YAML",
            hint=hint,
        )
        raise _fail([problem], source) from None
    except yaml.YAMLError as exc:
        raise _fail([Problem(message=f"YAML error: {exc}", location=Location(source))], source) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        problem = Problem(
            message="the blueprint is not a mapping",
            location=Location(source, 1, 1),
            expected="a mapping with keys service, auth, entities",
            hint="start from one of the files in examples/",
        )
        raise _fail([problem], source)
    assert node is not None  # a None document is not a dict, handled above
    pos = _Positions()
    duplicates: list[tuple[KeyPath, str]] = []
    _walk(node, (), pos, duplicates)
    problems = [
        Problem(
            message=msg,
            location=Location(source, *pos.locate((*path, "#dup"), prefer_key=True), _key_path_text(path)),
            expected="unique names",
            hint="rename or merge the duplicate entries",
        )
        for path, msg in duplicates
    ]
    try:
        blueprint = Blueprint.model_validate(data)
    except ValidationError as exc:
        problems.extend(_problem_from_error(err, pos, source) for err in exc.errors())
        problems.sort(key=lambda p: (p.location.line or 0, p.location.column or 0) if p.location else (0, 0))
        raise _fail(problems, source) from None
    for issue in check_blueprint(blueprint):
        line, column = pos.locate(issue.path)
        problems.append(
            Problem(
                message=issue.message,
                location=Location(source, line, column, _key_path_text(issue.path)),
                expected=issue.expected,
                hint=issue.hint,
                severity=issue.severity,
            )
        )
    problems.sort(key=lambda p: (p.location.line or 0, p.location.column or 0) if p.location else (0, 0))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise _fail(problems, source)
    return blueprint


def _key_path_parts(text: str) -> KeyPath:
    """``entities.Post.indexes[0].fields`` -> ("entities", "Post", "indexes", 0, "fields")."""
    parts: list[str | int] = []
    for piece in text.split(".") if text else []:
        name, _, rest = piece.partition("[")
        if name:
            parts.append(name)
        parts.extend(int(i) for i in re.findall(r"(\d+)\]", "[" + rest if rest else ""))
    return tuple(parts)


def locate_problems(error: BlueprintError, path: str | Path) -> BlueprintError:
    """``error`` with its unplaced problems (a key path, no line) placed in the blueprint file ``path``.

    Problems found after loading (e.g. two operations on one route, found by ``design``) name the
    key path of their declaration; this adds the file, line and column."""
    file = Path(path)
    try:
        node = yaml.compose(file.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return error
    pos = _Positions()
    if node is not None:
        _walk(node, (), pos, [])
    placed = []
    for problem in error.problems:
        loc = problem.location
        if loc is None or loc.line is not None or not loc.key_path:
            placed.append(problem)
            continue
        line, column = pos.locate(_key_path_parts(loc.key_path))
        placed.append(dataclasses.replace(problem, location=Location(str(file), line, column, loc.key_path)))
    return _fail(placed, str(file))


def load_blueprint(path: str | Path) -> Blueprint:
    """Read a ``*.blueprint.yaml`` file; raise BlueprintError (never a traceback) when it is bad."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BlueprintError(
            f"blueprint file not found: {file}", hint="pass the path of a *.blueprint.yaml file"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BlueprintError(f"cannot read blueprint {file}: {exc}", hint="check the file and its encoding") from None
    return parse_blueprint(text, source=str(file)).with_base_dir(file.resolve().parent)


__all__ = ["load_blueprint", "locate_problems", "parse_blueprint"]
