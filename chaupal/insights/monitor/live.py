"""The live reaction stream (Server-Sent Events): the full monitor answer first, then a new one
each time a post matching the subject, or a reply to one (an answer), is labelled after its
commit; a burst is coalesced into one update."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy import select

from chaupal.db import utcnow
from chaupal.errors import ApiError
from chaupal.events import Event, hub_of
from chaupal.insights.monitor.aggregate import matching, reactions
from chaupal.insights.monitor.subjects import Subject
from chaupal.insights.monitor.window import Window, resolve_window
from chaupal.models import Status
from chaupal.web.stream import POLL_SECONDS, server_exiting, sse

LABELLED = "status.labelled"


def _labelled_id(event: Event) -> int | None:
    if event.get("type") != LABELLED:
        return None
    raw = str(event.get("status_id", ""))
    return int(raw) if raw.isdigit() else None


async def reaction_events(
    app: Any, subject: Subject, viewer_id: int | None, window_for: Callable[[], Window]
) -> AsyncIterator[str]:
    """SSE text for one subscriber; `window_for()` gives the window ending now."""
    settings = app.state.settings
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.stream_max_seconds

    async def answer() -> str:
        async with app.state.read_sessions() as session:
            data = await reactions(session, settings, subject, viewer_id, window_for())
        return sse("reactions", json.dumps(data, ensure_ascii=False), data["latest_id"])

    async def matches(ids: set[int]) -> bool:
        """A new post counts, or answers one that counts (a question may now be answered)."""
        since = window_for().since
        async with app.state.read_sessions() as session:

            async def hit(candidates: set[int]) -> bool:
                where = (Status.id.in_(candidates), *matching(subject, viewer_id, since))
                return await session.scalar(select(Status.id).where(*where).limit(1)) is not None

            if await hit(ids):
                return True
            parents = set(
                (await session.scalars(
                    select(Status.in_reply_to_id).where(Status.id.in_(ids), Status.in_reply_to_id.is_not(None))
                )).all()
            )
            return bool(parents) and await hit(parents)

    with hub_of(app.state).subscribe() as sub:
        yield "retry: 3000\n\n"
        yield await answer()
        idle = 0.0
        while loop.time() < deadline and not sub.overflowed and not server_exiting():
            try:
                event = await asyncio.wait_for(sub.get(), POLL_SECONDS)
            except TimeoutError:
                idle += POLL_SECONDS
                if idle >= settings.stream_keepalive_seconds:
                    idle = 0.0
                    yield ": keepalive\n\n"
                continue
            idle = 0.0
            first = _labelled_id(event)
            if first is None:
                continue
            ids = {first}
            await asyncio.sleep(settings.reactions_stream_coalesce_seconds)
            while not sub.queue.empty():
                more = _labelled_id(sub.queue.get_nowait())
                if more is not None:
                    ids.add(more)
            if await matches(ids):
                yield await answer()


def window_factory(settings: Any, subject: Subject, window: Any, bucket: Any) -> Callable[[], Window]:
    """The window ending now, each time it is called. A bad window or bucket is refused (422)
    before the stream starts; a post's window, which grows, falls back to an automatic bucket
    size if the one asked for would later give too many buckets."""

    def make() -> Window:
        try:
            return resolve_window(settings, utcnow(), window, bucket, subject.started_at)
        except ApiError:
            return resolve_window(settings, utcnow(), window, None, subject.started_at)

    resolve_window(settings, utcnow(), window, bucket, subject.started_at)
    return make
