"""rel="me" links (Mastodon's profile-link verification): fetch a page with outgoing-fetch
limits (timeout, size, redirects, no private addresses) and find `<a rel="me">` or
`<link rel="me">` pointing back at a profile."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from chaupal.config import Settings
from chaupal.lib.safe_http import UnsafeTarget, is_public_address, pin

__all__ = ["FetchRefused", "fetch_page", "is_public_address", "links_back", "rel_me_links"]


class FetchRefused(Exception):
    """The URL may not be fetched (scheme, private address, too large, failed)."""


class _RelMeParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("a", "link"):
            return
        values = dict(attrs)
        rels = (values.get("rel") or "").lower().split()
        if "me" in rels and values.get("href"):
            self.links.append(values["href"] or "")


def rel_me_links(html: str, base_url: str = "") -> list[str]:
    """Absolute targets of every `rel="me"` anchor or link element in the page."""
    parser = _RelMeParser()
    parser.feed(html)
    parser.close()
    return [urljoin(base_url, href.strip()) for href in parser.links]


def normalize_url(url: str) -> str:
    """Scheme and host lower-cased, default port and trailing slash dropped, fragment removed."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    netloc = host if port in (None, default) else f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), parts.query, ""))


def links_back(html: str, page_url: str, targets: list[str]) -> bool:
    wanted = {normalize_url(t) for t in targets}
    return any(normalize_url(link) in wanted for link in rel_me_links(html, page_url))


async def fetch_page(settings: Settings, url: str) -> tuple[str, str]:
    """(final URL, text) of an http(s) page, within `fetch_timeout_seconds`, `fetch_max_bytes`
    and `fetch_max_redirects`."""
    async with httpx.AsyncClient(
        timeout=settings.fetch_timeout_seconds, follow_redirects=False, trust_env=False
    ) as client:
        for _ in range(settings.fetch_max_redirects + 1):
            try:
                target = await pin(url, allow_private=settings.fetch_allow_private)
            except UnsafeTarget as exc:
                raise FetchRefused(str(exc)) from exc
            request = target.request(client, "GET", {"Accept": "text/html"})
            try:
                response = await client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise FetchRefused(f"fetching {url} failed: {exc.__class__.__name__}") from exc
            try:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code != 200:
                    raise FetchRefused(f"{url} answered {response.status_code}")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > settings.fetch_max_bytes:
                        raise FetchRefused(f"{url} is larger than {settings.fetch_max_bytes} bytes")
                return url, body.decode(response.encoding or "utf-8", errors="replace")
            except httpx.HTTPError as exc:
                raise FetchRefused(f"fetching {url} failed: {exc.__class__.__name__}") from exc
            finally:
                await response.aclose()
    raise FetchRefused(f"more than {settings.fetch_max_redirects} redirects")
