"""Trends: hashtags, links and statuses scored by distinct accounts with exponential time decay,
per language, refreshed by the `trends_refresh` job into `trend_scores`; public only once a
moderator approved them (or `trends_auto_approve`)."""
