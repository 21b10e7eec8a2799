"""Signed GETs of our ActivityStreams documents ("authorized fetch", Mastodon's secure mode).

A GET carrying an HTTP signature (draft-cavage `Signature`, or RFC 9421 `Signature-Input`) is
verified like an inbox POST — the key resolved from the database, else fetched from the key's
own origin — and answered 401 when it does not verify. The signer's domain goes through the
operator's policy: a suspended or (in allow-list mode) non-allowed domain gets 403, before its
key is even fetched. With `federation_authorized_fetch` — implied by `federation_mode =
allowlist` — an unsigned GET of an ActivityStreams document gets 401 (browsers asking for HTML
still get their redirect). WebFinger, host-meta, NodeInfo and the instance actor (`/actor`)
are never checked: other servers need them to find our keys in the first place. The verified
key id is kept on the request (`signed_key_id`): a post's routes serve a followers-only post to
a signer that follows its author."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request

from chaupal.api.federation.common import wants_activity_json
from chaupal.config import Settings
from chaupal.errors import ApiError
from chaupal.federation import httpsig, policy
from chaupal.federation.hosts import InvalidHost, normalize_host


class _Refused(Exception):
    pass


def secure_mode(settings: Settings) -> bool:
    return settings.federation_authorized_fetch or settings.federation_mode == "allowlist"


def is_signed(request: Request) -> bool:
    headers = request.headers
    return (
        "signature" in headers
        or "signature-input" in headers
        or headers.get("authorization", "").lower().startswith("signature ")
    )


def _policy_guard(state: Any, settings: Settings, inner: Any) -> Any:
    """`inner` key resolver, asked only for keys on a domain we federate with."""

    async def resolve(key_id: str) -> str | None:
        try:
            domain = normalize_host(key_id)
        except (InvalidHost, ValueError):
            return None
        if domain == normalize_host(settings.domain):
            return None  # our own keys never sign requests to us
        async with state.read_sessions() as session:
            if not await policy.is_allowed(session, settings, domain):
                raise _Refused
        result: str | None = await inner(key_id)
        return result

    return resolve


async def verify_get(request: Request, settings: Settings, *, negotiated: bool) -> str | None:
    """The verified key id of a signed GET, None for an accepted unsigned one; ApiError 401/403
    otherwise. `negotiated`: the route also serves browsers (HTML redirect) when they don't ask
    for ActivityStreams, and those are never refused."""
    if not settings.federation_enabled:
        return None
    if not is_signed(request):
        if secure_mode(settings) and (not negotiated or wants_activity_json(request)):
            raise ApiError(401, "Request not signed")
        return None
    from chaupal.federation.inbox import key_resolvers

    state = request.app.state
    resolve, refresh = key_resolvers(state, settings)
    path_qs = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    try:
        return await httpsig.verify_request(
            settings,
            request.method,
            path_qs,
            request.headers,
            b"",
            _policy_guard(state, settings, resolve),
            refresh_key=_policy_guard(state, settings, refresh),
            expected_host=settings.domain,
        )
    except _Refused:
        raise ApiError(403, "This server does not federate with your domain") from None
    except httpsig.SignatureError as exc:
        raise ApiError(401, f"Signature verification failed: {exc.message}") from None


async def _strict(request: Request) -> None:
    request.state.signed_key_id = await verify_get(request, request.app.state.settings, negotiated=False)


async def _negotiated(request: Request) -> None:
    request.state.signed_key_id = await verify_get(request, request.app.state.settings, negotiated=True)


def signed_key_id(request: Request) -> str | None:
    """The key id a route's signed-fetch dependency verified, None for an unsigned GET."""
    return getattr(request.state, "signed_key_id", None)


# Route dependencies: documents that are always ActivityStreams, and those that send browsers
# to a page instead.
SIGNED_FETCH = Depends(_strict)
SIGNED_FETCH_NEGOTIATED = Depends(_negotiated)
