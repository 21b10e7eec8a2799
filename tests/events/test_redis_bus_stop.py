"""RedisBus.stop ends its tasks even when the Redis client swallows a cancellation, as redis-py
can when the cancel lands inside a publish or a timed read (a serve worker once hung on exit)."""

import asyncio

from chaupal.events import Hub
from chaupal.events.redis_bus import RedisBus


class SwallowingRedis:
    """publish() hangs until cancelled, then turns the cancellation into a connection error."""

    def __init__(self) -> None:
        self.publishing = asyncio.Event()

    async def publish(self, channel: str, data: str) -> None:
        self.publishing.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise ConnectionError("connection lost") from None


async def test_stop__publish_swallows_cancel__tasks_still_end():
    redis = SwallowingRedis()
    hub = Hub()
    bus = RedisBus(redis, "test:", hub)
    await bus.start(listen=False)
    hub.forward({"type": "update", "stream": ["public"], "payload": "{}"})
    await asyncio.wait_for(redis.publishing.wait(), 5)

    await bus.stop()

    assert all(task.done() for task in bus._tasks)


async def test_stop__cancel_spent_while_waiting__cancelled_again_until_done():
    redis = SwallowingRedis()
    hub = Hub()
    bus = RedisBus(redis, "test:", hub)

    async def stubborn() -> None:  # swallows the first cancel, as a spent one would be
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            pass
        await asyncio.Event().wait()

    bus._tasks.append(asyncio.create_task(stubborn()))
    await asyncio.sleep(0)

    await bus.stop()

    assert all(task.done() for task in bus._tasks)
