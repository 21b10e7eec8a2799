"""Downloading one remote media file for the cache, under the outgoing-fetch rules of federation:
https only (plain HTTP only to loopback with the test setting), no private, loopback,
link-local or metadata address, the resolved address pinned, connect and whole-download time
caps, and a size cap chosen from what the first bytes show — never from what the server says."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import BinaryIO
from urllib.parse import urljoin

import httpx

from chaupal.config import Settings
from chaupal.federation.fetch import FetchError
from chaupal.federation.hosts import InvalidHost, normalize_host
from chaupal.lib.safe_http import Target, UnsafeTarget, pin
from chaupal.media.sniff import sniff

SNIFF_BYTES = 64
_REDIRECTS = (301, 302, 303, 307, 308)


def _refused(message: str) -> FetchError:
    return FetchError(message, permanent=True)


async def _target(settings: Settings, url: str) -> Target:
    """The SSRF guard `chaupal.federation.fetch` uses: https, public addresses, IP pinned."""
    try:
        normalize_host(url)
        return await pin(
            url, allow_loopback=settings.federation_allow_http_loopback, https_only=True
        )
    except (UnsafeTarget, InvalidHost) as exc:
        raise _refused(f"{url} refused: {exc}") from None


async def download(
    settings: Settings, url: str, sink: BinaryIO, limit_for: Callable[[str], int | None]
) -> str:
    """Write the body at `url` into `sink` and return its sniffed content type.
    `limit_for(content_type)` gives the byte cap for that type, or None to refuse it: the body
    stops at the first bytes when they show an unwanted type, and at the cap when too large."""
    try:
        async with asyncio.timeout(settings.federation_request_timeout_seconds):
            return await _download(settings, url, sink, limit_for)
    except TimeoutError:
        raise FetchError(
            f"{url} took longer than {settings.federation_request_timeout_seconds:g} s",
            permanent=False,
        ) from None


async def _download(
    settings: Settings, url: str, sink: BinaryIO, limit_for: Callable[[str], int | None]
) -> str:
    timeout = httpx.Timeout(
        settings.federation_request_timeout_seconds,
        connect=settings.federation_connect_timeout_seconds,
    )
    async with httpx.AsyncClient(
        timeout=timeout, follow_redirects=False, trust_env=False
    ) as client:
        for _ in range(settings.federation_max_redirects + 1):
            target = await _target(settings, url)
            request = target.request(client, "GET", {"Accept": "image/*, video/*"})
            try:
                response = await client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise FetchError(
                    f"fetching {url} failed: {exc.__class__.__name__}", permanent=False
                ) from None
            try:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code != 200:
                    retry = response.status_code >= 500 or response.status_code in (408, 429)
                    raise FetchError(
                        f"{url} answered {response.status_code}",
                        permanent=not retry,
                        status=response.status_code,
                    )
                return await _read_body(response, url, sink, limit_for)
            except httpx.HTTPError as exc:
                raise FetchError(
                    f"fetching {url} failed: {exc.__class__.__name__}", permanent=False
                ) from None
            finally:
                await response.aclose()
    raise _refused(f"more than {settings.federation_max_redirects} redirects")


async def _read_body(
    response: httpx.Response, url: str, sink: BinaryIO, limit_for: Callable[[str], int | None]
) -> str:
    head = bytearray()
    kind: str | None = None
    limit = 0
    size = 0
    async for chunk in response.aiter_bytes():
        if kind is None:
            head += chunk
            if len(head) < SNIFF_BYTES:
                continue
            kind, limit = _decide(bytes(head), response, url, limit_for)
            chunk, head = bytes(head), bytearray()
        size += len(chunk)
        if size > limit:
            raise _refused(f"{url} is larger than {limit} bytes")
        sink.write(chunk)
    if kind is None:  # a body shorter than the sniffing window
        if not head:
            raise _refused(f"{url} is empty")
        kind, limit = _decide(bytes(head), response, url, limit_for)
        if len(head) > limit:
            raise _refused(f"{url} is larger than {limit} bytes")
        sink.write(bytes(head))
    return kind


def _decide(
    head: bytes, response: httpx.Response, url: str, limit_for: Callable[[str], int | None]
) -> tuple[str, int]:
    kind = sniff(head)
    limit = limit_for(kind) if kind is not None else None
    if kind is None or limit is None:
        raise _refused(f"{url} is not a supported media file (by its content)")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _refused(f"{url} is larger than {limit} bytes")
    return kind, limit
