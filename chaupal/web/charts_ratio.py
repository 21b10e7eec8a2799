"""Server-rendered SVG 'forest plot' of engagement ratios: one row per choice, a dot at the
ratio and a line across its 95% interval, on a log scale with a reference line at 1 (no effect).
Presentation attributes only (the page's CSP forbids inline styles)."""

from __future__ import annotations

import math
from html import escape
from typing import Any

from markupsafe import Markup

SUPPORTED, OTHER, UNTESTED = "#1a7f37", "#57606a", "#8c959f"
TICKS = (0.25, 0.5, 0.67, 1.0, 1.5, 2.0, 3.0, 4.0)


def ratio_chart(levels: list[dict[str, Any]], *, title: str, width: int = 640) -> Markup:
    """`levels`: dicts with choice, posts, ratio, ci_low, ci_high, supported (ratio None = untested)."""
    row, top, bottom, left, right = 24, 12, 34, 170, 20
    height = top + bottom + row * max(1, len(levels))
    tested = [lv for lv in levels if lv.get("ratio")]
    lo = min([0.5, *(lv["ci_low"] for lv in tested)])
    hi = max([2.0, *(lv["ci_high"] for lv in tested)])
    lo, hi = max(lo, 0.1), min(hi, 10.0)
    span = math.log(hi) - math.log(lo)
    plot_w = width - left - right

    def x(v: float) -> float:
        v = min(max(v, lo), hi)
        return left + plot_w * (math.log(v) - math.log(lo)) / span

    out = [
        (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
         f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">'),
        f"<title>{escape(title)}</title>",
    ]
    base = height - bottom
    for tick in TICKS:
        if lo <= tick <= hi:
            tx = x(tick)
            stroke = '#24292f" stroke-dasharray="4 3' if tick == 1.0 else "#d0d7de"
            out.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{top}" y2="{base}" stroke="{stroke}" '
                       'stroke-width="1"/>')
            out.append(f'<text x="{tx:.1f}" y="{base + 16}" text-anchor="middle" font-size="11" '
                       f'fill="#57606a">{tick:g}×</text>')
    for i, lv in enumerate(levels):
        cy = top + row * i + row / 2
        label = f"{lv['choice']} ({lv['posts']})"
        out.append(f'<text x="{left - 8}" y="{cy + 4:.1f}" text-anchor="end" font-size="12" '
                   f'fill="#24292f">{escape(label[:28])}</text>')
        if not lv.get("ratio"):
            out.append(f'<text x="{left + 4}" y="{cy + 4:.1f}" font-size="11" fill="{UNTESTED}">'
                       "too few posts to test</text>")
            continue
        colour = SUPPORTED if lv.get("supported") else OTHER
        out.append(f'<line x1="{x(lv["ci_low"]):.1f}" x2="{x(lv["ci_high"]):.1f}" y1="{cy:.1f}" '
                   f'y2="{cy:.1f}" stroke="{colour}" stroke-width="2"/>')
        out.append(
            f'<circle cx="{x(lv["ratio"]):.1f}" cy="{cy:.1f}" r="4" fill="{colour}">'
            f"<title>{escape(lv['choice'])}: {lv['ratio']:.2f}× "
            f"(95% interval {lv['ci_low']:.2f}–{lv['ci_high']:.2f}), {lv['posts']} posts</title></circle>"
        )
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle" font-size="11" '
               'fill="#57606a">engagement per post against the rest (log scale; 1× = no difference)</text>')
    out.append("</svg>")
    return Markup("".join(out))
