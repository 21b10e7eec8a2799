"""`network_phase`: a handler's slow outside work runs with its earlier writes committed and,
in embedded SQLite mode, without the app's writer lock, so web requests are not held up."""

from __future__ import annotations

import asyncio
from typing import Any

from chaupal.jobs import JobRunner, enqueue, job_handler, network_phase
from chaupal.models import Account, Job

OBSERVED: dict[str, Any] = {}


@job_handler("test_network_phase")
async def _slow_remote(session: Any, settings: Any, payload: dict[str, Any]) -> None:
    account = await session.get(Account, int(payload["account_id"]))
    account.note = "before the request"
    lock: asyncio.Lock = OBSERVED["lock"]
    async with network_phase(session):
        OBSERVED["lock_free_during_request"] = not lock.locked()
        async with OBSERVED["sessions"]() as other:  # what a web request would see meanwhile
            OBSERVED["seen_by_others"] = (await other.get(Account, account.id)).note
    OBSERVED["lock_held_after"] = lock.locked()
    account.display_name = "after the request"


async def test_network_phase__commits_earlier_writes_and_lets_go_of_the_writer_lock(app, settings, make_user):
    user = await make_user("deliverer")
    lock = asyncio.Lock()
    OBSERVED.clear()
    OBSERVED.update(lock=lock, sessions=app.state.sessions)
    async with app.state.sessions() as s:
        job = await enqueue(s, "test_network_phase", {"account_id": user.account_id})
        await s.commit()

    await JobRunner(app.state.sessions, settings, name="t", write_lock=lock).run_until_idle()

    assert OBSERVED["lock_free_during_request"] is True
    assert OBSERVED["seen_by_others"] == "before the request"
    assert OBSERVED["lock_held_after"] is True
    assert not lock.locked()  # the runner's own release stayed balanced
    async with app.state.sessions() as s:
        done = await s.get(Job, job.id)
        account = await s.get(Account, user.account_id)
        assert done.state == "done"
        assert (account.note, account.display_name) == ("before the request", "after the request")
