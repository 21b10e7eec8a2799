"""Streaming API fan-out: one task per process reads the after-commit event hub, decides
which open connections may see each event (a few batched queries per event, not one per
connection), renders the status or notification once and queues the same frame to all."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, or_, select

from chaupal.db import utcnow
from chaupal.events import Event, Subscription, hub_of
from chaupal.metrics import STREAM_CONNECTIONS
from chaupal.models import Account, Block, Follow, Mute, Notification, Status, StatusTag, Tag
from chaupal.render.notifications import render_notifications
from chaupal.render.statuses import render_status

log = logging.getLogger(__name__)

USER_STREAMS = ("user", "user:notification")
PUBLIC_STREAMS = ("public", "public:local", "hashtag", "hashtag:local")
STREAMS = frozenset(USER_STREAMS + PUBLIC_STREAMS)
STATUS_EVENTS = {"status.created": "update", "status.reblogged": "update", "status.updated": "status.update"}


@dataclass(frozen=True)
class Sub:
    """One subscription: a stream name and, for hashtag streams, the tag (casefolded)."""

    name: str
    tag: str | None = None

    @property
    def stream(self) -> list[str]:
        return [self.name, self.tag] if self.tag else [self.name]


Frame = tuple[list[str], str, str]  # (stream, event name, payload string)


@dataclass(eq=False)
class Conn:
    """One open WebSocket or SSE connection."""

    viewer_id: int | None  # the account behind the token; None for anonymous or app tokens
    limit_key: str  # what the per-user connection limit counts (account, or token)
    queue: asyncio.Queue[Frame]
    subs: set[Sub] = field(default_factory=set)
    overflowed: bool = False  # fell too far behind: its transport closes it

    def push(self, frame: Frame) -> None:
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.overflowed = True


class Fanout:
    """The process's streaming connections and the task feeding them (`app.state.mastodon_streams`)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.conns: set[Conn] = set()
        self.task: asyncio.Task[None] | None = None

    def count(self, limit_key: str) -> int:
        return sum(1 for c in self.conns if c.limit_key == limit_key)

    def add(self, conn: Conn) -> None:
        if conn not in self.conns:
            STREAM_CONNECTIONS.labels("mastodon").inc()  # Prometheus: WebSocket and SSE together
        self.conns.add(conn)
        if self.task is None or self.task.done():  # subscribed now: no event slips past
            self.task = asyncio.create_task(self.run(hub_of(self.app.state).subscribe()))

    def remove(self, conn: Conn) -> None:
        if conn in self.conns:
            STREAM_CONNECTIONS.labels("mastodon").dec()
        self.conns.discard(conn)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task

    async def run(self, sub: Subscription) -> None:
        hub = hub_of(self.app.state)
        while True:
            with sub:
                while not sub.overflowed:
                    try:
                        event = await asyncio.wait_for(sub.get(), 1.0)
                    except TimeoutError:
                        continue
                    try:
                        await self.dispatch(event)
                    except Exception:  # one bad event never stops the streams
                        log.exception("streaming fan-out failed for %s", event.get("type"))
            log.warning("streaming fan-out fell behind the event hub: events were dropped")
            sub = hub.subscribe()

    async def dispatch(self, event: Event) -> None:
        if not self.conns:
            return
        kind = event.get("type")
        if kind in STATUS_EVENTS:
            await self._status(event, STATUS_EVENTS[kind])
        elif kind == "status.deleted":
            await self._deleted(event)
        elif kind == "notification.created":
            await self._notification(event)

    def _subs(self, names: tuple[str, ...]) -> list[tuple[Conn, Sub]]:
        return [(c, s) for c in list(self.conns) for s in c.subs if s.name in names]

    async def _status(self, event: Event, name: str) -> None:
        settings = self.app.state.settings
        sid = int(event["status_id"])
        targets: list[tuple[Conn, Sub]] = []
        async with self.app.state.read_sessions() as session:
            status = await session.get(Status, sid)
            if status is None:
                return
            author = await session.get(Account, status.account_id)
            if author is None or author.suspended_at is not None:
                return
            public = self._subs(PUBLIC_STREAMS)
            if public and status.visibility == "public" and status.reblog_of_id is None:
                tags = set(
                    (
                        await session.scalars(
                            select(Tag.name_lower).join(StatusTag, StatusTag.tag_id == Tag.id)
                            .where(StatusTag.status_id == sid)
                        )
                    ).all()
                )
                matched = [(c, s) for c, s in public if _matches(s, status, tags)]
                viewers = {c.viewer_id for c, _ in matched if c.viewer_id is not None}
                hidden = await _filtered(session, viewers, author.id)
                targets += [(c, s) for c, s in matched if c.viewer_id not in hidden]
            home = [(c, s) for c, s in self._subs(("user",)) if c.viewer_id is not None]
            if home:
                allowed = await _home_audience(session, status, {c.viewer_id for c, _ in home})  # type: ignore[misc]
                targets += [(c, s) for c, s in home if c.viewer_id in allowed]
            if not targets:
                return
            # Rendered once for every audience, as an anonymous viewer sees it (as Mastodon's
            # fan-out does): per-viewer fields (favourited, reblogged...) are absent (docs/api.md).
            payload = json.dumps(await render_status(session, settings, status, None))
        for conn, sub in targets:
            conn.push((sub.stream, name, payload))

    async def _deleted(self, event: Event) -> None:
        sid, author_id = event["status_id"], int(event["account_id"])
        targets = self._subs(PUBLIC_STREAMS) if event.get("visibility") == "public" else []
        home = [(c, s) for c, s in self._subs(("user",)) if c.viewer_id is not None]
        if home:
            async with self.app.state.read_sessions() as session:
                viewers = {c.viewer_id for c, _ in home}
                followers = set(
                    (
                        await session.scalars(
                            select(Follow.account_id).where(
                                Follow.target_account_id == author_id, Follow.account_id.in_(viewers)
                            )
                        )
                    ).all()
                )
            targets += [(c, s) for c, s in home if c.viewer_id == author_id or c.viewer_id in followers]
        for conn, sub in targets:
            conn.push((sub.stream, "delete", str(sid)))

    async def _notification(self, event: Event) -> None:
        recipient = int(event["account_id"])
        targets = [(c, s) for c, s in self._subs(USER_STREAMS) if c.viewer_id == recipient]
        if not targets:
            return
        async with self.app.state.read_sessions() as session:
            notification = await session.get(Notification, int(event["notification_id"]))
            if notification is None:
                return
            rendered = await render_notifications(session, self.app.state.settings, [notification], recipient)
        if not rendered:
            return
        payload = json.dumps(rendered[0])
        for conn, sub in targets:
            conn.push((sub.stream, "notification", payload))


