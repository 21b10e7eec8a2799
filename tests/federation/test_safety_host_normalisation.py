"""Safety 6 (Mastodon CVE-2023-42451, domain spoofing through normalisation): one server has
one spelling whatever the case, trailing dot, user info, default port or IDN form, a different
server never compares equal, and an actor's `url` on another origin is ignored."""

from __future__ import annotations

import pytest

from chaupal.federation.hosts import (
    InvalidHost,
    normalize_host,
    origin,
    same_host,
    same_origin,
    url_if_same_origin,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("example.com", "example.com"),
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("https://EXAMPLE.com./users/a", "example.com"),
        ("https://mallory@example.com/users/a", "example.com"),
        ("https://user:pw@example.com:443/", "example.com"),
        ("http://example.com:80/", "example.com"),
        ("https://example.com:8443/x", "example.com:8443"),
        ("http://example.com:443/", "example.com:443"),
        ("example.com:443", "example.com"),
        ("example.com:8080", "example.com:8080"),
        ("https://Bücher.Example/", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("https://[2001:DB8::0001]:8443/", "[2001:db8::1]:8443"),
        ("[2001:db8:0::1]", "[2001:db8::1]"),
        ("2001:db8::1", "[2001:db8::1]"),
        ("http://127.0.0.1:8001/users/a", "127.0.0.1:8001"),
    ],
)
def test_normalize_host__one_spelling_per_server(given, expected):
    assert normalize_host(given) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        ".",
        "exa mple.com",
        "https://evil.example\\@good.example/",
        "ex_ample..com",
        "https://example.com:99999/",
        "https://example.com:x/",
        "javascript:alert(1)",
        "ftp://example.com/",
        "[::1",
        "bad%2ehost",
        "a" * 64 + ".com",
        "https://[::zz]/",
    ],
)
def test_normalize_host__garbage_refused(bad):
    with pytest.raises(InvalidHost):
        normalize_host(bad)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.com/users/a", "https://EXAMPLE.com./users/b"),
        ("https://example.com/users/a", "https://eve@example.com:443/notes/1"),
        ("https://bücher.example/a", "https://xn--bcher-kva.example/b"),
    ],
)
def test_same_origin__spellings_of_one_server_match(a, b):
    assert same_origin(a, b)
    assert same_host(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # look-alikes: a different server however similar its spelling
        ("https://example.com/users/a", "https://example.com.evil.test/users/a"),
        ("https://example.com/users/a", "https://example.com@evil.test/users/a"),
        ("https://example.com/users/a", "https://evil.test/@example.com/a"),
        ("https://example.com/users/a", "https://example.com:8443/users/a"),
        ("https://example.com/users/a", "http://example.com/users/a"),
        ("https://example.com/users/a", "https://exämple.com/users/a"),
        ("https://example.com/users/a", "https://evil.test\\@example.com/users/a"),
        ("https://example.com/users/a", None),
        ("https://example.com/users/a", "example.com"),
    ],
)
def test_same_origin__look_alike_hosts_differ(a, b):
    assert not same_origin(a, b)


def test_origin__scheme_and_host():
    assert origin("HTTPS://Example.com.:443/x") == ("https", "example.com")


def test_url_if_same_origin__off_origin_url_ignored():
    actor = "https://example.com/users/alice"
    assert url_if_same_origin("https://EXAMPLE.com/@alice", actor) == "https://EXAMPLE.com/@alice"
    # A profile link pointing at another server (or a look-alike) is not taken as the profile's page.
    assert url_if_same_origin("https://evil.test/@alice", actor) is None
    assert url_if_same_origin("https://example.com.evil.test/@alice", actor) is None
    assert url_if_same_origin("https://example.com@evil.test/@alice", actor) is None
    assert url_if_same_origin("javascript:alert(1)//example.com", actor) is None
    assert url_if_same_origin(None, actor) is None
    assert url_if_same_origin({"href": "https://evil.test/@alice"}, actor) is None
    # ActivityStreams Link forms: the HTML link on the same origin wins.
    links = [
        {"type": "Link", "href": "https://evil.test/@alice", "mediaType": "text/html"},
        {"type": "Link", "href": "https://example.com/feed", "mediaType": "application/rss+xml"},
        {"type": "Link", "href": "https://example.com/@alice", "mediaType": "text/html"},
    ]
    assert url_if_same_origin(links, actor) == "https://example.com/@alice"
