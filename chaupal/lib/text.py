"""Status text to Mastodon-style HTML: links, @mentions and #hashtags (any script, Devanagari
included), paragraphs and line breaks, escaped and finally sanitised by nh3; plus Mastodon's
character counting. Pure: no database; the caller resolves mention candidates to accounts."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import nh3

URL_CHARS = 23  # Mastodon counts every link as this many characters
_URL_DISPLAY = 30  # characters of a link shown before the ellipsis, as Mastodon does

# Characters that may join the words of a hashtag but not end it (Mastodon's separators plus ZWJ,
# which Indic scripts use inside words). `_` is a word character and may end a tag.
_TAG_JOINERS = frozenset("\u00b7\u30fb\u200c\u200d")
_URL_START = re.compile(r"https?://", re.IGNORECASE)
_URL_END_OK = frozenset("/=_#+-")
_MENTION = re.compile(
    r"@([a-z0-9_]+(?:[a-z0-9_.-]*[a-z0-9_])?)(?:@([a-z0-9-]+(?:\.[a-z0-9-]+)+))?", re.IGNORECASE
)
_HOST = re.compile(r"^[\w-]+(?:\.[\w-]+)+\.?$")

ALLOWED_TAGS = frozenset({"p", "br", "a", "span"})
ALLOWED_ATTRIBUTES = {"a": {"href", "rel", "target", "translate"}, "span": {"translate"}}
ALLOWED_CLASSES = {
    "a": {"u-url", "mention", "hashtag", "status-link", "unhandled-link"},
    "span": {"h-card", "invisible", "ellipsis"},
}


def sanitize(fragment: str) -> str:
    """The last pass over every piece of HTML we serve: only our tags, classes and http(s) links."""
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        allowed_classes={k: set(v) for k, v in ALLOWED_CLASSES.items()},
        link_rel=None,
        url_schemes={"http", "https"},
        strip_comments=True,
    )


def normalize(text: str) -> str:
    """NFC, Unix line ends, no surrounding whitespace: the form statuses are stored and counted in."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def tag_key(name: str) -> str:
    """How tags are matched: NFC, then casefolded (`#India`, `#INDIA` and `#india` are one tag)."""
    return unicodedata.normalize("NFC", name).casefold()


def _is_word(ch: str) -> bool:
    """Letters, combining marks (matras, viramas), decimal digits and connectors such as `_`."""
    cat = unicodedata.category(ch)
    return cat[0] in "LM" or cat in ("Nd", "Pc")


