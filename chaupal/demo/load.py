"""Loading the demo into the database through the actions (accounts, follows, statuses,
reblogs, favourites), committing every `batch` items, with an optional rich progress bar."""

from __future__ import annotations

import inspect
import random
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import make_engine, make_sessionmaker
from chaupal.demo import cast, graph, plan
from chaupal.errors import ApiError
from chaupal.lib.ids import new_id
from chaupal.models import Account, Follow, Notification, Status
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
    gov: Any = None  # chaupal.demo.gov.GovDemo
    insights: dict[str, Any] = field(default_factory=dict)


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
    batch: int = 200,
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
        self.account_ids: list[int] = []

    async def tick(self) -> None:
        """Commit at this edge every `batch` items so a large demo never holds one huge transaction."""
        self.pending += 1
        if self.pending >= self.batch:
            await self.commit()

    async def commit(self) -> None:
        """Commit and empty the identity map: ORM `UPDATE ... SET n = n + 1` statements
        (counter bumps in the actions) evaluate their criteria against every loaded object,
        so a session holding thousands of accounts gets slower with each item."""
        await self.session.commit()
        self.session.expunge_all()
        self.pending = 0

    async def account(self, index: int) -> Account:
        account = await self.session.get(Account, self.account_ids[index])
        assert account is not None
        return account

    async def run(self, n_citizens: int, intensity: float, now: datetime) -> DemoResult:
        self.now = now - timedelta(hours=1)
        from chaupal.actions.accounts import check_create_account, check_username, do_create_account

        rng, session = self.rng, self.session
        result = DemoResult()
        result.admin_password = secrets.token_urlsafe(12)
        result.persona_password = secrets.token_urlsafe(12)
        people = cast.officials() + cast.citizens(rng, n_citizens)

        task = self.progress.add_task("Accounts", total=len(people) + 1)
        admin = await check_create_account(
            session,
            self.settings,
            username=ADMIN_USERNAME,
            email="demo_admin@example.org",
            password=result.admin_password,
            role="admin",
        )
        admin_id = admin[0].id
        shared_hash = hash_password(result.persona_password)  # argon2 once, not 3,000 times
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
            self.account_ids.append(account.id)
            self.progress.advance(task)
            await self.tick()
        await self.commit()
        result.accounts = len(self.account_ids) + 1

        edges = graph.follow_edges(rng, people)
        followers: dict[int, list[int]] = defaultdict(list)
        await self._follows(people, edges, followers, now - timedelta(days=plan.DAYS))
        result.follows = len(edges)

        events = plan.plan_events(rng, people, followers, now, intensity)
        from chaupal.demo import insights

        insights.defer_labels(session)
        result.counts = await self._events(events)
        await self.commit()

        await self._government(result, people, admin_id, shared_hash, now)
        result.insights = await insights.seed_insights(
            session, self.settings, rng, now, self.commit, self.progress
        )
        return result

    async def _government(
        self,
        result: DemoResult,
        people: list[cast.Persona],
        admin_id: int,
        password_hash: str,
        now: datetime,
    ) -> None:
        """Kinds, institutions, offices, verification, staff, snapshots (chaupal.demo.gov)."""
        from chaupal.demo import gov

        task = self.progress.add_task("Government presence", total=2)
        result.gov = await gov.seed_government(
            self.session, self.rng, people, self.account_ids, admin_id, password_hash, now
        )
        await self.commit()
        by_topic = {
            p.key: self.account_ids[i] for i, p in enumerate(people) if p.kind in ("office", "ministry")
        }
        result.gov.plans = await gov.seed_plans(
            self.session, self.settings, result.gov, by_topic, now
        )
        await self.commit()
        self.progress.advance(task)
        ranked = sorted(range(len(people)), key=lambda i: people[i].kind == "citizen")
        tracked = [self.account_ids[i] for i in ranked if people[i].kind != "citizen"]
        await gov.follower_snapshots(
            self.session, tracked, now - timedelta(days=plan.DAYS), now
        )
        await self.commit()
        self.progress.advance(task)

    async def _follows(
        self,
        people: list[cast.Persona],
        edges: list[tuple[int, int]],
        followers: dict[int, list[int]],
        start: datetime,
    ) -> None:
        """The follow graph, written in bulk: the same rows `do_create_follow` and `do_notify`
        write (Follow, both counters, a `follow` notification), but as one multi-row INSERT
        per batch and one counter UPDATE per account, because tens of thousands of follows
        one action at a time would take minutes. The demo has no blocks or mutes to honour.
        Locked accounts get a follow request through `check_follow` itself."""
        from chaupal.actions.follows import check_follow

        task = self.progress.add_task("Follows", total=len(edges))
        ids, rng = self.account_ids, self.rng
        following: Counter[int] = Counter()
        followed: Counter[int] = Counter()
        rows: list[dict[str, Any]] = []
        notes: list[dict[str, Any]] = []
        for n, (a, b) in enumerate(edges, 1):
            if people[b].locked:
                follower, target = await self.account(a), await self.account(b)
                await check_follow(self.session, self.settings, follower, target)
            else:
                # Spread over the months before and during the demo, so follower
                # snapshots and leaderboards show growth.
                at = min(start + timedelta(days=rng.uniform(-60, plan.DAYS)), self.now)
                rows.append(
                    {
                        "id": new_id(at),
                        "account_id": ids[a],
                        "target_account_id": ids[b],
                        "created_at": at,
                        "show_reblogs": True,
                        "notify": False,
                    }
                )
                notes.append(
                    {
                        "id": new_id(at),
                        "account_id": ids[b],
                        "from_account_id": ids[a],
                        "type": "follow",
                        "created_at": at,
                    }
                )
                following[ids[a]] += 1
                followed[ids[b]] += 1
                followers[b].append(a)
            if len(rows) >= 2000 or n == len(edges):
                if rows:
                    await self.session.execute(insert(Follow), rows)
                    await self.session.execute(insert(Notification), notes)
                self.progress.advance(task, len(rows))
                rows, notes = [], []
                await self.commit()
        table = Account.__table__
        for column, counts in (("following_count", following), ("followers_count", followed)):
            stmt = (
                table.update()
                .where(table.c.id == bindparam("b_id"))
                .values({column: table.c[column] + bindparam("b_n")})
            )
            await self.session.execute(stmt, [{"b_id": k, "b_n": v} for k, v in counts.items()])
        await self.commit()

    async def _events(self, events: list[plan.Event]) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        status_ids: dict[int, int] = {}
        task = self.progress.add_task("Posts, replies, reblogs, favourites", total=len(events))
        for k, e in enumerate(events):
            # No savepoint per event: the actions validate before they write, so a refusal
            # (ApiError) leaves nothing behind, and a savepoint would cost two statements.
            try:
                if await self._apply(await self.account(e.actor), e, k, status_ids):
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
