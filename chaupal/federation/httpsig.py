"""HTTP signatures as Mastodon uses them: we sign with draft-cavage (`Signature:` over
`(request-target) host date [digest]`, rsa-sha256); we verify draft-cavage (rsa-sha256 and
hs2019) and RFC 9421 HTTP Message Signatures (rsa-v1_5-sha256), requiring the signature to
cover the target, the host, a fresh date and, for a body, a matching digest."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from chaupal.config import Settings
from chaupal.federation import sfv
from chaupal.federation.hosts import InvalidHost, normalize_host

KeyResolver = Callable[[str], Awaitable[str | None]]

CAVAGE_HEADERS = ("(request-target)", "host", "date")
CAVAGE_ALGORITHMS = ("rsa-sha256", "hs2019")
RFC9421_ALGORITHM = "rsa-v1_5-sha256"
_DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
_CAVAGE_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^,"\s]*))\s*(?:,|$)')


class SignatureError(Exception):
    """The request's signature is missing, malformed, stale, incomplete or wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- keys -------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("only RSA keys sign")
    return key


@lru_cache(maxsize=4096)
def _public_key(pem: str) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError as exc:
        raise SignatureError("the signer's public key is unreadable") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("only RSA keys are accepted")
    return key


def _rsa_sign(private_pem: str, data: bytes) -> bytes:
    return _private_key(private_pem).sign(data, padding.PKCS1v15(), hashes.SHA256())


def _rsa_verify(public_pem: str, signature: bytes, data: bytes) -> bool:
    try:
        _public_key(public_pem).verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


# --- digests ----------------------------------------------------------------------------


def digest_header(body: bytes) -> str:
    """`Digest:` value (RFC 3230) of a body: `SHA-256=<base64>`."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes) -> str:
    """`Content-Digest:` value (RFC 9530) of a body: `sha-256=:<base64>:`."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def _check_digest(value: str, body: bytes) -> None:
    """Every SHA-256/512 entry of a `Digest:` header matches the body; SHA-256 must be there."""
    seen = False
    for part in value.split(","):
        name, _, encoded = part.strip().partition("=")
        algorithm = _DIGESTS.get(name.strip().lower())
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


def _check_content_digest(value: str, body: bytes) -> None:
    try:
        entries = sfv.parse_dictionary(value)
    except sfv.SFError as exc:
        raise SignatureError("Content-Digest is malformed") from exc
    checked = False
    for name, entry in entries.items():
        algorithm = _DIGESTS.get(name)
        if algorithm is None:
            continue
        if not isinstance(entry, sfv.Item) or not isinstance(entry.value, bytes):
            raise SignatureError("Content-Digest is malformed")
        if entry.value != algorithm(body).digest():
            raise SignatureError("Content-Digest does not match the body")
        checked = True
    if not checked:
        raise SignatureError("Content-Digest has no SHA-256 or SHA-512 value")


# --- signing ----------------------------------------------------------------------------


