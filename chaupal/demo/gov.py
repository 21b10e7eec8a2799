"""The demo's government presence (issue 4): account kinds, the institution hierarchy,
offices and their holders (with a former PM), verification with its history, ministry
staff with roles and two-factor, follower snapshots and declared external presences."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.demo import cast
from chaupal.demo.names import FIRST, LAST
from chaupal.models import (
    Account,
    AuditEntry,
    ExternalAudience,
    ExternalPresence,
    Follow,
    FollowerSnapshot,
    InstitutionMember,
    InstitutionProfile,
    OfficeHolding,
    Status,
    User,
    VerificationEvent,
)

JURISDICTION = "India"
ROOT_USERNAME = "UnionGovt"
# Base32 TOTP secret shared by every demo staff member, printed by `chaupal demo`: staff
# must have two-factor enabled to act for a government-verified account.
DEMO_TOTP_SECRET = "CHAUPALDEMOSTAFFTOTPSECRETXYZ234"
KIND_OF = {
    "head": "person",
    "minister": "person",
    "citizen": "person",
    "office": "institution",
    "ministry": "institution",
    "party": "party",
    "news": "media",
}
# Departments under two ministries, so the directory shows a deeper hierarchy.
DEPARTMENTS = [
    ("finance", "DeptOfRevenue", "Department of Revenue"),
    ("finance", "DeptOfEconomicAffairs", "Department of Economic Affairs"),
    ("commerce", "DGFT_Office", "Directorate General of Foreign Trade"),
]
APPROVAL_TOPIC = "finance"  # this ministry requires a second member to approve editors' posts


@dataclass
class GovDemo:
    institutions: int = 0
    staff: list[tuple[str, str, str]] = field(default_factory=list)  # (username, institution, role)
    staff_user_ids: dict[str, dict[str, int]] = field(default_factory=dict)  # topic -> role -> user id
    plans: dict[str, int] = field(default_factory=dict)  # scheduled posts and drafts made


def _tenure_start(now: datetime, years: float) -> date:
    return (now - timedelta(days=int(365 * years))).date()


async def seed_government(
    session: AsyncSession,
    rng: random.Random,
    people: list[cast.Persona],
    account_ids: list[int],
    admin_account_id: int,
    password_hash: str,
    now: datetime,
) -> GovDemo:
    """Run after the posts exist; flushes only (the loader commits)."""
    from chaupal.actions.accounts import do_create_account

    out = GovDemo()
    by_key = {p.key: account_ids[i] for i, p in enumerate(people)}
    for i, p in enumerate(people):
        kind = KIND_OF[p.kind]
        if kind != "person":
            await session.execute(
                update(Account).where(Account.id == account_ids[i]).values(kind=kind)
            )

    async def institution(username: str, name: str, note: str, joined: datetime) -> int:
        account = Account(
            username=username,
            username_lower=username.lower(),
            display_name=name,
            note=note,
            note_html=f"<p>{note}</p>",
            kind="institution",
            created_at=joined,
        )
        session.add(account)
        await session.flush()
        return account.id

    joined = now - timedelta(days=1200)
    root = await institution(
        ROOT_USERNAME, "Government of India (demo)", "The Union Government. Demo account.", joined
    )
    profiles = [{"account_id": root, "category": "government", "parent_account_id": None}]
    profiles.append({"account_id": by_key["pmo"], "category": "office", "parent_account_id": root})
    for topic, *_ in cast.MINISTRIES:
        profiles.append(
            {
                "account_id": by_key[topic],
                "category": "ministry",
                "parent_account_id": root,
                "require_approval": topic == APPROVAL_TOPIC,
            }
        )
    for topic, username, name in DEPARTMENTS:
        dept = await institution(username, name, f"Official account of the {name}.", joined)
        profiles.append({"account_id": dept, "category": "department", "parent_account_id": by_key[topic]})
    for row in profiles:
        row.setdefault("require_approval", False)
        session.add(
            InstitutionProfile(jurisdiction_level="country", jurisdiction=JURISDICTION, **row)
        )
    out.institutions = len(profiles)

    # Offices and holders: the PM holds the PMO (a former PM held it before), ministers
    # hold their ministries.
    former, _ = await do_create_account(
        session,
        username="sunil_mehra",
        email="sunil_mehra@demo.example.org",
        password_hash=password_hash,
        display_name="Sunil Mehra",
        note="Former Prime Minister. Writer, gardener.",
        note_html="<p>Former Prime Minister. Writer, gardener.</p>",
        created_at=now - timedelta(days=2400),
    )
    pm_start = _tenure_start(now, 2.5)
    session.add_all(
        [
            OfficeHolding(
                office_account_id=by_key["pmo"],
                holder_account_id=former.id,
                title="Prime Minister",
                role="head_of_government",
                started_on=_tenure_start(now, 7.5),
                ended_on=pm_start,
            ),
            OfficeHolding(
                office_account_id=by_key["pmo"],
                holder_account_id=by_key["pm"],
                title="Prime Minister",
                role="head_of_government",
                started_on=pm_start,
            ),
        ]
    )
    for topic, _user, name, _muser, _mname in cast.MINISTRIES:
        session.add(
            OfficeHolding(
                office_account_id=by_key[topic],
                holder_account_id=by_key[f"{topic}:minister"],
                title=f"Minister of {name.removeprefix('Ministry of ')}",
                role="minister",
                started_on=pm_start + timedelta(days=1),
            )
        )

    # Verification, each with its history row.
    grants: list[tuple[int, str, str]] = []
    for i, p in enumerate(people):
        if p.kind in ("office", "ministry"):
            grants.append((account_ids[i], "government", "Letter from the Cabinet Secretariat"))
        elif p.kind in ("head", "minister"):
            grants.append((account_ids[i], "official", "Gazette notification of appointment"))
        elif p.kind in ("party", "news"):
            grants.append((account_ids[i], "organisation", "Registration certificate"))
    grants.append((root, "government", "Operator of this instance"))
    grants.append((former.id, "notable", "Former head of government"))
    for topic, username, _name in DEPARTMENTS:
        dept_id = await session.scalar(select(Account.id).where(Account.username == username))
        grants.append((dept_id, "government", "Letter from the parent ministry"))
    for account_id, kind, evidence in grants:
        at = now - timedelta(days=rng.randint(200, 400))
        await session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(verification=kind, verified_at=at)
        )
        session.add(
            VerificationEvent(
                account_id=account_id,
                action="grant",
                verification=kind,
                evidence=evidence,
                moderator_account_id=admin_account_id,
                created_at=at,
            )
        )

    # Institutions have no shared password: their demo logins go, staff act for them.
    institution_ids = [account_ids[i] for i, p in enumerate(people) if p.kind in ("office", "ministry")]
    await session.execute(delete(User).where(User.account_id.in_(institution_ids)))
    await _staff(session, rng, out, by_key, password_hash, now)
    await session.flush()
    await _audit_history(session, rng, out, by_key)
    await _presences(session, by_key, now)
    return out


async def _staff(
    session: AsyncSession,
    rng: random.Random,
    out: GovDemo,
    by_key: dict[str, int],
    password_hash: str,
    now: datetime,
) -> None:
    from chaupal.actions.accounts import do_create_account

    units = [("pmo", "PMO", "PMO")] + [(t, u, t) for t, u, *_ in cast.MINISTRIES]
    for topic, inst_username, tag in units:
        out.staff_user_ids[topic] = {}
        for role in ("owner", "editor", "analyst"):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            username = f"{tag.lower()}_{role}"
            account, user = await do_create_account(
                session,
                username=username,
                email=f"{username}@demo.example.org",
                password_hash=password_hash,
                display_name=f"{first} {last}",
                note=f"{role.capitalize()}, social media cell, @{inst_username}.",
                note_html=f"<p>{role.capitalize()}, social media cell, @{inst_username}.</p>",
                created_at=now - timedelta(days=rng.randint(300, 700)),
            )
            user.otp_secret = DEMO_TOTP_SECRET
            user.otp_enabled_at = account.created_at
            session.add(
                InstitutionMember(
                    institution_account_id=by_key[topic],
                    user_id=user.id,
                    role=role,
                    created_at=account.created_at,
                )
            )
            out.staff.append((username, inst_username, role))
            out.staff_user_ids[topic][role] = user.id


async def _audit_history(
    session: AsyncSession, rng: random.Random, out: GovDemo, by_key: dict[str, int]
) -> None:
    """The institutions' posts so far were written by their editors and owners: record who."""
    rows: list[dict[str, Any]] = []
    for topic, roles in out.staff_user_ids.items():
        account_id = by_key[topic]
        writers = [(roles["editor"], "editor"), (roles["owner"], "owner")]
        staff = {
            uid: (acc, name)
            for uid, acc, name in (
                await session.execute(
                    select(User.id, Account.id, Account.username)
                    .join(Account, Account.id == User.account_id)
                    .where(User.id.in_([w for w, _ in writers]))
                )
            ).all()
        }
        statuses = (
            await session.execute(
                select(Status.id, Status.created_at, Status.in_reply_to_id, Status.reblog_of_id)
                .where(Status.account_id == account_id)
            )
        ).all()
        for sid, at, reply_to, reblog_of in statuses:
            uid = writers[0][0] if rng.random() < 0.8 else writers[1][0]
            acc, name = staff[uid]
            action = "status.reblog" if reblog_of else "status.reply" if reply_to else "status.create"
            rows.append(
                {
                    "institution_account_id": account_id,
                    "staff_user_id": uid,
                    "staff_account_id": acc,
                    "staff_username": name,
                    "action": action,
                    "object_type": "status",
                    "object_id": sid,
                    "detail": {},
                    "created_at": at,
                }
            )
    if rows:
        from chaupal.lib.ids import new_id

        for row in rows:
            row["id"] = new_id(row["created_at"])
        await session.execute(insert(AuditEntry), rows)


