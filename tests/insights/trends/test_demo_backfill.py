"""`demo_backfill`: trends stored and the best items approved as the first admin, on both backends."""

from __future__ import annotations

from sqlalchemy import select

from chaupal.actions.statuses import check_create_status
from chaupal.db import utcnow
from chaupal.insights.trends.demo import demo_backfill
from chaupal.insights.trends.query import public_trends
from chaupal.models import Account, TrendReview, User


async def test_demo_backfill__approves_top_items_as_admin(app, settings, make_user):
    admin = await make_user("demo_admin")
    people = [await make_user(f"p{i}") for i in range(3)]
    async with app.state.sessions() as s:
        (await s.get(User, admin.user_id)).role = "admin"
        for p in people:
            author = await s.get(Account, p.account_id)
            await check_create_status(s, settings, author, text="#भारत https://example.gov.in/yojana", visibility="public")
        result = await demo_backfill(s, settings, utcnow())
        await s.commit()
    assert result == {"tag": 1, "link": 1, "status": 0}
    async with app.state.sessions() as s:
        reviews = (await s.scalars(select(TrendReview))).all()
        assert {r.reviewed_by_account_id for r in reviews} == {admin.account_id}
        assert len(await public_trends(s, settings, "tag", "", offset=0, limit=10)) == 1
        assert len(await public_trends(s, settings, "link", "", offset=0, limit=10)) == 1
