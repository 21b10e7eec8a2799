"""Moderators' government actions: institution accounts and their hierarchy, account kinds,
office holdings with tenures, and verification grants/revocations (each one audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions.accounts import check_username
from chaupal.actions.impersonation import do_flag_imitators, do_flag_lookalikes
from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.errors import ApiError, unprocessable
from chaupal.models import (
    Account,
    InstitutionProfile,
    OfficeHolding,
    User,
    VerificationEvent,
)
from chaupal.models.accounts import ACCOUNT_KINDS, VERIFICATION_TYPES
from chaupal.models.gov import INSTITUTION_CATEGORIES, JURISDICTION_LEVELS, OFFICE_ROLES


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise unprocessable(f"{name} must be one of {', '.join(allowed)}")
    return value


def _text(name: str, value: str, limit: int, *, required: bool = False) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise unprocessable(f"{name} contains a NUL character")
    if required and not value:
        raise unprocessable(f"{name} can't be blank")
    if len(value) > limit:
        raise unprocessable(f"{name} is too long (maximum is {limit} characters)")
    return value


# --- institutions ------------------------------------------------------------------------------

@dataclass
class InstitutionFields:
    category: str | None = None
    parent_account_id: int | None = None
    clear_parent: bool = False
    jurisdiction_level: str | None = None
    jurisdiction: str | None = None
    display_name: str | None = None


async def check_parent(
    session: AsyncSession, settings: Settings, account_id: int | None, parent_id: int
) -> Account:
    """The parent must be a local institution, and not the account itself or below it."""
    parent = await session.get(Account, parent_id)
    if parent is None or parent.kind != "institution" or parent.domain != "":
        raise unprocessable("parent must be an institution account")
    node: int | None = parent_id
    for _ in range(settings.institution_max_depth):
        if node is None:
            return parent
        if node == account_id:
            raise unprocessable("parent would make the hierarchy a cycle")
        node = await session.scalar(
            select(InstitutionProfile.parent_account_id).where(InstitutionProfile.account_id == node)
        )
    if node is None:
        return parent
    raise unprocessable(f"the hierarchy may be at most {settings.institution_max_depth} levels deep")


async def check_create_institution(
    session: AsyncSession,
    settings: Settings,
    *,
    username: str,
    display_name: str = "",
    fields: InstitutionFields | None = None,
) -> Account:
    """A local institution account: no User (no shared password); staff act for it."""
    username = check_username(settings, username)
    display_name = _text("display_name", display_name, settings.max_display_name_chars)
    taken = await session.scalar(
        select(Account.id).where(Account.username_lower == username.lower(), Account.domain == "")
    )
    if taken is not None:
        raise unprocessable("username is already taken")
    fields = await _checked_fields(session, settings, None, fields or InstitutionFields())
    account = Account(
        username=username, username_lower=username.lower(), display_name=display_name, kind="institution"
    )
    session.add(account)
    try:
        await session.flush()
    except Exception as exc:  # a concurrent creation took the name
        raise ApiError(422, "Validation failed: username is already taken") from exc
    await do_update_institution(session, account, fields)
    await do_flag_lookalikes(session, account)
    return account


async def _checked_fields(
    session: AsyncSession, settings: Settings, account_id: int | None, fields: InstitutionFields
) -> InstitutionFields:
    """The fields validated and trimmed; nothing is written."""
    out = InstitutionFields(
        parent_account_id=fields.parent_account_id, clear_parent=fields.clear_parent
    )
    if fields.category is not None:
        out.category = _one_of("category", fields.category, INSTITUTION_CATEGORIES)
    if fields.jurisdiction_level is not None:
        out.jurisdiction_level = _one_of(
            "jurisdiction_level", fields.jurisdiction_level, JURISDICTION_LEVELS
        )
    if fields.jurisdiction is not None:
        out.jurisdiction = _text("jurisdiction", fields.jurisdiction, settings.max_jurisdiction_chars)
    if fields.display_name is not None:
        out.display_name = _text("display_name", fields.display_name, settings.max_display_name_chars)
    if fields.parent_account_id is not None:
        await check_parent(session, settings, account_id, fields.parent_account_id)
    return out


async def check_update_institution(
    session: AsyncSession, settings: Settings, account: Account, fields: InstitutionFields
) -> InstitutionProfile:
    if account.kind != "institution":
        raise unprocessable("the account is not an institution")
    return await do_update_institution(
        session, account, await _checked_fields(session, settings, account.id, fields)
    )


async def do_update_institution(
    session: AsyncSession, account: Account, fields: InstitutionFields
) -> InstitutionProfile:
    profile = await session.get(InstitutionProfile, account.id)
    if profile is None:
        profile = InstitutionProfile(account_id=account.id)
        session.add(profile)
    for name in ("category", "jurisdiction_level", "jurisdiction"):
        value = getattr(fields, name)
        if value is not None:
            setattr(profile, name, value)
    if fields.parent_account_id is not None:
        profile.parent_account_id = fields.parent_account_id
    elif fields.clear_parent:
        profile.parent_account_id = None
    if fields.display_name is not None and fields.display_name != account.display_name:
        account.display_name = fields.display_name
        await do_flag_lookalikes(session, account)
    await session.flush()
    return profile


# --- kinds -------------------------------------------------------------------------------------

async def _holds_office(session: AsyncSession, account_id: int) -> bool:
    found = await session.scalar(
        select(OfficeHolding.id)
        .where(OfficeHolding.holder_account_id == account_id, OfficeHolding.ended_on.is_(None))
        .limit(1)
    )
    return found is not None


async def _is_office(session: AsyncSession, account_id: int) -> bool:
    found = await session.scalar(
        select(OfficeHolding.id).where(OfficeHolding.office_account_id == account_id).limit(1)
    )
    return found is not None


async def verification_refusal(
    session: AsyncSession, account: Account, verification: str, kind: str | None = None
) -> str | None:
    """Why `account` (with `kind`, default its own) may not carry this verification, or None."""
    kind = kind or account.kind
    if verification == "government" and kind != "institution" and not await _is_office(session, account.id):
        return "government verification is only for institution and office accounts"
    if verification == "official" and (kind != "person" or not await _holds_office(session, account.id)):
        return "official verification is only for persons holding a public office"
    if verification == "organisation" and kind == "person":
        return "organisation verification is not for person accounts"
    return None


async def check_set_kind(session: AsyncSession, account: Account, kind: str) -> Account:
    _one_of("kind", kind, ACCOUNT_KINDS)
    if account.domain != "":
        raise unprocessable("only local accounts can be changed")
    if account.verification is not None:
        refusal = await verification_refusal(session, account, account.verification, kind)
        if refusal:
            raise unprocessable(f"{refusal}; revoke the verification first")
    if (
        kind != "institution"
        and account.kind == "institution"
        and await session.scalar(select(User.id).where(User.account_id == account.id)) is None
    ):
        raise unprocessable("an institution account without a login cannot become another kind")
    return await do_set_kind(session, account, kind)


async def do_set_kind(session: AsyncSession, account: Account, kind: str) -> Account:
    account.kind = kind
    if kind == "institution" and await session.get(InstitutionProfile, account.id) is None:
        session.add(InstitutionProfile(account_id=account.id))
    await session.flush()
    return account


# --- offices -----------------------------------------------------------------------------------

async def check_add_office_holding(
    session: AsyncSession,
    settings: Settings,
    office: Account,
    holder: Account,
    *,
    title: str,
    role: str,
    started_on: date,
) -> OfficeHolding:
    """`holder` (a person) takes `office` (an institution) under `title` from `started_on`;
    the office's current holder of the same title, if any, leaves that day."""
    title = _text("title", title, settings.max_office_title_chars, required=True)
    _one_of("role", role, OFFICE_ROLES)
    if office.kind != "institution":
        raise unprocessable("the office must be an institution account")
    if holder.kind != "person":
        raise unprocessable("the holder must be a person account")
    if office.id == holder.id:
        raise unprocessable("an account cannot hold itself")
    current = await session.scalar(
        select(OfficeHolding).where(
            OfficeHolding.office_account_id == office.id,
            OfficeHolding.title == title,
            OfficeHolding.ended_on.is_(None),
        )
    )
    if current is not None:
        if current.holder_account_id == holder.id:
            raise unprocessable("this person already holds this office")
        if started_on < current.started_on:
            raise unprocessable("started_on is before the current holder's tenure began")
    return await do_add_office_holding(
        session, office, holder, title=title, role=role, started_on=started_on, previous=current
    )


