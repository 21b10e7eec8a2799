"""HTTP signatures as Mastodon uses them: we sign with draft-cavage (`Signature:` over
`(request-target) host date [digest]`, rsa-sha256); we verify draft-cavage (rsa-sha256 and
hs2019) and RFC 9421 (httpsig_rfc9421.py), requiring the signature to cover the target, the
host, a fresh date and, for a body, a matching digest."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from chaupal.config import Settings
from chaupal.federation import httpsig_rfc9421
from chaupal.federation.hosts import InvalidHost, normalize_host
from chaupal.federation.httpsig_common import (
    DIGESTS,
    KeyResolver,
    SignatureError,
    check_time,
    request_target,
    rsa_sign,
    verify_with_refresh,
)

__all__ = ["KeyResolver", "SignatureError", "digest_header", "sign_headers", "verify_request"]

CAVAGE_HEADERS = ("(request-target)", "host", "date")
CAVAGE_ALGORITHMS = ("rsa-sha256", "hs2019")
_CAVAGE_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^,"\s]*))\s*(?:,|$)')


def digest_header(body: bytes) -> str:
    """`Digest:` value (RFC 3230) of a body: `SHA-256=<base64>`."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def _check_digest(value: str, body: bytes) -> None:
    """Every SHA-256/512 entry of a `Digest:` header matches the body; SHA-256 must be there."""
    seen = False
    for part in value.split(","):
        name, _, encoded = part.strip().partition("=")
        algorithm = DIGESTS.get(name.strip().lower())
        if algorithm is None:
            continue
        try:
            claimed = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error as exc:
            raise SignatureError("Digest is not base64") from exc
        if claimed != algorithm(body).digest():
            raise SignatureError("Digest does not match the body")
        seen |= name.strip().lower() == "sha-256"
    if not seen:
        raise SignatureError("Digest has no SHA-256 value")


# --- signing ----------------------------------------------------------------------------


def http_date(when: float | None = None) -> str:
    moment = datetime.fromtimestamp(time.time() if when is None else when, UTC)
    return format_datetime(moment, usegmt=True)


def sign_headers(
    method: str,
    url: str,
    body: bytes | None,
    key_id: str,
    private_pem: str,
    *,
    now: float | None = None,
    covered: Sequence[str] | None = None,
) -> dict[str, str]:
    """Headers to add to a request so that it is signed the way Mastodon signs: `Host`, `Date`,
    `Digest` (when there is a body) and `Signature` over `(request-target) host date [digest]`.
    `covered` overrides the signed header list (tests use it to build bad signatures)."""
    host, path_qs = request_target(url)
    headers = {"Host": host, "Date": http_date(now)}
    if body:
        headers["Digest"] = digest_header(body)
    names = (
        list(covered) if covered is not None else [*CAVAGE_HEADERS, *(["digest"] if body else [])]
    )
    lowered = {k.lower(): v for k, v in headers.items()}
    lines = []
    for name in names:
        value = f"{method.lower()} {path_qs}" if name == "(request-target)" else lowered[name]
        lines.append(f"{name}: {value}")
    signature = base64.b64encode(rsa_sign(private_pem, "\n".join(lines).encode())).decode("ascii")
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",signature="{signature}"'
    )
    return headers


# --- verifying --------------------------------------------------------------------------


