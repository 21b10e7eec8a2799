"""The app factory, error shape and limits that every endpoint shares."""


async def test_unknown_route__404_json_error(client):
    r = await client.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.json() == {"error": "Record not found"}


async def test_oversized_body__413_before_reading(client, settings):
    body = b"x" * (settings.max_request_body_bytes + 1)
    r = await client.post("/api/v1/statuses", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert "error" in r.json()


async def test_make_user_fixture_creates_account(make_user, session):
    from chaupal.models import Account

    u = await make_user("alice")
    acc = await session.get(Account, u.account_id)
    assert acc.username == "alice"


async def test_housekeeping__runs_in_process_and_removes_stale_uploads(app, session, settings, make_user):
    from datetime import timedelta

    from sqlalchemy import select

    from chaupal.app import housekeeping_once
    from chaupal.db import utcnow
    from chaupal.models import Account, MediaAttachment
    from tests.actions.test_media import upload

    task = app.state.housekeeping
    assert task is not None and not task.done()  # started with the app, default interval
    u = await make_user("keeper")
    alice = await session.get(Account, u.account_id)
    stale = await upload(session, settings, alice)
    stale.created_at = utcnow() - timedelta(seconds=settings.media_unattached_ttl_seconds + 60)
    await session.commit()

    result = await housekeeping_once(app, settings)

    assert result["media"] == 1
    assert (await session.scalars(select(MediaAttachment.id))).all() == []


async def test_housekeeping__interval_zero_turns_it_off(settings):
    from chaupal.app import create_app

    off = create_app(settings.model_copy(update={"media_cleanup_interval_seconds": 0}))
    async with off.router.lifespan_context(off):
        assert off.state.housekeeping is None


async def test_shutdown__a_stuck_step_is_bounded_and_the_rest_still_run(settings, monkeypatch):
    import asyncio

    from chaupal.api.mastodon import streaming
    from chaupal.app import create_app

    release = asyncio.Event()

    async def stuck(app):  # a clean-up step that ignores its cancellation (until the test ends)
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue

    monkeypatch.setattr(streaming, "stop_streams", stuck)
    from chaupal.federation import instance_actor

    later_steps = []
    monkeypatch.setattr(instance_actor, "uninstall", lambda settings: later_steps.append("uninstall"))
    app = create_app(settings.model_copy(update={"shutdown_step_timeout_seconds": 0.2}))
    try:
        async with app.router.lifespan_context(app):
            pass
    finally:
        release.set()
    assert later_steps == ["uninstall"]  # the steps after the stuck one still ran
