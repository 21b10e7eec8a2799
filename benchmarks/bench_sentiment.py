"""Sentiment benchmark: held-in scores, throughput on one CPU core, and the chart.

    .venv/bin/python benchmarks/bench_sentiment.py [--data ../shared/data/sentiment] [--rounds 5]

Prints rich tables and writes docs/img/sentiment.svg (our scores against published baselines).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import platform
import time
from html import escape
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.table import Table

from chaupal.insights.sentiment import get_model
from chaupal.insights.sentiment.classifier import MODEL_FILE
from chaupal.insights.sentiment.evaluate import EN_VAL, HI_DEV, load_tsv, metrics

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "sentiment"
HANDMADE = ROOT / "tests" / "insights" / "hindi-devanagari-handmade.tsv"
SVG = ROOT / "docs" / "img" / "sentiment.svg"

console = Console()


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def throughput(texts: list[str], rounds: int, batch: int) -> tuple[float, float]:
    """Return (posts/s wall clock, posts/s of process CPU time) for batches of `batch`."""
    model = get_model()
    model.predict(texts[:batch])  # warm-up
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        for i in range(0, len(texts), batch):
            model.predict(texts[i : i + batch])
    n = rounds * len(texts)
    return n / (time.perf_counter() - wall), n / (time.process_time() - cpu)


def chart(en_recall: float, hi_f1: float, path: Path) -> None:
    """A small hand-written SVG bar chart: ours against the published baselines."""
    groups = [
        ("English TweetEval val, macro recall", [
            ("VADER", 57.0, False), ("SVM", 62.9, False), ("FastText", 62.9, False),
            ("Chaupal", en_recall, True), ("RoBERTa-base", 71.3, False),
        ]),
        ("Hinglish SentiMix dev, macro F1", [
            ("char SVM", 67.8, False), ("Chaupal", hi_f1, True), ("best published", 75.0, False),
        ]),
    ]  # fmt: skip
    bar_h, gap, label_w, plot_w, top = 18, 6, 130, 330, 10
    rows = []
    y = top
    for title, bars in groups:
        rows.append(f'<text x="4" y="{y + 12}" font-weight="bold">{escape(title)}</text>')
        y += 20
        for name, value, ours in bars:
            width = plot_w * value / 100
            fill = "#2a7ab0" if ours else "#b8c4cc"
            rows.append(
                f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{escape(name)}</text>'
            )
            rows.append(
                f'<rect x="{label_w}" y="{y}" width="{width:.1f}" height="{bar_h}" fill="{fill}"/>'
            )
            rows.append(f'<text x="{label_w + width + 4:.1f}" y="{y + 13}">{value:.1f}</text>')
            y += bar_h + gap
        y += 10
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + plot_w + 50}" height="{y}" '
        f'font-family="sans-serif" font-size="12">\n'
        f"<title>Chaupal sentiment vs published baselines (baselines: official test splits)</title>\n"
        + "\n".join(rows)
        + "\n</svg>\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--svg", type=Path, default=SVG)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    started = time.perf_counter()
    model = get_model()
    load_s = time.perf_counter() - started

    en_texts, en_gold = load_tsv(args.data / EN_VAL)
    hi_texts, hi_gold = load_tsv(args.data / HI_DEV)
    hand_texts, hand_gold = load_tsv(HANDMADE)
    en = metrics(en_gold, model.predict(en_texts))
    hi = metrics(hi_gold, model.predict(hi_texts))
    hand = metrics(hand_gold, model.predict(hand_texts))

    scores = Table(title="Sentiment quality (held-in sets; baselines are published test figures)")
    for col in ("set", "rows", "macro recall", "macro F1", "accuracy", "bar"):
        scores.add_column(col, justify="right" if col != "set" else "left")
    scores.add_row(
        EN_VAL,
        f"{len(en_texts):,}",
        f"{en['macro_recall']:.1f}",
        f"{en['macro_f1']:.1f}",
        f"{en['accuracy']:.1f}",
        "recall > 62.9 (SVM)",
    )
    scores.add_row(
        HI_DEV,
        f"{len(hi_texts):,}",
        f"{hi['macro_recall']:.1f}",
        f"{hi['macro_f1']:.1f}",
        f"{hi['accuracy']:.1f}",
        "F1 > 67.8 (char SVM)",
    )
    scores.add_row(
        "Devanagari hand-written (not a benchmark)",
        f"{len(hand_texts)}",
        f"{hand['macro_recall']:.1f}",
        f"{hand['macro_f1']:.1f}",
        f"{hand['accuracy']:.1f}",
        "-",
    )
    console.print(scores)

    texts = en_texts + hi_texts
    speed = Table(title=f"Throughput, one core ({_cpu_name()}, {os.cpu_count()} CPUs seen)")
    for col in ("batch", "posts/s (wall)", "posts/s (CPU time)"):
        speed.add_column(col, justify="right")
    for batch in (1, 100, 1000, 5000):
        rounds = 1 if batch == 1 else args.rounds
        sample = texts[:1000] if batch == 1 else texts
        wall, cpu = throughput(sample, rounds, batch)
        speed.add_row(str(batch), f"{wall:,.0f}", f"{cpu:,.0f}")
    console.print(speed)
    weights = resources.files("chaupal.insights.sentiment") / "model" / MODEL_FILE
    console.print(
        f"model file {weights.stat().st_size / 1e6:.1f} MB, loaded in {load_s:.2f} s; "
        f"python {platform.python_version()}; load average {os.getloadavg()[0]:.1f}"
    )

    chart(en["macro_recall"], hi["macro_f1"], args.svg)
    console.print(f"wrote {args.svg}")


if __name__ == "__main__":
    main()
