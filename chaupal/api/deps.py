"""Request dependencies: the DB session (committed at the edge), the caller's token and
account, and scope checks. Typed aliases keep route signatures short."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.errors import ApiError
from chaupal.events import after_commit, discard_pending, hub_of
from chaupal.models import AccessToken, Account, Application, User
from chaupal.security import digest, scope_allows


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; committed when the route returns, before the response is sent."""
    state = request.app.state
    reading = request.method in ("GET", "HEAD")
    factory = state.read_sessions if reading else state.sessions
    # SQLite has one writer at a time: writers of this process queue here, in order, instead
    # of sleeping in SQLite's busy handler (which gives up after busy_timeout).
    lock = None if reading else getattr(state, "write_lock", None)
    if lock is not None:
        await lock.acquire()
    try:
        async with factory() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                discard_pending(session)
                await session.rollback()
                raise
    finally:
        if lock is not None:
            lock.release()
    await after_commit(session, hub_of(state))  # events reach subscribers only once committed


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


@dataclass
class Auth:
    """The caller: a token, and for user tokens the user and account behind it."""

    token: AccessToken
    scopes: frozenset[str]
    application: Application | None
    user: User | None
    account: Account | None
    # A delegated token (issue 4): `account` is the institution, `user` the staff member,
    # `staff_account` the staff member's own account and `member_role` their role.
    staff_account: Account | None = None
    member_role: str | None = None

    def allows(self, scope: str) -> bool:
        return scope_allows(self.scopes, scope)

    @property
    def acting(self) -> bool:
        return self.staff_account is not None


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


async def load_auth(session: AsyncSession, raw_token: str) -> Auth | None:
    """Resolve a bearer token; None when it is unknown, revoked, expired or its user unusable.

    Nothing is cached (decision 113): the token, its application, user and account come from
    one joined query on every request, so a revocation, suspension or removed staff member
    takes effect on the very next request, on every process."""
    row = (
        await session.execute(
            select(AccessToken, Application, User, Account)
            .outerjoin(Application, Application.id == AccessToken.application_id)
            .outerjoin(User, User.id == AccessToken.user_id)
            # a delegated token acts as the institution: its accounts come from the membership
            .outerjoin(
                Account,
                and_(Account.id == User.account_id, AccessToken.acting_account_id.is_(None)),
            )
            .where(AccessToken.token_digest == digest(raw_token))
        )
    ).first()
    if row is None:
        return None
    token, app, user, account = row
    if token.revoked_at is not None or token.kind != "oauth":
        return None
    if token.expires_at is not None and token.expires_at <= utcnow():
        return None
    if token.user_id is not None:
        if user is None or user.disabled or not user.approved:
            return None
        if token.acting_account_id is not None:
            return await _delegated_auth(session, token, app, user)
        if account is None or account.suspended_at is not None:
            return None
    return Auth(token, frozenset(token.scopes.split()), app, user, account)


async def _delegated_auth(
    session: AsyncSession, token: AccessToken, app: Application | None, user: User
) -> Auth | None:
    """A delegated token, re-checked against the membership on every request (one query in
    place of the account lookup): scopes narrow to what the role allows today."""
    from chaupal.actions.audit import set_acting
    from chaupal.actions.delegation import acting_context, clip_scopes, load_delegation

    assert token.acting_account_id is not None
    delegation = await load_delegation(session, user, token.acting_account_id)
    if delegation is None:
        return None
    scopes = frozenset(clip_scopes(token.scopes.split(), delegation.role))
    if not scopes:
        return None
    set_acting(session, acting_context(user, delegation))
    return Auth(
        token, scopes, app, user, delegation.institution,
        staff_account=delegation.staff_account, member_role=delegation.role,
    )


async def _auth_from_request(request: Request, session: AsyncSession) -> Auth | None:
    if hasattr(request.state, "auth"):
        return request.state.auth
    raw = bearer_token(request)
    auth = None
    if raw:
        auth = await load_auth(session, raw)
        if auth is None:
            raise ApiError(401, "The access token is invalid")
        await _note_use(request, session, auth.token)
    request.state.auth = auth
    return auth


