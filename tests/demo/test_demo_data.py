"""`chaupal demo` fills the government presence of issue 4: institutions without shared
passwords, offices with holders, verification with history, staff with roles and
two-factor, follower snapshots, declared external presences."""

from __future__ import annotations

from sqlalchemy import func, select

from chaupal.demo import load_demo
from chaupal.models import (
    Account,
    ExpectedEntity,
    ExternalAudience,
    FollowerSnapshot,
    InstitutionMember,
    InstitutionProfile,
    Job,
    ModerationFlag,
    OfficeHolding,
    ScheduledStatus,
    User,
    VerificationEvent,
)


async def test_demo__small_country__has_government_presence(settings, session):
    result = await load_demo(settings, citizens=40, intensity=0.2)
    assert result.gov is not None and result.gov.institutions >= 15

    pmo = await session.scalar(select(Account).where(Account.username == "PMO"))
    assert pmo.kind == "institution" and pmo.verification == "government"
    # The institution has no login of its own.
    assert await session.scalar(select(User).where(User.account_id == pmo.id)) is None
    profile = await session.get(InstitutionProfile, pmo.id)
    root = await session.get(Account, profile.parent_account_id)
    assert profile.category == "office" and root.username == "UnionGovt"

    holdings = (
        await session.scalars(
            select(OfficeHolding).where(OfficeHolding.office_account_id == pmo.id).order_by(OfficeHolding.started_on)
        )
    ).all()
    assert [h.ended_on is None for h in holdings] == [False, True]
    pm = await session.get(Account, holdings[-1].holder_account_id)
    assert pm.username == "pm_ashok_rao" and pm.verification == "official"

    verified = await session.scalar(select(func.count()).where(Account.verification.is_not(None)))
    events = await session.scalar(select(func.count()).select_from(VerificationEvent))
    assert events == verified

    roles = (
        await session.execute(
            select(InstitutionMember.role, func.count())
            .where(InstitutionMember.institution_account_id == pmo.id)
            .group_by(InstitutionMember.role)
        )
    ).all()
    assert dict(roles) == {"owner": 1, "editor": 1, "analyst": 1}
    staff = await session.scalar(
        select(User).join(Account, Account.id == User.account_id).where(Account.username == "finance_editor")
    )
    assert staff.otp_enabled_at is not None and staff.otp_secret

    days = await session.scalar(
        select(func.count()).where(FollowerSnapshot.account_id == pmo.id)
    )
    assert days >= 180
    assert await session.scalar(select(func.count()).select_from(ExternalAudience)) > 0


async def test_demo__plans__cabinet_scheduled_posts_draft_and_flag(settings, session):
    result = await load_demo(settings, citizens=20, intensity=0.1)
    assert result.gov.plans == {"scheduled": 4, "pending_approval": 1}
    states = dict(
        (await session.execute(select(ScheduledStatus.state, func.count()).group_by(ScheduledStatus.state))).all()
    )
    assert states == {"scheduled": 4, "pending_approval": 1}
    assert await session.scalar(select(func.count()).where(Job.kind == "publish_scheduled")) == 4
    # Two declared ministries have no account yet.
    declared = set(await session.scalars(select(ExpectedEntity.name)))
    assert {"Ministry of Defence", "Ministry of Culture"} <= declared
    flagged = await session.scalar(
        select(Account.username).join(ModerationFlag, ModerationFlag.account_id == Account.id)
    )
    assert flagged == "PMO_lndia"