def _matches(sub: Sub, status: Status, tags: set[str]) -> bool:
    local_only = sub.name.endswith(":local")
    if local_only and not status.local:
        return False
    if sub.name.startswith("hashtag"):
        return sub.tag in tags
    return True


async def _filtered(session: Any, viewers: set[int], author_id: int) -> set[int]:
    """Viewers who blocked or muted the author, or whom the author blocked (one query)."""
    if not viewers:
        return set()
    blocked = select(Block.account_id).where(Block.target_account_id == author_id, Block.account_id.in_(viewers))
    muted = select(Mute.account_id).where(
        Mute.target_account_id == author_id,
        Mute.account_id.in_(viewers),
        or_(Mute.expires_at.is_(None), Mute.expires_at > utcnow()),
    )
    blocked_by = select(Block.target_account_id).where(
        Block.account_id == author_id, Block.target_account_id.in_(viewers)
    )
    return set((await session.scalars(blocked.union(muted, blocked_by))).all())


async def _home_audience(session: Any, status: Status, viewers: set[int]) -> set[int]:
    """Of `viewers`, those whose home timeline gets `status`: the author and followers, then the
    home feed's own rules (visibility, blocks, mutes, reply and reblog rules) per candidate."""
    from chaupal.web.stream import on_home_clause

    candidates = set(
        (
            await session.scalars(
                select(Follow.account_id).where(
                    Follow.target_account_id == status.account_id, Follow.account_id.in_(viewers)
                )
            )
        ).all()
    )
    if status.account_id in viewers:
        candidates.add(status.account_id)
    allowed = set()
    for viewer in sorted(candidates):
        if await session.scalar(select(exists().where(Status.id == status.id, *on_home_clause(viewer)))):
            allowed.add(viewer)
    return allowed
