"""After-commit events: actions queue events on their session with `publish_on_commit`
(or any callback with `on_commit`); the edge that commits runs `after_commit`, which hands
the events to the app's `Hub`, an in-process asyncio fan-out to subscribers."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

Event = dict[str, Any]  # JSON-serialisable, so a Redis pub/sub hub can carry it unchanged
_CALLBACKS = "chaupal.after_commit"
_EVENTS = "chaupal.events"
SUBSCRIBER_QUEUE_SIZE = 256  # default; the app's hub takes settings.stream_subscriber_queue


class Subscription:
    """One subscriber's queue; `overflowed` is set when it fell too far behind."""

    def __init__(self, hub: Hub, maxsize: int) -> None:
        self.hub = hub
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self.overflowed = False

    async def get(self) -> Event:
        return await self.queue.get()

    async def next(self) -> Event | None:
        """The next event, waiting without a timeout; None once this subscriber overflowed and
        has read what was queued (an overflow needs a full queue, so it never waits then)."""
        if self.overflowed and self.queue.empty():
            return None
        return await self.queue.get()

    def close(self) -> None:
        self.hub._subscribers.discard(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Hub:
    """In-process fan-out: `publish` never blocks; a subscriber whose queue is full is
    marked `overflowed` and removed (its consumer should reconnect and reload)."""

    def __init__(self, queue_size: int = SUBSCRIBER_QUEUE_SIZE) -> None:
        self._subscribers: set[Subscription] = set()
        self.queue_size = queue_size
        # Set by a cross-process bus (chaupal/events/redis_bus.py): `publish` hands events to
        # it, and the bus's one subscription per process calls `deliver` for every process.
        self.forward: Callable[[Event], None] | None = None

    def subscribe(self) -> Subscription:
        sub = Subscription(self, self.queue_size)
        self._subscribers.add(sub)
        return sub

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, event: Event) -> None:
        if self.forward is not None:
            self.forward(event)
        else:
            self.deliver(event)

    def deliver(self, event: Event) -> None:
        """Hand `event` to this process's subscribers (never blocks)."""
        for sub in list(self._subscribers):
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                sub.overflowed = True
                sub.close()


def hub_of(state: Any) -> Hub:
    """The app's hub (`app.state`), created on first use."""
    hub = getattr(state, "events", None)
    if hub is None:
        settings = getattr(state, "settings", None)
        size = settings.stream_subscriber_queue if settings is not None else SUBSCRIBER_QUEUE_SIZE
        hub = state.events = Hub(size)
    return hub


def on_commit(session: AsyncSession, callback: Callable[[], Any]) -> None:
    """Run `callback` (sync or async, no arguments) after `session` commits; dropped on rollback."""
    session.info.setdefault(_CALLBACKS, []).append(callback)


def publish_on_commit(session: AsyncSession, event: Event) -> None:
    """Publish `event` to the app's hub once `session` has committed."""
    session.info.setdefault(_EVENTS, []).append(event)


def discard_pending(session: AsyncSession) -> None:
    session.info.pop(_CALLBACKS, None)
    session.info.pop(_EVENTS, None)


async def after_commit(session: AsyncSession, hub: Hub | None) -> None:
    """Called by the edge right after a successful commit: publish queued events, run
    callbacks. A failing callback is logged, never turned into a failed request."""
    events = session.info.pop(_EVENTS, [])
    callbacks = session.info.pop(_CALLBACKS, [])
    if hub is not None:
        for event in events:
            hub.publish(event)
    for callback in callbacks:
        try:
            result = callback()
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("after-commit callback failed")