async def _presences(session: AsyncSession, by_key: dict[str, int], now: datetime) -> None:
    """Declared presences on other platforms with audience figures (shown apart)."""
    figures = [
        ("pmo", "X", "https://x.com/PMO_demo", [(120, 51_200_000), (30, 52_100_000)]),
        ("pmo", "YouTube", "https://youtube.com/@PMO_demo", [(30, 8_400_000)]),
        ("pm", "X", "https://x.com/ashok_rao_demo", [(120, 98_000_000), (30, 99_300_000)]),
        ("finance", "X", "https://x.com/FinMin_demo", [(30, 9_800_000)]),
        ("railways", "X", "https://x.com/RailMin_demo", [(30, 11_300_000)]),
    ]
    for key, platform, url, points in figures:
        presence = ExternalPresence(account_id=by_key[key], platform=platform, url=url)
        session.add(presence)
        await session.flush()
        for days_ago, followers in points:
            session.add(
                ExternalAudience(
                    presence_id=presence.id,
                    as_of=(now - timedelta(days=days_ago)).date(),
                    followers=followers,
                    source=f"{platform} profile page, read by the demo operator",
                )
            )


async def follower_snapshots(
    session: AsyncSession, account_ids: list[int], start: datetime, now: datetime
) -> int:
    """Daily follower counts of `account_ids` from `start` to today, replayed from the
    follows' creation times (the demo's history; the live job records from today on)."""
    edges = (
        await session.execute(
            select(Follow.target_account_id, Follow.created_at).where(
                Follow.target_account_id.in_(account_ids)
            )
        )
    ).all()
    per_day: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    before: dict[int, int] = defaultdict(int)
    first = start.date()
    for target, at in edges:
        if at.date() < first:
            before[target] += 1
        else:
            per_day[target][at.date()] += 1
    rows = []
    days = (now.date() - first).days + 1
    for account_id in account_ids:
        count = before[account_id]
        for n in range(days):
            day = first + timedelta(days=n)
            count += per_day[account_id].get(day, 0)
            rows.append({"account_id": account_id, "day": day, "followers_count": count})
    for k in range(0, len(rows), 2000):
        await session.execute(insert(FollowerSnapshot), rows[k : k + 2000])
    return len(rows)


