"""Media on statuses through the API: posting with media_ids (order, limits, ownership),
rendering media_attachments, editing media, delete-and-redraft, and only_media filters."""

from __future__ import annotations

from typing import Any

from chaupal.actions.media import do_attach_media
from chaupal.actions.statuses import check_create_status
from chaupal.models import Account
from tests.media import samples


async def upload(client: Any, user: Any, description: str | None = None) -> str:
    data = {"description": description} if description else {}
    r = await client.post(
        "/api/v2/media",
        files={"file": ("a.jpg", samples.jpeg(), "image/jpeg")},
        data=data,
        headers=user.headers,
    )
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


async def post_with_media(
    app: Any, settings: Any, user: Any, text: str, media_ids: list[str]
) -> int:
    """A status with media made through the actions (independent of the statuses API)."""
    async with app.state.sessions() as session:
        account = await session.get(Account, user.account_id)
        status = await check_create_status(session, settings, account, text=text)
        await do_attach_media(session, settings, account, status, media_ids)
        await session.commit()
        return status.id


async def test_public_timeline__only_media(app, client, settings, make_user):
    u = await make_user("alice")
    with_media = await post_with_media(app, settings, u, "picture", [await upload(client, u)])
    r = await client.post("/api/v1/statuses", data={"status": "just text"}, headers=u.headers)
    assert r.status_code == 200, r.text
    everything = (await client.get("/api/v1/timelines/public")).json()
    assert len(everything) == 2
    only = (await client.get("/api/v1/timelines/public", params={"only_media": "true"})).json()
    assert [s["id"] for s in only] == [str(with_media)]


async def test_account_statuses__only_media(app, client, settings, make_user):
    u = await make_user("alice")
    with_media = await post_with_media(app, settings, u, "picture", [await upload(client, u)])
    await client.post("/api/v1/statuses", data={"status": "just text"}, headers=u.headers)
    await client.post(f"/api/v1/statuses/{with_media}/reblog", headers=u.headers)
    r = await client.get(f"/api/v1/accounts/{u.account_id}/statuses", params={"only_media": "true"})
    assert [s["id"] for s in r.json()] == [str(with_media)]


async def count_statuses(client: Any, user: Any) -> int:
    r = await client.get(f"/api/v1/accounts/{user.account_id}/statuses", headers=user.headers)
    return len(r.json())


async def test_post_with_four_images__rendered_in_the_given_order(client, make_user):
    u = await make_user("alice")
    ids = [await upload(client, u, description=f"picture {i}") for i in range(4)]
    order = [ids[3], ids[1], ids[0], ids[2]]
    r = await client.post(
        "/api/v1/statuses", data={"status": "four", "media_ids[]": order}, headers=u.headers
    )
    assert r.status_code == 200, r.text
    media = r.json()["media_attachments"]
    assert [m["id"] for m in media] == order
    assert [m["description"] for m in media] == ["picture 3", "picture 1", "picture 0", "picture 2"]
    assert all(m["type"] == "image" and m["url"] and m["preview_url"] for m in media)
    fetched = (await client.get(f"/api/v1/statuses/{r.json()['id']}")).json()
    assert [m["id"] for m in fetched["media_attachments"]] == order