def _target(url: str) -> tuple[str, str]:
    """(Host header value, path with query) of an absolute URL."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return normalize_host(url), path + (f"?{parts.query}" if parts.query else "")


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
    host, path_qs = _target(url)
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
    signature = base64.b64encode(_rsa_sign(private_pem, "\n".join(lines).encode())).decode("ascii")
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",signature="{signature}"'
    )
    return headers


def sign_headers_rfc9421(
    method: str,
    url: str,
    body: bytes | None,
    key_id: str,
    private_pem: str,
    *,
    now: float | None = None,
    components: Sequence[str] | None = None,
) -> dict[str, str]:
    """RFC 9421 headers (`Signature-Input`, `Signature`, `Content-Digest` for a body) as Mastodon
    4.4+ accepts them. We send draft-cavage; this exists for tests and peers that want 9421."""
    host, path_qs = _target(url)
    headers = {"Host": host}
    if body:
        headers["Content-Digest"] = content_digest_header(body)
    names = (
        list(components)
        if components is not None
        else ["@method", "@target-uri", *(["content-digest"] if body else [])]
    )
    params: sfv.Params = {
        "created": int(time.time() if now is None else now),
        "keyid": key_id,
        "alg": RFC9421_ALGORITHM,
    }
    inner = sfv.InnerList([sfv.Item(n) for n in names], params)
    target = f"{urlsplit(url).scheme.lower()}://{host}{path_qs}"
    request = _Request(method, target, {k.lower(): v for k, v in headers.items()})
    base = _signature_base(request, inner)
    signature = base64.b64encode(_rsa_sign(private_pem, base.encode())).decode("ascii")
    headers["Signature-Input"] = f"sig1={sfv.serialize_inner_list(inner)}"
    headers["Signature"] = f"sig1=:{signature}:"
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


class _Request:
    def __init__(self, method: str, url: str, headers: dict[str, str]) -> None:
        self.method = method.upper()
        self.url = url
        self.headers = headers


def _check_time(settings: Settings, moment: float, now: float, what: str) -> None:
    if moment > now + settings.federation_signature_skew_seconds:
        raise SignatureError(f"{what} is too far in the future")
    if moment < now - settings.federation_signature_max_age_seconds:
        raise SignatureError(f"{what} is too old (a replayed request?)")


def _check_host(headers: dict[str, str], expected_host: str | None) -> None:
    if expected_host is None:
        return
    try:
        if normalize_host(headers.get("host", "")) == normalize_host(expected_host):
            return
    except InvalidHost:
        pass
    raise SignatureError("the request was signed for another host")


async def _public_pem(key_id: str, resolve_key: KeyResolver) -> str:
    pem = await resolve_key(key_id)
    if not pem:
        raise SignatureError(f"no public key for {key_id}")
    return pem


async def _verify_with_refresh(
    key_id: str,
    signature: bytes,
    data: bytes,
    resolve_key: KeyResolver,
    refresh_key: KeyResolver | None,
) -> None:
    if _rsa_verify(await _public_pem(key_id, resolve_key), signature, data):
        return
    # The actor may have rotated its key: one fresh look from its origin, then give up.
    if refresh_key is not None and _rsa_verify(
        await _public_pem(key_id, refresh_key), signature, data
    ):
        return
    raise SignatureError("signature does not verify")


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
        _check_time(settings, date.timestamp(), now, "Date")
    if "(created)" in names:
        _check_time(settings, int(params["created"]), now, "created")
    if "(expires)" in names and int(params["expires"]) < now:
        raise SignatureError("the signature has expired")
    if "digest" in names:
        _check_digest(headers.get("digest", ""), body)
    try:
        signature = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise SignatureError("signature is not base64") from exc
    await _verify_with_refresh(
        key_id, signature, "\n".join(lines).encode(), resolve_key, refresh_key
    )
    return key_id


def _component(request: _Request, name: str) -> str:
    parts = urlsplit(request.url)
    if name == "@method":
        return request.method
    if name == "@target-uri":
        return request.url
    if name == "@authority":
        return normalize_host(request.url)
    if name == "@scheme":
        return parts.scheme.lower()
    if name == "@path":
        return parts.path or "/"
    if name == "@query":
        return f"?{parts.query}"
    if name == "@request-target":
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if name.startswith("@"):
        raise SignatureError(f"unsupported component {name}")
    if name not in request.headers:
        raise SignatureError(f"signed header {name} is missing")
    return request.headers[name]


def _signature_base(request: _Request, inner: sfv.InnerList) -> str:
    lines = []
    for item in inner.items:
        if not isinstance(item.value, str) or isinstance(item.value, sfv.Token) or item.params:
            raise SignatureError("unsupported component in Signature-Input")
        if item.value != item.value.lower():
            raise SignatureError("component names must be lower case")
        lines.append(f'"{item.value}": {_component(request, item.value)}')
    lines.append(f'"@signature-params": {sfv.serialize_inner_list(inner)}')
    return "\n".join(lines)


async def _verify_rfc9421(
    settings: Settings,
    method: str,
    path_qs: str,
    headers: dict[str, str],
    body: bytes,
    resolve_key: KeyResolver,
    refresh_key: KeyResolver | None,
    now: float,
) -> str:
    try:
        inputs = sfv.parse_dictionary(headers["signature-input"])
        signatures = sfv.parse_dictionary(headers.get("signature", ""))
    except sfv.SFError as exc:
        raise SignatureError(f"Signature-Input or Signature is malformed: {exc}") from exc
    if len(inputs) != 1:
        raise SignatureError("exactly one signature is supported")
    label, inner = next(iter(inputs.items()))
    signed = signatures.get(label)
    if not isinstance(inner, sfv.InnerList) or not isinstance(signed, sfv.Item):
        raise SignatureError("Signature-Input or Signature is malformed")
    if not isinstance(signed.value, bytes):
        raise SignatureError("Signature is not a byte sequence")
    key_id, created = inner.params.get("keyid"), inner.params.get("created")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError("Signature-Input lacks keyid")
    if not isinstance(created, int) or isinstance(created, bool):
        raise SignatureError("Signature-Input lacks created")
    alg = inner.params.get("alg", RFC9421_ALGORITHM)
    if alg != RFC9421_ALGORITHM:
        raise SignatureError(f"unsupported signature algorithm {alg}")
    names = [item.value for item in inner.items]
    if "@method" not in names:
        raise SignatureError("the signature must cover @method")
    if "@target-uri" not in names and not (
        "@path" in names and ("@authority" in names or "host" in names)
    ):
        raise SignatureError("the signature must cover @target-uri (or @path and @authority)")
    if body and "content-digest" not in names:
        raise SignatureError("the signature must cover content-digest")
    _check_time(settings, created, now, "created")
    expires = inner.params.get("expires")
    if isinstance(expires, int) and expires < now:
        raise SignatureError("the signature has expired")
    if "content-digest" in names:
        _check_content_digest(headers.get("content-digest", ""), body)
    scheme = urlsplit(settings.base_url).scheme or "https"
    request = _Request(method, f"{scheme}://{headers.get('host', '')}{path_qs}", headers)
    base = _signature_base(request, inner)
    await _verify_with_refresh(key_id, signed.value, base.encode(), resolve_key, refresh_key)
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
    verify: Any = _verify_rfc9421 if "signature-input" in table else _verify_cavage
    if (
        verify is _verify_cavage
        and "signature" not in table
        and not table.get("authorization", "").lower().startswith("signature ")
    ):
        raise SignatureError("the request is not signed")
    return await verify(settings, method, path_qs, table, body, resolve_key, refresh_key, clock)