def cabinet_yaml() -> str:
    """The declared structure the demo operator imports (`chaupal gov import`): the demo's
    ministries plus two ministries and a department that have no account yet."""
    import yaml

    entities: list[dict[str, Any]] = [
        {"key": "demo.pmo", "name": "Prime Minister's Office", "category": "office", "username": "PMO"}
    ]
    children: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for topic, username, name in DEPARTMENTS:
        children[topic].append(
            {"key": f"demo.{topic}.{username.lower()}", "name": name, "category": "department",
             "username": username}
        )
    children["finance"].append(
        {"key": "demo.finance.expenditure", "name": "Department of Expenditure", "category": "department"}
    )
    for topic, username, name, *_ in cast.MINISTRIES:
        entry: dict[str, Any] = {"key": f"demo.{topic}", "name": name, "username": username}
        if children[topic]:
            entry["children"] = children[topic]
        entities.append(entry)
    entities.append({"key": "demo.defence", "name": "Ministry of Defence"})
    entities.append({"key": "demo.culture", "name": "Ministry of Culture"})
    doc = {
        "version": 1,
        "government": {
            "key": "demo",
            "name": "Government of India (demo)",
            "jurisdiction": JURISDICTION,
            "username": ROOT_USERNAME,
            "entities": entities,
        },
    }
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


