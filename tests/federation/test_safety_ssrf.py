"""Safety 8 (server-side request forgery through ActivityPub fetches): private, loopback,
link-local and cloud-metadata addresses are refused (directly, through DNS, or through a
redirect); the loopback test switch allows loopback only; the name is resolved once and the
connection goes to that address; a slow-dripping server is cut off by the whole-request timeout,
a silent one by the connect timeout, and a huge body by the size cap."""

from __future__ import annotations

import gzip
import socket
from collections.abc import Iterator

import pytest

from chaupal.config import Settings
from chaupal.federation.fetch import FetchError, Signer, fetch_object, post_activity
from chaupal.lib import safe_http
from tests.federation.fake_remote import FakeRemote, dripping, endless

PRIVATE_URLS = [
    "https://10.0.0.1/users/a",
    "https://192.168.1.1/users/a",
    "https://172.16.0.1/users/a",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata (IPv4)
    "http://[fd00:ec2::254]/latest/meta-data/",  # cloud metadata (IPv6, AWS)
    "http://[::ffff:169.254.169.254]/",  # IPv4-mapped
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of the metadata address
    "http://[2002:a9fe:a9fe::1]/",  # 6to4 of the metadata address
    "https://100.64.0.1/",  # carrier-grade NAT
    "https://224.0.0.1/",  # multicast
    "https://0.0.0.0/",
    "https://[fe80::1]/",  # link-local
]
LOOPBACK_URLS = [
    "http://127.0.0.1:9/users/a",
    "https://127.0.0.2/users/a",
    "http://[::1]:9/users/a",
    "http://localhost:9/x",
]


@pytest.fixture
def cfg(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, domain="chaupal.test", https=True, secret_key="t")


@pytest.fixture
def dns(monkeypatch) -> Iterator[dict[str, list[list[str]]]]:
    """Names → successive DNS answers (the last one repeats); every lookup is counted."""
    answers: dict[str, list[list[str]]] = {}
    lookups: list[str] = []
    real = safe_http.getaddrinfo

    async def fake(host: str, port: int) -> list[str]:
        lookups.append(host)
        if host not in answers:
            return await real(host, port)
        queue = answers[host]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    monkeypatch.setattr(safe_http, "getaddrinfo", fake)
    answers["__lookups__"] = lookups  # type: ignore[assignment]
    yield answers


@pytest.mark.parametrize("url", PRIVATE_URLS + LOOPBACK_URLS)
async def test_private_loopback_and_metadata_addresses__refused(cfg, url):
    with pytest.raises(FetchError, match="private or loopback") as refused:
        await fetch_object(cfg, url)
    assert refused.value.permanent


@pytest.mark.parametrize("url", PRIVATE_URLS)
async def test_loopback_switch__does_not_open_private_addresses(cfg, url):
    cfg.federation_allow_http_loopback = True
    with pytest.raises(FetchError, match="private or loopback"):
        await fetch_object(cfg, url)
    with pytest.raises(FetchError, match="private or loopback"):
        await post_activity(cfg, url, b"{}", Signer("k", "unused"))


async def test_loopback_switch__allows_loopback_only(cfg, dns):
    async with FakeRemote() as remote:
        remote.json("/users/eve", {"id": f"{remote.base}/users/eve", "type": "Person"})
        with pytest.raises(FetchError, match="private or loopback"):
            await fetch_object(cfg, f"{remote.base}/users/eve")
        assert remote.requests == []
        cfg.federation_allow_http_loopback = True
        assert (await fetch_object(cfg, f"{remote.base}/users/eve"))["type"] == "Person"

    # Plain http stays refused for a public address, and so does a name whose answers mix
    # loopback and public (or private) addresses.
    dns["public.test"] = [["93.184.216.34"]]
    dns["mixed.test"] = [["127.0.0.1", "93.184.216.34"]]
    dns["mixed-private.test"] = [["127.0.0.1", "10.0.0.7"]]
    with pytest.raises(FetchError, match="only https") as refused:
        await fetch_object(cfg, "http://public.test/users/a")
    assert refused.value.permanent
    for host in ("mixed.test", "mixed-private.test"):
        with pytest.raises(FetchError, match="private or loopback"):
            await fetch_object(cfg, f"http://{host}/users/a")


async def test_names_resolving_to_private_addresses__refused(cfg, dns):
    dns["internal.test"] = [["10.1.2.3"]]
    dns["metadata.test"] = [["169.254.169.254"]]
    dns["v6.test"] = [["2001:4860:4860::8888", "fd00:ec2::254"]]
    for host in ("internal.test", "metadata.test", "v6.test"):
        with pytest.raises(FetchError, match="private or loopback"):
            await fetch_object(cfg, f"https://{host}/users/a")


