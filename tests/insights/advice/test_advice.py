"""Advice recovers effects planted in a generated X archive (right direction, intervals that
exclude 1) and withholds it for factors without one; too few posts withhold everything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from chaupal.actions.imports import do_import_x_tweets
from chaupal.config import Settings
from chaupal.importers.x_archive import tweet_from_json
from chaupal.insights.advice import advice_from_posts, advise
from chaupal.insights.advice.data import Post
from chaupal.insights.advice.stats import fit_poisson, holm, indicator_ratio
from chaupal.models import Account
from tests.importers.archive_factory import Planted, synth_items

NO_EFFECT = ("weekday", "hashtag_count", "hashtags", "length", "thread")


def posts_of(items) -> list[Post]:
    """The top-level posts of generated archive items, as advice reads them from the database."""
    tweets = [tweet_from_json(i, "t") for i in items]
    own = {t.id for t in tweets}
    threads = {t.reply_to_id for t in tweets if t.reply_to_id in own}
    return [
        Post(n, t.created_at, "x", t.favourites + t.reposts, None, t.media_kind,
             [h.lower() for h in t.hashtags], len(t.text), t.id in threads)
        for n, t in enumerate(tweets) if not t.retweet and not t.reply_to_id
    ]


def by_factor(report) -> dict:
    return {p["factor"]: p for p in report["advice"]}


async def _import(session, settings, username: str, items) -> Account:
    account = Account(username=username, username_lower=username.lower(), kind="institution")
    session.add(account)
    await session.flush()
    await do_import_x_tweets(session, settings, account, [tweet_from_json(i, "t") for i in items])
    await session.commit()
    return account


async def test_advise__planted_effects__recovered_others_withheld(settings, session):
    account = await _import(session, settings, "MinOfFinance", synth_items(5, n=1500))
    report = await advise(session, settings, account)
    pieces = by_factor(report)
    hour, media = pieces["hour"], pieces["media"]
    assert (hour["status"], hour["choice"]) == ("advice", "18:00–20:00")
    assert 1.6 < hour["ratio"] < 2.5 and hour["ci_low"] > 1 and hour["posts"] >= 30
    assert (media["status"], media["choice"]) == ("advice", "video")
    assert 1.2 < media["ratio"] < 1.9 and media["ci_low"] > 1
    for factor in NO_EFFECT:
        assert pieces[factor]["status"] == "withheld", pieces[factor]
        assert pieces[factor]["reason"].startswith("No effect shown")
    assert report["sources"] == {"x": 1500}
    assert report["method"]["correction"] == "holm" and report["method"]["comparisons"] > 30
    assert report["method"]["audience"]["unknown"] == 1500  # an archive has no past follower counts


async def test_advise__too_few_posts__everything_withheld(settings, session):
    account = await _import(session, settings, "NewMinistry", synth_items(5, n=40))
    report = await advise(session, settings, account)
    assert all(p["status"] == "withheld" for p in report["advice"])
    assert all(p["reason"].startswith("Not enough posts") for p in report["advice"])
    empty = Account(username="empty", username_lower="empty")
    session.add(empty)
    await session.flush()
    nothing = await advise(session, settings, empty)
    assert nothing["posts_analysed"] == 0 and all(p["status"] == "withheld" for p in nothing["advice"])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_advice__no_planted_effect__all_withheld(seed):
    report = advice_from_posts(posts_of(synth_items(seed, n=1200, planted=Planted(evening=1.0, video=1.0))), Settings())
    assert [p["status"] for p in report["advice"]] == ["withheld"] * 7


def test_advice__settings_change_the_analysis():
    posts = posts_of(synth_items(5, n=1500))
    strict = advice_from_posts(posts, Settings(advice_min_posts_per_arm=10_000))
    assert all(p["reason"].startswith("Not enough posts: each choice needs at least 10000") for p in strict["advice"])
    blocks = by_factor(advice_from_posts(posts, Settings(advice_hour_block=3)))["hour"]
    assert [lv["choice"] for lv in blocks["levels"]][6] == "18:00–21:00"
    tags = by_factor(advice_from_posts(posts, Settings(advice_max_hashtags=2)))["hashtags"]
    assert len(tags["levels"]) == 2
    utc = advice_from_posts(posts, Settings(advice_timezone="UTC"))
    assert utc["method"]["timezone"] == "UTC" and by_factor(utc)["hour"]["choice"] != "18:00–20:00"


async def test_advise__max_posts_setting_bounds_the_work(settings, session):
    account = await _import(session, settings, "Bounded", synth_items(5, n=120))
    report = await advise(session, settings.model_copy(update={"advice_max_posts": 50}), account)
    assert report["posts_analysed"] == 50


def test_stats__poisson_ratio_and_holm_match_hand_computation():
    rng = np.random.default_rng(0)
    arm = np.arange(400) < 100
    y = rng.poisson(np.where(arm, 6.0, 3.0)).astype(float)
    ones = np.ones((400, 1))
    r = indicator_ratio(y, arm, ones, np.zeros(400))
    assert r is not None
    assert r.ratio == pytest.approx(y[arm].mean() / y[~arm].mean(), rel=1e-6)  # saturated model: ratio of means
    assert r.low < r.ratio < r.high and r.p < 1e-6
    offset = np.log(np.full(400, 1000.0))
    beta, _ = fit_poisson(y, np.column_stack([arm, ones]).astype(float), offset)
    assert np.exp(beta[1]) * 1000 == pytest.approx(y[~arm].mean(), rel=1e-6)  # the offset is a rate base
    assert indicator_ratio(np.where(arm, 0.0, 1.0), arm, ones, np.zeros(400)) is None  # no engagement in the arm
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


async def test_advise__native_posts_normalised_by_followers_then(settings, session, make_user):
    from chaupal.actions.statuses import check_create_status
    from chaupal.insights.advice.data import FollowerHistory, load_posts
    from chaupal.lib.ids import new_id
    from chaupal.models import AccountEvent, Follow

    owner = await make_user("pmo")
    account = await session.get(Account, owner.account_id)
    start = datetime(2025, 1, 1, 12, tzinfo=UTC)
    fans = [Account(username=f"fan{i}", username_lower=f"fan{i}") for i in range(6)]
    session.add_all(fans)
    await session.flush()
    for i, fan in enumerate(fans[:5]):  # one new follower a day from 1 January
        at = start + timedelta(days=i)
        session.add(Follow(id=new_id(at), account_id=fan.id, target_account_id=account.id, created_at=at))
    session.add(AccountEvent(account_id=account.id, actor_id=fans[5].id, kind="unfollow",  # followed 2-4 Jan
                             at=start + timedelta(days=3), followed_at=start + timedelta(days=1)))
    await session.flush()
    for day in range(7):
        await check_create_status(session, settings, account, text=f"Day {day}",
                                  created_at=start + timedelta(days=day, hours=1))
    await session.commit()
    history = await FollowerHistory.load(session, account.id)
    posts = await load_posts(session, settings, account)
    assert [p.audience for p in posts] == [None, 1.0, 3.0, 4.0, 4.0, 5.0, 5.0]
    assert history.at(new_id(start - timedelta(days=3))) is None
    assert {p.source for p in posts} == {"chaupal"}
