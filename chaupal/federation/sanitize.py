"""Remote HTML made safe to store and serve: Mastodon's allow-list of tags, classes and link
schemes, applied with nh3 to every piece of content that arrives over federation (post bodies,
spoilers, profile notes and field values). Scripts, styles, event handlers and `javascript:`
links never survive."""

from __future__ import annotations

import html

import nh3

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "span", "a", "del", "pre", "code", "em", "strong", "b", "i", "u",
        "ul", "ol", "li", "blockquote",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "translate"},  # `class` comes from ALLOWED_CLASSES
    "span": {"translate"},
    "ol": {"start", "reversed"},
    "li": {"value"},
}
# Microformats and Mastodon's own link markup; any other class is dropped.
ALLOWED_CLASSES = {
    "a": {"h-card", "u-url", "mention", "hashtag", "invisible", "ellipsis", "status-link"},
    "span": {"h-card", "u-url", "mention", "hashtag", "invisible", "ellipsis"},
}
URL_SCHEMES = frozenset(
    {"http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini"}
)
# Dropped together with their text (everything else outside the list keeps its text).
DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "iframe", "object", "noscript"})


def sanitize_html(fragment: str, *, max_chars: int | None = None) -> str:
    """Remote HTML reduced to Mastodon's allow-list. Links get `rel="nofollow noopener"` and
    `target="_blank"`; a link whose scheme is not allowed, or that is relative, loses its
    href. `max_chars` cuts the input first (nh3 closes whatever the cut left open)."""
    if not isinstance(fragment, str):
        return ""
    if max_chars is not None and len(fragment) > max_chars:
        fragment = fragment[:max_chars]
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        allowed_classes={tag: set(names) for tag, names in ALLOWED_CLASSES.items()},
        link_rel="nofollow noopener",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        url_schemes=set(URL_SCHEMES),
        url_relative="deny",  # relative to whom? the remote server's page, not ours
        strip_comments=True,
    )


def plain_text(value: object, *, max_chars: int = 500) -> str:
    """A remote plain-text field (display name, username, field name): no markup at all,
    control characters dropped, cut to `max_chars`."""
    if not isinstance(value, str):
        return ""
    text = nh3.clean(value, tags=set(), clean_content_tags=set(DROPPED_WITH_CONTENT))
    text = html.unescape(text)
    text = "".join(ch for ch in text if ch.isprintable() or ch == " ")
    return text.strip()[:max_chars]
