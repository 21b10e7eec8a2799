"""Concurrent writers: every acknowledged write is committed, none fails on a busy database."""

import asyncio

from sqlalchemy import func, select

from chaupal.models import Status


async def test_concurrent_posts__all_acknowledged_and_committed(client, make_user, session):
    users = [await make_user(f"writer{i}") for i in range(8)]

    async def post(n: int):
        u = users[n % len(users)]
        return await client.post("/api/v1/statuses", json={"status": f"post {n} #load"}, headers=u.headers)

    responses = await asyncio.gather(*(post(n) for n in range(40)))
    assert [r.status_code for r in responses] == [200] * 40
    await session.rollback()
    assert await session.scalar(select(func.count()).select_from(Status)) == 40
