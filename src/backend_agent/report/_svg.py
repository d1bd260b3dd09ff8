"""Small inline SVG charts for the HTML report: no scripts, no external assets, escaped labels."""

from __future__ import annotations

from html import escape
from typing import Any

GOOD, WARN, BAD, INK, GRID = "#2e7d32", "#ef6c00", "#c62828", "#263238", "#cfd8dc"
PERCENTILE_COLOURS = {"p50_ms": "#64b5f6", "p95_ms": "#1e88e5", "p99_ms": "#0d47a1"}


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


def coverage_bars(files: dict[str, float], *, threshold: float, width: int = 760) -> str:
    """Horizontal bar per file, worst first, coloured against the threshold."""
    rows = sorted(files.items(), key=lambda item: (item[1], item[0]))
    label_w, row_h, top = 300, 20, 24
    bar_w = width - label_w - 80
    height = top + row_h * len(rows) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="Coverage per file" font-family="sans-serif" font-size="12">',
        f'<text x="0" y="14" fill="{INK}" font-weight="bold">Line coverage per file (threshold {threshold:.0f} %)</text>',
    ]
    x_thr = label_w + bar_w * threshold / 100
    for i, (path, pct) in enumerate(rows):
        y = top + i * row_h
        colour = GOOD if pct >= threshold else WARN if pct >= threshold / 2 else BAD
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" fill="{INK}">{escape(_short(path, 44))}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row_h - 6}" fill="#eceff1"/>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w * pct / 100:.1f}" height="{row_h - 6}" fill="{colour}"/>')
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 14}" fill="{INK}">{pct:.1f} %</text>')
    parts.append(
        f'<line x1="{x_thr:.1f}" y1="{top}" x2="{x_thr:.1f}" y2="{height - 6}" stroke="{INK}" stroke-dasharray="4 3"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def percentile_bars(operations: dict[str, dict[str, Any]], *, p95_ms: float | None, width: int = 760) -> str:
    """p50/p95/p99 latency per operation as grouped horizontal bars, with the p95 bound dashed."""
    label_w, bar_h, gap, top = 240, 12, 10, 40
    bar_w = width - label_w - 70
    ops = list(operations.items())
    peak = max([float(m.get(k) or 0) for _, m in ops for k in PERCENTILE_COLOURS] + [p95_ms or 0, 1.0])
    height = top + len(ops) * (3 * bar_h + gap) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="Latency percentiles per operation" font-family="sans-serif" font-size="12">',
        f'<text x="0" y="14" fill="{INK}" font-weight="bold">Latency percentiles per operation (ms)</text>',
    ]
    for j, (key, colour) in enumerate(PERCENTILE_COLOURS.items()):
        parts.append(f'<rect x="{label_w + j * 70}" y="22" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{label_w + j * 70 + 14}" y="31" fill="{INK}">{key[:3]}</text>')
    for i, (op, m) in enumerate(ops):
        y0 = top + i * (3 * bar_h + gap)
        parts.append(f'<text x="{label_w - 6}" y="{y0 + 1.5 * bar_h + 4}" text-anchor="end" fill="{INK}">{escape(_short(op, 34))}</text>')
        for j, (key, colour) in enumerate(PERCENTILE_COLOURS.items()):
            value = float(m.get(key) or 0)
            y = y0 + j * bar_h
            parts.append(f'<rect x="{label_w}" y="{y}" width="{bar_w * value / peak:.1f}" height="{bar_h - 2}" fill="{colour}"/>')
            parts.append(f'<text x="{label_w + bar_w * value / peak + 4:.1f}" y="{y + bar_h - 3}" fill="{INK}" font-size="10">{_fmt(value)}</text>')
    if p95_ms:
        x = label_w + bar_w * p95_ms / peak
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 6}" stroke="{BAD}" stroke-dasharray="4 3"/>')
        anchor, tx = ("end", x - 3) if x > width - 110 else ("start", x + 3)
        parts.append(
            f'<text x="{tx:.1f}" y="{top - 6}" text-anchor="{anchor}" fill="{BAD}" font-size="10">'
            f"p95 bound {_fmt(p95_ms)} ms</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def histogram(op: str, buckets: list[list[float]], *, width: int = 360, height: int = 180) -> str:
    """Latency histogram of one operation: one bar per ``[upper_ms, count]`` bucket."""
    left, bottom, top = 36, 34, 22
    plot_w, plot_h = width - left - 8, height - top - bottom
    counts = [float(c) for _, c in buckets] or [0.0]
    peak = max([*counts, 1.0])
    bw = plot_w / max(len(buckets), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="Latency histogram of {escape(op, quote=True)}" font-family="sans-serif" font-size="10">',
        f'<text x="0" y="13" fill="{INK}" font-size="12" font-weight="bold">{escape(_short(op, 48))}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" stroke="{GRID}"/>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" fill="{INK}">{peak:.0f}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" fill="{INK}">0</text>',
    ]
    step = max(1, len(buckets) // 6)
    for i, (upper, count) in enumerate(buckets):
        h = plot_h * float(count) / peak
        x = left + i * bw
        parts.append(f'<rect x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{max(bw - 2, 1):.1f}" height="{h:.1f}" fill="#1e88e5"/>')
        if i % step == 0:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{top + plot_h + 12}" text-anchor="middle" fill="{INK}">≤{_fmt(float(upper))}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle" fill="{INK}">latency (ms)</text>')
    parts.append("</svg>")
    return "".join(parts)


__all__ = ["coverage_bars", "histogram", "percentile_bars"]
