"""An actor's collections: the outbox (Create/Announce of public posts, paged by id), followers
and following (counts always; pages of local actors' ids unless the owner hides them) and
featured (pinned posts as Notes)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.api.federation.common import ActivityResponse, local_account
from chaupal.api.federation.signed_fetch import SIGNED_FETCH
from chaupal.config import Settings
from chaupal.errors import ApiError
from chaupal.federation.keys import actor_uri
from chaupal.federation.render import (
    AS_CONTEXT,
    announce,
    create,
    load_notes,
    status_uri,
)
from chaupal.models import Account, Follow, Status, StatusPin

router = APIRouter()
SHOWN = ("public", "unlisted")  # what anyone may fetch by URL; outboxes list only "public"


def _cursor(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer") from None
    if number < 0 or number > 2**63 - 1:
        raise ApiError(400, f"{name} is out of range")
    return number


async def _owner(session: AsyncSession, username: str) -> Account:
    account = await local_account(session, username)
    if account.suspended_at is not None:
        raise ApiError(410, "Account is suspended")
    return account


def _collection(url: str, total: int, *, paged: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": url,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if paged:
        doc["first"] = f"{url}?page=true"
        doc["last"] = f"{url}?min_id=0&page=true"
    return doc


async def _page(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    url: str,
    stmt: Select[Any],
    key: Any,
) -> tuple[list[Any], dict[str, Any]]:
    """One page of `stmt`, which selects (row, key), newest first: `max_id` pages back,
    `min_id` forward."""
    max_id = _cursor(request.query_params.get("max_id"), "max_id")
    min_id = _cursor(request.query_params.get("min_id"), "min_id")
    size = settings.federation_collection_page_size
    if min_id is not None:
        forward = stmt.where(key > min_id).order_by(key.asc()).limit(size)
        rows = list((await session.execute(forward)).all())[::-1]
    else:
        if max_id is not None:
            stmt = stmt.where(key < max_id)
        rows = list((await session.execute(stmt.order_by(key.desc()).limit(size))).all())
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": f"{url}?{request.url.query}",
        "type": "OrderedCollectionPage",
        "partOf": url,
    }
    if rows:
        doc["next"] = f"{url}?max_id={rows[-1][1]}&page=true"
        doc["prev"] = f"{url}?min_id={rows[0][1]}&page=true"
    return [r[0] for r in rows], doc


def _page_requested(request: Request) -> bool:
    q = request.query_params
    return "page" in q or "max_id" in q or "min_id" in q


@router.get("/users/{username}/outbox", dependencies=[SIGNED_FETCH])
async def outbox(
    username: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    account = await _owner(session, username)
    url = f"{actor_uri(settings, account)}/outbox"
    if not _page_requested(request):
        return ActivityResponse(_collection(url, account.statuses_count, paged=True))
    stmt = select(Status, Status.id).where(
        Status.account_id == account.id, Status.visibility == "public"
    )
    statuses, doc = await _page(request, session, settings, url, stmt, Status.id)
    originals = [s for s in statuses if not s.reblog_of_id]
    notes = {n["id"]: n for n in await load_notes(session, settings, originals)}
    boosted_ids = {s.reblog_of_id for s in statuses if s.reblog_of_id}
    boosted: dict[int, tuple[Status, Account]] = {}
    if boosted_ids:
        rows = await session.execute(
            select(Status, Account)
            .join(Account, Account.id == Status.account_id)
            .where(Status.id.in_(boosted_ids), Status.visibility.in_(SHOWN))
        )
        boosted = {s.id: (s, a) for s, a in rows.all()}
    items = []
    for s in statuses:
        if s.reblog_of_id is None:
            items.append(create(notes[status_uri(settings, account, s)]))
        elif s.reblog_of_id in boosted:
            original, author = boosted[s.reblog_of_id]
            items.append(
                announce(
                    settings,
                    account,
                    s,
                    status_uri(settings, author, original),
                    actor_uri(settings, author),
                    visibility=s.visibility,
                )
            )
    for item in items:
        item.pop("@context", None)
    doc["orderedItems"] = items
    return ActivityResponse(doc)


async def _relations(
    username: str, request: Request, session: AsyncSession, settings: Settings, *, followers: bool
) -> Response:
    account = await _owner(session, username)
    name = "followers" if followers else "following"
    url = f"{actor_uri(settings, account)}/{name}"
    total = account.followers_count if followers else account.following_count
    if not _page_requested(request):
        return ActivityResponse(_collection(url, total, paged=not account.hide_collections))
    if account.hide_collections:
        raise ApiError(403, "This account hides its connections")
    mine, theirs = (
        (Follow.target_account_id, Follow.account_id)
        if followers
        else (Follow.account_id, Follow.target_account_id)
    )
    stmt = (
        select(Account, Follow.id)
        .join(Follow, theirs == Account.id)
        .where(mine == account.id, Account.domain == "", Account.suspended_at.is_(None))
    )  # items: local accounts only; other servers' users are theirs to publish
    accounts, doc = await _page(request, session, settings, url, stmt, Follow.id)
    doc["orderedItems"] = [actor_uri(settings, a) for a in accounts]
    doc["totalItems"] = total
    return ActivityResponse(doc)


@router.get("/users/{username}/followers", dependencies=[SIGNED_FETCH])
async def followers(
    username: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    return await _relations(username, request, session, settings, followers=True)


@router.get("/users/{username}/following", dependencies=[SIGNED_FETCH])
async def following(
    username: str, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    return await _relations(username, request, session, settings, followers=False)


@router.get("/users/{username}/collections/featured", dependencies=[SIGNED_FETCH])
async def featured(username: str, session: SessionDep, settings: SettingsDep) -> Response:
    account = await _owner(session, username)
    pinned = list(
        (
            await session.scalars(
                select(Status)
                .join(StatusPin, StatusPin.status_id == Status.id)
                .where(
                    StatusPin.account_id == account.id,
                    Status.account_id == account.id,
                    Status.visibility.in_(SHOWN),
                    Status.reblog_of_id.is_(None),
                )
                .order_by(StatusPin.id.desc())
            )
        ).all()
    )
    notes = await load_notes(session, settings, pinned)
    for n in notes:
        n.pop("@context", None)
    url = f"{actor_uri(settings, account)}/collections/featured"
    return ActivityResponse(
        {
            "@context": AS_CONTEXT,
            "id": url,
            "type": "OrderedCollection",
            "totalItems": len(notes),
            "orderedItems": notes,
        }
    )
