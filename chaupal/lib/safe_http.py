"""Outgoing requests to URLs that others chose (SSRF guard): the host is resolved once, every
address must be public (loopback only when the caller allows it), and the connection goes to
that very address, so a second DNS answer cannot point it somewhere else."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import idna

DEFAULT_PORTS = {"http": 80, "https": 443}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeTarget(Exception):
    """The URL may not be requested: scheme, unresolvable host or a non-public address."""


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, NAT64, 6to4, Teredo), if any."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr in _NAT64:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr.teredo is not None:
        return addr.teredo[1]
    return None


def is_public_address(ip: str) -> bool:
    """True for a globally routable unicast address; False for private, loopback, link-local
    (cloud metadata 169.254.169.254), unique-local (fd00:ec2::254), multicast, reserved, and
    IPv6 forms that embed such an IPv4 address."""
    addr: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(ip.split("%")[0])
    if isinstance(addr, ipaddress.IPv6Address):
        inner = _embedded_ipv4(addr)
        if inner is not None:
            addr = inner
    return addr.is_global and not addr.is_multicast


def is_loopback_address(ip: str) -> bool:
    addr: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(ip.split("%")[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_loopback


async def getaddrinfo(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (tests replace this to play DNS)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


@dataclass(frozen=True)
class Target:
    """A URL checked and pinned: connect to `ip`, say `host_header`, verify TLS for `sni`."""

    url: str
    scheme: str
    sni: str
    port: int
    ip: str
    host_header: str

    @property
    def pinned_url(self) -> str:
        parts = urlsplit(self.url)
        host_ip = f"[{self.ip}]" if ":" in self.ip else self.ip
        return urlunsplit(
            (self.scheme, f"{host_ip}:{self.port}", parts.path or "/", parts.query, "")
        )

    def request(
        self, client: httpx.AsyncClient, method: str, headers: dict[str, str], **kw: Any
    ) -> httpx.Request:
        """An httpx request to the pinned address carrying the real Host (unless `headers` has
        one, e.g. the signed one) and TLS server name."""
        return client.build_request(
            method,
            self.pinned_url,
            headers={"Host": self.host_header, **headers},
            extensions={"sni_hostname": self.sni},
            **kw,
        )


def _ascii_host(hostname: str) -> str:
    if hostname.isascii():
        return hostname.lower()
    try:
        return idna.encode(hostname, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise UnsafeTarget(f"bad host name {hostname!r}") from exc


async def pin(
    url: str,
    *,
    allow_private: bool = False,
    allow_loopback: bool = False,
    https_only: bool = False,
) -> Target:
    """Check `url` and resolve its host once. Refused: other schemes than http(s); any address
    that is not public, except loopback ones when `allow_loopback` (then plain http too); plain
    http to a public address when `https_only`. `allow_private` turns the address check off."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"bad URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise UnsafeTarget("only http(s) URLs are fetched")
    sni = _ascii_host(parts.hostname)
    port = port or DEFAULT_PORTS[scheme]
    try:
        addresses = await getaddrinfo(sni, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(f"cannot resolve {sni}") from exc
    if not addresses:
        raise UnsafeTarget(f"cannot resolve {sni}")
    if not allow_private:
        loopback = allow_loopback and all(is_loopback_address(a) for a in addresses)
        if not loopback and not all(is_public_address(a) for a in addresses):
            raise UnsafeTarget(f"{sni} is a private or loopback address")
        if https_only and scheme != "https" and not loopback:
            raise UnsafeTarget("only https URLs are fetched")
    bracketed = f"[{sni}]" if ":" in sni else sni
    host_header = bracketed if port == DEFAULT_PORTS[scheme] else f"{bracketed}:{port}"
    return Target(url, scheme, sni, port, addresses[0], host_header)
