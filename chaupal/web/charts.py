"""Server-rendered SVG line charts (follower growth): no JavaScript, no external library, and
only presentation attributes, so the page's strict CSP (no inline styles) still holds."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup

PALETTE = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7c86", "#57606a")


@dataclass
class Series:
    label: str
    points: list[tuple[date, int]]


def nice_ticks(top: float, count: int = 4) -> list[int]:
    """0 and a few round numbers (1, 2, 5 × 10^n steps) covering `top`."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(int(step), 1)
    return list(range(0, math.ceil(top / step) * step + 1, step))


def _label(n: int) -> str:
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if abs(n) >= size:
            return f"{n / size:.1f}".rstrip("0").rstrip(".") + suffix
    return str(n)


def line_chart(series: list[Series], *, title: str, width: int = 720, height: int = 300) -> Markup:
    """An accessible SVG line chart of follower counts per day; a legend names each line."""
    left, right, top, bottom = 56, 16, 16, 40
    # Three legend entries a row while labels are short; long names get a row each (no overlap).
    per_row = 3 if all(len(s.label) <= 24 for s in series) else 1
    legend_rows = (len(series) + per_row - 1) // per_row
    total_height = height + legend_rows * 20
    days = sorted({d for s in series for d, _ in s.points})
    values = [n for s in series for _, n in s.points]
    out = [
        (
            f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {total_height}" '
            f'width="{width}" height="{total_height}" role="img" aria-label="{escape(title)}">'
        ),
        f"<title>{escape(title)}</title>",
    ]
    if not days:
        out.append(f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle" fill="#57606a">'
                   "No data yet</text></svg>")
        return Markup("".join(out))
    lo = min(values)
    hi = max(values)
    ticks = nice_ticks(hi)
    y_max = ticks[-1] or 1
    first, last = days[0], days[-1]
    span = max((last - first).days, 1)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(d: date) -> float:
        return left + plot_w * ((d - first).days / span if len(days) > 1 else 0.5)

    def y(n: int) -> float:
        return top + plot_h * (1 - n / y_max)

    for tick in ticks:
        ty = y(tick)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" '
                   'stroke="#d0d7de" stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end" font-size="11" '
                   f'fill="#57606a">{_label(tick)}</text>')
    labels = [first] if first == last else [first, first + (last - first) / 2, last]
    for i, d in enumerate(labels):
        anchor = "middle" if len(labels) == 1 else ("start", "middle", "end")[min(i, 1) + (d == last)]
        out.append(f'<text x="{x(d):.1f}" y="{height - bottom + 18}" text-anchor="{anchor}" '
                   f'font-size="11" fill="#57606a">{d.strftime("%d %b")}</text>')
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        pts = sorted(s.points)
        if len(pts) == 1:
            out.append(f'<circle cx="{x(pts[0][0]):.1f}" cy="{y(pts[0][1]):.1f}" r="3" fill="{colour}"/>')
        elif pts:
            path = " ".join(f"{x(d):.1f},{y(n):.1f}" for d, n in pts)
            out.append(f'<polyline class="series" fill="none" stroke="{colour}" stroke-width="2" '
                       f'points="{path}"><title>{escape(s.label)}</title></polyline>')
        lx = left + (i % per_row) * (plot_w // per_row)
        ly = height + (i // per_row) * 20
        out.append(f'<rect x="{lx}" y="{ly - 9}" width="12" height="4" fill="{colour}"/>')
        out.append(f'<text x="{lx + 18}" y="{ly - 4}" font-size="12" fill="#24292f">'
                   f"{escape(s.label[:80])}</text>")
    out.append(f"<desc>Followers from {first.isoformat()} to {last.isoformat()}, "
               f"between {lo} and {hi}.</desc></svg>")
    return Markup("".join(out))
