"""Entity-relationship diagrams: Mermaid text, Graphviz DOT, and SVG through `dot` when installed."""

from __future__ import annotations

import html
import shutil
import subprocess

from backend_agent.design.model import TableDesign
from backend_agent.errors import GenerationError

DOT_INSTALL_HINT = "install Graphviz to render erd.svg (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz)"


def _short_type(sql: str) -> str:
    text = sql.lower()
    if text.startswith("timestamp"):
        return "timestamptz"
    if text.startswith("double"):
        return "double"
    return text.split("(")[0].replace(" ", "_")


def _keys(table: TableDesign, column: str) -> str:
    marks = []
    if column in table.primary_key:
        marks.append("PK")
    if any(fk.column == column for fk in table.foreign_keys):
        marks.append("FK")
    if any(ix.unique and ix.columns == [column] for ix in table.indexes):
        marks.append("UK")
    return ", ".join(marks)


def _unique_fk(table: TableDesign, column: str) -> bool:
    return any(ix.unique and ix.columns == [column] for ix in table.indexes)


def render_mermaid(tables: list[TableDesign]) -> str:
    """A Mermaid erDiagram of the tables (code hosts render it in Markdown)."""
    lines = ["erDiagram"]
    for table in tables:
        lines.append(f"    {table.name} {{")
        for col in table.columns:
            keys = _keys(table, col.name)
            lines.append(f"        {_short_type(col.sql_type['postgresql'])} {col.name}" + (f" {keys}" if keys else ""))
        lines.append("    }")
    for table in tables:
        for fk in table.foreign_keys:
            col = table.column(fk.column)
            left = "|o" if col.nullable else "||"
            right = "o|" if _unique_fk(table, fk.column) else "o{"
            lines.append(f'    {fk.ref_table} {left}--{right} {table.name} : "{fk.column}"')
    return "\n".join(lines) + "\n"


def render_dot(tables: list[TableDesign], *, title: str) -> str:
    """Graphviz DOT source: one table-shaped node per table, one edge per foreign key."""
    out = [
        "digraph erd {",
        f'  graph [rankdir=LR, fontname="Helvetica", label="{html.escape(title)}", labelloc=t];',
        '  node [shape=plaintext, fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9, arrowhead=crow, arrowtail=tee, dir=both];',
    ]
    for table in tables:
        colour = "#dbe8f7" if table.kind == "entity" else "#eeeeee"
        rows = [f'<tr><td bgcolor="{colour}" colspan="2"><b>{html.escape(table.name)}</b></td></tr>']
        for col in table.columns:
            keys = _keys(table, col.name)
            name = f"<u>{html.escape(col.name)}</u>" if col.primary_key or col.name in table.primary_key else html.escape(col.name)
            rows.append(f'<tr><td align="left" port="{html.escape(col.name)}">{name}</td>'
                        f'<td align="left">{html.escape(_short_type(col.sql_type["postgresql"]))}'
                        f'{" " + keys if keys else ""}</td></tr>')
        label = '<table border="0" cellborder="1" cellspacing="0">' + "".join(rows) + "</table>"
        out.append(f'  "{table.name}" [label=<{label}>];')
    for table in tables:
        for fk in table.foreign_keys:
            head = "teeodot" if _unique_fk(table, fk.column) else "crowodot"
            tail = "teeodot" if table.column(fk.column).nullable else "tee"
            out.append(f'  "{fk.ref_table}" -> "{table.name}":"{fk.column}" '
                       f'[arrowhead={head}, arrowtail={tail}, label="{fk.column}"];')
    out.append("}")
    return "\n".join(out) + "\n"


def dot_available() -> bool:
    return shutil.which("dot") is not None


def render_svg(dot_source: str, *, timeout: float = 60.0) -> str:
    """Render DOT to SVG with Graphviz; GenerationError when `dot` is missing or fails."""
    exe = shutil.which("dot")
    if exe is None:
        raise GenerationError("Graphviz `dot` is not installed", hint=DOT_INSTALL_HINT)
    try:
        proc = subprocess.run([exe, "-Tsvg"], input=dot_source, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        raise GenerationError(f"Graphviz `dot` took longer than {timeout:.0f}s", hint="simplify the diagram") from None
    if proc.returncode != 0:
        raise GenerationError(f"Graphviz `dot` failed: {proc.stderr.strip()[:500]}", hint="report this as a bug")
    return proc.stdout


__all__ = ["DOT_INSTALL_HINT", "dot_available", "render_dot", "render_mermaid", "render_svg"]
