"""Pure trend scoring: decay, distinct accounts, languages, history, URL normalisation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chaupal.insights.trends.score import (
    ALL,
    Use,
    daily_history,
    decay,
    language_key,
    link_id,
    normalize_url,
    score_uses,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_decay__half_after_one_half_life_and_future_counts_as_now():
    assert decay(timedelta(0), 24) == 1.0
    assert decay(timedelta(hours=24), 24) == pytest.approx(0.5)
    assert decay(timedelta(hours=48), 24) == pytest.approx(0.25)
    assert decay(timedelta(hours=-5), 24) == 1.0


def test_one_spammy_account__counts_once():
    spam = [Use(1, 99, "en", NOW - timedelta(minutes=i)) for i in range(100)]
    fair = [Use(2, a, "en", NOW - timedelta(hours=1)) for a in range(3)]
    scores = score_uses(spam + fair, NOW, 24, min_accounts=1)
    assert scores[(1, ALL)].accounts == 1 and scores[(1, ALL)].uses == 100
    assert scores[(1, ALL)].score == pytest.approx(1.0)
    assert scores[(2, ALL)].score > scores[(1, ALL)].score


def test_min_accounts__drops_items_used_by_too_few():
    uses = [Use(1, 1, "en", NOW), Use(1, 2, "en", NOW), Use(2, 1, "en", NOW)]
    scores = score_uses(uses, NOW, 24, min_accounts=2)
    assert (1, ALL) in scores and (2, ALL) not in scores


def test_recent_uses__outrank_old_ones_with_the_same_accounts():
    fresh = [Use(1, a, "en", NOW - timedelta(hours=1)) for a in range(3)]
    stale = [Use(2, a, "en", NOW - timedelta(days=3)) for a in range(3)]
    scores = score_uses(fresh + stale, NOW, 24, 1)
    assert scores[(1, ALL)].score > 7 * scores[(2, ALL)].score


def test_languages__each_language_and_all():
    uses = [Use(1, 1, "hi", NOW), Use(1, 2, "hi-IN", NOW), Use(1, 3, "en", NOW), Use(1, 4, "", NOW)]
    scores = score_uses(uses, NOW, 24, 1)
    assert scores[(1, ALL)].accounts == 4
    assert scores[(1, "hi")].accounts == 2
    assert scores[(1, "en")].accounts == 1


@pytest.mark.parametrize(
    ("raw", "key"), [("hi", "hi"), ("en-IN", "en"), ("EN", "en"), ("*", ""), (None, ""), ("x1", ""), ("hin", "hin")]
)
def test_language_key(raw, key):
    assert language_key(raw) == key


def test_daily_history__newest_day_first_with_distinct_accounts():
    uses = [Use(1, 1, "en", NOW), Use(1, 1, "en", NOW), Use(1, 2, "en", NOW - timedelta(days=1))]
    history = daily_history(uses, NOW, days=7)[1]
    assert len(history) == 7
    assert (history[0]["uses"], history[0]["accounts"]) == ("2", "1")
    assert (history[1]["uses"], history[1]["accounts"]) == ("1", "1")
    assert int(history[0]["day"]) - int(history[1]["day"]) == 86400


def test_normalize_url():
    assert normalize_url("HTTPS://Example.ORG/a?b=1#frag") == "https://example.org/a?b=1"
    assert normalize_url("https://example.org/") == "https://example.org"
    assert normalize_url("ftp://example.org/") is None
    assert normalize_url("https://") is None
    assert normalize_url("https://[broken") is None


def test_link_id__stable_positive_and_distinct():
    a, b = link_id("https://a.example"), link_id("https://b.example")
    assert a == link_id("https://a.example") and a != b
    assert 0 < a < 2**62
