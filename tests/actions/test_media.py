"""Media actions called directly: upload, update, attach (order and limits), status deletion,
and the cleanup of unattached uploads (rows and files)."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from chaupal.actions.media import (
    Upload,
    access_media,
    check_update_media,
    check_upload_media,
    cleanup_unattached_media,
    do_attach_media,
    do_set_status_media,
)
from chaupal.actions.statuses import check_create_status, do_delete_status
from chaupal.db import utcnow
from chaupal.errors import ApiError
from chaupal.media.storage import media_storage, new_key
from chaupal.models import Account, MediaAttachment
from tests.media import samples


def media_files(settings: Any) -> set[Path]:
    root = settings.data_dir / "media"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


async def accounts(session: Any, make_user: Any, *names: str) -> list[Account]:
    users = [await make_user(n) for n in names]
    return [await session.get(Account, u.account_id) for u in users]


async def upload(
    session: Any, settings: Any, account: Account, data: bytes | None = None, **kw: Any
):
    return await check_upload_media(
        session, settings, account, Upload(io.BytesIO(data or samples.jpeg()), "a.jpg", None), **kw
    )


async def test_upload__row_and_two_files(session, settings, make_user):
    (alice,) = await accounts(session, make_user, "alice")
    before = media_files(settings)
    media = await upload(
        session, settings, alice, description="A red and blue flag", focus="0.5,-0.25"
    )
    await session.commit()
    assert media.type == "image" and media.content_type == "image/jpeg"
    assert (media.focus_x, media.focus_y) == (0.5, -0.25)
    assert media.description == "A red and blue flag"
    assert len(media_files(settings) - before) == 2


async def test_upload__bad_description_or_focus__nothing_stored(session, settings, make_user):
    (alice,) = await accounts(session, make_user, "alice")
    settings.max_media_description_chars = 10
    before = media_files(settings)
    for kw in ({"description": "x" * 11}, {"focus": "2,0"}, {"focus": "a,b"}, {"focus": "0.1"}):
        with pytest.raises(ApiError) as err:
            await upload(session, settings, alice, **kw)
        assert err.value.status == 422
    assert media_files(settings) == before
    assert await session.scalar(select(func.count()).select_from(MediaAttachment)) == 0


async def test_update__description_limit_is_the_setting(session, settings, make_user):
    (alice,) = await accounts(session, make_user, "alice")
    media = await upload(session, settings, alice)
    settings.max_media_description_chars = 5
    await check_update_media(session, settings, media, description="12345", focus="-1,1")
    assert media.description == "12345" and (media.focus_x, media.focus_y) == (-1.0, 1.0)
    with pytest.raises(ApiError, match="too long"):
        await check_update_media(session, settings, media, description="123456")


async def test_attach__keeps_the_given_order(session, settings, make_user):
    (alice,) = await accounts(session, make_user, "alice")
    ids = [(await upload(session, settings, alice)).id for _ in range(4)]
    status = await check_create_status(session, settings, alice, text="four pictures")
    order = [ids[2], ids[0], ids[3], ids[1]]
    attached = await do_attach_media(session, settings, alice, status, [str(i) for i in order])
    assert [m.id for m in attached] == order
    assert [m.position for m in attached] == [0, 1, 2, 3]
    assert all(m.status_id == status.id for m in attached)


async def test_attach__five_images__422(session, settings, make_user):
    (alice,) = await accounts(session, make_user, "alice")
    ids = [(await upload(session, settings, alice)).id for _ in range(5)]
    status = await check_create_status(session, settings, alice, text="too many")
    with pytest.raises(ApiError, match="more than 4") as err:
        await do_attach_media(session, settings, alice, status, ids)
    assert err.value.status == 422


async def test_attach__limit_is_the_setting(session, settings, make_user):
    (alice,) = await accounts(session, make_user, "alice")
    settings.max_media_attachments = 2
    ids = [(await upload(session, settings, alice)).id for _ in range(3)]
    status = await check_create_status(session, settings, alice, text="limited")
    with pytest.raises(ApiError, match="more than 2"):
        await do_attach_media(session, settings, alice, status, ids)
    assert len(await do_attach_media(session, settings, alice, status, ids[:2])) == 2


async def test_attach__image_with_video__422(session, settings, make_user, monkeypatch):
    monkeypatch.setattr("chaupal.media.video.ffmpeg_available", lambda: False)
    (alice,) = await accounts(session, make_user, "alice")
    image = await upload(session, settings, alice)
    video = await check_upload_media(
        session, settings, alice, Upload(io.BytesIO(samples.fake_mp4()), "v.mp4", "video/mp4")
    )
    assert video.type == "video" and video.meta["processed"] is False
    status = await check_create_status(session, settings, alice, text="mixed")
    with pytest.raises(ApiError, match="video") as err:
        await do_attach_media(session, settings, alice, status, [image.id, video.id])
    assert err.value.status == 422
    assert len(await do_attach_media(session, settings, alice, status, [video.id])) == 1


async def test_attach__someone_elses_or_attached_media__404(session, settings, make_user):
    alice, bob = await accounts(session, make_user, "alice", "bob")
    bobs = await upload(session, settings, bob)
    mine = await upload(session, settings, alice)
    first = await check_create_status(session, settings, alice, text="first")
    with pytest.raises(ApiError) as err:
        await do_attach_media(session, settings, alice, first, [bobs.id])
    assert err.value.status == 404
    await do_attach_media(session, settings, alice, first, [mine.id])
    second = await check_create_status(session, settings, alice, text="second")
    with pytest.raises(ApiError) as err:
        await do_attach_media(session, settings, alice, second, [mine.id])
    assert err.value.status == 404
    with pytest.raises(ApiError) as err:
        await access_media(session, bob, mine.id, unattached_only=False)
    assert err.value.status == 404


async def test_edit_media__replace_reorder_and_alt_text(session, settings, make_user):
    (alice,) = await accounts(session, make_user, "alice")
    a, b, c = [await upload(session, settings, alice) for _ in range(3)]
    status = await check_create_status(session, settings, alice, text="edit me")
    await do_attach_media(session, settings, alice, status, [a.id, b.id])
    result = await do_set_status_media(
        session,
        settings,
        alice,
        status,
        [c.id, a.id],
        [{"id": str(a.id), "description": "new alt"}],
    )
    assert [m.id for m in result] == [c.id, a.id]
    assert a.description == "new alt" and b.status_id is None


async def test_delete_status__media_detached_for_redraft(session, settings, make_user):
    (alice,) = await accounts(session, make_user, "alice")
    media = await upload(session, settings, alice)
    status = await check_create_status(session, settings, alice, text="to redraft")
    await do_attach_media(session, settings, alice, status, [media.id])
    await session.commit()
    await do_delete_status(session, status)
    await session.commit()
    await session.refresh(media)
    assert media.status_id is None
    again = await check_create_status(session, settings, alice, text="redrafted")
    assert [m.id for m in await do_attach_media(session, settings, alice, again, [media.id])] == [
        media.id
    ]


async def test_cleanup__removes_old_unattached_rows_and_files_only(
    app, session, settings, make_user
):
    (alice,) = await accounts(session, make_user, "alice")
    old = await upload(session, settings, alice)
    kept = await upload(session, settings, alice)
    fresh = await upload(session, settings, alice)
    status = await check_create_status(session, settings, alice, text="keeps one")
    await do_attach_media(session, settings, alice, status, [kept.id])
    long_ago = utcnow() - timedelta(seconds=settings.media_unattached_ttl_seconds + 60)
    old.created_at = kept.created_at = long_ago
    await session.commit()
    old_files = [settings.data_dir / "media" / k for k in (old.file_path, old.thumbnail_path)]
    assert all(p.exists() for p in old_files)

    # an orphan file (a commit that failed after storing), old enough to sweep
    store = media_storage(settings)
    orphan = new_key("jpg")
    store.put(orphan, b"left behind")
    stale = time.time() - settings.media_unattached_ttl_seconds - 60
    os.utime(store.path(orphan), (stale, stale))

    result = await cleanup_unattached_media(app.state.sessions, settings)

    assert result["media"] == 1 and result["files"] == 2 and result["orphans"] == 1
    assert not any(p.exists() for p in old_files) and not store.path(orphan).exists()
    remaining = set((await session.scalars(select(MediaAttachment.id))).all())
    assert remaining == {kept.id, fresh.id}
    for m in (kept, fresh):
        assert (settings.data_dir / "media" / m.file_path).exists()
