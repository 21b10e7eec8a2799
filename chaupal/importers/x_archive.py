"""Reading an official X/Twitter archive export (the folder or its .zip): `data/tweets.js`
(`window.YTD.tweets.part0 = [...]`, also `tweets-part1.js`... and the older `tweet.js`) into
validated `XTweet` records. Nothing is written here; a malformed archive raises ArchiveError."""

from __future__ import annotations

import html
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chaupal.actions.status_text import clean_language

CREATED_AT = "%a %b %d %H:%M:%S %z %Y"  # "Wed Oct 10 20:19:24 +0000 2018"
_PART = re.compile(r"(?:^|/)data/(tweets?)(?:-part(\d+))?\.js$")
_ASSIGN = re.compile(r"^\s*window\.YTD\.\w+\.part\d+\s*=\s*", re.ASCII)
NO_LANGUAGE = {"und", "zxx", "qme", "qht", "qam", "qct", "qst", "art"}  # X's "no language" codes


class ArchiveError(ValueError):
    """The archive cannot be read or is not in the format of an X export; nothing was imported."""


@dataclass
class XTweet:
    id: str
    created_at: datetime  # UTC
    text: str  # t.co links expanded, media links removed, HTML entities decoded
    hashtags: list[str] = field(default_factory=list)
    media_kind: str = "text"  # text | photo | video (an animated GIF counts as video)
    favourites: int = 0
    reposts: int = 0
    language: str | None = None
    reply_to_id: str | None = None
    reply_to_username: str | None = None
    retweet: bool = False


def _parts(names: list[str]) -> list[str]:
    """The tweet files of an archive, part0 first; `tweets*.js` wins over the older `tweet*.js`."""
    found: dict[str, list[tuple[int, str]]] = {}
    for name in names:
        m = _PART.search(name)
        if m:
            found.setdefault(m.group(1), []).append((int(m.group(2) or 0), name))
    chosen = found.get("tweets") or found.get("tweet")
    if not chosen:
        raise ArchiveError("no data/tweets.js in this archive (is it an X/Twitter export?)")
    return [name for _, name in sorted(chosen)]


def read_archive(path: Path, max_bytes: int) -> list[tuple[str, str]]:
    """(file name, text) of each tweets file of the folder or .zip at `path`."""
    if not path.exists():
        raise ArchiveError(f"{path}: no such file or folder")
    if path.is_dir():
        files = {str(p.relative_to(path)).replace("\\", "/"): p for p in path.rglob("tweet*.js")}
        names = _parts(sorted(files))
        if sum(files[n].stat().st_size for n in names) > max_bytes:
            raise ArchiveError(f"the tweets files are larger than {max_bytes} bytes (x_archive_max_bytes)")
        return [(n, _decode(n, files[n].read_bytes())) for n in names]
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {i.filename: i for i in zf.infolist() if not i.is_dir()}
            names = _parts(sorted(infos))
            if sum(infos[n].file_size for n in names) > max_bytes:
                raise ArchiveError(
                    f"the tweets files are larger than {max_bytes} bytes (x_archive_max_bytes)"
                )
            return [(n, _decode(n, zf.read(infos[n]))) for n in names]
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"{path}: not a folder or a readable .zip archive ({exc})") from None


