"""The SQL home timeline (pull model): the newest statuses of the viewer and the accounts
they follow, filtered the way Mastodon's FeedManager filters a home feed.

Query plan (measured on 1M statuses, see the timelines report in docs/benchmarks.md):
the page is filled from windows of the *global* status ID sequence, newest first. The
first windows are read through the primary key with the follow set as a hashed filter
(cost = rows in the window, independent of how many accounts are followed); what is
still missing after them comes from the (account_id, id) index over the older rows,
which by then are known to be sparse. Every stage is bounded, so no follow set makes
the planner sort all of its authors' statuses.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Integer, and_, exists, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import bindparam

from chaupal.access import not_filtered_clause, visible_clause
from chaupal.db import session_settings
from chaupal.lib.paging import Page
from chaupal.models import Account, Follow, Status

# Sizes, in statuses of the whole server, of the windows read through the primary key
# before falling back to the per-author index. Tuning knobs, not user-facing limits.
WINDOWS = (2_000, 30_000)
REBLOG_WINDOW_HOURS = 48  # the default of the feed_reblog_window_hours setting


def home_filter(
    viewer_id: int, status: Any = Status, *, reblog_window_hours: int = REBLOG_WINDOW_HOURS
) -> Any:
    """Mastodon's home-feed rules as one SQL condition on `status`, beyond visibility.

    - Reblogs: hidden when the viewer turned off reblogs from the booster (show_reblogs
      false), when the original is the viewer's own post, when its author is blocked or
      muted by the viewer, or when the original is not visible to the viewer; and, as
      Mastodon, one entry per original: hidden when the original or an earlier reblog of it
      reached the viewer's home within `reblog_window_hours` before (0: no such rule).
    - Replies: shown only when they answer the viewer, someone the viewer follows, or the
      replier themself (a thread); the viewer's own replies are always shown.
    """
    original = aliased(Status)
    reblog_ok = or_(
        status.reblog_of_id.is_(None),
        and_(
            ~exists().where(
                Follow.account_id == viewer_id,
                Follow.target_account_id == status.account_id,
                Follow.show_reblogs.is_(False),
            ),
            exists().where(
                original.id == status.reblog_of_id,
                original.account_id != viewer_id,
                visible_clause(viewer_id, original),
                not_filtered_clause(viewer_id, original),
            ),
            *([_not_seen_before(viewer_id, status, reblog_window_hours)] if reblog_window_hours > 0 else []),
        ),
    )
    reply_ok = or_(
        status.in_reply_to_account_id.is_(None),
        status.account_id == viewer_id,
        status.in_reply_to_account_id == viewer_id,
        status.in_reply_to_account_id == status.account_id,
        exists().where(
            Follow.account_id == viewer_id,
            Follow.target_account_id == status.in_reply_to_account_id,
        ),
    )
    return and_(reblog_ok, reply_ok)


def _not_seen_before(viewer_id: int, status: Any, hours: int) -> Any:
    """No earlier entry of the viewer's home (by the viewer or a followed account; a reblog
    only when its booster's reblogs are shown) is the same original, within `hours`."""
    earlier = aliased(Status)
    shown_by = exists().where(
        Follow.account_id == viewer_id,
        Follow.target_account_id == earlier.account_id,
        or_(earlier.reblog_of_id.is_(None), Follow.show_reblogs.is_(True)),
    )
    return ~exists().where(
        or_(earlier.id == status.reblog_of_id, earlier.reblog_of_id == status.reblog_of_id),
        earlier.id < status.id,
        earlier.id > status.id - (hours * 3_600_000 << 16),  # IDs: milliseconds << 16
        or_(earlier.account_id == viewer_id, shown_by),
    )


VIEWER_PARAM = "home_viewer"
AUTHORS_PARAM = "home_authors"
_VIEWER = bindparam(VIEWER_PARAM, type_=BigInteger)
_CONDITIONS: dict[tuple[str, int], tuple[Any, Any]] = {}


def _authors(dialect: str, *, indexed: bool) -> Any:
    """`statuses.account_id` in the follow set. `indexed=False` hides the column from the
    planner (`+ 0`) so it reads the primary-key window and filters, which is what we want
    for the windows; PostgreSQL gets one array parameter, SQLite an IN subquery."""
    column = Status.account_id if indexed else Status.account_id + 0
    if dialect == "postgresql":
        return column == func.any(bindparam(AUTHORS_PARAM, type_=ARRAY(BigInteger)))
    follows = select(Follow.target_account_id).where(Follow.account_id == _VIEWER)
    return or_(column == _VIEWER, column.in_(follows))


