"""OpenAPI 3.0/3.1 contracts: read (YAML or JSON), resolve ``$ref``s (local and relative files), normalize.

A contract is data the service must serve exactly. ``load_contract`` returns it as typed operations
with every reference resolved, plus the normalized document ``design`` writes back as openapi.yaml.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import yaml

from backend_agent.errors import BlueprintError, Location, Problem

Schema = dict[str, Any]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_TEXT_TYPES = ("application/json", "text/html", "text/plain")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # contracts can be large: parse them in C


@dataclass
class ContractParameter:
    name: str
    location: str  # path, query, header, cookie
    required: bool
    schema: Schema
    description: str = ""
    style: str | None = None
    explode: bool | None = None


@dataclass
class ContractBody:
    content_type: str | None  # None: no body (e.g. `content: {}`)
    schema: Schema | None
    required: bool = True
    description: str = ""


@dataclass
class ContractOperation:
    key: str  # operationId, or "METHOD /path" when the contract gives none
    method: str  # upper case
    path: str  # as in the contract (without the base path)
    operation_id: str | None
    tags: list[str]
    summary: str
    parameters: list[ContractParameter]
    request: ContractBody | None
    responses: dict[int, ContractBody]  # status -> body ("default" is skipped)
    security: list[dict[str, list[str]]]  # effective requirements; [] = none
    pointer: str  # JSON pointer of the operation in the contract, e.g. /paths/~1users/post

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def needs_token(self) -> bool:
        return bool(self.security) and all(req for req in self.security)

    @property
    def token_optional(self) -> bool:
        return bool(self.security) and any(not req for req in self.security) and any(self.security)


@dataclass
class Contract:
    source: str
    openapi: str
    title: str
    version: str
    base_path: str  # path of the first server URL ("" when none)
    operations: list[ContractOperation]
    security_schemes: dict[str, Schema]
    document: Schema  # the whole document, every $ref resolved (recursive ones kept)
    normalized: Schema = field(default_factory=dict)  # written back by design (paths under base_path)

    def operation(self, key: str) -> ContractOperation | None:
        return next((op for op in self.operations if key in (op.key, op.route, op.operation_id)), None)


def _line_of(source: str, pointer: str) -> tuple[int | None, int | None]:
    """Line and column of the JSON pointer ``pointer`` in the YAML/JSON file ``source`` (the deepest node found)."""
    try:
        node: Any = yaml.compose(Path(source).read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None, None
    if node is None:
        return None, None
    mark = node.start_mark
    for raw in [p for p in pointer.split("/") if p]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if str(k.value) == part), None)
            if found is None:
                break
            mark, node = found[0].start_mark, found[1]
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
            mark = node.start_mark
        else:
            break
    return mark.line + 1, mark.column + 1


def _fail(source: str, message: str, *, pointer: str = "", expected: str | None = None,
          hint: str | None = None) -> BlueprintError:
    line, column = _line_of(source, pointer) if Path(source).is_file() else (None, None)
    location = Location(source, line, column, key_path=pointer or None)
    problem = Problem(message=message, location=location, expected=expected, hint=hint)
    return BlueprintError(f"{source}: contract problem", problems=[problem])


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(str(path), f"contract file not found: {path}",
                    hint="service.contract is resolved relative to the blueprint file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(str(path), f"cannot read the contract: {exc}") from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.load(text, Loader=_LOADER)  # a safe loader (libyaml's when available)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = Location(str(path), mark.line + 1, mark.column + 1) if mark else Location(str(path))
        raise BlueprintError(f"{path}: contract is not valid YAML/JSON", problems=[Problem(
            message=f"syntax error: {getattr(exc, 'problem', None) or exc}", location=where,
            expected="an OpenAPI 3.0 or 3.1 document")]) from None


class _Resolver:
    """Resolves ``$ref`` across the root document and the files it names (relative to the referrer)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.files: dict[Path, Any] = {self.root: _read(root)}

    def document(self, file: Path) -> Any:
        if file not in self.files:
            self.files[file] = _read(file)
        return self.files[file]

    def target(self, ref: str, base: Path, where: str) -> tuple[Any, Path, str]:
        file_part, _, fragment = ref.partition("#")
        file = (base.parent / unquote(file_part)).resolve() if file_part else base
        node = self.document(file)
        pointer = fragment
        for raw in [p for p in fragment.split("/") if p]:
            part = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise _fail(str(self.root), f"unresolvable $ref '{ref}'", pointer=where,
                            expected="a reference to an existing node", hint=f"check '{part}' in {file.name}")
        return node, file, f"{file}#{pointer}"

    def resolve(self, node: Any, base: Path, where: str, stack: tuple[str, ...] = ()) -> Any:
        if isinstance(node, list):
            return [self.resolve(item, base, f"{where}/{i}", stack) for i, item in enumerate(node)]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            target, file, key = self.target(ref, base, where)
            if key in stack:  # a recursive schema keeps its reference
                return {"$ref": ref if file == self.root else "#" + key.partition("#")[2]}
            resolved = self.resolve(target, file, where, (*stack, key))
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            if siblings and isinstance(resolved, dict):  # 3.1 allows keywords beside $ref
                resolved = {**resolved, **self.resolve(siblings, base, where, stack)}
            return resolved
        return {k: self.resolve(v, base, f"{where}/{_escape(k)}", stack) for k, v in node.items()}


