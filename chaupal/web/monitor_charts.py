"""Server-rendered SVG charts of the reaction monitor: posts per time bucket stacked by
sentiment, and horizontal share bars. Presentation attributes only (the CSP forbids inline styles)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from markupsafe import Markup

from chaupal.web.charts import nice_ticks

COLOURS = {"negative": "#d1242f", "neutral": "#8c959f", "positive": "#1a7f37"}
ORDER = ("positive", "neutral", "negative")  # bottom to top


def _time_label(start: str, bucket_seconds: int) -> str:
    at = datetime.fromisoformat(start)
    return at.strftime("%d %b") if bucket_seconds >= 86400 else at.strftime("%H:%M")


def series_chart(data: dict[str, Any], *, title: str, width: int = 720, height: int = 260) -> Markup:
    """Stacked bars, one per bucket: how many posts, split by sentiment (UTC times)."""
    series = data["series"]
    bucket = data["window"]["bucket_seconds"]
    left, right, top, bottom = 48, 12, 12, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    ticks = nice_ticks(max((s["count"] for s in series), default=0))
    y_max = ticks[-1] or 1
    out = [
        (
            f'<svg class="chart reactions-series" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-label="{escape(title)}">'
        ),
        f"<title>{escape(title)}</title>",
    ]
    for tick in ticks:
        ty = top + plot_h * (1 - tick / y_max)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#d0d7de"/>')
        out.append(f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end" font-size="11" fill="#57606a">{tick}</text>')
    n = max(len(series), 1)
    slot = plot_w / n
    bar = max(slot * 0.8, 1.0)
    for i, s in enumerate(series):
        x = left + i * slot + (slot - bar) / 2
        base = top + plot_h
        for label in ORDER:
            if not s[label]:
                continue
            h = plot_h * s[label] / y_max
            base -= h
            out.append(
                f'<rect class="bar {label}" x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[label]}"><title>{escape(_time_label(s["start"], bucket))}: '
                f'{s[label]} {label}</title></rect>'
            )
    marks = sorted({0, n // 2, n - 1}) if series else []
    for i in marks:
        anchor = "start" if i == 0 else ("end" if i == n - 1 else "middle")
        x = left + i * slot + (slot / 2 if anchor == "middle" else (0 if anchor == "start" else slot))
        out.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="{anchor}" font-size="11" '
                   f'fill="#57606a">{escape(_time_label(series[i]["start"], bucket))}</text>')
    for j, label in enumerate(reversed(ORDER)):
        lx = left + j * 120
        out.append(f'<rect x="{lx}" y="{height - 14}" width="12" height="8" fill="{COLOURS[label]}"/>')
        out.append(f'<text x="{lx + 18}" y="{height - 6}" font-size="12" fill="#24292f">{label}</text>')
    total = sum(s["count"] for s in series)
    out.append(f"<desc>{total} posts in {len(series)} buckets of {bucket} seconds.</desc></svg>")
    return Markup("".join(out))


def share_bars(
    rows: list[tuple[str, int]], *, title: str, colours: dict[str, str] | None = None, width: int = 360
) -> Markup:
    """One labelled horizontal bar per row, its length the row's share of the total."""
    total = sum(n for _, n in rows) or 1
    line = 22
    height = max(len(rows), 1) * line + 4
    label_w, bar_w = 90, width - 90 - 70
    out = [
        (
            f'<svg class="chart shares" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">'
        ),
        f"<title>{escape(title)}</title>",
    ]
    for i, (name, n) in enumerate(rows):
        y = 2 + i * line
        w = bar_w * n / total
        colour = (colours or {}).get(name, "#1f6feb")
        out.append(f'<text x="0" y="{y + 14}" font-size="12" fill="#24292f">{escape(name[:14])}</text>')
        out.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="14" fill="{colour}"/>')
        out.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 14}" font-size="12" fill="#57606a">'
                   f"{n} ({100 * n / total:.0f}%)</text>")
    out.append("</svg>")
    return Markup("".join(out))
