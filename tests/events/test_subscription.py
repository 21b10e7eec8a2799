"""A hub subscriber that waits without a timeout still learns that it overflowed."""

from __future__ import annotations

from chaupal.events import Hub


async def test_next__events_then_none_after_overflow():
    hub = Hub(queue_size=2)
    sub = hub.subscribe()
    for i in range(3):
        hub.deliver({"type": "x", "i": i})
    assert sub.overflowed and hub.subscriber_count == 0
    assert [await sub.next(), await sub.next()] == [{"type": "x", "i": 0}, {"type": "x", "i": 1}]
    assert await sub.next() is None
