"""Cross-process events: with Redis configured, the hub's `publish` goes to one Redis pub/sub
channel (`<redis_prefix>events`) and one subscription per process hands every event to the
local hub, so a post committed by any `serve` or `worker` process reaches every stream."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from chaupal.events import Event, Hub

log = logging.getLogger(__name__)

OUTBOX_SIZE = 10_000  # events waiting to be published before new ones are dropped (logged)
STOP_SECONDS = 3.0  # how long stop() waits for its tasks and the subscription to close


class RedisBus:
    """Attach to `hub` with `await start()`; `listen=False` publishes only (a worker)."""

    def __init__(self, redis: Any, prefix: str, hub: Hub) -> None:
        self.redis = redis
        self.channel = f"{prefix}events"
        self.hub = hub
        self._outbox: asyncio.Queue[Event] = asyncio.Queue(OUTBOX_SIZE)
        self._tasks: list[asyncio.Task[None]] = []
        self._pubsub: Any = None
        self._stopping = False

    async def start(self, *, listen: bool = True) -> None:
        if listen:
            self._pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            await self._pubsub.subscribe(self.channel)  # subscribed before the first publish
            self._tasks.append(asyncio.create_task(self._listen()))
        self._tasks.append(asyncio.create_task(self._publish_loop()))
        self.hub.forward = self._send

    def _send(self, event: Event) -> None:
        try:
            self._outbox.put_nowait(event)
        except asyncio.QueueFull:
            log.error("redis event outbox full: event dropped (%s)", event.get("type"))

    async def _publish_loop(self) -> None:
        while not self._stopping:
            event = await self._outbox.get()
            try:
                await self.redis.publish(self.channel, json.dumps(event))
            except Exception:
                # Redis is down: this process's own streams still get the event.
                log.exception("redis publish failed; delivering locally only")
                self.hub.deliver(event)

    async def _listen(self) -> None:
        # Checked on every turn: redis-py's get_message(timeout=...) can swallow a cancellation
        # that lands as its own timeout expires, so cancel() alone may never end this loop.
        while not self._stopping:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except Exception:
                log.exception("redis subscription failed; retrying")
                await asyncio.sleep(1.0)
                with contextlib.suppress(Exception):
                    await self._pubsub.subscribe(self.channel)
                continue
            if message is None or message.get("type") != "message":
                continue
            try:
                event = json.loads(message["data"])
            except (TypeError, ValueError):
                continue
            if isinstance(event, dict):
                self.hub.deliver(event)

    async def flush(self, timeout: float = 5.0) -> None:
        """Wait until queued events are published (shutdown, tests)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._outbox.empty() and loop.time() < deadline:
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        await self.flush(1.0)
        self.hub.forward = None
        self._stopping = True
        # Cancelled again until done: redis-py may swallow a cancellation that lands inside a
        # publish or a timed read (turning it into a connection error we log and go on from),
        # after which the loop waits on its queue with the cancel already spent.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STOP_SECONDS
        pending = set(self._tasks)
        while pending and loop.time() < deadline:
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=0.1)
        if pending:
            log.warning("redis bus: %d task(s) did not stop within %s s", len(pending), STOP_SECONDS)
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._pubsub.aclose(), STOP_SECONDS)
