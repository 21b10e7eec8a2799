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
