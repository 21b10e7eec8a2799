"""Server-rendered SVG bar charts (one value per labelled bar, e.g. engagement per quarter), in
the style of charts.py: no JavaScript, presentation attributes only (strict CSP)."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from chaupal.web.charts import PALETTE, _label, nice_ticks


def bar_chart(
    bars: list[tuple[str, int]], *, title: str, width: int = 720, height: int = 260, colour: str = PALETTE[0]
) -> Markup:
    """An accessible SVG bar chart; each bar carries its value as a <title> tooltip."""
    left, right, top, bottom = 56, 16, 16, 40
    out = [
        (
            f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">'
        ),
        f"<title>{escape(title)}</title>",
    ]
    if not bars:
        out.append(f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle" fill="#57606a">'
                   "No data yet</text></svg>")
        return Markup("".join(out))
    ticks = nice_ticks(max(max(v for _, v in bars), 0))
    y_max = ticks[-1] or 1
    plot_w, plot_h = width - left - right, height - top - bottom
    for tick in ticks:
        ty = top + plot_h * (1 - tick / y_max)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#d0d7de" stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end" font-size="11" fill="#57606a">{_label(tick)}</text>')
    slot = plot_w / len(bars)
    bar_w = max(min(slot * 0.7, 80), 2)
    for i, (label, value) in enumerate(bars):
        h = plot_h * max(value, 0) / y_max
        x = left + slot * i + (slot - bar_w) / 2
        out.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{colour}">'
                   f"<title>{escape(label)}: {value:,}</title></rect>")
        out.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 18}" text-anchor="middle" font-size="11" '
                   f'fill="#57606a">{escape(label[:12])}</text>')
    out.append(f"<desc>{escape(title)}: " + ", ".join(f"{escape(k)} {v}" for k, v in bars) + ".</desc></svg>")
    return Markup("".join(out))
