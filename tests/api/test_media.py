"""Media API: uploads (v1, v2), get, update, delete, the served files, and every bad-media
case answering 422 with nothing left on disk and no row."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from chaupal.models import MediaAttachment
from tests.media import samples

ENTITY_KEYS = {
    "id",
    "type",
    "url",
    "preview_url",
    "remote_url",
    "preview_remote_url",
    "text_url",
    "meta",
    "description",
    "blurhash",
}


def media_files(settings: Any) -> set[Path]:
    root = settings.data_dir / "media"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


async def post_media(
    client: Any,
    user: Any,
    data: bytes,
    name: str = "photo.jpg",
    ctype: str = "image/jpeg",
    path: str = "/api/v2/media",
    **fields: str,
) -> Any:
    return await client.post(
        path, files={"file": (name, data, ctype)}, data=fields, headers=user.headers
    )


async def count_rows(session: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(MediaAttachment)))


async def test_upload_v2__image_processed_synchronously__200_with_entity(client, make_user):
    u = await make_user("alice")
    r = await post_media(client, u, samples.jpeg((80, 40)), description="Flag", focus="0.5,-0.5")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == ENTITY_KEYS
    assert body["type"] == "image" and body["description"] == "Flag"
    assert body["url"].startswith("http://chaupal.test/system/media/") and body["url"].endswith(
        ".jpg"
    )
    assert body["preview_url"].startswith("http://chaupal.test/system/media/")
    assert body["remote_url"] is None and body["text_url"] is None
    assert body["meta"]["original"] == {"width": 80, "height": 40, "size": "80x40", "aspect": 2.0}
    assert body["meta"]["small"]["width"] == 80
    assert body["meta"]["focus"] == {"x": 0.5, "y": -0.5}
    assert body["blurhash"]


async def test_upload_v1__200_and_get_returns_it(client, make_user):
    u = await make_user("alice")
    r = await post_media(client, u, samples.png(), "p.png", "image/png", path="/api/v1/media")
    assert r.status_code == 200, r.text
    got = await client.get(f"/api/v1/media/{r.json()['id']}", headers=u.headers)
    assert got.status_code == 200 and got.json() == r.json()


async def test_served_file__content_type_nosniff_and_cache(client, make_user):
    u = await make_user("alice")
    body = (await post_media(client, u, samples.webp(), "w.webp", "image/webp")).json()
    for url, ctype in ((body["url"], "image/webp"), (body["preview_url"], "image/jpeg")):
        r = await client.get(url.removeprefix("http://chaupal.test"))
        assert r.status_code == 200
        assert r.headers["content-type"] == ctype
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert r.headers["content-disposition"] == "inline"
    assert Image.open(io.BytesIO(r.content)).format == "JPEG"


async def test_served_file__traversal_and_unknown_keys__404(client):
    for path in (
        "/system/media/../../secret_key",
        "/system/media/..%2F..%2Fsecret_key",
        "/system/media/ab/cd/..%2F..%2F..%2Fsecret_key",
        "/system/media/ab/cd/abcdef.jpg",
        "/system/media/ab/cd/abcd" + "0" * 28 + ".jpg",
        "/system/media/ab/cd/abcd" + "0" * 28 + ".html",
    ):
        r = await client.get(path)
        assert r.status_code == 404, path


async def test_gps_and_orientation__stripped_and_applied_through_the_api(client, make_user):
    u = await make_user("alice")
    body = (await post_media(client, u, samples.jpeg((80, 40), orientation=6, gps=True))).json()
    assert body["meta"]["original"]["width"] == 40 and body["meta"]["original"]["height"] == 80
    served = (await client.get(body["url"].removeprefix("http://chaupal.test"))).content
    assert samples.GPS_IFD not in Image.open(io.BytesIO(served)).getexif()


BAD_UPLOADS = [
    ("bomb", samples.png_header_only(100_000, 100_000), "bomb.png", "image/png", "too many pixels"),
    ("real bomb", samples.png_bomb(20_000, 20_000), "bomb.png", "image/png", "too many pixels"),
    ("lying extension", samples.jpeg(), "photo.png", "application/octet-stream", "extension"),
    ("lying type", samples.png(), "photo", "image/jpeg", "content type"),
    ("truncated", samples.jpeg((300, 300))[:2000], "cut.jpg", "image/jpeg", "truncated|invalid"),
    ("not media", b"<svg onload=alert(1)></svg>", "x.svg", "image/svg+xml", "not supported"),
    ("empty", b"", "e.jpg", "image/jpeg", "blank|empty"),
]


@pytest.mark.parametrize(
    ("case", "data", "name", "ctype", "error"), BAD_UPLOADS, ids=[c[0] for c in BAD_UPLOADS]
)
async def test_bad_upload__422_nothing_on_disk_no_row(
    client, session, settings, make_user, case, data, name, ctype, error
):
    u = await make_user("alice")
    before = media_files(settings)
    r = await post_media(client, u, data, name, ctype)
    assert r.status_code == 422, r.text
    assert r.json()["error"].startswith("Validation failed")
    import re

    assert re.search(error, r.json()["error"]), r.json()
    assert media_files(settings) == before
    assert await count_rows(session) == 0


async def test_over_size__422_with_the_setting(client, session, settings, make_user):
    u = await make_user("alice")
    data = samples.jpeg((200, 200))
    settings.max_image_bytes = len(data) - 1
    before = media_files(settings)
    r = await post_media(client, u, data)
    assert r.status_code == 422 and "too large" in r.json()["error"]
    assert media_files(settings) == before and await count_rows(session) == 0


async def test_body_over_media_limit__413(client, settings, make_user):
    u = await make_user("alice")
    settings.max_image_bytes = settings.max_video_bytes = 10_000
    r = await post_media(client, u, b"\xff\xd8\xff" + b"\x00" * 2_000_000)
    assert r.status_code == 413


async def test_upload__without_file__422(client, make_user):
    u = await make_user("alice")
    r = await client.post("/api/v2/media", data={"description": "no file"}, headers=u.headers)
    assert r.status_code == 422
    r = await client.post("/api/v2/media", json={"file": "not a file"}, headers=u.headers)
    assert r.status_code == 422


async def test_upload__needs_token_and_write_media_scope(client, make_user):
    r = await client.post("/api/v2/media", files={"file": ("a.jpg", samples.jpeg(), "image/jpeg")})
    assert r.status_code == 401
    reader = await make_user("reader", scopes="read")
    r = await post_media(client, reader, samples.jpeg())
    assert r.status_code == 403
    scoped = await make_user("scoped", scopes="write:media")
    assert (await post_media(client, scoped, samples.jpeg())).status_code == 200


async def test_update__description_and_focus(client, make_user):
    u = await make_user("alice")
    media_id = (await post_media(client, u, samples.jpeg())).json()["id"]
    r = await client.put(
        f"/api/v1/media/{media_id}",
        data={"description": "Alt text", "focus": "-0.25,0.75"},
        headers=u.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["description"] == "Alt text" and r.json()["meta"]["focus"] == {
        "x": -0.25,
        "y": 0.75,
    }
    for bad in ({"focus": "1.5,0"}, {"focus": "x"}, {"description": "d" * 1501}):
        assert (
            await client.put(f"/api/v1/media/{media_id}", data=bad, headers=u.headers)
        ).status_code == 422


async def test_update__custom_thumbnail_replaces_preview(client, settings, make_user):
    u = await make_user("alice")
    body = (await post_media(client, u, samples.jpeg((80, 40)))).json()
    r = await client.put(
        f"/api/v1/media/{body['id']}",
        files={"thumbnail": ("t.png", samples.png((30, 30)), "image/png")},
        headers=u.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["preview_url"] != body["preview_url"]
    assert r.json()["meta"]["small"]["width"] == 30
    assert (
        await client.get(body["preview_url"].removeprefix("http://chaupal.test"))
    ).status_code == 404


async def test_get_update_delete__other_users_media__404(client, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    media_id = (await post_media(client, alice, samples.jpeg())).json()["id"]
    assert (await client.get(f"/api/v1/media/{media_id}", headers=bob.headers)).status_code == 404
    r = await client.put(
        f"/api/v1/media/{media_id}", data={"description": "mine"}, headers=bob.headers
    )
    assert r.status_code == 404 and r.json() == {"error": "Record not found"}
    assert (
        await client.delete(f"/api/v1/media/{media_id}", headers=bob.headers)
    ).status_code == 404
    for bad in ("nope", "-1", "99999999999999999999999"):
        assert (await client.get(f"/api/v1/media/{bad}", headers=alice.headers)).status_code == 404


async def test_delete__unattached_media_row_and_files_gone(client, session, settings, make_user):
    u = await make_user("alice")
    before = media_files(settings)
    body = (await post_media(client, u, samples.jpeg())).json()
    assert len(media_files(settings) - before) == 2
    r = await client.delete(f"/api/v1/media/{body['id']}", headers=u.headers)
    assert r.status_code == 200
    assert media_files(settings) == before and await count_rows(session) == 0
    assert (await client.get(f"/api/v1/media/{body['id']}", headers=u.headers)).status_code == 404


async def test_video_upload_without_ffmpeg__honest_meta(client, make_user, monkeypatch):
    monkeypatch.setattr("chaupal.media.video.ffmpeg_available", lambda: False)
    u = await make_user("alice")
    r = await post_media(client, u, samples.fake_mp4(), "clip.mp4", "video/mp4")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["type"] == "video" and body["url"].endswith(".mp4")
    assert body["preview_url"] is None and body["blurhash"] is None
    assert body["meta"]["processed"] is False and "ffmpeg" in body["meta"]["reason"]
    served = await client.get(body["url"].removeprefix("http://chaupal.test"))
    assert served.headers["content-type"] == "video/mp4"


async def test_video_upload_with_ffmpeg__poster_and_duration(client, make_user, tmp_path):
    samples.need_ffmpeg()
    u = await make_user("alice")
    r = await post_media(client, u, samples.real_mp4(tmp_path), "clip.mp4", "video/mp4")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["type"] == "video" and body["preview_url"] and body["blurhash"]
    assert body["meta"]["width"] == 320 and body["meta"]["original"]["duration"] > 0
    assert body["meta"]["length"].startswith("0:00:0")
