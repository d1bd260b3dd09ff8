"""Render a Helm chart without the ``helm`` binary: the subset of Go templates our charts use.

Helm cannot be installed everywhere we check charts (no network, no Go toolchain), yet a chart
whose templates are never rendered is never validated. This renderer implements the part of Go's
``text/template`` and of Helm's function library that the generated charts use: actions with
``{{-``/``-}}`` trimming, comments, ``if``/``else if``/``else``, ``with``, ``range`` (with
``$key, $value :=``), ``define``/``include``/``template``, variables, parenthesised pipelines and
the functions in ``FUNCTIONS``. Anything else raises ``HelmTemplateError`` naming the file and
line, so a chart that strays outside the subset fails loudly rather than rendering wrongly.

Like ``helm template``, values are the chart's ``values.yaml`` deep-merged with overrides, maps
are iterated in sorted key order, missing values print as nothing, and ``toYaml`` sorts keys.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from backend_agent.errors import GenerationError


class HelmTemplateError(GenerationError):
    """A chart template uses syntax or a function outside the supported subset, or fails."""


# ---------------------------------------------------------------------------------------------
# Lexing: split a template into text and actions, applying the trim markers.

_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<raw>`[^`]*`)
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<declare>:=)
      | (?P<assign>=)
      | (?P<pipe>\|)
      | (?P<lparen>\()
      | (?P<rparen>\))
      | (?P<comma>,)
      | (?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
      | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)
      | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.X,
)


@dataclass
class _Chunk:
    kind: str  # "text" or "action"
    value: str
    line: int


def _chunks(source: str) -> list[_Chunk]:
    chunks: list[_Chunk] = []
    pos = 0
    trim_next = False
    for match in _ACTION.finditer(source):
        text = source[pos : match.start()]
        if trim_next:
            text = text.lstrip()
        if match.group(1):
            text = text.rstrip()
        line = source.count("\n", 0, match.start()) + 1
        if text:
            chunks.append(_Chunk("text", text, line))
        body = match.group(2).strip()
        if not (body.startswith("/*") and body.endswith("*/")):
            chunks.append(_Chunk("action", body, line))
        trim_next = bool(match.group(3))
        pos = match.end()
    tail = source[pos:]
    if trim_next:
        tail = tail.lstrip()
    if tail:
        chunks.append(_Chunk("text", tail, source.count("\n") + 1))
    return chunks


def _tokens(body: str, where: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(body):
        if body[pos:].strip() == "":
            break
        match = _TOKEN.match(body, pos)
        if not match or match.end() == pos:
            raise HelmTemplateError(f"{where}: cannot read {body[pos:]!r} in {{{{ {body} }}}}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


# ---------------------------------------------------------------------------------------------
# Parsing: tokens -> pipelines, chunks -> a node tree.


@dataclass
class _Operand:
    kind: str  # string, number, bool, nil, field, var, ident, pipe
    value: Any


@dataclass
class _Pipeline:
    commands: list[list[_Operand]]
    declare: list[str] = field(default_factory=list)
    where: str = ""


@dataclass
class _Node:
    kind: str  # text, action, if, range, with, template
    text: str = ""
    pipe: _Pipeline | None = None
    branches: list[tuple[_Pipeline, list[_Node]]] = field(default_factory=list)
    body: list[_Node] = field(default_factory=list)
    orelse: list[_Node] = field(default_factory=list)
    name: str = ""


def _parse_pipeline(tokens: list[tuple[str, str]], where: str) -> _Pipeline:
    declare: list[str] = []
    if len(tokens) >= 2 and tokens[0][0] == "var":
        names = [tokens[0][1]]
        idx = 1
        if len(tokens) >= 4 and tokens[1][0] == "comma" and tokens[2][0] == "var":
            names.append(tokens[2][1])
            idx = 3
        if idx < len(tokens) and tokens[idx][0] in ("declare", "assign"):
            declare, tokens = names, tokens[idx + 1 :]
    commands, rest = _parse_commands(tokens, where)
    if rest:
        raise HelmTemplateError(f"{where}: unexpected {rest[0][1]!r}")
    return _Pipeline(commands, declare, where)


def _parse_commands(
    tokens: list[tuple[str, str]], where: str
) -> tuple[list[list[_Operand]], list[tuple[str, str]]]:
    commands: list[list[_Operand]] = [[]]
    while tokens:
        kind, value = tokens[0]
        if kind == "rparen":
            break
        tokens = tokens[1:]
        if kind == "pipe":
            commands.append([])
        elif kind == "lparen":
            inner, tokens = _parse_commands(tokens, where)
            if not tokens or tokens[0][0] != "rparen":
                raise HelmTemplateError(f"{where}: unclosed parenthesis")
            tokens = tokens[1:]
            commands[-1].append(_Operand("pipe", _Pipeline(inner, [], where)))
        elif kind == "string":
            commands[-1].append(_Operand("string", json.loads(value)))
        elif kind == "raw":
            commands[-1].append(_Operand("string", value[1:-1]))
        elif kind == "number":
            commands[-1].append(_Operand("number", float(value) if "." in value else int(value)))
        elif kind == "ident" and value in ("true", "false"):
            commands[-1].append(_Operand("bool", value == "true"))
        elif kind == "ident" and value == "nil":
            commands[-1].append(_Operand("nil", None))
        elif kind in ("field", "var", "ident"):
            commands[-1].append(_Operand(kind, value))
        else:
            raise HelmTemplateError(f"{where}: unexpected {value!r}")
    if any(not command for command in commands):
        raise HelmTemplateError(f"{where}: empty command in pipeline")
    return commands, tokens


_BLOCK_KEYWORDS = ("if", "range", "with")


def _parse(chunks: list[_Chunk], name: str, defines: dict[str, list[_Node]]) -> list[_Node]:
    """Build the node tree; ``define`` blocks are registered in ``defines``."""
    stream = iter(chunks)
    nodes, end = _parse_list(stream, name, defines)
    if end is not None:
        raise HelmTemplateError(f"{name}:{end[1]}: unexpected {{{{ {end[0]} }}}}")
    return nodes


def _parse_list(
    stream: Iterator[_Chunk], name: str, defines: dict[str, list[_Node]]
) -> tuple[list[_Node], tuple[str, int] | None]:
    nodes: list[_Node] = []
    for chunk in stream:
        where = f"{name}:{chunk.line}"
        if chunk.kind == "text":
            nodes.append(_Node("text", text=chunk.value))
            continue
        keyword, _, rest = chunk.value.partition(" ")
        rest = rest.strip()
        if keyword in ("end", "else"):
            return nodes, (chunk.value, chunk.line)
        if keyword == "define":
            body, end = _parse_list(stream, name, defines)
            _expect_end(end, where, "define")
            defines[json.loads(rest)] = body
        elif keyword in _BLOCK_KEYWORDS:
            nodes.append(_parse_block(keyword, rest, stream, name, defines, where))
        elif keyword == "template":
            tokens = _tokens(rest, where)
            if not tokens or tokens[0][0] != "string":
                raise HelmTemplateError(f"{where}: template needs a quoted name")
            pipe = _parse_pipeline(tokens[1:], where) if len(tokens) > 1 else None
            nodes.append(_Node("template", name=json.loads(tokens[0][1]), pipe=pipe))
        elif keyword == "block":
            raise HelmTemplateError(f"{where}: 'block' is not supported; use define and include")
        else:
            nodes.append(_Node("action", pipe=_parse_pipeline(_tokens(chunk.value, where), where)))
    return nodes, None


def _expect_end(end: tuple[str, int] | None, where: str, what: str) -> None:
    if end is None or end[0] != "end":
        raise HelmTemplateError(f"{where}: {what} has no matching {{{{ end }}}}")


def _parse_block(
    keyword: str, rest: str, stream: Iterator[_Chunk], name: str, defines: dict[str, list[_Node]], where: str
) -> _Node:
    node = _Node(keyword)
    pipe = _parse_pipeline(_tokens(rest, where), where)
    body, end = _parse_list(stream, name, defines)
    node.branches.append((pipe, body))
    while end is not None and end[0].startswith("else"):
        condition = end[0].removeprefix("else").strip()
        if keyword == "if" and condition.startswith("if "):
            pipe = _parse_pipeline(_tokens(condition[3:], where), where)
            body, end = _parse_list(stream, name, defines)
            node.branches.append((pipe, body))
        elif condition:
            raise HelmTemplateError(f"{where}: unsupported {{{{ {end[0]} }}}}")
        else:
            node.orelse, end = _parse_list(stream, name, defines)
            break
    _expect_end(end, where, keyword)
    return node


# ---------------------------------------------------------------------------------------------
# Evaluation.


def _truthy(value: Any) -> bool:
    return value not in (None, False, 0, "") and not (isinstance(value, (list, dict)) and not value)


def _print(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e6 else f"{value:g}"
    if isinstance(value, (dict, list)):
        raise HelmTemplateError(f"cannot print a {type(value).__name__} directly; use toYaml or toJson")
    return str(value)


def _to_yaml(value: Any) -> str:
    if value is None:
        return "null"
    return yaml.safe_dump(value, default_flow_style=False, sort_keys=True, allow_unicode=True).removesuffix(
        "\n"
    ).removesuffix("\n...")


def _indent(width: int, text: str) -> str:
    pad = " " * int(width)
    return pad + str(text).replace("\n", "\n" + pad)


def _trunc(length: int, text: str) -> str:
    length = int(length)
    return text[:length] if length >= 0 else text[length:]


def _required(message: str, value: Any) -> Any:
    if value is None or value == "":
        raise HelmTemplateError(f"required value missing: {message}")
    return value


def _go_printf(fmt: str, *args: Any) -> str:
    values = iter(args)

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        verb = match.group(1)
        value = next(values)
        if verb == "q":
            return json.dumps(_print(value))
        if verb == "d":
            return str(int(value))
        return _print(value)

    return re.sub(r"%%|%([svdq])", one, fmt)


def _default(fallback: Any, *value: Any) -> Any:
    return value[0] if value and _truthy(value[0]) else fallback


def _and(*args: Any) -> Any:
    for arg in args:
        if not _truthy(arg):
            return arg
    return args[-1]


def _or(*args: Any) -> Any:
    for arg in args:
        if _truthy(arg):
            return arg
    return args[-1]


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "default": _default,
    "quote": lambda *args: " ".join(json.dumps(_print(a)) for a in args if a is not None),
    "squote": lambda *args: " ".join(f"'{_print(a)}'" for a in args if a is not None),
    "toYaml": _to_yaml,
    "toJson": lambda v: json.dumps(v, sort_keys=True, separators=(",", ":")),
    "indent": _indent,
    "nindent": lambda width, text: "\n" + _indent(width, text),
    "trunc": _trunc,
    "trimSuffix": lambda suffix, text: str(text).removesuffix(suffix),
    "trimPrefix": lambda prefix, text: str(text).removeprefix(prefix),
    "trim": lambda text: str(text).strip(),
    "upper": lambda text: str(text).upper(),
    "lower": lambda text: str(text).lower(),
    "replace": lambda old, new, text: str(text).replace(old, new),
    "contains": lambda needle, text: needle in str(text),
    "hasPrefix": lambda prefix, text: str(text).startswith(prefix),
    "printf": _go_printf,
    "print": lambda *args: "".join(_print(a) for a in args),
    "toString": _print,
    "required": _required,
    "empty": lambda value: not _truthy(value),
    "not": lambda value: not _truthy(value),
    "and": _and,
    "or": _or,
    "eq": lambda a, *others: any(a == b for b in others),
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "len": len,
    "hasKey": lambda mapping, key: key in mapping,
    "sha256sum": lambda text: hashlib.sha256(str(text).encode()).hexdigest(),
    "b64enc": lambda text: base64.b64encode(str(text).encode()).decode(),
}


class _Renderer:
    def __init__(self, defines: dict[str, list[_Node]], root: dict[str, Any]) -> None:
        self.defines = defines
        self.root = root
        self.depth = 0

    def render(self, nodes: list[_Node], dot: Any, scope: dict[str, Any]) -> str:
        out: list[str] = []
        for node in nodes:
            if node.kind == "text":
                out.append(node.text)
            elif node.kind == "action":
                assert node.pipe is not None
                value = self.pipeline(node.pipe, dot, scope)
                if not node.pipe.declare:
                    out.append(_print(value))
            elif node.kind == "template":
                data = self.pipeline(node.pipe, dot, scope) if node.pipe else None
                out.append(self.include(node.name, data))
            else:
                out.append(self.block(node, dot, scope))
        return "".join(out)

    def block(self, node: _Node, dot: Any, scope: dict[str, Any]) -> str:
        if node.kind == "if":
            for pipe, body in node.branches:
                if _truthy(self.pipeline(pipe, dot, dict(scope))):
                    return self.render(body, dot, dict(scope))
            return self.render(node.orelse, dot, dict(scope))
        pipe, body = node.branches[0]
        inner = dict(scope)
        value = self.pipeline(_Pipeline(pipe.commands, [], pipe.where), dot, inner)
        if node.kind == "with":
            if pipe.declare:
                inner[pipe.declare[0]] = value
            return self.render(body, value, inner) if _truthy(value) else self.render(node.orelse, dot, inner)
        items: list[tuple[Any, Any]]
        if isinstance(value, dict):
            items = sorted(value.items())
        elif isinstance(value, list):
            items = list(enumerate(value))
        elif value is None:
            items = []
        elif isinstance(value, int):
            items = [(i, i) for i in range(value)]
        else:
            raise HelmTemplateError(f"{pipe.where}: range over {type(value).__name__}")
        if not items:
            return self.render(node.orelse, dot, inner)
        out = []
        for key, item in items:
            if len(pipe.declare) == 2:
                inner[pipe.declare[0]], inner[pipe.declare[1]] = key, item
            elif pipe.declare:
                inner[pipe.declare[0]] = item
            out.append(self.render(body, item, inner))
        return "".join(out)

    def include(self, name: str, data: Any) -> str:
        if name not in self.defines:
            raise HelmTemplateError(f"include of an undefined template {name!r}")
        self.depth += 1
        if self.depth > 50:
            raise HelmTemplateError(f"template {name!r} includes itself too deeply")
        try:
            return self.render(self.defines[name], data, {"$": data})
        finally:
            self.depth -= 1

    def pipeline(self, pipe: _Pipeline, dot: Any, scope: dict[str, Any]) -> Any:
        value: Any = None
        for index, command in enumerate(pipe.commands):
            value = self.command(command, dot, scope, piped=(value,) if index else (), where=pipe.where)
        if pipe.declare:
            scope[pipe.declare[0]] = value
        return value

    def command(
        self, command: list[_Operand], dot: Any, scope: dict[str, Any], *, piped: tuple[Any, ...], where: str
    ) -> Any:
        head = command[0]
        if head.kind == "ident":
            args = [self.operand(op, dot, scope, where) for op in command[1:]] + list(piped)
            if head.value == "include":
                return self.include(str(args[0]), args[1] if len(args) > 1 else None)
            function = FUNCTIONS.get(head.value)
            if function is None:
                raise HelmTemplateError(f"{where}: function {head.value!r} is not supported by this renderer")
            try:
                return function(*args)
            except HelmTemplateError as exc:
                raise HelmTemplateError(f"{where}: {exc}") from None
            except (TypeError, ValueError, StopIteration) as exc:
                raise HelmTemplateError(f"{where}: {head.value}: {exc}") from None
        if len(command) > 1 or piped:
            raise HelmTemplateError(f"{where}: {head.value!r} is not a function")
        return self.operand(head, dot, scope, where)

    def operand(self, op: _Operand, dot: Any, scope: dict[str, Any], where: str) -> Any:
        if op.kind == "field":
            return self.lookup(dot, op.value, where)
        if op.kind == "var":
            name, _, path = op.value.partition(".")
            if name not in scope:
                raise HelmTemplateError(f"{where}: undefined variable {name}")
            return self.lookup(scope[name], "." + path if path else ".", where)
        if op.kind == "pipe":
            return self.pipeline(op.value, dot, dict(scope))
        if op.kind == "ident":
            return self.command([op], dot, scope, piped=(), where=where)
        return op.value

    @staticmethod
    def lookup(value: Any, path: str, where: str) -> Any:
        if path == ".":
            return value
        walked = ""
        for part in path.strip(".").split("."):
            if value is None:
                raise HelmTemplateError(f"{where}: nil pointer evaluating {walked or '.'}.{part}")
            if not isinstance(value, dict):
                raise HelmTemplateError(f"{where}: can't evaluate field {part} in a {type(value).__name__}")
            value = value.get(part)
            walked += "." + part
        return value


# ---------------------------------------------------------------------------------------------
# Charts.


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def render_chart(
    chart: Path,
    *,
    values: dict[str, Any] | None = None,
    release: str = "release",
    namespace: str = "default",
) -> dict[str, str]:
    """Render a chart's templates like ``helm template``: ``{template path: rendered text}``.

    Partials (``_*.tpl``) and ``NOTES.txt`` define or describe but are not manifests; templates that
    render to whitespace only (disabled by a value) are left out.
    """
    try:
        meta = yaml.safe_load((chart / "Chart.yaml").read_text(encoding="utf-8")) or {}
        defaults = yaml.safe_load((chart / "values.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise HelmTemplateError(f"{chart}: cannot read Chart.yaml/values.yaml: {exc}") from exc
    templates = sorted(p for p in (chart / "templates").rglob("*") if p.is_file())
    defines: dict[str, list[_Node]] = {}
    parsed: dict[str, list[_Node]] = {}
    for path in templates:
        rel = path.relative_to(chart).as_posix()
        parsed[rel] = _parse(_chunks(path.read_text(encoding="utf-8")), f"{chart.name}/{rel}", defines)
    root = {
        "Values": _merge(defaults, values or {}),
        "Chart": {
            "Name": meta.get("name"),
            "Version": meta.get("version"),
            "AppVersion": meta.get("appVersion"),
            "Description": meta.get("description"),
        },
        "Release": {
            "Name": release,
            "Namespace": namespace,
            "Service": "Helm",
            "IsInstall": True,
            "IsUpgrade": False,
            "Revision": 1,
        },
        "Capabilities": {"KubeVersion": {"Version": "v1.31.0", "Major": "1", "Minor": "31"}},
    }
    renderer = _Renderer(defines, root)
    rendered: dict[str, str] = {}
    for rel, nodes in parsed.items():
        name = rel.rsplit("/", 1)[-1]
        if name.startswith("_") or name == "NOTES.txt":
            continue
        root["Template"] = {"Name": f"{chart.name}/{rel}", "BasePath": f"{chart.name}/templates"}
        text = renderer.render(nodes, root, {"$": root})
        if text.strip():
            rendered[rel] = text
    return rendered


def render_chart_manifest(chart: Path, **kwargs: Any) -> str:
    """The rendered chart as one multi-document YAML stream, like ``helm template`` prints it."""
    return "".join(
        f"---\n# Source: {chart.name}/{rel}\n{text.strip(chr(10))}\n"
        for rel, text in render_chart(chart, **kwargs).items()
    )


__all__ = ["FUNCTIONS", "HelmTemplateError", "render_chart", "render_chart_manifest"]