async def do_add_office_holding(
    session: AsyncSession,
    office: Account,
    holder: Account,
    *,
    title: str,
    role: str,
    started_on: date,
    previous: OfficeHolding | None,
) -> OfficeHolding:
    if previous is not None:
        previous.ended_on = started_on
    holding = OfficeHolding(
        office_account_id=office.id,
        holder_account_id=holder.id,
        title=title,
        role=role,
        started_on=started_on,
    )
    session.add(holding)
    await session.flush()
    if previous is not None:
        await do_revoke_stale_official(session, previous.holder_account_id)
    return holding


async def do_revoke_stale_official(session: AsyncSession, holder_account_id: int) -> None:
    """A person whose last tenure has ended no longer holds a public office, so the `official`
    badge goes too, with its event (decision 112); other verification types are untouched."""
    holder = await session.get(Account, holder_account_id)
    if holder is None or holder.verification != "official":
        return
    if await _holds_office(session, holder.id):
        return
    await do_set_verification(session, holder, None, "tenure ended: no public office held", None)


async def check_end_office_holding(
    session: AsyncSession, holding: OfficeHolding, ended_on: date | None = None
) -> OfficeHolding:
    ended_on = ended_on or utcnow().date()
    if holding.ended_on is not None:
        raise unprocessable("this tenure has already ended")
    if ended_on < holding.started_on:
        raise unprocessable("ended_on is before the tenure began")
    holding.ended_on = ended_on
    await session.flush()
    await do_revoke_stale_official(session, holding.holder_account_id)
    return holding


