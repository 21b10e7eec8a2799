"""Loading the demo into the database through the actions (accounts, follows, statuses,
reblogs, favourites), committing every `batch` items, with an optional rich progress bar."""

from __future__ import annotations

import inspect
import random
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import make_engine, make_sessionmaker
from chaupal.demo import cast, graph, plan
from chaupal.errors import ApiError
from chaupal.models import Account, Status
from chaupal.security import hash_password

ADMIN_USERNAME = "demo_admin"


@dataclass
class DemoResult:
    skipped: bool = False
    accounts: int = 0
    follows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    admin_username: str = ADMIN_USERNAME
    admin_password: str | None = None
    persona_password: str | None = None


class _NoProgress:
    def add_task(self, description: str, total: float | None = None) -> int:
        return 0

    def advance(self, task: int, advance: float = 1) -> None:
        pass


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    return name in inspect.signature(fn).parameters


async def load_demo(
    settings: Settings,
    *,
    seed: int = 42,
    citizens: int = 3000,
    if_empty: bool = False,
    intensity: float = 1.0,
    batch: int = 500,
    progress: Any = None,
    now: datetime | None = None,
) -> DemoResult:
    """Create the demo country; with `if_empty`, do nothing when any account exists."""
    engine = make_engine(settings)
    try:
        sessions = make_sessionmaker(engine)
        async with sessions() as session:
            if if_empty and (await session.scalar(select(func.count(Account.id)))):
                return DemoResult(skipped=True)
            loader = _Loader(
                session, settings, random.Random(seed), batch, progress or _NoProgress()
            )
            return await loader.run(citizens, intensity, now or datetime.now(UTC))
    finally:
        await engine.dispose()


class _Loader:
    def __init__(
        self,
        session: AsyncSession,
        settings: Settings,
        rng: random.Random,
        batch: int,
        progress: Any,
    ) -> None:
        self.session, self.settings, self.rng = session, settings, rng
        self.batch, self.progress = batch, progress
        self.pending = 0

    async def tick(self) -> None:
        """Commit at this edge every `batch` items so a large demo never holds one huge transaction."""
        self.pending += 1
        if self.pending >= self.batch:
            await self.session.commit()
            self.pending = 0

    async def run(self, n_citizens: int, intensity: float, now: datetime) -> DemoResult:
        from chaupal.actions.accounts import check_create_account, check_username, do_create_account

        rng, session = self.rng, self.session
        result = DemoResult()
        result.admin_password = secrets.token_urlsafe(12)
        result.persona_password = secrets.token_urlsafe(12)
        people = cast.officials() + cast.citizens(rng, n_citizens)

        task = self.progress.add_task("Accounts", total=len(people) + 1)
        await check_create_account(
            session,
            self.settings,
            username=ADMIN_USERNAME,
            email="demo_admin@example.org",
            password=result.admin_password,
            role="admin",
        )
        shared_hash = hash_password(result.persona_password)  # argon2 once, not 3,000 times
        accounts: list[Account] = []
        for p in people:
            official = p.kind != "citizen"
            joined = now - timedelta(
                days=plan.DAYS + (rng.randint(400, 900) if official else rng.randint(1, 500))
            )
            account, _user = await do_create_account(
                session,
                username=check_username(self.settings, p.username),
                email=f"{p.username.lower()}@demo.example.org",
                password_hash=shared_hash,
                display_name=p.display_name[: self.settings.max_display_name_chars],
                locale="hi" if p.languages == ("hi",) else "en",
                note=p.note,
                note_html=f"<p>{escape(p.note)}</p>",
                bot=p.bot,
                locked=p.locked,
                fields=[{**f, "verified_at": None} for f in p.fields],
                created_at=joined,
            )
            accounts.append(account)
            self.progress.advance(task)
            await self.tick()
        await session.commit()
        result.accounts = len(accounts) + 1

        edges = graph.follow_edges(rng, people)
        followers: dict[int, list[int]] = defaultdict(list)
        await self._follows(accounts, edges, followers)
        result.follows = len(edges)

        events = plan.plan_events(rng, people, followers, now, intensity)
        result.counts = await self._events(accounts, events)
        await session.commit()
        return result

    async def _follows(
        self, accounts: list[Account], edges: list[tuple[int, int]], followers: dict[int, list[int]]
    ) -> None:
        """Follows through the follow actions. The demo graph has no blocks and no prior
        edges, so it skips check_follow's look-ups and goes straight to the do_ layer
        (locked accounts get a follow request through check_follow)."""
        from chaupal.actions.follows import check_follow, do_create_follow
        from chaupal.actions.notifications import do_notify

        task = self.progress.add_task("Follows", total=len(edges))
        for a, b in edges:
            follower, target = accounts[a], accounts[b]
            if target.locked:
                await check_follow(self.session, self.settings, follower, target)
            elif await do_create_follow(self.session, follower.id, target.id):
                await do_notify(
                    self.session, recipient_id=target.id, from_account_id=follower.id, type="follow"
                )
                followers[b].append(a)
            self.progress.advance(task)
            await self.tick()
        await self.session.commit()

    async def _events(self, accounts: list[Account], events: list[plan.Event]) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        status_ids: dict[int, int] = {}
        task = self.progress.add_task("Posts, replies, reblogs, favourites", total=len(events))
        for k, e in enumerate(events):
            try:
                async with self.session.begin_nested():
                    done = await self._apply(accounts[e.actor], e, k, status_ids)
                if done:
                    counts[e.kind] += 1
            except ApiError:
                counts[f"{e.kind}_refused"] += 1  # e.g. a reply to a post that became hidden
            self.progress.advance(task)
            await self.tick()
        return dict(counts)

    async def _apply(
        self, actor: Account, e: plan.Event, k: int, status_ids: dict[int, int]
    ) -> bool:
        """Carry out one planned event through its action; False if its parent is missing."""
        from chaupal.actions.interactions import check_favourite, check_reblog
        from chaupal.actions.statuses import check_create_status

        target = None
        if e.parent is not None:
            sid = status_ids.get(e.parent)
            target = await self.session.get(Status, sid) if sid is not None else None
            if target is None:
                return False
        if e.kind in ("post", "reply"):
            status = await check_create_status(
                self.session,
                self.settings,
                actor,
                text=e.text,
                visibility=e.visibility,
                language=e.language,
                in_reply_to_id=target.id if target else None,
                created_at=e.at,
            )
            status_ids[k] = status.id
        elif e.kind == "reblog":
            extra = {"created_at": e.at} if _accepts(check_reblog, "created_at") else {}
            await check_reblog(self.session, self.settings, actor, target, **extra)
        elif e.kind == "favourite":
            extra = {"created_at": e.at} if _accepts(check_favourite, "created_at") else {}
            await check_favourite(self.session, actor, target, **extra)
        return True