def _header_map(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """Lower-cased names; repeated headers joined with ", " as HTTP allows."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    if hasattr(headers, "multi_items"):  # Starlette Headers: every value, not just the first
        items = headers.multi_items()  # type: ignore[union-attr]
    out: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        out[key] = f"{out[key]}, {value.strip()}" if key in out else value.strip()
    return out


def _check_host(headers: dict[str, str], expected_host: str | None) -> None:
    if expected_host is None:
        return
    try:
        if normalize_host(headers.get("host", "")) == normalize_host(expected_host):
            return
    except InvalidHost:
        pass
    raise SignatureError("the request was signed for another host")


def _parse_cavage(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    pos = 0
    value = value.strip()
    while pos < len(value):
        m = _CAVAGE_PARAM.match(value, pos)
        if not m or m.end() == pos:
            raise SignatureError("Signature header is malformed")
        name = m.group(1)
        if name in params:
            raise SignatureError(f"Signature header repeats {name}")
        params[name] = m.group(2) if m.group(2) is not None else m.group(3)
        pos = m.end()
    return params


async def _verify_cavage(
    settings: Settings,
    method: str,
    path_qs: str,
    headers: dict[str, str],
    body: bytes,
    resolve_key: KeyResolver,
    refresh_key: KeyResolver | None,
    now: float,
) -> str:
    raw = headers.get("signature") or ""
    if not raw and headers.get("authorization", "").lower().startswith("signature "):
        raw = headers["authorization"][len("signature ") :]
    params = _parse_cavage(raw)
    key_id, encoded = params.get("keyId"), params.get("signature")
    if not key_id or not encoded:
        raise SignatureError("Signature header lacks keyId or signature")
    algorithm = (params.get("algorithm") or "rsa-sha256").lower()
    if algorithm not in CAVAGE_ALGORITHMS:
        raise SignatureError(f"unsupported signature algorithm {algorithm}")
    names = (params.get("headers") or "date").lower().split()
    if len(set(names)) != len(names):
        raise SignatureError("a header is signed twice")
    if "(request-target)" not in names:
        raise SignatureError("the signature must cover (request-target)")
    if "host" not in names:
        raise SignatureError("the signature must cover host")
    if "date" not in names and "(created)" not in names:
        raise SignatureError("the signature must cover date")
    if body and "digest" not in names:
        raise SignatureError("the signature must cover digest")
    lines = []
    for name in names:
        if name == "(request-target)":
            value = f"{method.lower()} {path_qs}"
        elif name in ("(created)", "(expires)"):
            value = params.get(name[1:-1], "")
            if not value.isdigit():
                raise SignatureError(f"{name} is signed but missing")
        elif name in headers:
            value = headers[name]
        else:
            raise SignatureError(f"signed header {name} is missing")
        lines.append(f"{name}: {value}")
    if "date" in names:
        try:
            date = parsedate_to_datetime(headers["date"])
        except (TypeError, ValueError) as exc:
            raise SignatureError("Date is not an HTTP date") from exc
        if date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
        check_time(settings, date.timestamp(), now, "Date")
    if "(created)" in names:
        check_time(settings, int(params["created"]), now, "created")
    if "(expires)" in names and int(params["expires"]) < now:
        raise SignatureError("the signature has expired")
    if "digest" in names:
        _check_digest(headers.get("digest", ""), body)
    try:
        signature = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise SignatureError("signature is not base64") from exc
    await verify_with_refresh(
        key_id, signature, "\n".join(lines).encode(), resolve_key, refresh_key
    )
    return key_id


async def verify_request(
    settings: Settings,
    method: str,
    path_qs: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes | None,
    resolve_key: KeyResolver,
    *,
    refresh_key: KeyResolver | None = None,
    expected_host: str | None = None,
    now: float | None = None,
) -> str:
    """The key id that signed this incoming request, or SignatureError. `resolve_key(key_id)`
    gives the signer's public PEM (None when unknown); `refresh_key`, if given, is asked once
    more (a fresh fetch from the origin) when the cached key does not verify. `expected_host`
    (our own host) refuses a signature made for another server. RFC 9421 is used when the
    request carries `Signature-Input`, draft-cavage otherwise."""
    table = _header_map(headers)
    clock = time.time() if now is None else now
    if "host" not in table:
        raise SignatureError("the request has no Host header")
    _check_host(table, expected_host)
    body = body or b""
    if "signature-input" in table:
        return await httpsig_rfc9421.verify(
            settings, method, path_qs, table, body, resolve_key, refresh_key, clock
        )
    if "signature" not in table and not table.get("authorization", "").lower().startswith(
        "signature "
    ):
        raise SignatureError("the request is not signed")
    return await _verify_cavage(
        settings, method, path_qs, table, body, resolve_key, refresh_key, clock
    )