async def _note_use(request: Request, session: AsyncSession, token: AccessToken) -> None:
    """Stamp the token's `last_used_at` when it is older than
    `access_token_last_used_resolution_seconds`: one UPDATE per token per period, not per
    request. Writes go with the request's own transaction; reads (whose session may be
    read-only or a replica) use a short transaction of their own."""
    settings: Settings = request.app.state.settings
    now = utcnow()
    resolution = timedelta(seconds=settings.access_token_last_used_resolution_seconds)
    if token.last_used_at is not None and token.last_used_at > now - resolution:
        return
    stamp = (
        update(AccessToken)
        .where(
            AccessToken.id == token.id,
            or_(AccessToken.last_used_at.is_(None), AccessToken.last_used_at <= now - resolution),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    if request.method not in ("GET", "HEAD"):
        await session.execute(stamp)
        return
    state = request.app.state
    lock = getattr(state, "write_lock", None)
    try:
        if lock is not None:
            await lock.acquire()
        try:
            async with state.sessions() as writer:
                await writer.execute(stamp)
                await writer.commit()
        finally:
            if lock is not None:
                lock.release()
    except SQLAlchemyError:  # a busy database must not fail the read; the next request retries
        logging.getLogger("chaupal").warning("could not stamp last_used_at of token %s", token.id)


def optional_auth(scope: str | None = None):
    """The caller if a token was given (checked against `scope`), else None."""

    async def dep(request: Request, session: SessionDep) -> Auth | None:
        auth = await _auth_from_request(request, session)
        if auth is not None and scope and auth.user is not None and not auth.allows(scope):
            raise ApiError(403, "This action is outside the authorized scopes")
        return auth

    return dep


def require_user(scope: str):
    """A user token carrying `scope`; 401 without a valid user token, 403 without the scope."""

    async def dep(request: Request, session: SessionDep) -> Auth:
        auth = await _auth_from_request(request, session)
        if auth is None:
            raise ApiError(401, "The access token is invalid")
        if auth.user is None:
            raise ApiError(422, "This method requires an authenticated user")
        if not auth.allows(scope):
            raise ApiError(403, "This action is outside the authorized scopes")
        return auth

    return dep


def require_app():
    """Any valid token, app-only or user (for apps/verify_credentials)."""

    async def dep(request: Request, session: SessionDep) -> Auth:
        auth = await _auth_from_request(request, session)
        if auth is None:
            raise ApiError(401, "The access token is invalid")
        return auth

    return dep


# Aliases used by routes: `auth: ReadStatuses` and so on.
ReadAccounts = Annotated[Auth, Depends(require_user("read:accounts"))]
WriteAccounts = Annotated[Auth, Depends(require_user("write:accounts"))]
ReadStatuses = Annotated[Auth, Depends(require_user("read:statuses"))]
WriteStatuses = Annotated[Auth, Depends(require_user("write:statuses"))]
ReadFollows = Annotated[Auth, Depends(require_user("read:follows"))]
WriteFollows = Annotated[Auth, Depends(require_user("write:follows"))]
ReadBlocks = Annotated[Auth, Depends(require_user("read:blocks"))]
WriteBlocks = Annotated[Auth, Depends(require_user("write:blocks"))]
ReadMutes = Annotated[Auth, Depends(require_user("read:mutes"))]
WriteMutes = Annotated[Auth, Depends(require_user("write:mutes"))]
ReadFavourites = Annotated[Auth, Depends(require_user("read:favourites"))]
WriteFavourites = Annotated[Auth, Depends(require_user("write:favourites"))]
ReadBookmarks = Annotated[Auth, Depends(require_user("read:bookmarks"))]
WriteBookmarks = Annotated[Auth, Depends(require_user("write:bookmarks"))]
ReadNotifications = Annotated[Auth, Depends(require_user("read:notifications"))]
WriteNotifications = Annotated[Auth, Depends(require_user("write:notifications"))]
ReadSearch = Annotated[Auth | None, Depends(optional_auth("read:search"))]
Profile = Annotated[Auth, Depends(require_user("profile"))]
AppAuth = Annotated[Auth, Depends(require_app())]
MaybeReadStatuses = Annotated[Auth | None, Depends(optional_auth("read:statuses"))]
MaybeReadAccounts = Annotated[Auth | None, Depends(optional_auth("read:accounts"))]
