"""RFC 9421 HTTP Message Signatures as Mastodon 4.4+ accepts them: one signature,
rsa-v1_5-sha256, `created` required, covering `@method`, `@target-uri` (or `@path` with the
authority) and, for a body, a matching `content-digest` (RFC 9530)."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

from chaupal.config import Settings
from chaupal.federation import sfv
from chaupal.federation.hosts import normalize_host
from chaupal.federation.httpsig_common import (
    DIGESTS,
    KeyResolver,
    SignatureError,
    check_time,
    request_target,
    rsa_sign,
    verify_with_refresh,
)

ALGORITHM = "rsa-v1_5-sha256"


def content_digest_header(body: bytes) -> str:
    """`Content-Digest:` value (RFC 9530) of a body: `sha-256=:<base64>:`."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def _check_content_digest(value: str, body: bytes) -> None:
    try:
        entries = sfv.parse_dictionary(value)
    except sfv.SFError as exc:
        raise SignatureError("Content-Digest is malformed") from exc
    checked = False
    for name, entry in entries.items():
        algorithm = DIGESTS.get(name)
        if algorithm is None:
            continue
        if not isinstance(entry, sfv.Item) or not isinstance(entry.value, bytes):
            raise SignatureError("Content-Digest is malformed")
        if entry.value != algorithm(body).digest():
            raise SignatureError("Content-Digest does not match the body")
        checked = True
    if not checked:
        raise SignatureError("Content-Digest has no SHA-256 or SHA-512 value")


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
    host, path_qs = request_target(url)
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
        "alg": ALGORITHM,
    }
    inner = sfv.InnerList([sfv.Item(n) for n in names], params)
    target = f"{urlsplit(url).scheme.lower()}://{host}{path_qs}"
    request = _Request(method, target, {k.lower(): v for k, v in headers.items()})
    base = _signature_base(request, inner)
    signature = base64.b64encode(rsa_sign(private_pem, base.encode())).decode("ascii")
    headers["Signature-Input"] = f"sig1={sfv.serialize_inner_list(inner)}"
    headers["Signature"] = f"sig1=:{signature}:"
    return headers


class _Request:
    def __init__(self, method: str, url: str, headers: dict[str, str]) -> None:
        self.method = method.upper()
        self.url = url
        self.headers = headers


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


async def verify(
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
    alg = inner.params.get("alg", ALGORITHM)
    if alg != ALGORITHM:
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
    check_time(settings, created, now, "created")
    expires = inner.params.get("expires")
    if isinstance(expires, int) and expires < now:
        raise SignatureError("the signature has expired")
    if "content-digest" in names:
        _check_content_digest(headers.get("content-digest", ""), body)
    scheme = urlsplit(settings.base_url).scheme or "https"
    request = _Request(method, f"{scheme}://{headers.get('host', '')}{path_qs}", headers)
    base = _signature_base(request, inner)
    await verify_with_refresh(key_id, signed.value, base.encode(), resolve_key, refresh_key)
    return key_id
