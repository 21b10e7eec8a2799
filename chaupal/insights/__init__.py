"""Insights: analytics, reaction monitor, sentiment, advice, suggestions."""
