"""Who-to-follow on the live follow graph: the offline engine's blend over a bounded circle of
trust around the user, verified institutions relevant to the user, and popular accounts for
cold starts. Ranked candidates are cached per user; exclusions are applied fresh every time."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.access import now_param
from chaupal.config import Settings
from chaupal.models import (
    Account,
    Block,
    Favourite,
    Follow,
    FollowRequest,
    InstitutionProfile,
    Mute,
    Status,
    StatusTag,
    SuggestionDismissal,
    User,
)

GRAPH, FEATURED, POPULAR = "friends_of_friends", "featured", "most_followed"
LEGACY_SOURCE = {GRAPH: "past_interactions", FEATURED: "staff", POPULAR: "global"}
INSTITUTION_EVERY = 3  # one institution in every three places, from the second on
TOPIC_STATUSES = 200  # the user's recent statuses and favourites that define its topics


@dataclass(frozen=True)
class Candidate:
    account_id: int
    sources: tuple[str, ...]


async def _ids(session: AsyncSession, stmt: Any) -> list[int]:
    return [int(v) for v in (await session.scalars(stmt)).all()]


async def circle_edges(session: AsyncSession, settings: Settings, me: int) -> list[tuple[str, str]]:
    """Follow edges around `me`: its follows and followers (the circle), whom they follow, and the
    co-followers of its follows with their follows; every part capped by a setting."""
    cap, edges_max = settings.suggest_circle_max, settings.suggest_edges_max
    follows = await _ids(
        session,
        select(Follow.target_account_id).where(Follow.account_id == me).order_by(Follow.id.desc()).limit(cap),
    )
    followers = await _ids(
        session,
        select(Follow.account_id).where(Follow.target_account_id == me).order_by(Follow.id.desc()).limit(cap),
    )
    edges = [(me, f) for f in follows] + [(f, me) for f in followers]
    circle = list(dict.fromkeys(follows + followers))

    async def out_of(sources: list[int], limit: int) -> list[tuple[int, int]]:
        if not sources or limit <= 0:
            return []
        rows = await session.execute(
            select(Follow.account_id, Follow.target_account_id)
            .where(Follow.account_id.in_(sources))
            .order_by(Follow.id.desc())
            .limit(limit)
        )
        return [(int(a), int(b)) for a, b in rows.all()]

    edges += await out_of(circle, edges_max // 2)
    if follows:
        rows = await session.execute(
            select(Follow.account_id, Follow.target_account_id)
            .where(Follow.target_account_id.in_(follows), Follow.account_id != me)
            .order_by(Follow.id.desc())
            .limit(edges_max // 4)
        )
        co = [(int(a), int(b)) for a, b in rows.all()]
        edges += co
        co_followers = list(dict.fromkeys(a for a, _ in co))[:cap]
        edges += await out_of(co_followers, edges_max // 4)
    return [(str(a), str(b)) for a, b in edges]


def rank_graph(edges: list[tuple[str, str]], me: int, k: int, walk_steps: int) -> list[int]:
    """The offline engine's ranking (PPR both ways, co-follows, follow-backs, Adamic-Adar ...,
    blended by its prior weights) on the circle's edges; CPU only, run in a thread."""
    from chaupal.insights.suggest.core import DEFAULT_MODEL, Suggester
    from chaupal.insights.suggest.features import FeatureConfig
    from chaupal.insights.suggest.graph import FollowGraph

    graph = FollowGraph.from_edges(edges)
    if str(me) not in graph.index or graph.n < 2:
        return []
    config = FeatureConfig(candidates=min(200, graph.n), ppr_iterations=walk_steps)
    suggester = Suggester(graph, DEFAULT_MODEL, config)
    rows = suggester.rank_rows(np.array([graph.index[str(me)]], dtype=np.int64), k)[0]
    return [int(graph.ids[j]) for j in rows]


def _listed() -> Any:
    """Accounts that may be suggested at all: local to any viewer, discoverable, not suspended."""
    return (Account.suspended_at.is_(None), Account.discoverable.is_(True))


async def institution_candidates(session: AsyncSession, settings: Settings, me: int) -> list[int]:
    """Government-verified institutions, ranked by the share of the user's followed institutions
    in the same jurisdiction and by overlap with the hashtags the user posts and favourites;
    with no signal at all, national institutions by followers."""
    pool = (
        await session.execute(
            select(Account.id, Account.followers_count, InstitutionProfile.jurisdiction,
                   InstitutionProfile.jurisdiction_level)
            .join(InstitutionProfile, InstitutionProfile.account_id == Account.id, isouter=True)
            .where(
                Account.kind == "institution",
                Account.verification == "government",
                *_listed(),
                ~exists().where(Follow.account_id == me, Follow.target_account_id == Account.id),
            )
            .order_by(Account.followers_count.desc(), Account.id)
            .limit(settings.suggest_pool)
        )
    ).all()
    if not pool:
        return []
    followed = Counter(
        j for j in await session.scalars(
            select(InstitutionProfile.jurisdiction)
            .join(Follow, Follow.target_account_id == InstitutionProfile.account_id)
            .where(Follow.account_id == me)
            .limit(settings.suggest_circle_max)
        ) if j
    )
    own = select(Status.id).where(Status.account_id == me).order_by(Status.id.desc()).limit(TOPIC_STATUSES)
    faved = (
        select(Favourite.status_id).where(Favourite.account_id == me)
        .order_by(Favourite.id.desc()).limit(TOPIC_STATUSES)
    )
    topics = set(
        await _ids(
            session,
            select(StatusTag.tag_id).where(
                or_(StatusTag.status_id.in_(own), StatusTag.status_id.in_(faved))
            ),
        )
    )
    overlap: dict[int, int] = {}
    if topics:
        rows = await session.execute(
            select(Status.account_id, func.count(func.distinct(StatusTag.tag_id)))
            .join(StatusTag, StatusTag.status_id == Status.id)
            .where(Status.account_id.in_([p[0] for p in pool]), StatusTag.tag_id.in_(topics))
            .group_by(Status.account_id)
        )
        overlap = {int(a): int(n) for a, n in rows.all()}
    total = sum(followed.values())
    top_followers = math.log1p(max(p[1] for p in pool))
    scored: list[tuple[float, int]] = []
    for account_id, followers, jurisdiction, level in pool:
        relevance = 2.0 * followed.get(jurisdiction, 0) / total if total else 0.0
        relevance += overlap.get(account_id, 0) / len(topics) if topics else 0.0
        if relevance <= 0 and (total or topics or level != "country"):
            continue
        tiebreak = 0.1 * math.log1p(followers) / top_followers if top_followers else 0.0
        scored.append((relevance + tiebreak, account_id))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [a for _, a in scored]


