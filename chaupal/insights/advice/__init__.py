"""Evidence-based advice for an account: when to post, media, hashtags, length, threads, each
as an engagement ratio with a 95% interval, withheld without enough evidence; and how it answers
citizens. Computed at request time from its own and imported posts (docs/models.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.insights.advice.answering import answering_summary
from chaupal.insights.advice.compute import ALPHA, FACTORS, Test, level_order, run_tests
from chaupal.insights.advice.data import Post, load_posts
from chaupal.models import Account

METHOD = (
    "Each choice is compared with the rest of the account's posts by a Poisson regression of "
    "engagement (favourites + reposts + replies from others) with log(followers when posted) as "
    "offset, a quadratic time trend and the post's source; 95% intervals from robust (sandwich) "
    "standard errors; Holm's correction across every choice tested."
)


def _level(t: Test) -> dict[str, Any]:
    r = t.result
    return {
        "choice": t.level,
        "posts": int(t.arm.sum()),
        "ratio": round(r.ratio, 3) if r else None,
        "ci_low": round(r.low, 3) if r else None,
        "ci_high": round(r.high, 3) if r else None,
        "p_adjusted": round(t.p_adjusted, 5) if r else None,
        "supported": t.supported,
    }


def _piece(factor: str, tests: list[Test], total: int, settings: Settings, m: int) -> dict[str, Any]:
    order = level_order(settings).get(factor)
    if order is not None:
        tests = sorted(tests, key=lambda t: order.index(t.level))
    best = max((t for t in tests if t.supported and t.result and t.result.ratio > 1),
               key=lambda t: t.result.ratio, default=None)  # type: ignore[union-attr]
    piece: dict[str, Any] = {"factor": factor, "label": FACTORS[factor], "levels": [_level(t) for t in tests]}
    if best is not None and best.result is not None:
        piece.update(
            status="advice", choice=best.level, ratio=round(best.result.ratio, 3),
            ci_low=round(best.result.low, 3), ci_high=round(best.result.high, 3),
            p_adjusted=round(best.p_adjusted, 5), posts=int(best.arm.sum()), posts_compared=total,
            reason=None,
        )
        return piece
    tested = [t for t in tests if t.result is not None]
    if not tested:
        reason = (f"Not enough posts: each choice needs at least {settings.advice_min_posts_per_arm} "
                  "posts, and so do the rest")
    else:
        reason = (f"No effect shown: every interval includes 1 (no difference), after correcting "
                  f"for {m} comparisons")
    piece.update(status="withheld", choice=None, ratio=None, ci_low=None, ci_high=None,
                 p_adjusted=None, posts=None, posts_compared=total, reason=reason)
    return piece


def advice_from_posts(posts: list[Post], settings: Settings) -> dict[str, Any]:
    """The advice pieces (one per factor, in FACTORS order) and how they were computed."""
    tests, audience = run_tests(posts, settings)
    m = sum(1 for t in tests if t.result is not None and t.level not in ("single post",))
    pieces = [_piece(f, [t for t in tests if t.factor == f], len(posts), settings, m) for f in FACTORS]
    sources: dict[str, int] = {}
    for p in posts:
        sources[p.source] = sources.get(p.source, 0) + 1
    return {
        "posts_analysed": len(posts),
        "sources": sources,
        "advice": pieces,
        "method": {
            "description": METHOD,
            "correction": "holm",
            "comparisons": m,
            "confidence": 1 - ALPHA,
            "min_posts_per_arm": settings.advice_min_posts_per_arm,
            "timezone": settings.advice_timezone,
            "audience": audience,
        },
    }


async def advise(session: AsyncSession, settings: Settings, account: Account, now: datetime | None = None) -> dict[str, Any]:
    """The account's advice report (JSON-ready)."""
    posts = await load_posts(session, settings, account)
    report = advice_from_posts(posts, settings)
    report["answering"] = await answering_summary(session, settings, account)
    report["generated_at"] = (now or utcnow()).isoformat().replace("+00:00", "Z")
    return report


__all__ = ["advice_from_posts", "advise"]