async def seed_plans(
    session: AsyncSession, settings: Any, gov: GovDemo, by_topic: dict[str, int], now: datetime
) -> dict[str, int]:
    """What the operator and staff set up last: the declared cabinet, an impersonator the
    moderators must look at, posts scheduled for the coming days, a draft awaiting approval."""
    from chaupal.actions.accounts import do_create_account
    from chaupal.actions.coverage import check_import_coverage
    from chaupal.actions.scheduled import check_schedule_status

    await check_import_coverage(session, settings, cabinet_yaml())
    # A look-alike of the verified PMO (lower-case L for I, zero for O): flagged on creation.
    await do_create_account(
        session,
        username="PMO_lndia",
        email="pmo_lndia@demo.example.org",
        password_hash="!",  # cannot sign in
        display_name="Prime Minister's 0ffice",
        note="Latest updates from the PM's office.",
        note_html="<p>Latest updates from the PM's office.</p>",
    )
    plans = [
        ("pmo", "editor", 1, ("The Prime Minister will address the nation on the Digital Public "
         "Infrastructure mission tomorrow at 8 pm. Watch live here. #DigitalIndia")),
        ("pmo", "editor", 3, "प्रधानमंत्री कल किसान सम्मेलन को संबोधित करेंगे। #किसान"),
        ("railways", "editor", 2, ("New Vande Bharat services between Chennai and Bengaluru start "
         "next week. Bookings open now. #Railways")),
        ("health", "owner", 5, ("Free health check-up camps in every district this weekend. "
         "Find your nearest camp on the portal. #SwasthBharat")),
    ]
    made = {"scheduled": 0, "pending_approval": 0}
    for topic, role, days, text in plans:
        account = await session.get(Account, by_topic[topic])
        user = await session.get(User, gov.staff_user_ids[topic][role])
        await check_schedule_status(
            session, settings, account, user=user, text=text, visibility="public",
            scheduled_at=now + timedelta(days=days, hours=2), language="hi" if "प्र" in text else "en",
        )
        made["scheduled"] += 1
    finance = await session.get(Account, by_topic[APPROVAL_TOPIC])
    editor = await session.get(User, gov.staff_user_ids[APPROVAL_TOPIC]["editor"])
    await check_schedule_status(
        session, settings, finance, user=editor, scheduled_at=None, pending_approval=True,
        visibility="public", language="en",
        text="Draft: GST collections for the quarter rose 9% year on year. Details in the "
        "press release. #GST #Economy",
    )
    made["pending_approval"] += 1
    return made