async def test_post_with_media_only__blank_text_allowed(client, make_user):
    u = await make_user("alice")
    r = await client.post(
        "/api/v1/statuses",
        json={"status": "", "media_ids": [await upload(client, u)]},
        headers=u.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["content"] == "" and len(r.json()["media_attachments"]) == 1
    r = await client.post("/api/v1/statuses", json={"status": ""}, headers=u.headers)
    assert r.status_code == 422


async def test_post_with_five_images__422_and_no_status(client, make_user):
    u = await make_user("alice")
    ids = [await upload(client, u) for _ in range(5)]
    r = await client.post(
        "/api/v1/statuses", json={"status": "five", "media_ids": ids}, headers=u.headers
    )
    assert r.status_code == 422 and "more than 4" in r.json()["error"]
    assert await count_statuses(client, u) == 0
    # the uploads are still free to use
    r = await client.post(
        "/api/v1/statuses", json={"status": "four", "media_ids": ids[:4]}, headers=u.headers
    )
    assert r.status_code == 200


async def test_post_with_image_and_video__422(client, make_user, monkeypatch):
    monkeypatch.setattr("chaupal.media.video.ffmpeg_available", lambda: False)
    u = await make_user("alice")
    image = await upload(client, u)
    r = await client.post(
        "/api/v2/media",
        files={"file": ("v.mp4", samples.fake_mp4(), "video/mp4")},
        headers=u.headers,
    )
    video = r.json()["id"]
    r = await client.post(
        "/api/v1/statuses", json={"status": "mixed", "media_ids": [image, video]}, headers=u.headers
    )
    assert r.status_code == 422 and "video" in r.json()["error"]
    assert await count_statuses(client, u) == 0


async def test_post_with_someone_elses_media__404(client, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    bobs = await upload(client, bob)
    r = await client.post(
        "/api/v1/statuses", json={"status": "hi", "media_ids": [bobs]}, headers=alice.headers
    )
    assert r.status_code == 404 and r.json() == {"error": "Record not found"}
    assert await count_statuses(client, alice) == 0


async def test_attached_media__no_longer_reachable_by_get_or_put(client, make_user):
    u = await make_user("alice")
    media_id = await upload(client, u)
    await client.post(
        "/api/v1/statuses", json={"status": "x", "media_ids": [media_id]}, headers=u.headers
    )
    assert (await client.get(f"/api/v1/media/{media_id}", headers=u.headers)).status_code == 404
    r = await client.put(
        f"/api/v1/media/{media_id}", data={"description": "late"}, headers=u.headers
    )
    assert r.status_code == 404


async def test_edit_status__media_ids_and_media_attributes(client, make_user):
    u = await make_user("alice")
    a, b, c = [await upload(client, u) for _ in range(3)]
    sid = (
        await client.post(
            "/api/v1/statuses", json={"status": "v1", "media_ids": [a, b]}, headers=u.headers
        )
    ).json()["id"]
    r = await client.put(
        f"/api/v1/statuses/{sid}",
        json={
            "status": "v1",
            "media_ids": [c, a],
            "media_attributes": [{"id": a, "description": "alt a"}],
        },
        headers=u.headers,
    )
    assert r.status_code == 200, r.text
    media = r.json()["media_attachments"]
    assert [m["id"] for m in media] == [c, a] and media[1]["description"] == "alt a"
    assert r.json()["edited_at"] is not None
    # without media_ids the media stay
    r = await client.put(f"/api/v1/statuses/{sid}", json={"status": "v2"}, headers=u.headers)
    assert [m["id"] for m in r.json()["media_attachments"]] == [c, a]
    # someone else's upload cannot be added by an edit
    bob = await make_user("bob")
    r = await client.put(
        f"/api/v1/statuses/{sid}",
        json={"status": "v3", "media_ids": [await upload(client, bob)]},
        headers=u.headers,
    )
    assert r.status_code == 404


async def test_delete_and_redraft__media_reusable(client, make_user):
    u = await make_user("alice")
    media_id = await upload(client, u)
    sid = (
        await client.post(
            "/api/v1/statuses", json={"status": "oops", "media_ids": [media_id]}, headers=u.headers
        )
    ).json()["id"]
    deleted = await client.delete(f"/api/v1/statuses/{sid}", headers=u.headers)
    assert deleted.status_code == 200
    assert [m["id"] for m in deleted.json()["media_attachments"]] == [media_id]
    r = await client.post(
        "/api/v1/statuses", json={"status": "fixed", "media_ids": [media_id]}, headers=u.headers
    )
    assert r.status_code == 200 and r.json()["media_attachments"][0]["id"] == media_id


async def test_timeline_page__media_loaded_in_one_query(app, client, make_user):
    from sqlalchemy import event

    u = await make_user("alice")
    for i in range(3):
        ids = [await upload(client, u) for _ in range(2)]
        await client.post(
            "/api/v1/statuses", json={"status": f"p{i}", "media_ids": ids}, headers=u.headers
        )
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "media_attachments" in statement:
            seen.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        page = (await client.get("/api/v1/timelines/public", headers=u.headers)).json()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [len(s["media_attachments"]) for s in page] == [2, 2, 2]
    assert len(seen) == 1


async def test_private_post_media__listed_only_for_those_who_may_see_it(client, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    media_id = await upload(client, alice)
    sid = (
        await client.post(
            "/api/v1/statuses",
            json={"status": "followers only", "visibility": "private", "media_ids": [media_id]},
            headers=alice.headers,
        )
    ).json()["id"]
    assert (await client.get(f"/api/v1/statuses/{sid}", headers=bob.headers)).status_code == 404
    r = await client.get(
        f"/api/v1/accounts/{alice.account_id}/statuses", params={"only_media": "true"}
    )
    assert r.json() == []
