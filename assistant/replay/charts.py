"""Inline SVG charts for the HTML replay report: bars, a histogram, a confusion matrix.

Each function returns one ``<svg>`` element as text, drawn here from the
numbers (no JavaScript, no fonts or files fetched), so the report is one
self-contained file that opens anywhere. Every mark carries its figures in
``data-*`` attributes and a ``<title>`` tooltip; class names (``bar``,
``bin``, ``marker``, ``cell``) let tests and stylesheets find them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

#: Series colours (colour-blind safe, Okabe-Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


@dataclass(frozen=True, slots=True)
class Series:
    """One named row of values (fractions 0..1, or None where not measured)."""

    name: str
    values: tuple[float | None, ...]


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _svg(width: float, height: float, label: str, body: Sequence[str], kind: str) -> str:
    return (
        f'<svg class="chart {kind}" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'aria-label="{_attr(label)}" {FONT}>' + "".join(body) + "</svg>"
    )


def bar_chart(
    label: str, categories: Sequence[str], series: Sequence[Series], *, counts: Sequence[int] = ()
) -> str:
    """Grouped vertical bars of fractions per category, a 0-100 % axis and a legend.

    ``counts`` (cases per category) are printed under the category names. A
    value that was not measured draws no bar.
    """
    group = max(24 * len(series) + 16, 56)
    # Long category names are written slanted under their bars.
    slant = max((len(c) for c in categories), default=0) * 7 > group - 4 and bool(categories)
    longest = max((len(c) for c in categories), default=0)
    # Room on the left for the first slanted name, which reaches back past the axis.
    left, top, plot_h = (
        max(44, len(categories[0]) * 7 - group // 2 + 8) if slant else 44,
        38,  # the legend, then room for the value over a full bar
        180,
    )
    legend_width = sum(24 + 7 * len(s.name) for s in series) + left
    width = max(left + group * max(len(categories), 1) + 16, legend_width)
    height = top + plot_h + (34 + 5 * longest if slant else 52)
    body = _legend(series, left, 14)
    for tick in range(0, 101, 25):
        y = top + plot_h * (1 - tick / 100)
        body.append(
            f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{tick}%</text>'
        )
    bar_w = (group - 16) / max(len(series), 1)
    for i, category in enumerate(categories):
        x0 = left + i * group + 8
        for j, s in enumerate(series):
            value = s.values[i] if i < len(s.values) else None
            if value is None:
                continue
            # Word accuracy (1 - WER) goes below 0 when WER passes 100 %: drawn at 0.
            h = plot_h * max(0.0, min(1.0, value))
            x, y = x0 + j * bar_w, top + plot_h - h
            body.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" '
                f'height="{max(h, 1):.1f}" fill="{PALETTE[j % len(PALETTE)]}" '
                f'data-category="{_attr(category)}" data-series="{_attr(s.name)}" '
                f'data-value="{value:.4f}"><title>{escape(category)}: {escape(s.name)} '
                f"{value:.1%}</title></rect>"
                f'<text class="value" x="{x + (bar_w - 2) / 2:.1f}" y="{y - 3:.1f}" '
                f'text-anchor="middle" font-size="9" fill="#444">{value * 100:.0f}</text>'
            )
        cx = x0 + (group - 16) / 2
        count = f"({counts[i]})" if i < len(counts) else ""
        body.append(_category_label(category, count, cx, top + plot_h, slant=slant))
    return _svg(width, height, label, body, "bar-chart")


def _category_label(category: str, count: str, cx: float, base: float, *, slant: bool) -> str:
    """The name under a group of bars (slanted when long) and its case count."""
    if slant:
        return (
            f'<text class="category" x="{cx:.1f}" y="{base + 14:.1f}" text-anchor="end" '
            f'transform="rotate(-35 {cx:.1f} {base + 14:.1f})">{escape(category)} '
            f'<tspan fill="#777">{escape(count)}</tspan></text>'
        )
    return (
        f'<text class="category" x="{cx:.1f}" y="{base + 18:.1f}" text-anchor="middle">'
        f'{escape(category)}</text><text x="{cx:.1f}" y="{base + 34:.1f}" '
        f'text-anchor="middle" fill="#777">{escape(count)}</text>'
    )


def _legend(series: Sequence[Series], x: float, y: float) -> list[str]:
    parts = []
    for j, s in enumerate(series):
        parts.append(
            f'<rect x="{x:.0f}" y="{y - 9:.0f}" width="10" height="10" '
            f'fill="{PALETTE[j % len(PALETTE)]}"/>'
            f'<text x="{x + 14:.0f}" y="{y:.0f}">{escape(s.name)}</text>'
        )
        x += 24 + 7 * len(s.name)
    return parts


def bins(values: Sequence[float], count: int = 20) -> tuple[float, list[int]]:
    """A round bin width and the histogram of ``values`` (from 0) in at most ``count`` bins."""
    top = max(values) if values else 0.0
    width = _round_step(top / count) if top > 0 else 1.0
    counts = [0] * max(1, math.ceil(top / width + 1e-9) if top > 0 else 1)
    for v in values:
        counts[min(int(v // width), len(counts) - 1)] += 1
    return width, counts


def _round_step(raw: float) -> float:
    """The next 1, 2 or 5 times a power of ten at or above ``raw``."""
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def histogram(label: str, values: Sequence[float], markers: Mapping[str, float]) -> str:
    """Bins of ``values`` (milliseconds) from 0, with a labelled line at each marker."""
    width_ms, counts = bins(values)
    left, top, plot_w, plot_h = 44, 16, 560, 180
    width, height = left + plot_w + 20, top + plot_h + 44
    span = width_ms * len(counts)
    tallest = max(counts) or 1
    body = []
    for tick in _ticks(tallest):
        y = top + plot_h * (1 - tick / tallest)
        body.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{tick}</text>'
        )
    bin_px = plot_w / len(counts)
    for i, n in enumerate(counts):
        h = plot_h * n / tallest
        lo, hi = i * width_ms, (i + 1) * width_ms
        body.append(
            f'<rect class="bin" x="{left + i * bin_px:.1f}" y="{top + plot_h - h:.1f}" '
            f'width="{max(bin_px - 1, 1):.1f}" height="{h:.1f}" fill="{PALETTE[0]}" '
            f'data-from-ms="{lo:g}" data-to-ms="{hi:g}" data-count="{n}">'
            f"<title>{lo:g}-{hi:g} ms: {n} turn{'' if n == 1 else 's'}</title></rect>"
        )
    for step in range(0, len(counts) + 1, max(1, len(counts) // 5)):
        x = left + step * bin_px
        body.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="#555">'
            f"{step * width_ms:g}</text>"
        )
    body.append(
        f'<text x="{left + plot_w / 2:.0f}" y="{height - 6}" text-anchor="middle">ms</text>'
    )
    for k, (name, ms) in enumerate(markers.items()):
        x = left + plot_w * min(ms / span, 1.0)
        # Labels stacked at the top, on the side of the line with room.
        right = x < left + plot_w * 0.75
        tx, anchor = (x + 4, "start") if right else (x - 4, "end")
        body.append(
            f'<line class="marker" data-name="{_attr(name)}" data-ms="{ms:.1f}" x1="{x:.1f}" '
            f'x2="{x:.1f}" y1="{top}" y2="{top + plot_h}" stroke="{PALETTE[5]}" '
            f'stroke-width="1.5" stroke-dasharray="4 3"/>'
            f'<text x="{tx:.1f}" y="{top + 12 + 15 * k}" text-anchor="{anchor}" '
            f'fill="{PALETTE[5]}" font-weight="600" paint-order="stroke" stroke="#fff" '
            f'stroke-width="3">{escape(name)} {ms:.0f} ms</text>'
        )
    return _svg(width, height, label, body, "histogram")


def _ticks(tallest: int) -> list[int]:
    step = max(1, math.ceil(tallest / 4))
    return list(range(0, tallest + 1, step))


def confusion_matrix(
    label: str, labels: Sequence[str], counts: Mapping[tuple[str, str], int]
) -> str:
    """A cell per (expected, understood) pair of ``labels``; the count shaded by its row share.

    Rows are the expected intents, columns what the parser understood; the
    diagonal (right) is green, everything else red.
    """
    cell, left, top = 34, 130, 120
    n = len(labels)
    width, height = left + cell * n + 12, top + cell * n + 12
    body = [
        f'<text x="{left + cell * n / 2:.0f}" y="14" text-anchor="middle" font-weight="bold">'
        "understood</text>"
    ]
    for j, name in enumerate(labels):
        x = left + j * cell + cell / 2
        body.append(
            f'<text x="{x:.0f}" y="{top - 6}" transform="rotate(-50 {x:.0f} {top - 6})">'
            f"{escape(name)}</text>"
        )
    for i, expected in enumerate(labels):
        y = top + i * cell
        row_total = sum(counts.get((expected, got), 0) for got in labels) or 1
        body.append(
            f'<text x="{left - 6}" y="{y + cell / 2 + 4:.0f}" text-anchor="end">'
            f"{escape(expected)}</text>"
        )
        for j, got in enumerate(labels):
            body.append(
                _cell(
                    (expected, got),
                    counts.get((expected, got), 0) / row_total,
                    counts,
                    (left + j * cell, y),
                    cell,
                )
            )
    return _svg(width, height, label, body, "confusion")


def _cell(
    pair: tuple[str, str],
    share: float,
    counts: Mapping[tuple[str, str], int],
    at: tuple[float, float],
    size: int,
) -> str:
    """One cell: shaded by ``share`` of its row, green on the diagonal, red elsewhere."""
    (expected, got), (x, y), n = pair, at, counts.get(pair, 0)
    colour = "0,158,115" if expected == got else "213,94,0"
    fill = f"rgba({colour},{0.12 + 0.88 * share:.2f})" if n else "#f6f6f6"
    text = (
        f'<text x="{x + size / 2:.0f}" y="{y + size / 2 + 4:.0f}" text-anchor="middle">{n}</text>'
        if n
        else ""
    )
    return (
        f'<rect class="cell" x="{x:.0f}" y="{y:.0f}" width="{size - 2}" height="{size - 2}" '
        f'fill="{fill}" data-expected="{_attr(expected)}" data-understood="{_attr(got)}" '
        f'data-count="{n}"><title>expected {escape(expected)}, understood {escape(got)}: '
        f"{n}</title></rect>{text}"
    )
