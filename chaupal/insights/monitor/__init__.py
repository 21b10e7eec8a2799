"""The real-time reaction monitor: sentiment labels on every public post, and per subject (a
post, a hashtag, a keyword, an account's mentions) the reactions over time, live over SSE."""

from chaupal.insights.monitor.labels import demo_backfill, do_label_status, label_missing

__all__ = ["demo_backfill", "do_label_status", "label_missing"]