def _is_alnum(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LMN"


@dataclass(frozen=True)
class Entity:
    start: int
    end: int
    kind: str  # "url" | "mention" | "hashtag"
    value: str  # the URL; "user" or "user@domain"; the tag name as written


@dataclass
class Parsed:
    """What a status text contains, in order of appearance, each listed once."""

    text: str
    entities: list[Entity] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return list(dict.fromkeys(e.value for e in self.entities if e.kind == "url"))

    @property
    def mentions(self) -> list[tuple[str, str]]:
        """(username, domain) pairs; domain "" for a plain `@user`. Deduplicated case-insensitively."""
        out: dict[tuple[str, str], tuple[str, str]] = {}
        for e in self.entities:
            if e.kind == "mention":
                user, _, domain = e.value.partition("@")
                out.setdefault((user.lower(), domain.lower()), (user, domain.lower()))
        return list(out.values())

    @property
    def tags(self) -> list[str]:
        """Tag names as first written, one per `tag_key`."""
        out: dict[str, str] = {}
        for e in self.entities:
            if e.kind == "hashtag":
                out.setdefault(tag_key(e.value), e.value)
        return list(out.values())


def _trim_url(candidate: str) -> str:
    """Drop trailing punctuation (`.`, `,`, `।`, quotes ...) and unbalanced closing brackets."""
    while candidate:
        last = candidate[-1]
        if last == ")" and candidate.count("(") >= candidate.count(")"):
            break
        if last == "]" and candidate.count("[") >= candidate.count("]"):
            break
        if _is_alnum(last) or last in _URL_END_OK:
            break
        candidate = candidate[:-1]
    return candidate


def _valid_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return False
    return bool(host) and bool(_HOST.match(host or "")) and not parts.username


def _find_urls(text: str) -> list[Entity]:
    found: list[Entity] = []
    pos = 0
    while True:
        m = _URL_START.search(text, pos)
        if m is None:
            return found
        start = m.start()
        if start > 0 and (_is_alnum(text[start - 1]) or text[start - 1] in "@#$/_"):
            pos = m.end()
            continue
        end = m.end()
        while end < len(text) and not text[end].isspace() and text[end] not in '<>"\u3000':
            end += 1
        url = _trim_url(text[start:end])
        if len(url) > m.end() - start and _valid_url(url):
            found.append(Entity(start, start + len(url), "url", url))
            pos = start + len(url)
        else:
            pos = m.end()


def _find_mentions(text: str) -> list[Entity]:
    found = []
    for m in _MENTION.finditer(text):
        start = m.start()
        if start > 0 and (_is_word(text[start - 1]) or text[start - 1] in "=/@"):
            continue
        if m.end() < len(text) and (text[m.end()] == "@" or _is_word(text[m.end()])):
            continue  # `@a@b` without a proper domain, or a username running into other letters
        value = m.group(1) + (f"@{m.group(2).rstrip('.')}" if m.group(2) else "")
        end = m.end() - (1 if m.group(2) and m.group(2).endswith(".") else 0)
        found.append(Entity(start, end, "mention", value))
    return found


def _find_hashtags(text: str) -> list[Entity]:
    found = []
    i = 0
    n = len(text)
    while i < n:
        if text[i] not in "#\uff03":
            i += 1
            continue
        start = i
        if start > 0 and (_is_alnum(text[start - 1]) or text[start - 1] in "=/)&#"):
            i += 1
            continue
        j = i + 1
        while j < n and (_is_word(text[j]) or text[j] in _TAG_JOINERS):
            j += 1
        while j > i + 1 and text[j - 1] in _TAG_JOINERS:
            j -= 1
        name = text[i + 1 : j]
        if name and any(unicodedata.category(c)[0] == "L" for c in name):
            found.append(Entity(start, j, "hashtag", name))
        i = max(j, i + 1)
    return found


def parse(text: str) -> Parsed:
    """Find links, mentions and hashtags in (normalised) text; links win where they overlap."""
    text = normalize(text)
    entities: list[Entity] = []
    taken: list[tuple[int, int]] = []

    def free(e: Entity) -> bool:
        return all(e.end <= s or e.start >= t for s, t in taken)

    for group in (_find_urls(text), _find_mentions(text), _find_hashtags(text)):
        for e in group:
            if free(e):
                entities.append(e)
                taken.append((e.start, e.end))
    entities.sort(key=lambda e: e.start)
    return Parsed(text, entities)


def _grapheme_count(text: str) -> int:
    """Approximately the user-perceived characters: combining marks, joiners and variation
    selectors add nothing, a ZWJ joins its neighbours, and a pair of regional indicators
    (a flag) is one. Close to Mastodon's grapheme clusters without a segmentation library."""
    count = 0
    joined = False
    regional_open = False
    for ch in text:
        cp = ord(ch)
        cat = unicodedata.category(ch)
        if cp == 0x200D:
            joined = True
            continue
        if (
            cat[0] == "M"
            or 0xFE00 <= cp <= 0xFE0F
            or 0xE0100 <= cp <= 0xE01EF
            or 0x1F3FB <= cp <= 0x1F3FF
        ):
            continue
        if joined:
            joined = False
            continue
        if 0x1F1E6 <= cp <= 0x1F1FF:
            if regional_open:
                regional_open = False
                continue
            regional_open = True
        else:
            regional_open = False
        count += 1
    return count


def count_chars(text: str, parsed: Parsed | None = None) -> int:
    """Length toward the status limit, as Mastodon counts it: each link is 23 characters, a
    remote mention counts only its `@user` part, and characters are (approximate) graphemes."""
    parsed = parsed or parse(text)
    body = parsed.text
    total = 0
    pos = 0
    for e in parsed.entities:
        if e.kind == "hashtag":
            continue
        total += _grapheme_count(body[pos : e.start])
        if e.kind == "url":
            total += URL_CHARS
        else:
            total += 1 + _grapheme_count(e.value.partition("@")[0])
        pos = e.end
    return total + _grapheme_count(body[pos:])


def _link_html(url: str) -> str:
    m = re.match(r"https?://(?:www\.)?", url, re.IGNORECASE)
    prefix = m.group(0) if m else ""
    rest = url[len(prefix) :]
    display, suffix = rest[:_URL_DISPLAY], rest[_URL_DISPLAY:]
    cut = "ellipsis" if suffix else ""
    return (
        f'<a href="{html.escape(url, quote=True)}" target="_blank" '
        f'rel="nofollow noopener noreferrer" translate="no">'
        f'<span class="invisible">{html.escape(prefix)}</span>'
        f'<span class="{cut}">{html.escape(display)}</span>'
        f'<span class="invisible">{html.escape(suffix)}</span></a>'
    )


def _mention_html(username: str, url: str) -> str:
    return (
        f'<span class="h-card" translate="no"><a href="{html.escape(url, quote=True)}" '
        f'class="u-url mention">@<span>{html.escape(username)}</span></a></span>'
    )


def _hashtag_html(base_url: str, name: str) -> str:
    href = f"{base_url}/tags/{quote(name, safe='')}"
    return (
        f'<a href="{html.escape(href, quote=True)}" class="mention hashtag" rel="tag">'
        f"#<span>{html.escape(name)}</span></a>"
    )


def render_html(
    parsed: Parsed,
    *,
    base_url: str,
    mention_url: Callable[[str, str], str | None] | Mapping[tuple[str, str], str],
) -> str:
    """HTML for parsed text. `mention_url(username_lower, domain_lower)` (or a mapping with those
    keys) gives the profile URL of a resolved mention; unresolved mentions stay plain text."""
    if isinstance(mention_url, Mapping):
        table = mention_url

        def lookup(username: str, domain: str) -> str | None:
            return table.get((username, domain))
    else:
        lookup = mention_url
    text = parsed.text
    out: list[str] = []
    pos = 0
    for e in parsed.entities:
        out.append(html.escape(text[pos : e.start], quote=False))
        raw = text[e.start : e.end]
        if e.kind == "url":
            out.append(_link_html(e.value))
        elif e.kind == "hashtag":
            out.append(_hashtag_html(base_url, e.value))
        else:
            user, _, domain = e.value.partition("@")
            url = lookup(user.lower(), domain.lower())
            out.append(_mention_html(user, url) if url else html.escape(raw, quote=False))
        pos = e.end
    out.append(html.escape(text[pos:], quote=False))
    body = "".join(out)
    if not body.strip():
        return ""
    paragraphs = [p for p in re.split(r"\n[ \t]*\n\s*", body) if p.strip()]
    return sanitize(
        "".join(f"<p>{p.strip(chr(10)).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    )


def plain_html(text: str) -> str:
    """Escaped text in paragraphs, for text without entities (spoilers, edit previews)."""
    return render_html(Parsed(normalize(text)), base_url="", mention_url={})


__all__ = [
    "URL_CHARS",
    "Entity",
    "Parsed",
    "count_chars",
    "normalize",
    "parse",
    "plain_html",
    "render_html",
    "sanitize",
    "tag_key",
]
