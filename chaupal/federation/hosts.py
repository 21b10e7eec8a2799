"""Host names and origins of remote servers, in one canonical spelling, so that `Example.COM.`,
`user@example.com:443` and `example.com` are the same server and a look-alike is not
(Mastodon CVE-2023-42451 came from comparing hosts spelled differently)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

import idna

DEFAULT_PORTS = {"https": 443, "http": 80}
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")


class InvalidHost(ValueError):
    """Not a host name, IP address or http(s) URL we can compare."""


def _canonical_name(name: str) -> str:
    """Lower case, no trailing dot, IDN labels in punycode; IP literals in their short form."""
    name = name.strip()
    if name.startswith("[") and name.endswith("]"):
        try:
            return f"[{ipaddress.IPv6Address(name[1:-1]).compressed}]"
        except ValueError as exc:
            raise InvalidHost(f"bad IPv6 address {name!r}") from exc
    name = name.removesuffix(".")
    if not name or name.endswith("."):
        raise InvalidHost("empty host")
    try:
        return str(ipaddress.IPv4Address(name))
    except ValueError:
        pass
    if ":" in name:  # a bare IPv6 address written without brackets
        try:
            return f"[{ipaddress.IPv6Address(name).compressed}]"
        except ValueError as exc:
            raise InvalidHost(f"bad host {name!r}") from exc
    if name.isascii():
        ascii_name = name.lower()
    else:
        try:
            ascii_name = idna.encode(name, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise InvalidHost(f"bad international host name {name!r}") from exc
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise InvalidHost(f"bad host {name!r}")
    return ascii_name


def _urlsplit(url: str) -> Any:
    try:
        return urlsplit(url)
    except ValueError as exc:  # e.g. "Invalid IPv6 URL"
        raise InvalidHost(str(exc)) from exc


def _split(url_or_host: str) -> tuple[str | None, str, int | None]:
    """(scheme or None, host, port or None) of a URL (`https://...`) or a bare `host[:port]`,
    user info dropped."""
    text = url_or_host.strip()
    if "://" in text:
        parts = _urlsplit(text)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise InvalidHost(f"not an http(s) URL: {scheme!r}")
        netloc = parts.netloc
    else:
        scheme, netloc = None, text
    if any(c == "\\" or c.isspace() or ord(c) < 32 for c in netloc):
        raise InvalidHost("backslash, space or control character in host")
    netloc = netloc.rsplit("@", 1)[-1]
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise InvalidHost("unclosed [ in host")
        host, rest = netloc[: end + 1], netloc[end + 1 :]
        if rest and not rest.startswith(":"):
            raise InvalidHost(f"bad host {netloc!r}")
        port_text = rest[1:] if rest else ""
    elif netloc.count(":") > 1:  # bare IPv6 without brackets, no port possible
        host, port_text = netloc, ""
    else:
        host, _, port_text = netloc.partition(":")
    port = None
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise InvalidHost(f"bad port {port_text!r}")
        port = int(port_text)
    return scheme, host, port


def normalize_host(url_or_host: str) -> str:
    """The canonical `host[:port]` of a URL or host: lower case, no trailing dot, punycode, no
    user info, brackets around IPv6; the port only when it is not the scheme's default (for a
    bare host, 443 counts as default: federation is HTTPS)."""
    if not isinstance(url_or_host, str):
        raise InvalidHost("host must be a string")
    scheme, host, port = _split(url_or_host)
    name = _canonical_name(host)
    default = DEFAULT_PORTS[scheme] if scheme else 443
    return name if port in (None, default) else f"{name}:{port}"


def origin(url: str) -> tuple[str, str]:
    """(scheme, canonical host[:port]) of an http(s) URL."""
    if not isinstance(url, str) or "://" not in url:
        raise InvalidHost("not an absolute URL")
    host = normalize_host(url)
    return _urlsplit(url.strip()).scheme.lower(), host


def same_origin(a: Any, b: Any) -> bool:
    """True when two http(s) URLs have the same scheme, host and port (spelling aside);
    False for anything else, including unparsable values."""
    try:
        return origin(a) == origin(b)
    except (InvalidHost, ValueError):
        return False


def same_host(a: Any, b: Any) -> bool:
    """True when two URLs or hosts name the same host and port (spelling aside)."""
    try:
        return normalize_host(a) == normalize_host(b)
    except (InvalidHost, ValueError):
        return False


def url_if_same_origin(url: Any, actor_id: str) -> str | None:
    """The `url` of a remote actor or object if it is an http(s) link on the same origin as
    `actor_id`; None otherwise (a profile cannot claim someone else's page). Accepts the
    ActivityStreams forms: a string, a Link object (`href`) or a list of them (first match,
    HTML first)."""
    candidates: list[Any] = url if isinstance(url, list) else [url]
    ordered = sorted(
        candidates,
        key=lambda c: 0 if isinstance(c, dict) and c.get("mediaType") == "text/html" else 1,
    )
    for candidate in ordered:
        href = candidate.get("href") if isinstance(candidate, dict) else candidate
        if isinstance(href, str) and same_origin(href, actor_id):
            return href.strip()
    return None
