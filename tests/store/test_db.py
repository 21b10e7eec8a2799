"""Database behaviour both backends must share."""

from sqlalchemy import func, select


async def test_lower__folds_non_ascii_letters(session):
    assert await session.scalar(select(func.lower("ÉLAN Ωmega"))) == "élan ωmega"


async def test_datetimes__come_back_timezone_aware_utc(make_user, session):
    from chaupal.models import Account

    u = await make_user("tz")
    acc = await session.get(Account, u.account_id)
    assert acc.created_at.tzinfo is not None and acc.created_at.utcoffset().total_seconds() == 0
