"""`chaupal import x-archive`: a generated archive in X's real format becomes the account's
history (both backends); re-importing skips; a malformed archive imports nothing."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from chaupal.cli import app as cli
from chaupal.importers.x_archive import ArchiveError, load_x_archive, tweet_from_json
from chaupal.lib.ids import id_time
from chaupal.models import Account, ImportedPost, Status, StatusTag, Tag
from tests.importers.archive_factory import make_archive, synth_items, tweets_js

runner = CliRunner()


async def _invoke(settings, *args: str):
    """The CLI runs its own event loop (asyncio.run), so it runs in a thread here."""
    env = {"CHAUPAL_DATA_DIR": str(settings.data_dir), "CHAUPAL_DATABASE_URL": settings.database_url,
           "CHAUPAL_REDIS_URL": "", "COLUMNS": "300"}
    return await asyncio.to_thread(runner.invoke, cli, ["import", *args], env=env, catch_exceptions=False)


async def _count(session, model, *where) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def test_import_x_archive__folder_then_zip__history_kept_and_idempotent(settings, session, make_user, tmp_path):
    user = await make_user("finmin")
    items = synth_items(3, n=80)  # with threads, replies to others and retweets
    tweets = [tweet_from_json(i, "t") for i in items]
    by_id = {t.id: t for t in tweets}
    originals = [t for t in tweets if not t.retweet]
    folder = make_archive(tmp_path, items=items)

    done = await _invoke(settings, "x-archive", str(folder), "--account", "finmin")
    assert done.exit_code == 0, done.output
    assert f"imported {len(originals)} posts" in done.output

    rows = (await session.execute(
        select(Status, ImportedPost).join(ImportedPost, ImportedPost.status_id == Status.id)
        .where(Status.account_id == user.account_id)
    )).all()
    assert len(rows) == len(originals)
    threaded = others = 0
    for status, imported in rows:
        tweet = by_id[imported.source_id]
        assert status.created_at.replace(tzinfo=None) == tweet.created_at.replace(tzinfo=None)
        assert abs((id_time(status.id) - tweet.created_at).total_seconds()) < 1  # snowflake of its time
        assert "t.co/" not in status.text and "&amp;" not in status.text
        assert imported.media_kind == tweet.media_kind
        assert (imported.favourites, imported.reposts) == (tweet.favourites, tweet.reposts)
        if tweet.reply_to_id in by_id:  # a reply to its own tweet: threaded under it
            threaded += 1
            parent = await session.get(ImportedPost, status.in_reply_to_id)
            assert parent is not None and parent.source_id == tweet.reply_to_id
            assert not status.text.startswith("@MinOfFinance")
        elif tweet.reply_to_id:
            others += 1
            assert status.in_reply_to_id is None
            assert imported.reply_to_username == tweet.reply_to_username
    assert threaded > 0 and others > 0
    expanded = [s for s, i in rows if "https://finmin.example.gov/n/" in s.text]
    assert expanded and all('href="https://finmin.example.gov/n/' in s.content for s in expanded)
    tagged = sum(len(set(t.hashtags)) for t in originals)
    assert await _count(session, StatusTag, StatusTag.status_id.in_([s.id for s, _ in rows])) == tagged
    assert await _count(session, Tag, Tag.name_lower == "budget2025") == 1
    kinds = {i.media_kind for _, i in rows}
    assert kinds == {"text", "photo", "video"}
    account = await session.get(Account, user.account_id)
    await session.refresh(account)
    assert account.statuses_count == len(originals)
    await session.rollback()  # end this reader's transaction (SQLite sessions begin IMMEDIATE)

    again = await _invoke(settings, "x-archive", str(make_archive(tmp_path, items=items, as_zip=True)),
                    "--account", "@FinMin")
    assert again.exit_code == 0, again.output
    assert "imported 0 posts" in again.output and f"skipped {len(originals)} already imported" in again.output
    assert await _count(session, Status, Status.account_id == user.account_id) == len(originals)


@pytest.mark.parametrize(
    "breakage, message",
    [
        (lambda text: text.replace("window.YTD.tweets.part0 = ", ""), "does not start with"),
        (lambda text: text[:-40], "not valid JSON"),
        (lambda text: text.replace('"created_at": "', '"created_at": "yesterday ', 1), "created_at"),
        (lambda text: text.replace('"favorite_count": "', '"favorite_count": "x', 1), "favorite_count is not a count"),
    ],
)
async def test_import_x_archive__malformed__clear_error_nothing_imported(settings, session, make_user, tmp_path, breakage, message):
    user = await make_user("finmin")
    folder = make_archive(tmp_path, n=30)
    js = folder / "data" / "tweets.js"
    js.write_text(breakage(js.read_text(encoding="utf-8")), encoding="utf-8")
    done = await _invoke(settings, "x-archive", str(folder), "--account", "finmin")
    assert done.exit_code == 1
    assert "Not imported" in done.output and message in done.output
    assert await _count(session, Status, Status.account_id == user.account_id) == 0
    assert await _count(session, ImportedPost) == 0


async def test_import_x_archive__not_an_archive_or_unknown_account__refused(settings, session, make_user, tmp_path):
    await make_user("finmin")
    (tmp_path / "empty").mkdir()
    empty = await _invoke(settings, "x-archive", str(tmp_path / "empty"), "--account", "finmin")
    assert empty.exit_code == 1 and "no data/tweets.js" in empty.output
    (tmp_path / "bad.zip").write_bytes(b"PK not really")
    bad = await _invoke(settings, "x-archive", str(tmp_path / "bad.zip"), "--account", "finmin")
    assert bad.exit_code == 1 and "not a folder or a readable .zip" in bad.output
    missing = await _invoke(settings, "x-archive", str(make_archive(tmp_path, n=5)), "--account", "nobody")
    assert missing.exit_code == 1 and "No local account @nobody" in missing.output
    assert await _count(session, Status) == 0


def test_load_x_archive__limits_are_settings(tmp_path):
    folder = make_archive(tmp_path, n=20)
    assert load_x_archive(folder, max_bytes=10**8, max_tweets=10**5)
    with pytest.raises(ArchiveError, match="x_archive_max_tweets"):
        load_x_archive(folder, max_bytes=10**8, max_tweets=5)
    with pytest.raises(ArchiveError, match="x_archive_max_bytes"):
        load_x_archive(folder, max_bytes=100, max_tweets=10**5)
    zipped = make_archive(tmp_path, n=20, as_zip=True, name="z")
    with pytest.raises(ArchiveError, match="x_archive_max_bytes"):
        load_x_archive(zipped, max_bytes=100, max_tweets=10**5)


def test_load_x_archive__parts_and_older_name(tmp_path):
    items = synth_items(3, n=12)
    data = tmp_path / "a" / "data"
    data.mkdir(parents=True)
    (data / "tweet.js").write_text(tweets_js(items[:5]).replace("tweets.part0", "tweet.part0"), encoding="utf-8")
    (data / "tweet-part1.js").write_text(tweets_js(items[5:]).replace("tweets.part0", "tweet.part1"), encoding="utf-8")
    tweets = load_x_archive(tmp_path / "a", max_bytes=10**8, max_tweets=10**5)
    assert len(tweets) == len(items)
    assert [t.created_at for t in tweets] == sorted(t.created_at for t in tweets)


def test_tweet_from_json__the_real_format():
    raw = {"tweet": {
        "id_str": "1050118621198921728", "created_at": "Wed Oct 10 20:19:24 +0000 2018",
        "full_text": "Budget &amp; you: read more https://t.co/abc #Budget https://t.co/pic",
        "favorite_count": "12", "retweet_count": 3, "lang": "und",
        "entities": {"hashtags": [{"text": "Budget"}], "urls": [{"url": "https://t.co/abc", "expanded_url": "https://example.gov/b"}],
                     "media": [{"url": "https://t.co/pic", "type": "photo"}]},
        "extended_entities": {"media": [{"url": "https://t.co/pic", "type": "animated_gif",
                                         "media_url_https": "https://pbs.twimg.com/x.jpg"}]},
    }}
    t = tweet_from_json(raw, "item 0")
    assert t.text == "Budget & you: read more https://example.gov/b #Budget"
    assert (t.created_at.isoformat(), t.favourites, t.reposts) == ("2018-10-10T20:19:24+00:00", 12, 3)
    assert (t.media_kind, t.language, t.hashtags) == ("video", None, ["Budget"])
    assert json.loads(json.dumps(raw))  # stays valid JSON
    with pytest.raises(ArchiveError, match="item 0: id_str is missing"):
        tweet_from_json({"tweet": {"created_at": "x"}}, "item 0")


async def test_demo_x_history__a_past_before_the_demo_with_advice(settings, session, make_user):
    from datetime import UTC, datetime

    from chaupal.importers.x_archive_synth import demo_x_history
    from chaupal.insights.advice import advise

    user = await make_user("MinOfFinance")
    account = await session.get(Account, user.account_id)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    report = await demo_x_history(session, settings, account, now, n=800)
    await session.commit()
    assert report.imported > 800
    newest = await session.scalar(select(func.max(Status.created_at)).where(Status.account_id == account.id))
    assert newest.replace(tzinfo=UTC) < datetime(2025, 12, 2, tzinfo=UTC)  # before the demo's 182 days
    advice = {p["factor"]: p for p in (await advise(session, settings, account))["advice"]}
    assert advice["hour"]["status"] == advice["media"]["status"] == "advice"
