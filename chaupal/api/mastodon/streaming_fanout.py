"""Streaming API fan-out: one per process. One task reads the after-commit event hub, decides
which open connections may see each event (a few batched queries per event, not one per
connection), renders it once per stream and writes the same frame to every connection; one
timer task sends keep-alives, ends streams past their time, and re-checks every open token
with one batched query (revoked, suspended, removed staff: the stream is closed)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict
from typing import Any

from sqlalchemy import exists, or_, select

from chaupal.api.mastodon.streaming_auth import live_scopes
from chaupal.api.mastodon.streaming_conns import SSE_KEEPALIVE, Conn, Frame, Sub
from chaupal.db import utcnow
from chaupal.events import Event, Subscription, hub_of
from chaupal.metrics import STREAM_CONNECTIONS
from chaupal.models import Account, Block, Follow, Mute, Notification, Status, StatusTag, Tag
from chaupal.render.notifications import render_notifications
from chaupal.render.statuses import render_status
from chaupal.security import scope_allows

log = logging.getLogger(__name__)

USER_STREAMS = ("user", "user:notification")
PUBLIC_STREAMS = ("public", "public:local", "hashtag", "hashtag:local")
STREAMS = frozenset(USER_STREAMS + PUBLIC_STREAMS)
STATUS_EVENTS = {"status.created": "update", "status.reblogged": "update", "status.updated": "status.update"}
SCOPE_OF = {"user": "read:statuses", "user:notification": "read:notifications"}  # user streams need these
TICK_SECONDS = 1.0  # the timer's longest sleep: shutdown and time limits are noticed this fast

__all__ = ["STREAMS", "USER_STREAMS", "Conn", "Fanout", "Frame", "Sub"]


class Fanout:
    """The process's streaming connections, indexed by subscription, and the two tasks that
    serve them all (`app.state.mastodon_streams`)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.conns: set[Conn] = set()
        self.by_sub: dict[Sub, set[Conn]] = defaultdict(set)
        self.per_key: dict[str, int] = defaultdict(int)
        self.task: asyncio.Task[None] | None = None
        self.timer: asyncio.Task[None] | None = None
        self.recheck: asyncio.Task[None] | None = None

    def count(self, limit_key: str) -> int:
        return self.per_key.get(limit_key, 0)

    def add(self, conn: Conn) -> None:
        if conn in self.conns:
            return
        STREAM_CONNECTIONS.labels("mastodon").inc()  # Prometheus: WebSocket and SSE together
        self.conns.add(conn)
        if conn.limit_key:
            self.per_key[conn.limit_key] += 1
        for sub in conn.subs:
            self.by_sub[sub].add(conn)
        conn.on_subs_changed = self._index
        conn.deadline = time.monotonic() + self.app.state.settings.stream_max_seconds
        if self.task is None or self.task.done():  # subscribed now: no event slips past
            self.task = asyncio.create_task(self.run(hub_of(self.app.state).subscribe()))
        if self.timer is None or self.timer.done():
            self.timer = asyncio.create_task(self.tick())

    def remove(self, conn: Conn) -> None:
        if conn not in self.conns:
            return
        STREAM_CONNECTIONS.labels("mastodon").dec()
        self.conns.discard(conn)
        conn.on_subs_changed = None
        if conn.limit_key:
            self.per_key[conn.limit_key] -= 1
            if self.per_key[conn.limit_key] <= 0:
                del self.per_key[conn.limit_key]
        for sub in conn.subs:
            self._index(conn, sub, False)

    def _index(self, conn: Conn, sub: Sub, added: bool) -> None:
        if added:
            self.by_sub[sub].add(conn)
            return
        conns = self.by_sub.get(sub)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self.by_sub[sub]

    async def stop(self) -> None:
        for conn in list(self.conns):
            conn.close("server stopping")
        for task in (self.task, self.timer, self.recheck):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def run(self, sub: Subscription) -> None:
        hub = hub_of(self.app.state)
        while True:
            with sub:
                while (event := await sub.next()) is not None:
                    try:
                        await self.dispatch(event)
                    except Exception:  # one bad event never stops the streams
                        log.exception("streaming fan-out failed for %s", event.get("type"))
            log.warning("streaming fan-out fell behind the event hub: events were dropped")
            sub = hub.subscribe()

    # --- the timer: keep-alives, time limits, shutdown, token re-checks ---

    async def tick(self) -> None:
        from chaupal.web.stream import server_exiting

        next_check = time.monotonic()
        while True:
            settings = self.app.state.settings
            keepalive = settings.stream_keepalive_seconds
            recheck = settings.streaming_auth_recheck_seconds
            now = time.monotonic()
            exiting = server_exiting()
            for conn in list(self.conns):
                if exiting:
                    conn.close("server exiting")
                elif now >= conn.deadline:
                    conn.close("stream_max_seconds")
                elif conn.sse and now - conn.last_write >= keepalive:
                    conn.write(SSE_KEEPALIVE)  # WebSockets: the server's own pings
            next_check = min(next_check, now + recheck)
            if now >= next_check:
                next_check = now + recheck
                if self.recheck is None or self.recheck.done():
                    self.recheck = asyncio.create_task(self.check_tokens())
            await asyncio.sleep(max(0.01, min(TICK_SECONDS, keepalive / 2, next_check - now)))

    async def check_tokens(self) -> None:
        """Close the streams whose token `load_auth` would now refuse, or whose user streams
        the token's current scopes no longer cover (one query per 500 open tokens)."""
        conns = [c for c in self.conns if c.token_id is not None]
        if not conns:
            return
        try:
            async with self.app.state.read_sessions() as session:
                live = await live_scopes(session, {c.token_id for c in conns})  # type: ignore[misc]
        except Exception:
            log.exception("streaming token re-check failed")
            return
        for conn in conns:
            scopes = live.get(conn.token_id)  # type: ignore[arg-type]
            if scopes is None:
                conn.close("token no longer valid")
            elif any(s.name in SCOPE_OF and not scope_allows(scopes, SCOPE_OF[s.name]) for s in conn.subs):
                conn.close("scope withdrawn")

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

    def _subs(self, names: tuple[str, ...]) -> list[tuple[Sub, list[Conn]]]:
        """The open subscriptions to these streams, each with its connections (copied: the
        index may change while the fan-out awaits the database)."""
        return [(s, list(conns)) for s, conns in list(self.by_sub.items()) if s.name in names]

    async def _status(self, event: Event, name: str) -> None:
        settings = self.app.state.settings
        sid = int(event["status_id"])
        targets: list[tuple[Sub, list[Conn]]] = []
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
                matched = [(s, conns) for s, conns in public if _matches(s, status, tags)]
                viewers = {c.viewer_id for _, conns in matched for c in conns if c.viewer_id is not None}
                hidden = await _filtered(session, viewers, author.id)
                for s, conns in matched:
                    targets.append((s, [c for c in conns if c.viewer_id not in hidden] if hidden else conns))
            home = [(s, [c for c in conns if c.viewer_id is not None]) for s, conns in self._subs(("user",))]
            viewers = {c.viewer_id for _, conns in home for c in conns}
            if viewers:
                allowed = await _home_audience(session, status, viewers)  # type: ignore[arg-type]
                targets += [(s, [c for c in conns if c.viewer_id in allowed]) for s, conns in home]
            if not any(conns for _, conns in targets):
                return
            # Rendered once for every audience, as an anonymous viewer sees it (as Mastodon's
            # fan-out does): per-viewer fields (favourited, reblogged...) are absent (docs/api.md).
            payload = json.dumps(await render_status(session, settings, status, None))
        _send(targets, name, payload)

    async def _deleted(self, event: Event) -> None:
        sid, author_id = event["status_id"], int(event["account_id"])
        targets = self._subs(PUBLIC_STREAMS) if event.get("visibility") == "public" else []
        home = [(s, [c for c in conns if c.viewer_id is not None]) for s, conns in self._subs(("user",))]
        viewers = {c.viewer_id for _, conns in home for c in conns}
        if viewers:
            async with self.app.state.read_sessions() as session:
                followers = set(
                    (
                        await session.scalars(
                            select(Follow.account_id).where(
                                Follow.target_account_id == author_id, Follow.account_id.in_(viewers)
                            )
                        )
                    ).all()
                )
            followers.add(author_id)
            targets += [(s, [c for c in conns if c.viewer_id in followers]) for s, conns in home]
        _send(targets, "delete", str(sid))

    async def _notification(self, event: Event) -> None:
        recipient = int(event["account_id"])
        targets = [
            (s, [c for c in conns if c.viewer_id == recipient]) for s, conns in self._subs(USER_STREAMS)
        ]
        if not any(conns for _, conns in targets):
            return
        async with self.app.state.read_sessions() as session:
            notification = await session.get(Notification, int(event["notification_id"]))
            if notification is None:
                return
            rendered = await render_notifications(session, self.app.state.settings, [notification], recipient)
        if rendered:
            _send(targets, "notification", json.dumps(rendered[0]))


def _send(targets: list[tuple[Sub, list[Conn]]], event: str, payload: str) -> None:
    """One frame per stream, written to each of its connections without a context switch."""
    for sub, conns in targets:
        if conns:
            frame = Frame(sub.stream, event, payload)
            for conn in conns:
                conn.push(frame)


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
