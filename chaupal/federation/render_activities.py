"""ActivityPub activities Chaupal sends (Create, Update, Delete, Follow, Accept, Reject, Undo,
Announce, Like, Block, Move, Flag, Update(Person)), with the id conventions of
docs/federation.md. Pure builders; re-exported by `chaupal.federation.render`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.federation.keys import actor_uri
from chaupal.federation.render_objects import (
    AS_CONTEXT,
    PUBLIC,
    addressing,
    ap_time,
    bare,
    followers_uri,
    unix_ms,
)
from chaupal.models import Account, Status


def _activity(kind: str, id_: str, actor_id: str, obj: Any, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"@context": AS_CONTEXT, "id": id_, "type": kind, "actor": actor_id}
    doc.update({k: v for k, v in extra.items() if v is not None})
    doc["object"] = obj
    return doc


def create(note_doc: dict[str, Any]) -> dict[str, Any]:
    """Create of a Note: id `{note}/activity`, same audience and date as the Note."""
    return _activity(
        "Create",
        f"{note_doc['id']}/activity",
        note_doc["attributedTo"],
        bare(note_doc),
        published=note_doc["published"],
        to=note_doc["to"],
        cc=note_doc["cc"],
    )


def update(note_doc: dict[str, Any], *, at: datetime | None = None) -> dict[str, Any]:
    """Update of an edited Note: id `{note}#updates/{unix_ms}`; the Note carries `updated`."""
    when = at or utcnow()
    obj = bare(note_doc)
    obj.setdefault("updated", ap_time(when))
    return _activity(
        "Update",
        f"{note_doc['id']}#updates/{unix_ms(when)}",
        note_doc["attributedTo"],
        obj,
        published=ap_time(when),
        to=note_doc["to"],
        cc=note_doc["cc"],
    )


def delete(
    actor_id: str, object_id: str, *, to: Sequence[str] = (PUBLIC,), cc: Sequence[str] = ()
) -> dict[str, Any]:
    """Delete of a post (object a Tombstone) or of the actor itself (object its id)."""
    obj: Any = (
        object_id
        if object_id == actor_id
        else {"id": object_id, "type": "Tombstone", "atomUri": object_id}
    )
    return _activity(
        "Delete", f"{object_id}#delete", actor_id, obj, to=list(to), cc=list(cc) or None
    )


def follow(
    settings: Settings, follower: Account, target_uri: str, follow_id: int
) -> dict[str, Any]:
    return _activity(
        "Follow",
        f"{settings.base_url}/follows/{follow_id}",
        actor_uri(settings, follower),
        target_uri,
    )


def _answer(
    kind: str,
    settings: Settings,
    local: Account,
    follow_activity_id: str,
    follower_uri: str,
    id_: int,
) -> dict[str, Any]:
    uri = actor_uri(settings, local)
    tail = "accepts" if kind == "Accept" else "rejects"
    obj = {"id": follow_activity_id, "type": "Follow", "actor": follower_uri, "object": uri}
    return _activity(kind, f"{uri}#{tail}/follows/{id_}", uri, obj, to=[follower_uri])


def accept(
    settings: Settings, local: Account, follow_activity_id: str, follower_uri: str, id_: int
) -> dict[str, Any]:
    """Accept of a remote Follow of `local`; the Follow is embedded as Mastodon does."""
    return _answer("Accept", settings, local, follow_activity_id, follower_uri, id_)


def reject(
    settings: Settings, local: Account, follow_activity_id: str, follower_uri: str, id_: int
) -> dict[str, Any]:
    return _answer("Reject", settings, local, follow_activity_id, follower_uri, id_)


def undo(original: dict[str, Any]) -> dict[str, Any]:
    """Undo of one of our activities (Follow, Like, Announce, Block): id `{original}/undo`."""
    return _activity(
        "Undo",
        f"{original['id']}/undo",
        original["actor"],
        bare(original),
        to=original.get("to"),
        cc=original.get("cc"),
    )


def announce(
    settings: Settings,
    booster: Account,
    reblog: Status,
    original_uri: str,
    original_author_uri: str,
    *,
    visibility: str = "public",
) -> dict[str, Any]:
    """Announce (boost): the reblog row's uri, addressed to the booster's followers and the
    original author; public boosts to Public, unlisted ones cc Public."""
    uri = actor_uri(settings, booster)
    to, cc = addressing(settings, booster, visibility, [original_author_uri])
    id_ = reblog.uri or f"{uri}/statuses/{reblog.id}/activity"
    return _activity(
        "Announce", id_, uri, original_uri, published=ap_time(reblog.created_at), to=to, cc=cc
    )


def like(settings: Settings, liker: Account, favourite_id: int, status_uri_: str) -> dict[str, Any]:
    uri = actor_uri(settings, liker)
    return _activity("Like", f"{uri}#likes/{favourite_id}", uri, status_uri_)


def block(settings: Settings, blocker: Account, target_uri: str, block_id: int) -> dict[str, Any]:
    return _activity(
        "Block",
        f"{settings.base_url}/blocks/{block_id}",
        actor_uri(settings, blocker),
        target_uri,
        to=[target_uri],
    )


def move(settings: Settings, account: Account, target_uri: str, move_id: int) -> dict[str, Any]:
    """Move to `target_uri` (which must list us in `alsoKnownAs`), to our followers."""
    uri = actor_uri(settings, account)
    return _activity(
        "Move",
        f"{uri}#moves/{move_id}",
        uri,
        uri,
        target=target_uri,
        to=[followers_uri(settings, account)],
    )


def flag(
    settings: Settings,
    reporter_uri: str,
    target_uri: str,
    status_uris: Sequence[str],
    comment: str,
    report_id: int,
) -> dict[str, Any]:
    """Flag (report forward): the reported actor and posts, the comment as `content`.
    Mastodon sends these from its instance actor, so reporters stay anonymous."""
    return _activity(
        "Flag",
        f"{settings.base_url}/reports/{report_id}",
        reporter_uri,
        [target_uri, *status_uris],
        content=comment or "",
        to=[target_uri],
    )


def update_person(actor_doc: dict[str, Any], *, at: datetime | None = None) -> dict[str, Any]:
    """Update(Person) after a profile change: the whole actor, to Public."""
    when = at or utcnow()
    return _activity(
        "Update",
        f"{actor_doc['id']}#updates/{unix_ms(when)}",
        actor_doc["id"],
        bare(actor_doc),
        to=[PUBLIC],
    )
