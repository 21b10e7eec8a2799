"""Engagement analytics: daily rollups per account and per post (job.py, rollup.py), open
counts (opens.py), reports by period and quarter (report.py) and who may read them (access.py)."""

from chaupal.insights.analytics.job import demo_backfill, do_rollup_pending

__all__ = ["demo_backfill", "do_rollup_pending"]
