"""Static rules that need more than one file: CORS origins that come from a settings default of "*".

semgrep (without its paid cross-file mode) sees ``allow_origins=settings.cors_origins`` and the
settings class separately; this reads both with ``ast``: a settings field (or module constant)
whose default allows every origin, used as ``allow_origins`` together with credentials.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from backend_agent.gates._project import relative
from backend_agent.gates.base import Finding

RULE = "rule:cors-wildcard-from-settings"


@dataclass(frozen=True)
class _Default:
    name: str
    file: str
    line: int


def _allows_any(node: ast.AST | None) -> bool:
    """A default value that allows every origin: "*", ["*"], Field(default=["*"]), lambda: ["*"]..."""
    if node is None:
        return False
    return any(isinstance(n, ast.Constant) and n.value in ("*", ".*") for n in ast.walk(node))


def _value_of(node: ast.AnnAssign | ast.Assign) -> ast.AST | None:
    return node.value


def _wildcard_defaults(tree: ast.Module, file: str) -> list[_Default]:
    found = []
    scopes: list[list[ast.stmt]] = [tree.body] + [n.body for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    for body in scopes:
        for stmt in body:
            names: list[str] = []
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                names = [stmt.target.id]
            elif isinstance(stmt, ast.Assign):
                names = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
            if names and isinstance(stmt, ast.AnnAssign | ast.Assign) and _allows_any(_value_of(stmt)):
                found += [_Default(name, file, stmt.lineno) for name in names if "origin" in name.lower() or "cors" in name.lower()]
    return found


def _is_cors(call: ast.Call) -> bool:
    return any(
        (isinstance(arg, ast.Name) and arg.id == "CORSMiddleware")
        or (isinstance(arg, ast.Attribute) and arg.attr == "CORSMiddleware")
        for arg in call.args[:1]
    )


def _keyword(call: ast.Call, name: str) -> ast.AST | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _names_in(node: ast.AST) -> set[str]:
    return {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)} | {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name)
    }


def cors_from_settings(files: list[Path], root: Path) -> list[Finding]:
    """Findings for CORSMiddleware with credentials whose origins default to every origin."""
    trees: list[tuple[str, ast.Module]] = []
    for path in files:
        try:
            trees.append((relative(path, root), ast.parse(path.read_text(encoding="utf-8"), filename=str(path))))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
    defaults = {d.name: d for file, tree in trees for d in _wildcard_defaults(tree, file)}
    if not defaults:
        return []
    findings = []
    for file, tree in trees:
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call) and _is_cors(n)):
            credentials = _keyword(call, "allow_credentials")
            origins = _keyword(call, "allow_origins") or _keyword(call, "allow_origin_regex")
            if not (isinstance(credentials, ast.Constant) and credentials.value is True) or origins is None:
                continue
            if isinstance(origins, ast.List | ast.Constant):
                continue  # a literal is judged by the semgrep rule permissive-cors-with-credentials
            used = sorted(_names_in(origins) & set(defaults))
            if not used:
                continue
            source = defaults[used[0]]
            findings.append(
                Finding(
                    rule=RULE,
                    message=f"CORS allows credentials for the origins in {used[0]}, whose default "
                    f"({source.file}:{source.line}) allows any origin (\"*\"); unless every deployment "
                    "overrides it, any website can make authenticated requests on a user's behalf",
                    severity="high",
                    file=file,
                    line=call.lineno,
                    hint=f"give {used[0]} no wildcard default (an empty list, or a required setting) "
                    "and list the trusted origins per environment",
                )
            )
    return findings


__all__ = ["RULE", "cors_from_settings"]
