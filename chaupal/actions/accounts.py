"""Creating accounts and users, signing in, changing passwords, suspending accounts."""

from __future__ import annotations

import asyncio
import functools
import re
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.actions.impersonation import do_flag_lookalikes
from chaupal.actions.tokens import do_revoke_user_tokens
from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.errors import ApiError, unprocessable
from chaupal.models import Account, User
from chaupal.models.accounts import ROLES
from chaupal.security import hash_password, verify_password

USERNAME_RE = re.compile(r"^[A-Za-z0-9_]+$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RESERVED = frozenset(
    {"admin", "administrator", "root", "support", "help", "api", "oauth", "static", "system",
     "settings", "about", "auth", "web", "tags", "users", "explore", "search", "notifications",
     "home", "public", "well-known", "chaupal", "postmaster", "webmaster", "moderator"}
)


def _invalid(field: str, code: str, description: str) -> ApiError:
    """A 422 with Mastodon's per-field `details` (ERR_TAKEN, ERR_TOO_LONG ...)."""
    return unprocessable(
        f"{field} {description}", details={field: [{"error": code, "description": f"{field} {description}"}]}
    )


def check_username(settings: Settings, username: str) -> str:
    username = unicodedata.normalize("NFC", username or "").strip()
    if not username:
        raise _invalid("username", "ERR_BLANK", "can't be blank")
    if len(username) > settings.max_username_chars:
        raise _invalid("username", "ERR_TOO_LONG", f"is too long (maximum is {settings.max_username_chars} characters)")
    if not USERNAME_RE.match(username):
        raise _invalid("username", "ERR_INVALID", "must contain only letters, numbers and underscores")
    if username.lower() in RESERVED:
        raise _invalid("username", "ERR_RESERVED", "is reserved")
    return username


def check_password(settings: Settings, password: str) -> str:
    if len(password or "") < settings.min_password_chars:
        raise _invalid("password", "ERR_TOO_SHORT", f"is too short (minimum is {settings.min_password_chars} characters)")
    if len(password) > settings.max_password_chars:
        raise _invalid("password", "ERR_TOO_LONG", f"is too long (maximum is {settings.max_password_chars} characters)")
    return password


def check_email(email: str) -> str:
    email = (email or "").strip()
    if not EMAIL_RE.match(email) or len(email) > 320 or "\x00" in email:
        raise _invalid("email", "ERR_INVALID", "is invalid")
    return email.lower()


async def check_create_account(
    session: AsyncSession,
    settings: Settings,
    *,
    username: str,
    email: str,
    password: str,
    role: str = "user",
    approved: bool = True,
    display_name: str = "",
    reason: str | None = None,
    locale: str = "en",
) -> tuple[Account, User]:
    username = check_username(settings, username)
    email = check_email(email)
    check_password(settings, password)
    if role not in ROLES:
        raise unprocessable(f"role must be one of {', '.join(ROLES)}")
    taken = await session.scalar(
        select(Account.id).where(Account.username_lower == username.lower(), Account.domain == "")
    )
    if taken is not None:
        raise _invalid("username", "ERR_TAKEN", "is already taken")
    if await session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise _invalid("email", "ERR_TAKEN", "is already taken")
    return await do_create_account(
        session,
        username=username,
        email=email,
        password_hash=await asyncio.to_thread(hash_password, password),
        role=role,
        approved=approved,
        display_name=display_name[: settings.max_display_name_chars],
        reason=reason,
        locale=locale,
    )


async def do_create_account(
    session: AsyncSession,
    *,
    username: str,
    email: str,
    password_hash: str,
    role: str = "user",
    approved: bool = True,
    display_name: str = "",
    reason: str | None = None,
    locale: str = "en",
    **account_fields: object,
) -> tuple[Account, User]:
    account = Account(
        username=username,
        username_lower=username.lower(),
        display_name=display_name,
        **account_fields,
    )
    session.add(account)
    await session.flush()
    user = User(
        account_id=account.id,
        email=email,
        password_hash=password_hash,
        role=role,
        approved=approved,
        reason=reason,
        locale=locale,
    )
    session.add(user)
    try:
        await session.flush()
    except Exception as exc:  # a concurrent sign-up took the name or email
        raise ApiError(422, "Validation failed: username or email is already taken") from exc
    await do_flag_lookalikes(session, account)  # a name imitating a verified account
    return account, user


# --- signing in, passwords and suspension ------------------------------------------------------

@functools.cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password-just-for-timing")


async def _verify(password_hash: str, password: str) -> bool:
    """argon2 takes tens of milliseconds of CPU: keep it off the event loop."""
    return await asyncio.to_thread(verify_password, password_hash, password)


class SignInError(Exception):
    """Why a sign-in failed, in words for the person signing in."""


async def check_sign_in(session: AsyncSession, login: str, password: str) -> User:
    """The user with this username or email and password, if they may sign in."""
    login = (login or "").strip().lower()
    user = None
    if login and len(login) <= 320 and "\x00" not in login:
        if login.startswith("@") and login.count("@") == 1:
            login = login[1:]  # "@alice" is a username, not an email
        if "@" in login:
            user = await session.scalar(select(User).where(func.lower(User.email) == login))
        else:
            user = await session.scalar(
                select(User)
                .join(Account, Account.id == User.account_id)
                .where(Account.username_lower == login, Account.domain == "")
            )
    if user is None:
        await _verify(_dummy_hash(), password or "")  # same work either way: no user enumeration
        raise SignInError("Invalid username, email or password.")
    if not await _verify(user.password_hash, password or ""):
        raise SignInError("Invalid username, email or password.")
    account = await session.get(Account, user.account_id)
    if account is None or account.suspended_at is not None:
        raise SignInError("This account is suspended.")
    if user.disabled:
        raise SignInError("This account is disabled.")
    if not user.approved:
        raise SignInError("This account is waiting for a moderator's approval.")
    return user


async def check_change_password(
    session: AsyncSession, settings: Settings, user: User, current_password: str, new_password: str
) -> int:
    """Change a password after checking the current one; revokes every token. Returns how many."""
    if not await _verify(user.password_hash, current_password or ""):
        raise ApiError(403, "The current password is wrong")
    check_password(settings, new_password)
    if new_password == current_password:
        raise unprocessable("the new password must differ from the current one")
    return await do_change_password(session, user, new_password)


async def do_change_password(session: AsyncSession, user: User, new_password: str) -> int:
    user.password_hash = await asyncio.to_thread(hash_password, new_password)
    await session.flush()
    return await do_revoke_user_tokens(session, user.id)


async def do_suspend_account(session: AsyncSession, account: Account) -> None:
    """Suspend a local or remote account: it can no longer sign in and every token dies."""
    if account.suspended_at is None:
        account.suspended_at = utcnow()
    user = await session.scalar(select(User).where(User.account_id == account.id))
    await session.flush()
    if user is not None:
        await do_revoke_user_tokens(session, user.id)


async def do_unsuspend_account(session: AsyncSession, account: Account) -> None:
    """Lift a suspension. Tokens revoked by it stay revoked: the person signs in again."""
    account.suspended_at = None
    await session.flush()