def in_ids(session: AsyncSession, column: Any, name: str) -> Any:
    """`column IN :name` (a list bound at execution); on PostgreSQL as `= ANY(:name)`, which
    keeps the statement's SQL fixed (an IN list is re-rendered into the SQL per execution)."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return column == func.any(bindparam(name, type_=ARRAY(BigInteger)))
    return column.in_(bindparam(name, expanding=True))


_STATEMENTS: dict[tuple[Any, ...], Any] = {}


def memo_statement(key: tuple[Any, ...], build: Any, *args: Any) -> Any:
    """A statement built once per process for `key` (its shape; the values are parameters).
    Keys hold `id()`s of the clause trees of `home_conditions`, which live as long as the
    process, so an id is never reused for another tree."""
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _STATEMENTS[key] = build(*args)
    return stmt


def home_conditions(
    session: AsyncSession, viewer_id: int, author_ids: list[int]
) -> tuple[Any, Any, dict[str, Any]]:
    """The WHERE conditions of a home page, as (for window stages, for the index stage, the
    parameters to execute them with). The clause trees hold the viewer and the follow set as
    named parameters, so they are built once per process (per dialect and reblog window) and
    shared by every request: building them cost more than running them (~5 ms a page)."""
    settings = session_settings(session)
    hours = settings.feed_reblog_window_hours if settings is not None else REBLOG_WINDOW_HOURS
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    conditions = _CONDITIONS.get((dialect, hours))
    if conditions is None:
        rules = and_(
            visible_clause(_VIEWER),
            not_filtered_clause(_VIEWER),
            home_filter(_VIEWER, reblog_window_hours=hours),
        )
        conditions = _CONDITIONS[(dialect, hours)] = (
            and_(_authors(dialect, indexed=False), rules),
            and_(_authors(dialect, indexed=True), rules),
        )
    params: dict[str, Any] = {VIEWER_PARAM: viewer_id}
    if dialect == "postgresql":
        params[AUTHORS_PARAM] = author_ids
    return conditions[0], conditions[1], params


def bounded(stmt: Any, ascending: bool, has_lower: bool, has_upper: bool) -> Any:
    """`stmt` limited to `home_lo` < id < `home_hi` (each only when present), in reading order,
    at most `home_lim` rows — all parameters, so a memoised statement serves every page."""
    if has_lower:
        stmt = stmt.where(Status.id > bindparam("home_lo", type_=BigInteger))
    if has_upper:
        stmt = stmt.where(Status.id < bindparam("home_hi", type_=BigInteger))
    order = Status.id.asc() if ascending else Status.id.desc()
    return stmt.order_by(order).limit(bindparam("home_lim", type_=Integer))


def home_query(
    where: Any, *, lower: int | None, upper: int | None, ascending: bool, limit: int
) -> tuple[Any, dict[str, Any]]:
    """One bounded stage: statuses matching `where` with lower < id < upper (bounds optional),
    as (statement, its bound values). The statement is built once per shape and reused, so
    SQLAlchemy keeps its cache key instead of walking the whole filter again per execution."""

    def build() -> Any:
        return bounded(select(Status).where(where), ascending, lower is not None, upper is not None)

    stmt = memo_statement(("stage", id(where), ascending, lower is not None, upper is not None), build)
    return stmt, {"home_lo": lower, "home_hi": upper, "home_lim": limit}


async def _window_edge(
    session: AsyncSession, start: int | None, size: int, ascending: bool
) -> int | None:
    """The ID `size` statuses past `start` in reading order, or None when fewer remain."""
    stmt = select(Status.id)
    if ascending:
        stmt = stmt.where(Status.id > (start if start is not None else -1)).order_by(
            Status.id.asc()
        )
    else:
        if start is not None:
            stmt = stmt.where(Status.id < start)
        stmt = stmt.order_by(Status.id.desc())
    return await session.scalar(stmt.offset(size - 1).limit(1))


async def home_timeline(session: AsyncSession, viewer: Account, page: Page) -> list[Status]:
    """One page of the viewer's home timeline, newest first."""
    author_ids = [
        viewer.id,
        *(
            await session.scalars(
                select(Follow.target_account_id).where(Follow.account_id == viewer.id)
            )
        ).all(),
    ]
    in_window, in_index, params = home_conditions(session, viewer.id, author_ids)
    ascending = page.ascending
    floors = [x for x in (page.since_id, page.min_id) if x is not None]
    floor = max(floors) if floors and not ascending else None
    # `cursor` is the exclusive bound the next stage starts from, in reading order.
    cursor = page.min_id if ascending else page.max_id
    found: list[Status] = []
    for size in (*WINDOWS, None):
        edge = None if size is None else await _window_edge(session, cursor, size, ascending)
        if edge is not None and floor is not None and edge <= floor:
            edge = None  # the window reaches the floor: read up to it, and stop
        if ascending:
            lower, upper = cursor, (edge + 1 if edge is not None else None)
        else:
            lower, upper = (edge - 1 if edge is not None else floor), cursor
        stmt, bounds = home_query(
            in_index if size is None else in_window,
            lower=lower,
            upper=upper,
            ascending=ascending,
            limit=page.limit - len(found),
        )
        found.extend((await session.scalars(stmt, {**params, **bounds})).all())
        if len(found) >= page.limit or edge is None:
            break
        cursor = edge
    return list(reversed(found)) if ascending else found