async def popular_candidates(session: AsyncSession, settings: Settings) -> list[int]:
    return await _ids(
        session,
        select(Account.id)
        .where(*_listed(), Account.followers_count > 0)
        .order_by(Account.followers_count.desc(), Account.id)
        .limit(settings.suggest_pool),
    )


def blend(graph: list[int], institutions: list[int], popular: list[int], most: int) -> list[Candidate]:
    """Graph suggestions first with an institution in every third place (from the second),
    then popular accounts; an account found by several signals keeps all its sources."""
    sources: OrderedDict[int, list[str]] = OrderedDict()
    graph_left, inst_left = list(graph), list(institutions[:most])
    position = 0
    while graph_left or inst_left:
        take_inst = inst_left and (not graph_left or position % INSTITUTION_EVERY == 1)
        account_id, source = (inst_left.pop(0), FEATURED) if take_inst else (graph_left.pop(0), GRAPH)
        if account_id not in sources:
            position += 1
        sources.setdefault(account_id, []).append(source)
    for account_id in popular:
        sources.setdefault(account_id, []).append(POPULAR)
    return [Candidate(a, tuple(dict.fromkeys(s))) for a, s in sources.items()]


async def ranked_candidates(session: AsyncSession, settings: Settings, me: int) -> list[Candidate]:
    """Every signal for `me`, blended (before exclusions)."""
    edges = await circle_edges(session, settings, me)
    k = 2 * settings.suggestions_max
    graph = await asyncio.to_thread(rank_graph, edges, me, k, settings.suggest_walk_steps)
    institutions = await institution_candidates(session, settings, me)
    popular = await popular_candidates(session, settings)
    return blend(graph, institutions, popular, settings.suggest_institutions_max)


async def eligible(session: AsyncSession, me: int, ids: list[int]) -> dict[int, Account]:
    """The accounts among `ids` that may be suggested to `me` now: never itself, followed,
    requested, blocked either way, muted, dismissed, suspended, disabled or not discoverable."""
    if not ids:
        return {}

    def edge(model: Any, a: Any, b: Any) -> Any:
        return exists().where(model.account_id == a, model.target_account_id == b)

    stmt = select(Account).where(
        Account.id.in_(ids),
        Account.id != me,
        *_listed(),
        ~edge(Follow, me, Account.id),
        ~edge(FollowRequest, me, Account.id),
        ~edge(Block, me, Account.id),
        ~edge(Block, Account.id, me),
        ~edge(SuggestionDismissal, me, Account.id),
        ~exists().where(
            Mute.account_id == me,
            Mute.target_account_id == Account.id,
            or_(Mute.expires_at.is_(None), Mute.expires_at > now_param()),
        ),
        ~exists().where(
            User.account_id == Account.id, or_(User.disabled.is_(True), User.approved.is_(False))
        ),
    )
    return {a.id: a for a in (await session.scalars(stmt)).all()}


class SuggestionCache:
    """Per-process cache of each user's ranked candidates: `ttl` seconds, at most `size` users."""

    def __init__(self, ttl: float, size: int) -> None:
        self.ttl, self.size = ttl, size
        self._rows: OrderedDict[int, tuple[float, list[Candidate]]] = OrderedDict()

    def get(self, account_id: int) -> list[Candidate] | None:
        hit = self._rows.get(account_id)
        if hit is None or hit[0] < time.monotonic():
            self._rows.pop(account_id, None)
            return None
        self._rows.move_to_end(account_id)
        return hit[1]

    def put(self, account_id: int, candidates: list[Candidate]) -> None:
        self._rows[account_id] = (time.monotonic() + self.ttl, candidates)
        self._rows.move_to_end(account_id)
        while len(self._rows) > self.size:
            self._rows.popitem(last=False)

    def drop(self, account_id: int) -> None:
        self._rows.pop(account_id, None)


def cache_of(state: Any, settings: Settings) -> SuggestionCache:
    """The app's cache (made on first use; app state is per process)."""
    cache = getattr(state, "suggestion_cache", None)
    if cache is None:
        cache = SuggestionCache(settings.suggest_cache_seconds, settings.suggest_cache_users)
        state.suggestion_cache = cache
    return cache


async def suggestions_for(
    session: AsyncSession, settings: Settings, cache: SuggestionCache, me: int, limit: int
) -> list[tuple[Account, tuple[str, ...]]]:
    """Up to `limit` (account, sources) suggestions for account `me`, best first."""
    candidates = cache.get(me)
    if candidates is None:
        candidates = await ranked_candidates(session, settings, me)
        cache.put(me, candidates)
    ok = await eligible(session, me, [c.account_id for c in candidates])
    return [(ok[c.account_id], c.sources) for c in candidates if c.account_id in ok][:limit]
