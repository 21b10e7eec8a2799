"""Remote media cached through the upload pipeline (issue 7): attachments, avatars and headers
fetched from a real HTTP server on 127.0.0.1 by the `ap_cache_media` job; refusals by size,
by sniffed content, by domain policy and by address."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.federation import policy
from chaupal.federation.media_cache import (
    KIND,
    enqueue_remote_media,
    set_remote_profile_images,
)
from chaupal.jobs import JobRunner
from chaupal.media.storage import media_base_url, media_storage
from chaupal.models import Account, Job, MediaAttachment, Status
from chaupal.models.federation import DomainBlock
from chaupal.render.accounts import render_account
from chaupal.render.media import render_media
from tests.media.samples import fake_mp4, jpeg, need_ffmpeg, png, png_bomb, real_mp4


@dataclass
class Served:
    body: bytes
    content_type: str = "image/png"
    status: int = 200
    content_length: bool = True
    headers: dict[str, str] = field(default_factory=dict)
    stall_seconds: float = 0.0  # after the first 64 bytes: a server that drips


@dataclass
class FileServer:
    """Plain HTTP on 127.0.0.1: `files[path]` answers GET `path`; `hits` counts requests."""

    port: int = 0
    files: dict[str, Served] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.domain}{path}"


@pytest.fixture
def server() -> Iterator[FileServer]:
    state = FileServer()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # no Content-Length: the body ends when the socket closes

        def do_GET(self) -> None:
            state.hits.append(self.path)
            served = state.files.get(self.path)
            if served is None:
                self.send_error(404)
                return
            self.send_response(served.status)
            self.send_header("Content-Type", served.content_type)
            if served.content_length:
                self.send_header("Content-Length", str(len(served.body)))
            for name, value in served.headers.items():
                self.send_header(name, value)
            self.end_headers()
            try:
                self.wfile.write(served.body[:64])
                self.wfile.flush()
                time.sleep(served.stall_seconds)
                self.wfile.write(served.body[64:])
            except (BrokenPipeError, ConnectionResetError):  # the client stopped reading
                pass

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def loopback(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update={"federation_allow_http_loopback": True, **changes})


async def remote_post_with_media(app: Any, server: FileServer, path: str, **media: Any) -> int:
    """A remote account on the test server's host with one post carrying one remote file (as
    the inbox stores it: remote URL, no file); returns the attachment id."""
    async with app.state.sessions() as s:
        actor = server.url("/users/amy")
        account = Account(
            username="amy",
            username_lower="amy",
            domain=server.domain,
            uri=actor,
            inbox_url=f"{actor}/inbox",
        )
        s.add(account)
        await s.flush()
        status = Status(account_id=account.id, uri=f"{actor}/statuses/1", local=False)
        s.add(status)
        await s.flush()
        row = MediaAttachment(
            account_id=account.id,
            status_id=status.id,
            type=media.pop("type", "image"),
            remote_url=server.url(path),
            processing="remote",
            blurhash="remote-hash",
            **media,
        )
        s.add(row)
        await s.commit()
        return row.id


async def cache(app: Any, settings: Settings, media_id: int) -> None:
    async with app.state.sessions() as s:
        await enqueue_remote_media(s, settings, [media_id])
        await s.commit()
    await JobRunner(app.state.sessions, settings, name="t").run_until_idle()


async def load(app: Any, model: Any, row_id: int) -> Any:
    async with app.state.sessions() as s:
        return await s.get(model, row_id)


async def last_job(app: Any) -> Job:
    async with app.state.sessions() as s:
        return (
            await s.scalars(select(Job).where(Job.kind == KIND).order_by(Job.id.desc()))
        ).first()


def assert_not_cached(media: MediaAttachment, remote_url: str) -> None:
    assert media.file_path is None and media.thumbnail_path is None
    assert media.processing == "remote" and media.remote_url == remote_url


# --- caching works and renders ----------------------------------------------------------------


async def test_remote_image__cached_through_pipeline__rendered_from_our_copy(
    app: Any, settings: Settings, server: FileServer
) -> None:
    server.files["/media/photo.jpg"] = Served(jpeg((120, 60), gps=True), "image/jpeg")
    settings = loopback(settings)
    media_id = await remote_post_with_media(app, server, "/media/photo.jpg", type="unknown")

    before = render_media(settings, await load(app, MediaAttachment, media_id))
    assert before["url"] == before["remote_url"] == server.url("/media/photo.jpg")

    await cache(app, settings, media_id)

    media = await load(app, MediaAttachment, media_id)
    assert (await last_job(app)).state == "done"
    assert media.processing == "done" and media.type == "image"  # sniffed, not the remote's word
    assert media.content_type == "image/jpeg" and media.file_path and media.thumbnail_path
    assert media.blurhash and media.blurhash != "remote-hash"
    assert media.meta["original"]["width"] == 120
    stored = media_storage(settings).local_path(media.file_path)
    assert stored is not None and stored.is_file()
    assert b"Exif" not in stored.read_bytes()  # GPS and all metadata gone
    with Image.open(stored) as image:
        assert not image.getexif()

    entity = render_media(settings, media)
    base = media_base_url(settings)
    assert entity["url"] == f"{base}/{media.file_path}"
    assert entity["preview_url"] == f"{base}/{media.thumbnail_path}"
    assert entity["remote_url"] == server.url("/media/photo.jpg")
    assert server.hits == ["/media/photo.jpg"]


async def test_remote_image__shown_in_status_api(
    app: Any, client: Any, settings: Settings, server: FileServer
) -> None:
    server.files["/a.png"] = Served(png((40, 40)))
    media_id = await remote_post_with_media(app, server, "/a.png")
    await cache(app, loopback(settings), media_id)
    media = await load(app, MediaAttachment, media_id)
    r = await client.get(f"/api/v1/statuses/{media.status_id}")
    assert r.status_code == 200, r.text
    (attachment,) = r.json()["media_attachments"]
    assert attachment["url"].endswith(media.file_path)
    assert attachment["remote_url"] == server.url("/a.png")


async def test_remote_media__twice_enqueued__fetched_once(
    app: Any, settings: Settings, server: FileServer
) -> None:
    server.files["/a.png"] = Served(png())
    settings = loopback(settings)
    media_id = await remote_post_with_media(app, server, "/a.png")
    async with app.state.sessions() as s:
        await enqueue_remote_media(s, settings, [media_id, media_id])
        await enqueue_remote_media(s, settings, [media_id])
        await s.commit()
    await JobRunner(app.state.sessions, settings, name="t").run_until_idle()
    await cache(app, settings, media_id)  # already cached: nothing fetched again
    assert server.hits == ["/a.png"]


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("content_length", [True, False], ids=["declared", "streamed"])
async def test_remote_image__over_size_cap__refused(
    app: Any, settings: Settings, server: FileServer, content_length: bool
) -> None:
    body = png((200, 200))
    server.files["/big.png"] = Served(body + b"\0" * 4096, content_length=content_length)
    settings = loopback(settings, max_image_bytes=len(body))
    media_id = await remote_post_with_media(app, server, "/big.png")
    await cache(app, settings, media_id)

    job = await last_job(app)
    assert job.state == "failed" and "larger than" in (job.last_error or "")
    assert job.attempts == 1  # a retry cannot make it smaller
    media = await load(app, MediaAttachment, media_id)
    assert_not_cached(media, server.url("/big.png"))
    assert render_media(settings, media)["url"] == server.url("/big.png")


async def test_remote_video__cached_through_the_video_pipeline(
    app: Any, settings: Settings, server: FileServer, tmp_path: Path
) -> None:
    need_ffmpeg()
    body = real_mp4(tmp_path, gps=True)
    server.files["/clip.mp4"] = Served(body, "video/mp4")
    settings = loopback(settings, max_video_bytes=len(body))  # exactly at the cap
    media_id = await remote_post_with_media(app, server, "/clip.mp4", type="video")
    await cache(app, settings, media_id)

    media = await load(app, MediaAttachment, media_id)
    job = await last_job(app)
    assert job.state == "done", job.last_error
    assert media.type == "video" and media.content_type == "video/mp4" and media.file_path
    assert media.thumbnail_path and media.meta["original"]["width"] == 320
    stored = media_storage(settings).local_path(media.file_path)
    assert stored is not None and b"secret" not in stored.read_bytes()  # re-muxed, tags dropped


async def test_remote_video__over_video_cap__refused(
    app: Any, settings: Settings, server: FileServer
) -> None:
    server.files["/clip.mp4"] = Served(fake_mp4(4096), "video/mp4")
    settings = loopback(settings, max_video_bytes=2048)
    media_id = await remote_post_with_media(app, server, "/clip.mp4", type="video")
    await cache(app, settings, media_id)
    job = await last_job(app)
    assert job.state == "failed" and "larger than 2048" in (job.last_error or "")
    assert_not_cached(await load(app, MediaAttachment, media_id), server.url("/clip.mp4"))


async def test_remote_image__pixel_bomb__refused_before_decoding(
    app: Any, settings: Settings, server: FileServer
) -> None:
    server.files["/bomb.png"] = Served(png_bomb(20_000, 20_000))
    settings = loopback(settings)
    media_id = await remote_post_with_media(app, server, "/bomb.png")
    await cache(app, settings, media_id)
    job = await last_job(app)
    assert job.state == "failed" and "too many pixels" in (job.last_error or "")
    assert_not_cached(await load(app, MediaAttachment, media_id), server.url("/bomb.png"))


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>" + b" " * 64,
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>' + b" " * 64,
        b'{"@context": "https://www.w3.org/ns/activitystreams", "type": "Note"}' + b" " * 64,
        b"<svg/>",  # shorter than the sniffing window
    ],
    ids=["html", "svg", "json", "tiny-svg"],
)
async def test_remote_file__not_an_image_served_as_png__refused_by_sniffing(
    app: Any, settings: Settings, server: FileServer, body: bytes
) -> None:
    server.files["/evil.png"] = Served(body, "image/png")
    settings = loopback(settings)
    files_before = set(media_storage(settings).iter_keys(float("inf")))
    media_id = await remote_post_with_media(app, server, "/evil.png")
    await cache(app, settings, media_id)

    job = await last_job(app)
    assert job.state == "failed" and "not a supported media file" in (job.last_error or "")
    assert_not_cached(await load(app, MediaAttachment, media_id), server.url("/evil.png"))
    assert set(media_storage(settings).iter_keys(float("inf"))) == files_before


@pytest.mark.parametrize(
    "rule",
    [
        "reject_media",
        "suspend",
        "allowlist_unlisted",
        "block_of_file_host_only",
        "suspended_account",
    ],
)
async def test_remote_domain_with_reject_media__never_fetched(
    app: Any, settings: Settings, server: FileServer, rule: str
) -> None:
    server.files["/a.png"] = Served(png())
    settings = loopback(settings)
    media_id = await remote_post_with_media(app, server, "/a.png")
    async with app.state.sessions() as s:
        if rule == "reject_media":
            s.add(DomainBlock(domain="127.0.0.1", severity="noop", reject_media=True))
        elif rule == "suspend":
            s.add(DomainBlock(domain="127.0.0.1", severity="suspend"))
        elif rule == "allowlist_unlisted":
            settings = loopback(settings, federation_mode="allowlist")
        elif rule == "suspended_account":
            media = await s.get(MediaAttachment, media_id)
            (await s.get(Account, media.account_id)).suspended_at = utcnow()
        else:  # the account's server is fine, the file lives on a rejected host
            s.add(DomainBlock(domain="localhost", severity="noop", reject_media=True))
            media = await s.get(MediaAttachment, media_id)
            media.remote_url = f"http://localhost:{server.port}/a.png"
        await s.commit()
    policy.clear_cache()
    try:
        await cache(app, settings, media_id)
    finally:
        policy.clear_cache()
    assert server.hits == []
    assert (await last_job(app)).state == "done"  # nothing to do, nothing to retry
    media = await load(app, MediaAttachment, media_id)
    assert media.file_path is None and media.processing == "remote"


async def test_remote_media__private_address__refused_without_loopback_setting(
    app: Any, settings: Settings, server: FileServer
) -> None:
    server.files["/a.png"] = Served(png())
    assert settings.federation_allow_http_loopback is False
    media_id = await remote_post_with_media(app, server, "/a.png")
    await cache(app, settings, media_id)

    job = await last_job(app)
    assert job.state == "failed" and "private or loopback" in (job.last_error or "")
    assert server.hits == []
    assert_not_cached(await load(app, MediaAttachment, media_id), server.url("/a.png"))


async def test_remote_media__redirect_to_metadata_address__refused(
    app: Any, settings: Settings, server: FileServer
) -> None:
    server.files["/a.png"] = Served(
        b"", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    settings = loopback(settings)
    media_id = await remote_post_with_media(app, server, "/a.png")
    await cache(app, settings, media_id)

    job = await last_job(app)
    assert job.state == "failed" and "private or loopback" in (job.last_error or "")
    assert_not_cached(await load(app, MediaAttachment, media_id), server.url("/a.png"))


async def test_remote_media__dripping_server__cut_at_the_request_timeout_and_retried(
    app: Any, settings: Settings, server: FileServer
) -> None:
    server.files["/slow.png"] = Served(png((100, 100)), stall_seconds=5)
    settings = loopback(settings, federation_request_timeout_seconds=0.5)
    media_id = await remote_post_with_media(app, server, "/slow.png")
    await cache(app, settings, media_id)

    job = await last_job(app)
    assert job.state == "queued" and "took longer than" in (job.last_error or "")
    assert_not_cached(await load(app, MediaAttachment, media_id), server.url("/slow.png"))


async def test_remote_media__server_error__retried_later(
    app: Any, settings: Settings, server: FileServer
) -> None:
    server.files["/a.png"] = Served(b"busy", "text/plain", status=503)
    settings = loopback(settings)
    media_id = await remote_post_with_media(app, server, "/a.png")
    await cache(app, settings, media_id)

    job = await last_job(app)
    assert job.state == "queued" and job.attempts == 1 and "503" in (job.last_error or "")
    assert_not_cached(await load(app, MediaAttachment, media_id), server.url("/a.png"))


async def test_caching_turned_off__nothing_queued(
    app: Any, settings: Settings, server: FileServer
) -> None:
    server.files["/a.png"] = Served(png())
    settings = loopback(settings, federation_cache_remote_media=False)
    media_id = await remote_post_with_media(app, server, "/a.png")
    await cache(app, settings, media_id)
    assert await last_job(app) is None and server.hits == []


# --- avatars and headers ----------------------------------------------------------------------


async def remote_account(app: Any, server: FileServer) -> int:
    async with app.state.sessions() as s:
        actor = server.url("/users/bob")
        account = Account(username="bob", username_lower="bob", domain=server.domain, uri=actor)
        s.add(account)
        await s.commit()
        return account.id


async def set_images(
    app: Any, settings: Settings, account_id: int, avatar: Any, header: Any
) -> None:
    async with app.state.sessions() as s:
        account = await s.get(Account, account_id)
        await set_remote_profile_images(s, account, avatar, header)
        await s.commit()
    await JobRunner(app.state.sessions, settings, name="t").run_until_idle()


async def test_remote_avatar_and_header__cached__rendered_from_our_copy(
    app: Any, settings: Settings, server: FileServer
) -> None:
    server.files["/avatar.png"] = Served(png((64, 64), text="secret comment"))
    server.files["/header.jpg"] = Served(jpeg((150, 50), gps=True), "image/jpeg")
    settings = loopback(settings)
    account_id = await remote_account(app, server)

    entity = render_account(settings, await load(app, Account, account_id))
    assert entity["avatar"].endswith("/static/avatar-missing.png")

    await set_images(
        app, settings, account_id, server.url("/avatar.png"), server.url("/header.jpg")
    )

    account = await load(app, Account, account_id)
    assert account.avatar_remote_url == server.url("/avatar.png")
    assert account.avatar_path and account.header_path
    store = media_storage(settings)
    assert b"secret comment" not in store.local_path(account.avatar_path).read_bytes()
    assert b"Exif" not in store.local_path(account.header_path).read_bytes()
    entity = render_account(settings, account)
    base = media_base_url(settings)
    assert entity["avatar"] == entity["avatar_static"] == f"{base}/{account.avatar_path}"
    assert entity["header"] == entity["header_static"] == f"{base}/{account.header_path}"


async def test_remote_avatar__changed__old_copy_dropped_new_one_cached(
    app: Any, settings: Settings, server: FileServer
) -> None:
    server.files["/one.png"] = Served(png((30, 30)))
    server.files["/two.png"] = Served(png((31, 31)))
    settings = loopback(settings)
    account_id = await remote_account(app, server)
    await set_images(app, settings, account_id, server.url("/one.png"), None)
    first = (await load(app, Account, account_id)).avatar_path
    await set_images(app, settings, account_id, server.url("/two.png"), None)
    account = await load(app, Account, account_id)
    assert account.avatar_path and account.avatar_path != first
    await set_images(app, settings, account_id, server.url("/two.png"), None)  # unchanged
    assert server.hits == ["/one.png", "/two.png"]


async def test_remote_avatar__over_avatar_cap_or_not_an_image__remote_url_rendered(
    app: Any, settings: Settings, server: FileServer
) -> None:
    big = png((300, 300))
    server.files["/big.png"] = Served(big + b"\0" * 1024)
    server.files["/page.png"] = Served(b"<html>" + b" " * 100, "image/png")
    settings = loopback(settings, max_avatar_bytes=len(big))
    account_id = await remote_account(app, server)
    await set_images(app, settings, account_id, server.url("/big.png"), server.url("/page.png"))

    account = await load(app, Account, account_id)
    assert account.avatar_path is None and account.header_path is None
    entity = render_account(settings, account)
    assert entity["avatar"] == server.url("/big.png")
    assert entity["header"] == server.url("/page.png")
    async with app.state.sessions() as s:
        jobs = (await s.scalars(select(Job).where(Job.kind == KIND))).all()
    assert sorted(j.state for j in jobs) == ["failed", "failed"]


async def test_cached_avatar__kept_by_orphan_sweep(
    app: Any, settings: Settings, server: FileServer
) -> None:
    from chaupal.actions.media import _orphans

    server.files["/a.png"] = Served(png())
    settings = loopback(settings)
    account_id = await remote_account(app, server)
    await set_images(app, settings, account_id, server.url("/a.png"), None)
    key = (await load(app, Account, account_id)).avatar_path
    async with app.state.sessions() as s:
        assert await _orphans(s, [key, "ab/cd/abcd" + "0" * 28 + ".png"]) == [
            "ab/cd/abcd" + "0" * 28 + ".png"
        ]


# --- wired into the incoming side -------------------------------------------------------------


async def test_remote_note_with_attachment__stored_then_cached_by_the_job(
    app: Any, settings: Settings, server: FileServer
) -> None:
    from chaupal.actions.remote_statuses import do_create_remote_status, do_edit_remote_status

    server.files["/one.png"] = Served(png((50, 20)))
    server.files["/two.png"] = Served(png((20, 50)))
    settings = loopback(settings)
    account_id = await remote_account(app, server)
    actor = server.url("/users/bob")

    def note(path: str) -> dict[str, Any]:
        return {
            "id": f"{actor}/statuses/7",
            "type": "Note",
            "attributedTo": actor,
            "content": "<p>photo</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "attachment": [{"type": "Document", "mediaType": "image/png", "url": server.url(path)}],
        }

    async with app.state.sessions() as s:
        author = await s.get(Account, account_id)
        status = await do_create_remote_status(s, settings, author, note("/one.png"))
        await s.commit()
        status_id = status.id
    await JobRunner(app.state.sessions, settings, name="t").run_until_idle()
    async with app.state.sessions() as s:
        (media,) = (
            await s.scalars(select(MediaAttachment).where(MediaAttachment.status_id == status_id))
        ).all()
    assert media.file_path and media.meta["original"]["width"] == 50

    async with app.state.sessions() as s:  # an edit with another file caches that one
        await do_edit_remote_status(
            s, settings, await s.get(Status, status_id), note("/two.png") | {"content": "<p>b</p>"}
        )
        await s.commit()
    await JobRunner(app.state.sessions, settings, name="t").run_until_idle()
    async with app.state.sessions() as s:
        (media,) = (
            await s.scalars(select(MediaAttachment).where(MediaAttachment.status_id == status_id))
        ).all()
    assert media.remote_url == server.url("/two.png") and media.meta["original"]["width"] == 20
    assert server.hits == ["/one.png", "/two.png"]


async def test_remote_actor_stored_and_updated__avatar_cached_and_replaced(
    app: Any, settings: Settings, server: FileServer
) -> None:
    from chaupal.actions.remote_accounts import do_store_remote_account, do_update_remote_profile
    from chaupal.federation.remote import ActorData

    server.files["/a1.png"] = Served(png((40, 40)))
    server.files["/a2.png"] = Served(png((41, 41)))
    settings = loopback(settings)
    actor = server.url("/users/cat")
    data = ActorData(
        uri=actor,
        username="cat",
        domain=server.domain,
        actor_type="Person",
        inbox_url=f"{actor}/inbox",
        avatar_remote_url=server.url("/a1.png"),
    )
    async with app.state.sessions() as s:
        account_id = (await do_store_remote_account(s, settings, data)).id
        await s.commit()
    await JobRunner(app.state.sessions, settings, name="t").run_until_idle()
    first = await load(app, Account, account_id)
    assert first.avatar_path and render_account(settings, first)["avatar"].endswith(
        first.avatar_path
    )
    assert render_account(settings, first)["header"].endswith("/static/header-missing.png")

    data.avatar_remote_url = server.url("/a2.png")
    async with app.state.sessions() as s:
        await do_update_remote_profile(s, await s.get(Account, account_id), data)
        await s.commit()
    assert render_account(settings, await load(app, Account, account_id))["avatar"] == (
        server.url("/a2.png")  # until the new copy is made
    )
    await JobRunner(app.state.sessions, settings, name="t").run_until_idle()
    second = await load(app, Account, account_id)
    assert second.avatar_path and second.avatar_path != first.avatar_path
    assert server.hits == ["/a1.png", "/a2.png"]