def _decode(name: str, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ArchiveError(f"{name}: not UTF-8 text") from None


def parse_tweets_js(name: str, text: str) -> list[dict[str, Any]]:
    """The list assigned in `window.YTD.tweets.partN = [...]`."""
    m = _ASSIGN.match(text)
    if not m:
        raise ArchiveError(f"{name}: does not start with 'window.YTD.tweets.part0 = '")
    try:
        items = json.loads(text[m.end() :].rstrip().rstrip(";"))
    except json.JSONDecodeError as exc:
        raise ArchiveError(f"{name}: not valid JSON after the assignment ({exc})") from None
    if not isinstance(items, list):
        raise ArchiveError(f"{name}: the assigned value is not a list")
    return items


def _count(raw: Any, where: str, key: str) -> int:
    value = raw.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise ArchiveError(f"{where}: {key} is not a count")
    return int(value)


def _str(raw: Any, where: str, key: str, *, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ArchiveError(f"{where}: {key} is {'missing' if value is None else 'not text'}")
    return value


def _list(raw: Any, where: str, key: str) -> list[dict[str, Any]]:
    value = raw.get(key) if isinstance(raw, dict) else None
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ArchiveError(f"{where}: {key} is not a list of objects")
    return value


def media_kind(raw: dict[str, Any], where: str) -> str:
    media = _list(raw.get("extended_entities") or {}, where, "media") or _list(
        raw.get("entities") or {}, where, "media"
    )
    kinds = {m.get("type") for m in media}
    if kinds & {"video", "animated_gif"}:
        return "video"
    return "photo" if media else "text"


def expand_text(raw: dict[str, Any], where: str) -> str:
    """full_text with each t.co link replaced by its expanded_url and media links removed."""
    text = _str(raw, where, "full_text") or _str(raw, where, "text") or ""
    entities = raw.get("entities") or {}
    if not isinstance(entities, dict):
        raise ArchiveError(f"{where}: entities is not an object")
    for url in _list(entities, where, "urls"):
        short, full = url.get("url"), url.get("expanded_url")
        if isinstance(short, str) and short and isinstance(full, str) and full:
            text = text.replace(short, full)
    media = _list(entities, where, "media") + _list(raw.get("extended_entities") or {}, where, "media")
    for item in media:
        short = item.get("url")
        if isinstance(short, str) and short:
            text = text.replace(short, "")
    return html.unescape(text).strip()


def tweet_from_json(item: Any, where: str) -> XTweet:
    raw = item.get("tweet", item) if isinstance(item, dict) else None
    if not isinstance(raw, dict):
        raise ArchiveError(f"{where}: not a tweet object")
    tid = _str(raw, where, "id_str", required=True)
    assert tid is not None
    if not tid.isdigit() or len(tid) > 20:
        raise ArchiveError(f"{where}: id_str is not a tweet id")
    created = _str(raw, where, "created_at", required=True)
    try:
        at = datetime.strptime(created or "", CREATED_AT).astimezone(UTC)
    except ValueError:
        raise ArchiveError(f"{where}: created_at {created!r} is not like 'Wed Oct 10 20:19:24 +0000 2018'") from None
    entities = raw.get("entities") or {}
    tags = [t.get("text") for t in _list(entities, where, "hashtags")]
    text = expand_text(raw, where)
    lang = raw.get("lang") if isinstance(raw.get("lang"), str) else None
    reply_to = _str(raw, where, "in_reply_to_status_id_str")
    return XTweet(
        id=tid,
        created_at=at,
        text=text,
        hashtags=[t for t in tags if isinstance(t, str) and t],
        media_kind=media_kind(raw, where),
        favourites=_count(raw, where, "favorite_count"),
        reposts=_count(raw, where, "retweet_count"),
        language=None if lang in NO_LANGUAGE else clean_language(lang),
        reply_to_id=reply_to if reply_to and reply_to.isdigit() else None,
        reply_to_username=(_str(raw, where, "in_reply_to_screen_name") or None) if reply_to else None,
        retweet=bool(raw.get("retweeted")) or text.startswith("RT @"),
    )


def load_x_archive(path: Path, *, max_bytes: int, max_tweets: int) -> list[XTweet]:
    """Every tweet of the archive, validated, oldest first; ArchiveError on the first problem."""
    tweets: list[XTweet] = []
    for name, text in read_archive(path, max_bytes):
        items = parse_tweets_js(name, text)
        if len(tweets) + len(items) > max_tweets:
            raise ArchiveError(f"more than {max_tweets} tweets (x_archive_max_tweets)")
        tweets.extend(tweet_from_json(item, f"{name}: item {i}") for i, item in enumerate(items))
    seen: set[str] = set()
    unique = [t for t in tweets if not (t.id in seen or seen.add(t.id))]  # type: ignore[func-returns-value]
    return sorted(unique, key=lambda t: (t.created_at, int(t.id)))