def _escape(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _body(node: Schema | None, *, required_default: bool) -> ContractBody | None:
    if node is None:
        return None
    content = node.get("content") or {}
    description = str(node.get("description", ""))
    required = bool(node.get("required", required_default))
    if not content:
        return ContractBody(None, None, required, description)
    kinds = list(content)
    chosen = next((k for k in _TEXT_TYPES if k in content), kinds[0])
    media = content[chosen] or {}
    return ContractBody(chosen, media.get("schema"), required, description)


def base_path_of(doc: Schema) -> str:
    servers = doc.get("servers") or []
    if not servers or not isinstance(servers[0], dict):
        return ""
    path = urlparse(str(servers[0].get("url", ""))).path.rstrip("/")
    return path if path.startswith("/") else ""


def _operations(doc: Schema, source: str) -> list[ContractOperation]:
    out: list[ContractOperation] = []
    global_security = doc.get("security") or []
    paths = doc.get("paths") or {}
    if not isinstance(paths, dict):
        raise _fail(source, "`paths` is not a mapping", pointer="/paths", expected="paths: {/x: {get: ...}}")
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        shared = [p for p in item.get("parameters") or [] if isinstance(p, dict)]
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            params: dict[tuple[str, str], ContractParameter] = {}
            for raw in [*shared, *(p for p in op.get("parameters") or [] if isinstance(p, dict))]:
                param = ContractParameter(
                    name=str(raw.get("name", "")), location=str(raw.get("in", "")),
                    required=bool(raw.get("required", raw.get("in") == "path")),
                    schema=dict(raw.get("schema") or {}), description=str(raw.get("description", "")),
                    style=raw.get("style"), explode=raw.get("explode"))
                params[(param.name, param.location)] = param
            responses: dict[int, ContractBody] = {}
            for status, response in (op.get("responses") or {}).items():
                text = str(status)
                if text.isdigit() and isinstance(response, dict):
                    body = _body(response, required_default=True)
                    assert body is not None
                    responses[int(text)] = body
            operation_id = op.get("operationId")
            key = str(operation_id) if operation_id else f"{method.upper()} {path}"
            out.append(ContractOperation(
                key=key, method=method.upper(), path=str(path), operation_id=operation_id,
                tags=[str(t) for t in op.get("tags") or []], summary=str(op.get("summary") or op.get("description")
                                                                         or ""),
                parameters=list(params.values()),
                request=_body(op.get("requestBody"), required_default=False),
                responses=dict(sorted(responses.items())),
                security=list(op.get("security", global_security) or []),
                pointer=f"/paths/{_escape(str(path))}/{method}",
            ))
    return out


def normalize(doc: Schema, operations: list[ContractOperation], base_path: str) -> Schema:
    """The contract as served: paths under ``base_path``, shared parameters and security made explicit."""
    out: Schema = {"openapi": doc.get("openapi"), "info": copy.deepcopy(doc.get("info", {}))}
    if doc.get("tags"):
        out["tags"] = copy.deepcopy(doc["tags"])
    paths: Schema = {}
    for op in operations:
        original = copy.deepcopy(doc["paths"][op.path][op.method.lower()])
        shared = doc["paths"][op.path].get("parameters")
        if shared:
            own = {(p.get("name"), p.get("in")) for p in original.get("parameters") or []}
            original["parameters"] = [*(p for p in shared if (p.get("name"), p.get("in")) not in own),
                                      *(original.get("parameters") or [])]
        original["security"] = copy.deepcopy(op.security)
        paths.setdefault(base_path + op.path, {})[op.method.lower()] = original
    out["paths"] = paths
    components = doc.get("components") or {}
    kept = {k: copy.deepcopy(v) for k, v in components.items() if k in ("schemas", "securitySchemes")}
    if kept:
        out["components"] = kept
    return out


def load_contract(path: str | Path, *, base_path: str | None = None) -> Contract:
    """Read an OpenAPI 3.0/3.1 contract; BlueprintError (located) when it is unreadable or not OpenAPI 3."""
    file = Path(path)
    resolver = _Resolver(file)
    raw = resolver.files[resolver.root]
    source = str(file)
    if not isinstance(raw, dict) or not str(raw.get("openapi", "")).startswith(("3.0", "3.1")):
        raise _fail(source, "not an OpenAPI 3.0 or 3.1 document", pointer="/openapi",
                    expected="openapi: 3.0.x or 3.1.x at the top", hint="Swagger 2.0 files must be converted first")
    doc = resolver.resolve(raw, resolver.root, "")
    operations = _operations(doc, source)
    keys: dict[str, str] = {}
    for op in operations:
        if op.key in keys:
            raise _fail(source, f"operationId '{op.key}' is used twice ({keys[op.key]} and {op.route})",
                        pointer=op.pointer, expected="unique operationIds")
        keys[op.key] = op.route
    info = doc.get("info") or {}
    prefix = base_path if base_path is not None else base_path_of(doc)
    contract = Contract(
        source=source, openapi=str(doc.get("openapi")), title=str(info.get("title", "")),
        version=str(info.get("version", "")), base_path=prefix, operations=operations,
        security_schemes=dict((doc.get("components") or {}).get("securitySchemes") or {}), document=doc,
    )
    contract.normalized = normalize(doc, operations, prefix)
    return contract


__all__ = ["Contract", "ContractBody", "ContractOperation", "ContractParameter", "base_path_of", "load_contract",
           "normalize"]