async def test_resolved_once_and_connection_pinned_to_that_address(cfg, dns):
    """DNS rebinding: the first answer is loopback (allowed in test mode), every later one a
    private address. One lookup happens and the request goes to the first answer."""
    cfg.federation_allow_http_loopback = True
    dns["rebind.test"] = [["127.0.0.1"], ["10.0.0.1"]]
    async with FakeRemote() as remote:
        url = f"http://rebind.test:{remote.port}/users/eve"
        remote.json("/users/eve", {"id": url, "type": "Person"})
        assert (await fetch_object(cfg, url))["id"] == url
    assert dns["__lookups__"] == ["rebind.test"]
    assert remote.requests[0].headers["host"] == f"rebind.test:{remote.port}"


async def test_redirect_to_private_address__refused_each_hop_checked(cfg, dns):
    cfg.federation_allow_http_loopback = True
    dns["metadata.test"] = [["169.254.169.254"]]
    async with FakeRemote() as remote:
        remote.redirect("/users/a", "http://169.254.169.254/latest/meta-data/")
        remote.redirect("/users/b", "http://metadata.test/latest/meta-data/")
        for path in ("/users/a", "/users/b"):
            with pytest.raises(FetchError, match="private or loopback"):
                await fetch_object(cfg, f"{remote.base}{path}")


async def test_redirects__capped(cfg):
    cfg.federation_allow_http_loopback = True
    cfg.federation_max_redirects = 1
    async with FakeRemote() as remote:
        remote.redirect("/a", "/b")
        remote.redirect("/b", "/c")
        remote.json("/c", {"id": f"{remote.base}/c", "type": "Note"})
        with pytest.raises(FetchError, match="more than 1 redirects"):
            await fetch_object(cfg, f"{remote.base}/a")
        cfg.federation_max_redirects = 2
        assert (await fetch_object(cfg, f"{remote.base}/a"))["type"] == "Note"


async def test_dripping_server__cut_off_by_the_whole_request_timeout(cfg):
    cfg.federation_allow_http_loopback = True
    cfg.federation_request_timeout_seconds = 0.5
    async with FakeRemote() as remote:
        # Each byte arrives well within any per-read timeout; only the total cap stops it.
        remote.routes["/users/slow"] = dripping(total_bytes=2000, every=0.02)
        with pytest.raises(FetchError, match="took longer than 0.5 s"):
            await fetch_object(cfg, f"{remote.base}/users/slow")
        with pytest.raises(FetchError, match="took longer than 0.5 s"):
            await post_activity(cfg, f"{remote.base}/users/slow", b"{}", Signer("k", _pem()))


async def test_silent_server__cut_off_by_the_connect_timeout(cfg):
    """A listening socket whose accept queue is full: the handshake never completes."""
    cfg.federation_allow_http_loopback = True
    cfg.federation_connect_timeout_seconds = 0.2
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    try:
        with pytest.raises(FetchError, match="ConnectTimeout") as failed:
            await fetch_object(cfg, f"http://127.0.0.1:{port}/users/a")
        assert not failed.value.permanent  # a network failure: worth retrying later
    finally:
        for s in (*fillers, server):
            s.close()


async def test_huge_body__reading_stops_at_the_size_cap(cfg):
    cfg.federation_allow_http_loopback = True
    cfg.federation_max_activity_bytes = 10_000
    async with FakeRemote() as remote:
        remote.routes["/endless"] = endless()
        with pytest.raises(FetchError, match="larger than 10000 bytes"):
            await fetch_object(cfg, f"{remote.base}/endless")
        remote.json("/declared", {"id": f"{remote.base}/declared", "pad": "x" * 20_000})
        with pytest.raises(FetchError, match="larger than 10000 bytes"):
            await fetch_object(cfg, f"{remote.base}/declared")
        # A compression bomb: ~5 KB on the wire, 5 MB once inflated; the cap counts inflated bytes.
        bomb = gzip.compress(b" " * 5_000_000)
        assert len(bomb) < 10_000  # passes the Content-Length check: the streaming cap stops it
        remote.routes["/bomb"] = (
            200,
            {"Content-Type": "application/activity+json", "Content-Encoding": "gzip"},
            bomb,
        )
        with pytest.raises(FetchError, match="larger than 10000 bytes"):
            await fetch_object(cfg, f"{remote.base}/bomb")


_KEY: list[str] = []


def _pem() -> str:
    if not _KEY:
        from chaupal.federation.keys import generate_keypair

        _KEY.append(generate_keypair()[0])
    return _KEY[0]