# --- verification ------------------------------------------------------------------------------

async def check_grant_verification(
    session: AsyncSession,
    settings: Settings,
    account: Account,
    verification: str,
    evidence: str,
    moderator: Account | None,
) -> VerificationEvent:
    _one_of("type", verification, VERIFICATION_TYPES)
    evidence = _text("evidence", evidence, settings.max_verification_evidence_chars, required=True)
    if account.domain != "":
        raise unprocessable("only local accounts can be verified")
    if account.suspended_at is not None:
        raise unprocessable("a suspended account cannot be verified")
    refusal = await verification_refusal(session, account, verification)
    if refusal:
        raise unprocessable(refusal)
    event = await do_set_verification(session, account, verification, evidence, moderator)
    await do_flag_imitators(session, account)
    return event


async def check_revoke_verification(
    session: AsyncSession, settings: Settings, account: Account, evidence: str, moderator: Account | None
) -> VerificationEvent:
    evidence = _text("evidence", evidence, settings.max_verification_evidence_chars)
    if account.verification is None:
        raise unprocessable("the account is not verified")
    return await do_set_verification(session, account, None, evidence, moderator)


async def do_set_verification(
    session: AsyncSession,
    account: Account,
    verification: str | None,
    evidence: str,
    moderator: Account | None,
) -> VerificationEvent:
    """Grant (`verification` set) or revoke (None), with its event in the same transaction."""
    previous = account.verification
    account.verification = verification
    account.verified_at = utcnow() if verification else None
    event = VerificationEvent(
        account_id=account.id,
        action="grant" if verification else "revoke",
        verification=verification or previous,
        evidence=evidence,
        moderator_account_id=moderator.id if moderator else None,
    )
    session.add(event)
    await session.flush()
    return event
