"""A dependency-free SVG bar chart of the stored core-benchmark results, with the targets."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

TARGET_POSTS = 1500
TARGET_P99 = 20.0


def _panel(
    x0: int,
    title: str,
    bars: list[tuple[str, float]],
    target: float,
    unit: str,
    lower_is_better: bool,
) -> list[str]:
    width, height, top = 380, 200, 50
    peak = max([target, *[v for _, v in bars]]) * 1.15 or 1
    out = [
        f'<text x="{x0 + width / 2}" y="22" text-anchor="middle" font-weight="bold">{escape(title)}</text>'
    ]
    bw = width / max(1, len(bars)) * 0.6
    for i, (label, value) in enumerate(bars):
        h = value / peak * height
        x = x0 + (i + 0.2) * width / max(1, len(bars))
        good = value <= target if lower_is_better else value >= target
        color = "#2e7d32" if good else "#c62828"
        out.append(
            f'<rect x="{x:.1f}" y="{top + height - h:.1f}" width="{bw:.1f}" height="{h:.1f}" fill="{color}"/>'
        )
        out.append(
            f'<text x="{x + bw / 2:.1f}" y="{top + height - h - 4:.1f}" text-anchor="middle" '
            f'font-size="12">{value:,.1f}</text>'
        )
        out.append(
            f'<text x="{x + bw / 2:.1f}" y="{top + height + 16}" text-anchor="middle" '
            f'font-size="11">{escape(label)}</text>'
        )
    ty = top + height - target / peak * height
    out.append(
        f'<line x1="{x0}" x2="{x0 + width}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#555" stroke-dasharray="5,4"/>'
    )
    out.append(
        f'<text x="{x0 + width}" y="{ty - 4:.1f}" text-anchor="end" font-size="11" fill="#555">'
        f"target {target:,.0f} {unit}</text>"
    )
    return out


def write(path: Path, results: list[dict[str, Any]]) -> None:
    def label(r: dict[str, Any]) -> str:
        quick = " (quick)" if "--quick" in r.get("command", "") else ""
        return f"{r['backend']}{quick}"

    posts = [(label(r), r["create"]["per_second"]) for r in results]
    p99 = [(label(r), r["home_c1"]["p99_ms"]) for r in results]
    parts = [
        (
            '<svg xmlns="http://www.w3.org/2000/svg" width="820" height="290" '
            'font-family="sans-serif" font-size="13">'
        ),
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    parts += _panel(20, "Posts created per second (HTTP)", posts, TARGET_POSTS, "posts/s", False)
    parts += _panel(430, "Home timeline p99 latency (c=1), ms", p99, TARGET_P99, "ms", True)
    parts.append("</svg>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n")
