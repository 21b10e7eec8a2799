"""Outgoing ActivityPub requests: GET a remote object (optionally signed, "authorized fetch")
and POST an activity to an inbox, through the SSRF guard (https only, public addresses, IP
pinned; loopback http only with `federation_allow_http_loopback`), with connect and whole-request
timeouts, a size cap and re-checked redirects. A fetched object must say it is ActivityStreams
and live on the origin it came from."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

import httpx

import chaupal
from chaupal.config import Settings
from chaupal.federation.hosts import InvalidHost, normalize_host, same_origin
from chaupal.federation.httpsig import sign_headers
from chaupal.lib.safe_http import Target, UnsafeTarget, pin

AS_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
AS_CONTENT_TYPE = "application/activity+json"
AS_MEDIA_TYPES = ("application/activity+json", "application/ld+json")
_REDIRECTS = (301, 302, 303, 307, 308)


class FetchError(Exception):
    """A remote request that failed or was refused. `permanent`: refused before any request
    (bad URL, SSRF guard), so retrying cannot help; `status`: the HTTP status, if one came."""

    def __init__(self, message: str, *, permanent: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.status = status


@dataclass(frozen=True)
class Signer:
    """The key our requests are signed with: a local actor's key id and private PEM."""

    key_id: str
    private_pem: str


SignerSource = Callable[[Settings], Awaitable[Signer | None]]
_signer_sources: dict[tuple[str, str], SignerSource] = {}


def set_signer_source(settings: Settings, source: SignerSource | None) -> None:
    """Who signs this app's GETs when the caller passes no signer (the instance actor, set when
    the app starts: `chaupal.federation.instance_actor.install`); None removes it. Keyed by base
    URL and database, so two apps in one process never sign with each other's key."""
    key = (settings.base_url, settings.resolved_database_url)
    if source is None:
        _signer_sources.pop(key, None)
    else:
        _signer_sources[key] = source


async def default_signer(settings: Settings) -> Signer | None:
    source = _signer_sources.get((settings.base_url, settings.resolved_database_url))
    return await source(settings) if source is not None else None


def _client(settings: Settings) -> httpx.AsyncClient:
    timeout = httpx.Timeout(
        settings.federation_request_timeout_seconds,
        connect=settings.federation_connect_timeout_seconds,
        pool=settings.federation_connect_timeout_seconds,
    )
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False, verify=_tls())


@lru_cache(maxsize=1)
def _tls() -> Any:
    """One TLS context per process: making one loads the CA bundle (~0.15 s per client)."""
    return httpx.create_ssl_context()


def _user_agent(settings: Settings) -> str:
    return f"Chaupal/{getattr(chaupal, '__version__', '0')} (+{settings.base_url}/)"


async def _target(settings: Settings, url: str) -> Target:
    try:
        normalize_host(url)  # refuses look-alike spellings (backslashes, bad labels) up front
        return await pin(
            url, allow_loopback=settings.federation_allow_http_loopback, https_only=True
        )
    except (UnsafeTarget, InvalidHost) as exc:
        raise FetchError(f"{url} refused: {exc}", permanent=True) from exc


def _headers(
    settings: Settings, method: str, url: str, body: bytes | None, signer: Signer | None
) -> dict[str, str]:
    headers = {"User-Agent": _user_agent(settings)}
    if signer is not None:
        headers |= sign_headers(method, url, body, signer.key_id, signer.private_pem)
    return headers


async def _read_capped(response: httpx.Response, url: str, limit: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchError(f"{url} is larger than {limit} bytes", permanent=True)
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise FetchError(f"{url} is larger than {limit} bytes", permanent=True)
    return bytes(body)


async def _get(
    settings: Settings, url: str, accept: str, signer: Signer | None
) -> tuple[str, str, bytes]:
    """(final URL, content type, body) of a GET, redirects followed and re-checked."""
    async with _client(settings) as client:
        for _ in range(settings.federation_max_redirects + 1):
            target = await _target(settings, url)
            headers = {"Accept": accept, **_headers(settings, "GET", url, None, signer)}
            response = await client.send(target.request(client, "GET", headers), stream=True)
            try:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code != 200:
                    raise FetchError(
                        f"{url} answered {response.status_code}", status=response.status_code
                    )
                body = await _read_capped(response, url, settings.federation_max_activity_bytes)
                return url, response.headers.get("content-type", ""), body
            finally:
                await response.aclose()
    raise FetchError(f"more than {settings.federation_max_redirects} redirects from {url}")


async def _within_limits(settings: Settings, url: str, work: Any) -> Any:
    """Run a request under the whole-request timeout; network failures become FetchError."""
    try:
        async with asyncio.timeout(settings.federation_request_timeout_seconds):
            return await work
    except TimeoutError as exc:
        raise FetchError(
            f"{url} took longer than {settings.federation_request_timeout_seconds} s"
        ) from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"request to {url} failed: {exc.__class__.__name__}") from exc


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _json(url: str, body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FetchError(f"{url} is not JSON") from exc


async def fetch_json(
    settings: Settings, url: str, *, accept: str = "application/json", signer: Signer | None = None
) -> Any:
    """The JSON document at `url` (e.g. WebFinger's JRD), fetched within the same limits; no
    content type or origin check (callers check what they need). Signed like `fetch_object`."""
    signer = signer or await default_signer(settings)
    _, _, body = await _within_limits(settings, url, _get(settings, url, accept, signer))
    return _json(url, body)


async def fetch_object(
    settings: Settings, url: str, *, signer: Signer | None = None
) -> dict[str, Any]:
    """The ActivityStreams object at `url`. Refused (FetchError) unless the answer has an
    ActivityStreams content type (so a file uploaded elsewhere cannot pass for an actor) and its
    `id` is on the same origin as the URL it finally came from (so a server cannot speak for
    another). `signer` signs the GET, for servers in authorized-fetch mode; without one, the
    app's default signer (the instance actor, see `set_signer_source`) does, if there is one."""
    signer = signer or await default_signer(settings)
    final_url, content_type, body = await _within_limits(
        settings, url, _get(settings, url, AS_ACCEPT, signer)
    )
    if media_type(content_type) not in AS_MEDIA_TYPES:
        raise FetchError(
            f"{final_url} is not ActivityStreams ({content_type or 'no content type'})"
        )
    doc = _json(final_url, body)
    if not isinstance(doc, dict):
        raise FetchError(f"{final_url} is not an ActivityStreams object")
    if not isinstance(doc.get("id"), str) or not same_origin(doc["id"], final_url):
        raise FetchError(f"the object at {final_url} claims an id on another origin")
    return doc


async def _post(settings: Settings, inbox_url: str, body: bytes, signer: Signer) -> int:
    target = await _target(settings, inbox_url)
    headers = {
        "Content-Type": AS_CONTENT_TYPE,
        "Accept": AS_ACCEPT,
        **_headers(settings, "POST", inbox_url, body, signer),
    }
    async with _client(settings) as client:
        response = await client.send(
            target.request(client, "POST", headers, content=body), stream=True
        )
        await response.aclose()  # the answer's body is not needed
        return response.status_code


async def post_activity(settings: Settings, inbox_url: str, body: bytes, signer: Signer) -> int:
    """POST a signed activity to an inbox; the HTTP status (redirects are not followed).
    Raises FetchError on refusal (`permanent`) or network failure and timeouts."""
    return await _within_limits(settings, inbox_url, _post(settings, inbox_url, body, signer))
