"""What a page template reads, checked against the values its page is built with.

A row's template reads ``row.<name>``; a list's reads ``<item>.<name>`` inside ``{% for <item> in rows %}``.
The service renders with ``StrictUndefined``, so a misspelt name would be an error page at request time;
here it is a located problem at design time instead, with the names the page does have.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Environment, TemplateSyntaxError, nodes

from backend_agent.blueprint.types import did_you_mean
from backend_agent.design.model import EntityDesign

# dict methods a template may call on a row (``row.items()``)
_DICT_METHODS = frozenset({"items", "keys", "values", "get"})


@dataclass(frozen=True)
class TemplateProblem:
    line: int
    message: str
    expected: str
    hint: str | None = None


def page_values(entity: EntityDesign, view: str | None) -> list[str]:
    """The names a page template may read: the fields of the view its rows are built with."""
    chosen = entity.views.get(view or entity.default_view) or entity.views[entity.default_view]
    return [f.name for f in chosen.fields]


def check_page_template(text: str, available: list[str], *, list_page: bool) -> list[TemplateProblem]:
    """Problems of a page template: a syntax error, or a name the rows do not have."""
    try:
        tree = Environment().parse(text)
    except TemplateSyntaxError as exc:
        return [TemplateProblem(exc.lineno, f"template syntax error: {exc.message}", "a valid Jinja2 template")]
    problems = []
    expected = "one of " + ", ".join(available) if available else "no names (the page has no values)"
    for name, line in _names_read(tree, list_page=list_page):
        if name in available or name in _DICT_METHODS:
            continue
        close = did_you_mean(name, available)
        where = "each row" if list_page else "row"
        problems.append(TemplateProblem(line, f"the template reads {name!r}, which {where} does not have",
                                        expected, f"did you mean '{close}'?" if close else
                                        "add it to the operation's view, or remove it from the template"))
    return problems


def _names_read(tree: nodes.Template, *, list_page: bool) -> list[tuple[str, int]]:
    if not list_page:
        return _attributes_of(tree, "row")
    found = []
    for loop in tree.find_all(nodes.For):
        if isinstance(loop.iter, nodes.Name) and loop.iter.name == "rows" and isinstance(loop.target, nodes.Name):
            found += _attributes_of(loop, loop.target.name)
    return found


def _attributes_of(scope: nodes.Node, variable: str) -> list[tuple[str, int]]:
    """``variable.name`` and ``variable["name"]`` inside ``scope``, with their lines."""
    found = []
    for node in scope.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr) and _is_name(node.node, variable):
            found.append((node.attr, node.lineno))
        elif isinstance(node, nodes.Getitem) and _is_name(node.node, variable) \
                and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            found.append((node.arg.value, node.lineno))
    return found


def _is_name(node: nodes.Node, variable: str) -> bool:
    return isinstance(node, nodes.Name) and node.name == variable


__all__ = ["TemplateProblem", "check_page_template", "page_values"]
